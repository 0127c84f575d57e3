import pytest

from tariffs.pricing_service import tariff_cache_clear
from tests.roaming.factories import PartnerFactory


@pytest.fixture
def cpo(db):
    return PartnerFactory(name="FastCharge", parties=["NL/CPO"])


@pytest.fixture(autouse=True)
def _empty_tariff_cache():
    tariff_cache_clear()
    yield
    tariff_cache_clear()
