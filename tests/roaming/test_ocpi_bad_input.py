"""Bad input on every OCPI endpoint: each gets the spec's answer and nothing is written.

The table crosses endpoints (what a CPO calls on us) with what can go wrong: credentials,
other parties' ids, broken or incomplete JSON, wrong types, oversized bodies, hostile strings.
"""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from roaming.models import CDR, EVSE, Command, Connector, Location, Session, TokenAuthorization
from roaming.services.partners import partner_token_a_issue
from tariffs.models import Tariff, TariffVersion
from tests.roaming.conftest import BASE, OcpiClient, example
from tests.roaming.factories import TokenFactory

WATCHED = (
    Location,
    EVSE,
    Connector,
    Session,
    CDR,
    Tariff,
    TariffVersion,
    TokenAuthorization,
    Command,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: Callable[[], Any]
    # A field to break: (path of keys, wrong-typed value); and a required field to drop.
    wrong_type: tuple[tuple[Any, ...], Any]
    required: tuple[Any, ...]
    id_field: str | None = None
    party_in_body: bool = True


def location_body() -> dict[str, Any]:
    return copy.deepcopy(example("location_example"))


ENDPOINTS = {
    "location-put": Endpoint(
        "PUT",
        "/locations/BE/BEC/LOC1",
        location_body,
        (("evses", 0, "connectors", 0, "max_voltage"), "220"),
        ("evses", 0, "status"),
        id_field="id",
    ),
    "evse-put": Endpoint(
        "PUT",
        "/locations/BE/BEC/LOC1/3256",
        lambda: location_body()["evses"][0],
        (("capabilities",), "RESERVABLE"),
        ("connectors",),
        id_field="uid",
        party_in_body=False,
    ),
    "evse-patch": Endpoint(
        "PATCH",
        "/locations/BE/BEC/LOC1/3256",
        lambda: {"status": "CHARGING", "last_updated": "2030-01-01T00:00:00Z"},
        (("status",), 1),
        ("last_updated",),
        id_field="uid",
        party_in_body=False,
    ),
    "connector-patch": Endpoint(
        "PATCH",
        "/locations/BE/BEC/LOC1/3256/1",
        lambda: {"max_amperage": 32, "last_updated": "2030-01-01T00:00:00Z"},
        (("max_amperage",), 32.5),
        ("last_updated",),
        id_field="id",
        party_in_body=False,
    ),
    "session-put": Endpoint(
        "PUT",
        "/sessions/BE/BEC/101",
        lambda: copy.deepcopy(example("session_example_2_short_finished")),
        (("kwh",), "41.12"),
        ("cdr_token", "contract_id"),
        id_field="id",
    ),
    "session-patch": Endpoint(
        "PATCH",
        "/sessions/BE/BEC/STORED",
        lambda: copy.deepcopy(example("session_patch_example_charging_period")),
        (("charging_periods", 0, "dimensions", 0, "volume"), True),
        ("last_updated",),
        id_field="id",
        party_in_body=False,
    ),
    "cdr-post": Endpoint(
        "POST",
        "/cdrs",
        lambda: copy.deepcopy(example("cdr_example")),
        (("total_cost", "excl_vat"), "4.00"),
        ("cdr_location", "evse_id"),
    ),
    "tariff-put": Endpoint(
        "PUT",
        "/tariffs/DE/ALL/21",
        lambda: copy.deepcopy(example("tariff_13_simple_3hour_5parking")),
        (("elements", 0, "price_components", 0, "step_size"), 300.5),
        ("currency",),
        id_field="id",
    ),
    "authorize": Endpoint(
        "POST",
        "/tokens/04AABBCCDD/authorize?type=RFID",
        lambda: {"location_id": "LOC1", "evse_uids": ["3256"]},
        (("evse_uids",), "3256"),
        ("location_id",),
        party_in_body=False,
    ),
    "command-result": Endpoint(
        "POST",
        "/commands/START_SESSION/{command}",
        lambda: {"result": "ACCEPTED"},
        (("message",), "done"),
        ("result",),
        party_in_body=False,
    ),
}


@pytest.fixture
def world(cpo, ocpi):
    """What the endpoints act on: a stored Location and Session, a token, a pending command."""
    assert ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", location_body()).status_code == 201
    session = copy.deepcopy(example("session_example_2_short_finished")) | {"id": "STORED"}
    assert ocpi.put(f"{BASE}/sessions/BE/BEC/STORED", session).status_code == 201
    TokenFactory(uid="04AABBCCDD", valid=False)
    return Command.objects.create(kind="START_SESSION", partner=cpo)


def url(endpoint: Endpoint, world: Command) -> str:
    return BASE + endpoint.path.replace("{command}", str(world.uid))


def set_in(data: Any, keys: tuple[Any, ...], value: Any) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def drop_in(data: Any, keys: tuple[Any, ...]) -> None:
    for key in keys[:-1]:
        data = data[key]
    del data[keys[-1]]


def call(client: OcpiClient, endpoint: Endpoint, world: Command, body: Any = None, **kwargs: Any):
    body = endpoint.body() if body is None else body
    return client.request(endpoint.method, url(endpoint, world), body, **kwargs)


def assert_refused(
    response, http_status: int, status_code: int | None, before, *, mentions: str = ""
):
    assert response.status_code == http_status, response.content
    body = response.json()
    if status_code is not None:
        assert body["status_code"] == status_code
    assert "data" not in body
    assert body["timestamp"].endswith("Z")
    if mentions:
        assert mentions in body["status_message"], body["status_message"]
    assert snapshot() == before


NAMES = list(ENDPOINTS)


@pytest.mark.parametrize("name", NAMES)
def test_valid_request_succeeds(world, ocpi, name):
    """The baseline each refusal below departs from."""
    response = call(ocpi, ENDPOINTS[name], world)
    assert response.status_code in (200, 201), response.json()
    assert response.json()["status_code"] == 1000


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "authorization",
    [None, "Token", "Token d3Jvbmc=", "Basic dXNlcjpwYXNz", "Token " + "A" * 10_000],
    ids=["missing", "empty", "unknown", "other-scheme", "huge"],
)
def test_unknown_credentials_answer_401(world, name, authorization):
    before = snapshot()
    client = OcpiClient("unused")
    headers = {"Authorization": authorization} if authorization else {}
    endpoint = ENDPOINTS[name]
    body = json.dumps(endpoint.body())
    response = client.client.generic(
        endpoint.method,
        url(endpoint, world),
        body,
        content_type="application/json",
        headers=headers,
    )
    assert_refused(response, 401, 2000, before)


