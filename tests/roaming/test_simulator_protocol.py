"""The simulator speaks OCPI 2.2.1 as a CPO: credentials both ways, tokens, paging rules,
single objects, bad input. Here a second, in-process simulator plays the eMSP side of the
handshake (our own server's side is in test_register*.py)."""

import time

import httpx
import pytest

from roaming.ocpi.client import NO_RETRY, OcpiClient
from roaming.ocpi.http import OcpiRequestError
from roaming.simulator import SimulatorConfig, running
from roaming.simulator.peers import RegistrationError


@pytest.fixture
def emsp():
    config = SimulatorConfig(port=0, locations=1, party_id="EMS", token_a="unused", history=0)
    with running(config) as sim:
        yield sim


def call(simulator, method, path, token, **kwargs):
    with OcpiClient(token=token, timeout=5, retry=NO_RETRY) as client:
        return client.request(
            method, f"{simulator.ocpi}{path}", module=kwargs.pop("module"), **kwargs
        )


def test_an_emsp_registers_with_token_a_and_then_calls_with_the_token_it_got(simulator, emsp):
    peer = emsp.register_with(simulator.versions_url, simulator.token_a)

    assert peer.version == "2.2.1"
    assert str(peer.party) == "NL*SIM"
    locations = call(simulator, "GET", "/locations", peer.token_out, module="locations")
    assert len(locations.data) == 60
    registered = simulator.state()["peers"]
    assert [p["party"] for p in registered] == ["NL*EMS"]
    # The CPO fetched the eMSP's endpoints with the eMSP's token B during the POST.
    assert {e["identifier"] for e in registered[0]["endpoints"]} >= {"credentials", "sessions"}


def test_token_a_is_spent_by_a_registration(simulator, emsp):
    emsp.register_with(simulator.versions_url, simulator.token_a)

    with pytest.raises(RegistrationError):
        emsp.register_with(simulator.versions_url, simulator.token_a)


def test_a_registered_emsp_updates_with_put_and_its_old_token_stops_working(simulator, emsp):
    peer = emsp.register_with(simulator.versions_url, simulator.token_a)
    old = peer.token_out
    body = emsp.credentials_object(peer.token_in)

    with pytest.raises(OcpiRequestError) as again:
        call(simulator, "POST", "/credentials", old, module="credentials", json=body)
    assert again.value.http_status == 405

    answer = call(simulator, "PUT", "/credentials", old, module="credentials", json=body).data

    assert answer["token"] != old
    assert call(simulator, "GET", "/tariffs", answer["token"], module="tariffs").data
    with pytest.raises(OcpiRequestError) as refused:
        call(simulator, "GET", "/tariffs", old, module="tariffs")
    assert refused.value.http_status == 401


def test_an_emsp_unregisters_with_delete(simulator, emsp):
    peer = emsp.register_with(simulator.versions_url, simulator.token_a)

    call(simulator, "DELETE", "/credentials", peer.token_out, module="credentials")

    assert simulator.state()["peers"] == []
    with pytest.raises(OcpiRequestError) as refused:
        call(simulator, "GET", "/tariffs", peer.token_out, module="tariffs")
    assert refused.value.http_status == 401


def test_put_or_delete_before_registering_is_not_allowed(simulator):
    body = {"token": "x" * 10, "url": "http://127.0.0.1:1/v", "roles": []}
    for method in ("PUT", "DELETE"):
        with pytest.raises(OcpiRequestError) as error:
            call(
                simulator,
                method,
                "/credentials",
                simulator.token_a,
                module="credentials",
                json=body,
            )
        assert error.value.http_status == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "token"),
        ({"token": "t" * 65, "url": "http://127.0.0.1/v", "roles": []}, "token"),
        ({"token": "tok", "url": "ftp://x/v", "roles": []}, "url"),
        ({"token": "tok", "url": "http://127.0.0.1/versions", "roles": []}, "roles"),
        ([1, 2], "body"),
    ],
    ids=["empty", "long-token", "not-http", "no-roles", "not-an-object"],
)
def test_bad_credentials_are_refused_naming_the_field(simulator, body, field):
    with pytest.raises(OcpiRequestError) as error:
        call(simulator, "POST", "/credentials", simulator.token_a, module="credentials", json=body)

    assert error.value.http_status == 400
    assert error.value.status_code == 2001
    assert field in error.value.message
    assert simulator.state()["token_a"] == simulator.token_a  # not spent


