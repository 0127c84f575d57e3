"""Issue a CREDENTIALS_TOKEN_A for a new CPO and print it with our versions URL."""

from django.core.management.base import BaseCommand, CommandParser

from roaming.services.partners import partner_token_a_issue


class Command(BaseCommand):
    help = (
        "Create a pending CPO partner and print its token A and our versions URL; hand both to "
        "the CPO out of band. The CPO then registers with POST credentials."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="", help="A name for the partner (admin display).")
        parser.add_argument(
            "--raw-token-header",
            action="store_true",
            help="The CPO sends the token without Base64 (many 2.1.1/2.2 implementations).",
        )

    def handle(self, *args: object, name: str, raw_token_header: bool, **options: object) -> None:
        issued = partner_token_a_issue(name=name, raw_token_header=raw_token_header)
        self.stdout.write(f"partner:      {issued.partner.name} (id {issued.partner.pk})")
        self.stdout.write(f"token A:      {issued.token_a}")
        self.stdout.write(f"versions URL: {issued.versions_url}")
        self.stdout.write(
            self.style.WARNING(
                "The token is shown once; only its hash is stored. Send it securely."
            )
        )
