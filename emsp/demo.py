"""Demo data for `make run`: accounts to log in with (and, from other apps, a simulated CPO)."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from drivers.models import User
from drivers.selectors import driver_profile_get
from drivers.services import driver_profile_update


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str


DEMO_DRIVER = DemoAccount("driver@example.com", "drive-electric-2026", "driver")
DEMO_STAFF = (
    DemoAccount("admin@example.com", "back-office-2026", "superuser"),
    DemoAccount("support@example.com", "back-office-2026", "support"),
    DemoAccount("billing@example.com", "back-office-2026", "billing"),
    DemoAccount("operations@example.com", "back-office-2026", "operations"),
)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset the passwords of) the demo driver and staff users. Idempotent."""
    driver = _user_ensure(DEMO_DRIVER)
    if not driver_profile_get(user=driver).full_name:
        driver_profile_update(
            user=driver,
            full_name="Dana Driver",
            address_line1="Stationsplein 1",
            postal_code="1012 AB",
            city="Amsterdam",
            country="NL",
            phone="+31 20 123 4567",
        )
    for account in DEMO_STAFF:
        user = _user_ensure(account)
        user.is_staff = True
        user.is_superuser = account.role == "superuser"
        user.save(update_fields=["is_staff", "is_superuser"])
        if account.role != "superuser":
            user.groups.set([Group.objects.get(name=account.role)])
    return [DEMO_DRIVER, *DEMO_STAFF]


def _user_ensure(account: DemoAccount) -> User:
    user = User.objects.filter(email=account.email).first()
    if user is None:
        user = User.objects.create_user(account.email, account.password)
    else:
        user.set_password(account.password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=account.email, defaults={"verified": True, "primary": True}
    )
    return user
