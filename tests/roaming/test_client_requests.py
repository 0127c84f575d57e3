"""The OCPI client (roaming.ocpi.client) against our CPO simulator over real HTTP on loopback:
headers on every request, retries only where safe, errors that say retryable or final."""

import uuid

import pytest

from roaming.ocpi.client import NO_RETRY, OcpiClient, Party, RetryPolicy
from roaming.ocpi.http import OcpiRequestError

TOKEN = "client-test-token-0123456789"
US, THEM = Party("NL", "EMS"), Party("NL", "SIM")


@pytest.fixture
def peer_token(simulator):
    simulator.admin("POST", "peers", {"token": TOKEN, "country_code": "NL", "party_id": "EMS"})
    return TOKEN


def client(token=TOKEN, **options):
    delays = []
    options.setdefault("retry", RetryPolicy(attempts=3, backoff_base=0.01))
    ocpi = OcpiClient(token=token, timeout=5, ours=US, theirs=THEM, sleep=delays.append, **options)
    ocpi.delays = delays
    return ocpi


def test_every_request_has_ids_token_and_routing_headers_only_on_functional_modules(
    simulator, peer_token
):
    with client() as ocpi:
        versions = ocpi.get(simulator.versions_url, module="versions")
        locations = ocpi.get(f"{simulator.ocpi}/locations", module="locations", params={"limit": 5})

    assert versions.data[0]["version"] == "2.2.1"
    assert len(locations.data) == 5
    seen = simulator.requests()
    assert [entry["module"] for entry in seen] == ["versions", "locations"]
    assert all(uuid.UUID(entry["request_id"]) for entry in seen)
    assert seen[0]["request_id"] != seen[1]["request_id"]
    assert all(entry["correlation_id"] for entry in seen)
    assert seen[0]["routing"] == {}
    assert seen[1]["routing"] == {
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "EMS",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "SIM",
    }
    assert locations.request_id == seen[1]["request_id"]


def test_the_token_is_sent_base64_encoded_or_raw_for_partners_that_want_it(simulator, peer_token):
    with client() as ocpi:
        ocpi.get(simulator.versions_url, module="versions")
    with client(raw_token=True) as ocpi:
        ocpi.get(simulator.versions_url, module="versions")

    assert [entry["token_encoding"] for entry in simulator.requests("versions")] == [
        "base64",
        "raw",
    ]


def test_an_unknown_token_is_refused_as_final_and_not_retried(simulator, peer_token):
    with client(token="not-a-token") as ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.get(f"{simulator.ocpi}/locations", module="locations")

    assert error.value.http_status == 401
    assert error.value.retryable is False
    assert len(simulator.requests("locations")) == 1
    assert ocpi.delays == []


def test_token_a_opens_only_versions_and_credentials(simulator):
    with client(token=simulator.token_a) as ocpi:
        assert ocpi.get(simulator.versions_url, module="versions").data
        with pytest.raises(OcpiRequestError) as error:
            ocpi.get(f"{simulator.ocpi}/locations", module="locations")
    assert error.value.http_status == 401


def test_a_get_is_retried_with_backoff_after_server_errors_and_then_succeeds(simulator, peer_token):
    simulator.faults({"kind": "status", "module": "tariffs", "status": 503, "times": 2})

    with client() as ocpi:
        result = ocpi.get(f"{simulator.ocpi}/tariffs", module="tariffs")

    assert len(result.data) == 48
    assert [entry["status"] for entry in simulator.requests("tariffs")] == [503, 503, 200]
    assert len(ocpi.delays) == 2
    assert ocpi.delays[1] >= ocpi.delays[0] * 0.5  # backoff grows (with jitter)


def test_a_get_gives_up_after_its_attempts_with_a_retryable_error(simulator, peer_token):
    simulator.faults({"kind": "status", "module": "tariffs", "status": 500, "times": 0})

    with client() as ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.get(f"{simulator.ocpi}/tariffs", module="tariffs")

    assert error.value.retryable is True
    assert error.value.http_status == 500
    assert len(simulator.requests("tariffs")) == 3


def test_a_dropped_connection_is_retried_for_a_get(simulator, peer_token):
    simulator.faults({"kind": "drop", "module": "tariffs", "times": 1})

    with client() as ocpi:
        result = ocpi.get(f"{simulator.ocpi}/tariffs", module="tariffs")

    assert result.status_code == 1000
    assert len(simulator.requests("tariffs")) == 2


def test_a_post_the_server_may_have_seen_is_never_repeated(simulator, peer_token):
    simulator.faults({"kind": "status", "module": "commands", "status": 502, "times": 0})
    body = {"response_url": "http://127.0.0.1:1/r", "session_id": "S1"}

    with client() as ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.post(f"{simulator.ocpi}/commands/STOP_SESSION", module="commands", json=body)

    assert error.value.retryable is True  # the caller may decide to try again later
    assert len(simulator.requests("commands")) == 1


def test_a_slow_partner_hits_the_timeout_which_is_retryable(simulator, peer_token):
    simulator.faults({"kind": "slow", "module": "tariffs", "delay": 1.5, "times": 0})

    ocpi = OcpiClient(token=TOKEN, timeout=0.3, retry=NO_RETRY)
    with ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.get(f"{simulator.ocpi}/tariffs", module="tariffs")

    assert error.value.retryable is True
    assert "timed out" in error.value.message


def test_an_answer_that_is_not_json_is_a_final_error(simulator, peer_token):
    simulator.faults({"kind": "invalid_json", "module": "tariffs", "times": 0})

    with client() as ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.get(f"{simulator.ocpi}/tariffs", module="tariffs")

    assert error.value.retryable is False
    assert len(simulator.requests("tariffs")) == 1


def test_an_ocpi_client_error_status_is_final(simulator, peer_token):
    with client() as ocpi, pytest.raises(OcpiRequestError) as error:
        ocpi.get(f"{simulator.ocpi}/sessions", module="sessions")  # date_from is required

    assert error.value.status_code == 2001
    assert error.value.retryable is False


def test_a_timeout_is_mandatory():
    with pytest.raises(ValueError, match="timeout"):
        OcpiClient(token=TOKEN, timeout=0)


def test_an_answer_over_the_size_limit_is_refused_without_reading_it_all(
    simulator, peer_token, monkeypatch
):
    monkeypatch.setattr("roaming.ocpi.http.MAX_RESPONSE_BYTES", 20_000)

    with client() as ocpi:
        small = ocpi.get(f"{simulator.ocpi}/locations?limit=2", module="locations")
        with pytest.raises(OcpiRequestError) as error:
            ocpi.get(f"{simulator.ocpi}/locations?limit=50", module="locations")

    assert len(small.data) == 2
    assert "more than 20000 bytes is too large" in error.value.message
    assert error.value.retryable is False
    assert len(simulator.requests("locations")) == 2