@pytest.mark.parametrize("name", NAMES)
def test_token_a_on_a_functional_module_answers_401(world, name):
    issued = partner_token_a_issue(name="Not yet registered")
    before = snapshot()
    assert_refused(call(OcpiClient(issued.token_a), ENDPOINTS[name], world), 401, 2000, before)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("authorize",)])
def test_another_partner_cannot_touch_these_objects(world, other_ocpi, name):
    """Another connected CPO using BE/BEC (not one of its roles), or our command's uid."""
    before = snapshot()
    response = call(other_ocpi, ENDPOINTS[name], world)
    assert_refused(response, 404, None, before)


@pytest.mark.parametrize("name", [n for n in NAMES if ENDPOINTS[n].party_in_body])
@pytest.mark.parametrize("field", ["country_code", "party_id"])
def test_another_party_in_the_body_is_refused(world, ocpi, name, field):
    body = ENDPOINTS[name].body() | {field: {"country_code": "FR", "party_id": "OTH"}[field]}
    before = snapshot()
    response = call(ocpi, ENDPOINTS[name], world, body)
    expected = 404 if name == "cdr-post" else 400  # the CDR URL names no party: not yours, 404
    assert_refused(response, expected, 2001, before)


@pytest.mark.parametrize("name", [n for n in NAMES if ENDPOINTS[n].id_field])
def test_body_id_different_from_the_url_is_refused(world, ocpi, name):
    endpoint = ENDPOINTS[name]
    body = endpoint.body() | {endpoint.id_field: "OTHER-ID"}
    before = snapshot()
    assert_refused(call(ocpi, endpoint, world, body), 400, 2001, before, mentions=endpoint.id_field)


@pytest.mark.parametrize("name", NAMES)
def test_missing_required_field_is_named(world, ocpi, name):
    endpoint = ENDPOINTS[name]
    body = endpoint.body()
    drop_in(body, endpoint.required)
    before = snapshot()
    response = call(ocpi, endpoint, world, body)
    assert_refused(response, 400, 2001, before, mentions=str(endpoint.required[-1]))


@pytest.mark.parametrize("name", NAMES)
def test_wrong_type_is_refused_and_named(world, ocpi, name):
    endpoint = ENDPOINTS[name]
    keys, value = endpoint.wrong_type
    body = endpoint.body()
    set_in(body, keys, value)
    before = snapshot()
    response = call(ocpi, endpoint, world, body)
    assert_refused(response, 400, 2001, before, mentions=str(keys[-1]))


BROKEN_BODIES = {
    "invalid-json": b'{"id": "LOC1",',
    "not-utf8": b'{"name": "\xff\xfe"}',
    "json-array": b"[1, 2, 3]",
    "json-string": b'"hello"',
    "nan": b'{"kwh": NaN, "last_updated": "2030-01-01T00:00:00Z"}',
    "infinite-number": b'{"kwh": 1e999, "last_updated": "2030-01-01T00:00:00Z"}',
    "deep-nesting": b'{"a":' * 200 + b"1" + b"}" * 200,
    "nul-character": b'{"name": "a\\u0000b", "last_updated": "2030-01-01T00:00:00Z"}',
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("broken", list(BROKEN_BODIES))
def test_broken_json_is_refused(world, ocpi, name, broken):
    before = snapshot()
    response = call(ocpi, ENDPOINTS[name], world, raw_body=BROKEN_BODIES[broken])
    assert_refused(response, 400, 2001, before)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "authorize"])  # its body is optional
