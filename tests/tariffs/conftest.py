import pytest

from tariffs.pricing_service import tariff_cache_clear
from tests.roaming.factories import PartnerFactory, TokenFactory


@pytest.fixture(autouse=True)
def _empty_tariff_cache():
    """Each test parses its tariffs afresh (the cache is per process)."""
    tariff_cache_clear()
    yield
    tariff_cache_clear()


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
