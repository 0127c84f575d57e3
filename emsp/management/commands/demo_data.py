from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from emsp.demo import demo_accounts_ensure
from tariffs.demo import demo_plans_ensure


class Command(BaseCommand):
    help = "Load the demo data (accounts, a subscription plan). Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        accounts = demo_accounts_ensure()
        plan = demo_plans_ensure()
        table = Table(title="Demo accounts")
        for column in ("role", "email", "password"):
            table.add_column(column)
        for account in accounts:
            table.add_row(account.role, account.email, account.password)
        Console(file=self.stdout).print(table)
        self.stdout.write(
            f"Price plans: the demo driver is on the default plan; {plan.name} "
            f"({plan.monthly_fee} {plan.fee_currency}/month) can be subscribed to."
        )