def test_an_unreachable_emsp_gets_3001_and_token_a_stays_usable(simulator, emsp):
    role = emsp.credentials_object("x")["roles"][0] | {"role": "EMSP"}
    body = {"token": "emsp-token-b", "url": "http://127.0.0.1:9/versions", "roles": [role]}

    with pytest.raises(OcpiRequestError) as error:
        call(simulator, "POST", "/credentials", simulator.token_a, module="credentials", json=body)

    assert error.value.status_code == 3001
    emsp.register_with(simulator.versions_url, simulator.token_a)  # still possible


def test_sessions_need_date_from_and_bad_paging_parameters_are_refused(simulator, emsp):
    token = emsp.register_with(simulator.versions_url, simulator.token_a).token_out
    for path, message in [
        ("/sessions", "date_from"),
        ("/locations?offset=-1", "offset"),
        ("/locations?limit=abc", "limit"),
        ("/cdrs?date_from=yesterday", "date_from"),
    ]:
        with pytest.raises(OcpiRequestError) as error:
            call(simulator, "GET", path, token, module="sessions")
        assert error.value.http_status == 400, path
        assert message in error.value.message


def test_an_emsp_sees_only_its_own_sessions_and_cdrs(simulator, emsp):
    token = emsp.register_with(simulator.versions_url, simulator.token_a).token_out
    simulator.admin(
        "POST", "peers", {"token": "other-emsp", "country_code": "DE", "party_id": "OTH"}
    )

    ours = call(simulator, "GET", "/cdrs", token, module="cdrs").data
    theirs = call(simulator, "GET", "/cdrs", "other-emsp", module="cdrs").data

    assert len(ours) == 12
    assert {cdr["cdr_token"]["party_id"] for cdr in ours} == {"EMS"}
    assert theirs == []


def test_single_locations_evses_and_connectors_can_be_fetched(simulator, emsp):
    token = emsp.register_with(simulator.versions_url, simulator.token_a).token_out

    location = call(simulator, "GET", "/locations/loc000001", token, module="locations").data
    evse = location["evses"][0]
    assert call(simulator, "GET", f"/locations/LOC000001/{evse['uid']}", token, module="locations")
    connector = call(
        simulator, "GET", f"/locations/LOC000001/{evse['uid']}/1", token, module="locations"
    ).data
    assert connector["id"] == "1"
    with pytest.raises(OcpiRequestError) as error:
        call(simulator, "GET", "/locations/NOPE", token, module="locations")
    assert error.value.http_status == 404


def test_commands_with_bad_bodies_are_refused(simulator, emsp):
    token = emsp.register_with(simulator.versions_url, simulator.token_a).token_out
    with pytest.raises(OcpiRequestError) as error:
        call(
            simulator, "POST", "/commands/START_SESSION", token, module="commands",
            json={"response_url": "http://127.0.0.1:1/r", "location_id": "LOC000001"},
        )  # fmt: skip
    assert error.value.status_code == 2001
    assert "token" in error.value.message

    unknown = call(
        simulator, "POST", "/commands/RESERVE_NOW", token, module="commands", json={}
    ).data
    assert unknown["result"] == "NOT_SUPPORTED"


def test_oversized_and_malformed_requests_get_clear_errors(simulator):
    response = httpx.post(
        f"{simulator.ocpi}/credentials",
        content=b"{" * 10,
        headers={"Authorization": f"Token {simulator.token_a}"},
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001

    response = httpx.post(f"{simulator.ocpi}/credentials", content=b"x" * 1_100_000)
    assert response.status_code == 413

    response = httpx.get(f"{simulator.base}/ocpi/simulator/2.2.1/unknown")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"command_result": "MAYBE"}, "command_result"),
        ({"host": "0.0.0.0"}, "not changeable"),
        ({"faults": [{"kind": "explode"}]}, "fault kind"),
        ({"faults": [{"kind": "drop", "colour": "red"}]}, "unknown fault fields"),
    ],
    ids=["bad-result", "not-runtime", "bad-fault", "unknown-field"],
)
def test_the_admin_endpoint_refuses_bad_settings(simulator, body, message):
    action = "faults" if "faults" in body else "config"

    response = httpx.post(f"{simulator.base}/_sim/{action}", json=body)

    assert response.status_code == 400
    assert message in response.json()["status_message"]


def test_command_results_are_configured_case_insensitively(simulator):
    simulator.configure(command_result="none")

    assert simulator.state()["config"]["command_result"] == "NONE"


def test_a_reset_drops_the_pushes_still_queued_for_the_old_peers(emsp):
    sent = []
    emsp.later(0.3, lambda: sent.append("before the reset"))
    emsp.reset()
    emsp.later(0, lambda: sent.append("after the reset"))

    time.sleep(0.6)
    assert sent == ["after the reset"]
