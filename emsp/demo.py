"""Demo data for `make run`: accounts to log in with, and a simulated CPO to roam with."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from drivers.models import User
from drivers.selectors import driver_profile_get
from drivers.services import driver_profile_update
from roaming.models import SyncRun
from roaming.ocpi.auth import credentials_token_new
from roaming.services.pulls import partner_pull_all
from roaming.services.registration import Registration, partner_register


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


# The demo CPO: our bundled simulator, registered and pulled once the server is up.

DEMO_CPO_NAME = "SimCharge (demo CPO simulator)"


def demo_cpo_token_a() -> str:
    """The simulator's token A for `make run`: random once, then the same on every run (the
    simulator restarts with an empty memory; we register with it again using this token)."""
    path = settings.VAR_DIR / "simulator-token-a"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(credentials_token_new())
    return path.read_text().strip()


def demo_cpo_connect(*, versions_url: str, token_a: str) -> tuple[Registration, list[SyncRun]]:
    """Register with the simulator (idempotent) and pull its tariffs and locations."""
    registration = partner_register(versions_url=versions_url, token_a=token_a, name=DEMO_CPO_NAME)
    runs = partner_pull_all(partner=registration.partner, modules=("tariffs", "locations"))
    return registration, runs
