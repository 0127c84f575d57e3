import pytest

from tests.roaming.factories import PartnerFactory


@pytest.fixture
def cpo(db):
    return PartnerFactory(name="FastCharge", parties=["NL/CPO"])
