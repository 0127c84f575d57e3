"""Registration WE start with a CPO (our CPO simulator, a real process), our server live:
POST, idempotence, re-registration after the CPO forgot us, PUT, DELETE, failures."""

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from roaming.models import Partner
from roaming.ocpi.auth import authorization_header
from roaming.services.registration import (
    RegistrationError,
    partner_credentials_update,
    partner_register,
    partner_unregister,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_we_register_with_the_cpo_using_its_token_a(simulator, emsp_live):
    registration = partner_register(versions_url=simulator.versions_url, token_a=simulator.token_a)

    partner = registration.partner
    assert registration.created
    assert registration.changed
    assert partner.status == Partner.Status.CONNECTED
    assert partner.name == "SimCharge"
    assert partner.version == "2.2.1"
    assert partner.version_details_url == f"{simulator.ocpi}"
    assert [(r.role, r.country_code, r.party_id) for r in partner.roles.all()] == [
        ("CPO", "NL", "SIM")
    ]
    endpoints = {(e.identifier, e.role) for e in partner.endpoints.all()}
    assert {("locations", "SENDER"), ("commands", "RECEIVER"), ("cdrs", "SENDER")} <= endpoints
    assert partner.token_b  # the token the CPO gave us to call it
    assert partner.token_a_hash is None
    # The CPO knows us, our endpoints (fetched with the token we gave it) and our party.
    peers = simulator.state()["peers"]
    assert [peer["party"] for peer in peers] == ["NL*EMS"]
    assert peers[0]["versions_url"] == f"{emsp_live}/ocpi/versions"
    assert {e["identifier"] for e in peers[0]["endpoints"]} >= {"sessions", "cdrs", "locations"}


def test_the_cpo_calls_us_with_the_token_we_gave_and_we_call_it_with_its_token(
    registered, simulator, emsp_live
):
    partner = registered
    # We call the CPO with its token: a functional module answers.
    response = httpx.get(
        f"{simulator.ocpi}/tariffs",
        headers={"Authorization": authorization_header(partner.token_b)},
    )
    assert response.status_code == 200
    # Its token A is spent.
    response = httpx.get(
        simulator.versions_url, headers={"Authorization": authorization_header(simulator.token_a)}
    )
    assert response.status_code == 401
    # We refuse a wrong token on our side too.
    response = httpx.get(
        f"{emsp_live}/ocpi/versions", headers={"Authorization": authorization_header("nope")}
    )
    assert response.status_code == 401


def test_connecting_schedules_pulls_and_the_command_sweeper(registered):
    names = set(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True))

    assert f"roaming: pull partner {registered.pk} (incremental)" in names
    assert f"roaming: pull partner {registered.pk} (full)" in names
    assert "roaming: fail overdue commands" in names


def test_registering_again_keeps_a_working_registration(registered, simulator):
    before = simulator.requests("credentials")

    again = partner_register(versions_url=simulator.versions_url, token_a="anything")

    assert not again.changed
    assert again.partner.pk == registered.pk
    assert simulator.requests("credentials") == before
    assert Partner.objects.count() == 1


def test_a_cpo_that_forgot_us_is_registered_again_with_its_token_a(registered, simulator):
    simulator.reset()  # e.g. the CPO restarted with an empty memory

    again = partner_register(versions_url=simulator.versions_url, token_a=simulator.token_a)

    assert again.changed
    assert again.partner.pk == registered.pk
    assert again.partner.token_b != registered.token_b
    assert Partner.objects.count() == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("wrong-token-a", "401"),
        ("", "printable"),
        ("with space", "printable"),
        ("x" * 65, "printable"),
    ],
    ids=["wrong", "empty", "space", "too-long"],
)
def test_a_wrong_token_a_fails_and_leaves_nothing(simulator, emsp_live, token, message):
    with pytest.raises(RegistrationError, match=message):
        partner_register(versions_url=simulator.versions_url, token_a=token)

    assert Partner.objects.count() == 0
    assert simulator.state()["token_a"] == simulator.token_a


def test_an_unreachable_cpo_fails_as_retryable_and_leaves_nothing(emsp_live):
    with pytest.raises(RegistrationError) as error:
        partner_register(versions_url="http://127.0.0.1:9/ocpi/versions", token_a="x")

    assert error.value.retryable
    assert Partner.objects.count() == 0


def test_a_cpo_failing_on_our_credentials_leaves_nothing(simulator, emsp_live):
    simulator.faults({"kind": "status", "module": "credentials", "method": "POST", "status": 500})

    with pytest.raises(RegistrationError, match="refused our credentials"):
        partner_register(versions_url=simulator.versions_url, token_a=simulator.token_a)

    assert Partner.objects.count() == 0
    assert simulator.state()["peers"] == []


