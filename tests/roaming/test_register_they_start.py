"""Registration the CPO starts: the simulator registers with our live server using a token A
from `ocpi_issue_token_a`; afterwards both sides call each other with the exchanged tokens."""

import re

import httpx
import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from roaming.models import Partner
from roaming.ocpi.auth import authorization_header
from roaming.services.pulls import partner_pull

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_a(emsp_live, capsys):
    call_command("ocpi_issue_token_a", "--name", "SimCharge (they started)")
    return re.search(r"token A:\s+(\S+)", capsys.readouterr().out).group(1)


def simulator_registers(simulator, versions_url, token):
    return httpx.post(
        f"{simulator.base}/_sim/register",
        json={"versions_url": versions_url, "token": token},
        timeout=30,
    )


def test_the_cpo_registers_with_our_token_a_and_both_sides_can_call(simulator, emsp_live, token_a):
    response = simulator_registers(simulator, f"{emsp_live}/ocpi/versions", token_a)

    assert response.status_code == 200, response.text
    assert response.json()["party"] == "NL*EMS"
    partner = Partner.objects.get()
    assert partner.status == Partner.Status.CONNECTED
    assert partner.versions_url == simulator.versions_url
    assert [(r.country_code, r.party_id) for r in partner.roles.all()] == [("NL", "SIM")]
    # We call the CPO with the token it gave us: a pull works.
    run = partner_pull(partner=partner, module="tariffs")
    assert run.status == "succeeded"
    assert run.objects_stored == 48
    # Connecting (either way) schedules the partner's pulls.
    assert PeriodicTask.objects.filter(
        name=f"roaming: pull partner {partner.pk} (incremental)", enabled=True
    ).exists()


def test_our_token_a_is_void_after_the_registration(simulator, emsp_live, token_a):
    simulator_registers(simulator, f"{emsp_live}/ocpi/versions", token_a)

    response = httpx.get(
        f"{emsp_live}/ocpi/versions", headers={"Authorization": authorization_header(token_a)}
    )

    assert response.status_code == 401


def test_a_wrong_token_a_is_refused_by_us(simulator, emsp_live, token_a):
    response = simulator_registers(simulator, f"{emsp_live}/ocpi/versions", "not-our-token")

    assert response.status_code == 502
    assert "401" in response.json()["status_message"]
    assert Partner.objects.get().status == Partner.Status.PENDING
    assert simulator.state()["peers"] == []


def test_our_token_a_is_refused_on_functional_modules(emsp_live, token_a):
    response = httpx.get(
        f"{emsp_live}/ocpi/emsp/2.2.1/tokens",
        headers={"Authorization": authorization_header(token_a)},
    )

    assert response.status_code == 401
