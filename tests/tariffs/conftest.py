import pytest

from tests.roaming.factories import PartnerFactory, TokenFactory


@pytest.fixture
def cpo(db):
    """A CPO platform holding the parties NL/CPO and DE/CPO."""
    return PartnerFactory(name="FastCharge", parties=["NL/CPO", "DE/CPO"])


@pytest.fixture
def other_cpo(db):
    return PartnerFactory(name="CityPlug", parties=["NL/OTH"])


@pytest.fixture
def token(driver):
    """The driver's RFID token (the one CDRs and Sessions name)."""
    return TokenFactory(user=driver)