def test_a_cpo_we_cannot_reach_back_answers_3001(simulator, emsp_live, settings):
    settings.EMSP_PUBLIC_URL = "http://127.0.0.1:9"  # the CPO cannot fetch our endpoints

    with pytest.raises(RegistrationError, match=r"3001|versions"):
        partner_register(versions_url=simulator.versions_url, token_a=simulator.token_a)

    assert Partner.objects.count() == 0


def test_put_renews_both_tokens(registered, simulator, emsp_live):
    old_ours, old_hash = registered.token_b, registered.token_c_hash

    partner = partner_credentials_update(partner=registered)

    partner.refresh_from_db()
    assert partner.token_b != old_ours
    assert partner.token_c_hash != old_hash
    assert partner.status == Partner.Status.CONNECTED
    response = httpx.get(
        f"{simulator.ocpi}/tariffs", headers={"Authorization": authorization_header(old_ours)}
    )
    assert response.status_code == 401
    response = httpx.get(
        f"{simulator.ocpi}/tariffs",
        headers={"Authorization": authorization_header(partner.token_b)},
    )
    assert response.status_code == 200


def test_a_failed_put_keeps_the_old_tokens(registered, simulator):
    simulator.faults({"kind": "status", "module": "credentials", "method": "PUT", "status": 503})

    with pytest.raises(RegistrationError) as error:
        partner_credentials_update(partner=registered)

    assert error.value.retryable
    stored = Partner.objects.get(pk=registered.pk)
    assert stored.token_b == registered.token_b
    assert stored.token_c_hash == registered.token_c_hash


def test_delete_ends_the_registration_on_both_sides(registered, simulator):
    partner = partner_unregister(partner=registered)

    assert partner.status == Partner.Status.UNREGISTERED
    assert partner.token_b == ""
    assert partner.token_c_hash is None
    assert simulator.state()["peers"] == []
    assert not PeriodicTask.objects.filter(
        name__startswith=f"roaming: pull partner {partner.pk}", enabled=True
    ).exists()


def test_delete_when_the_cpo_already_forgot_us_still_ends_it_here(registered, simulator):
    simulator.reset()

    partner = partner_unregister(partner=registered)

    assert partner.status == Partner.Status.UNREGISTERED


def test_delete_when_the_cpo_is_down_keeps_the_registration(registered, simulator):
    simulator.faults({"kind": "drop", "module": "credentials", "times": 0})

    with pytest.raises(RegistrationError) as error:
        partner_unregister(partner=registered)

    assert error.value.retryable
    assert Partner.objects.get(pk=registered.pk).status == Partner.Status.CONNECTED


def test_the_register_command_registers_and_is_safe_to_run_again(simulator, emsp_live, capsys):
    args = ["--versions-url", simulator.versions_url, "--token", simulator.token_a]

    call_command("ocpi_register", *args)
    first = capsys.readouterr().out
    call_command("ocpi_register", *args)
    second = capsys.readouterr().out

    assert "Registered with SimCharge" in first
    assert "NL*SIM" in first
    assert "Already registered" in second
    assert Partner.objects.get().status == Partner.Status.CONNECTED


def test_the_register_command_explains_failures(simulator, emsp_live):
    with pytest.raises(CommandError, match="401"):
        call_command("ocpi_register", "--versions-url", simulator.versions_url, "--token", "wrong")
    with pytest.raises(CommandError, match="--versions-url"):
        call_command("ocpi_register")


@pytest.mark.parametrize(
    "url", ["", "ftp://cpo.example.com/versions", "not a url", "http://x/" + "a" * 300]
)
def test_a_bad_versions_url_is_refused_before_calling_anyone(db, url):
    with pytest.raises(RegistrationError, match="versions URL"):
        partner_register(versions_url=url, token_a="token-a")


def test_the_register_command_renews_and_unregisters(registered, simulator, capsys):
    call_command("ocpi_register", "--update", str(registered.pk))
    call_command("ocpi_register", "--unregister", str(registered.pk))

    out = capsys.readouterr().out
    assert "Credentials renewed" in out
    assert "Unregistered" in out
    assert Partner.objects.get(pk=registered.pk).status == Partner.Status.UNREGISTERED
    with pytest.raises(CommandError, match="not connected"):
        call_command("ocpi_register", "--update", str(registered.pk))
    with pytest.raises(CommandError, match="No partner"):
        call_command("ocpi_register", "--unregister", "999999")