def test_empty_body_is_refused(world, ocpi, name):
    before = snapshot()
    assert_refused(
        call(ocpi, ENDPOINTS[name], world, raw_body=b""), 400, 2001, before, mentions="empty"
    )


@pytest.mark.parametrize("name", NAMES)
def test_oversized_body_is_refused(world, ocpi, name):
    body = ENDPOINTS[name].body()
    padded = json.dumps(body | {"padding": "x" * (1024 * 1024)}).encode()
    before = snapshot()
    response = call(ocpi, ENDPOINTS[name], world, raw_body=padded)
    assert_refused(response, 413, 2001, before, mentions="limit")


HOSTILE_IDS = {
    "too-long": "L" * 37,
    "non-ascii": "LOCÄ1",
    "control-char": "LOC\x071",
}


@pytest.mark.parametrize("hostile", list(HOSTILE_IDS))
def test_hostile_location_ids_are_refused(world, ocpi, hostile):
    body = location_body() | {"id": HOSTILE_IDS[hostile]}
    before = snapshot()
    from urllib.parse import quote

    response = ocpi.put(f"{BASE}/locations/BE/BEC/{quote(HOSTILE_IDS[hostile], safe='')}", body)
    assert_refused(response, 400, 2001, before, mentions="id")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "bell\x07"),
        ("name", "x" * 256),
        ("address", 12),
        ("time_zone", "../../etc/passwd"),
        ("country", "BELGIUM"),
        ("coordinates", {"latitude": "91.000000", "longitude": "3.729944"}),
        ("coordinates", {"latitude": "51.0475; DROP", "longitude": "3.729944"}),
        ("publish", "true"),
        ("last_updated", "yesterday"),
        ("last_updated", "2030-01-01"),
    ],
)
def test_hostile_or_malformed_values_are_refused(world, ocpi, field, value):
    body = location_body() | {field: value}
    before = snapshot()
    response = ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", body)
    assert_refused(response, 400, 2001, before, mentions=field)


def test_markup_and_sql_in_text_are_stored_as_plain_text(world, ocpi):
    text = "<script>alert(1)</script>'; DROP TABLE roaming_location; --"
    body = location_body() | {"name": text, "last_updated": "2030-01-01T00:00:00Z"}
    assert ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", body).status_code == 200
    assert Location.objects.get().name == text
    assert ocpi.get(f"{BASE}/locations/BE/BEC/LOC1").json()["data"]["name"] == text


def test_unknown_fields_are_tolerated_and_kept(world, ocpi):
    body = location_body() | {"last_updated": "2030-01-01T00:00:00Z", "parking_places": 12}
    body["evses"][0]["plug_and_charge"] = True
    assert ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", body).status_code == 200
    served = ocpi.get(f"{BASE}/locations/BE/BEC/LOC1").json()["data"]
    assert served["parking_places"] == 12
    assert served["evses"][0]["plug_and_charge"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/locations/BE/BEC/LOC1"),
        ("POST", "/sessions/BE/BEC/101"),
        ("PUT", "/cdrs"),
        ("GET", "/cdrs"),
        ("PATCH", "/tariffs/DE/ALL/21"),
        ("GET", "/locations"),
        ("POST", "/tokens"),
        ("GET", "/commands/START_SESSION/x"),
    ],
)
def test_methods_a_module_does_not_have_answer_405(world, ocpi, method, path):
    before = snapshot()
    response = ocpi.request(method, BASE + path, {})
    assert_refused(response, 405, 2000, before)


@pytest.mark.parametrize(
    ("headers", "mentions"),
    [
        ({"OCPI-to-country-code": "DE", "OCPI-to-party-id": "XXX"}, "OCPI-to"),
        ({"OCPI-from-country-code": "FR", "OCPI-from-party-id": "OTH"}, "OCPI-from"),
        ({"OCPI-from-country-code": "BE"}, "OCPI-from"),
    ],
    ids=["to-someone-else", "from-another-party", "from-incomplete"],
)
def test_routing_headers_that_do_not_fit_are_refused(world, ocpi, headers, mentions):
    before = snapshot()
    body = location_body() | {"last_updated": "2030-01-01T00:00:00Z"}
    response = ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", body, headers=headers)
    assert_refused(response, 400, 2001, before, mentions=mentions)


def test_request_ids_that_are_not_printable_are_replaced(world, ocpi):
    response = ocpi.get(f"{BASE}/locations/BE/BEC/LOC1", headers={"X-Request-ID": "x" * 500})
    assert response["X-Request-ID"] != "x" * 500
    assert len(response["X-Request-ID"]) == 36
