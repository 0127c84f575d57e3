"""Versions, version details and the credentials module (server side): a CPO registers with us.

The CPO's own versions endpoints are a real HTTP server on loopback (tests/roaming/fake_cpo.py).
"""

import base64
import copy
import socket

import pytest
from django.core.management import call_command

from roaming.models import Partner, PartnerEndpoint, PartnerRole
from roaming.ocpi.credentials import Credentials
from roaming.services.partners import partner_token_a_issue
from tests.roaming.conftest import BASE, OcpiClient, example
from tests.roaming.factories import PartnerFactory
from tests.roaming.fake_cpo import FakeCpo

CREDENTIALS = f"{BASE}/credentials"


@pytest.fixture
def issued(db):
    return partner_token_a_issue(name="New CPO")


def credentials_for(cpo: FakeCpo, *, name: str = "credentials_example4") -> dict:
    return copy.deepcopy(example(name)) | {"token": cpo.token, "url": cpo.versions_url}


def register(issued, cpo: FakeCpo) -> str:
    """Register with token A; the token C we answered."""
    response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 200, response.json()
    return response.json()["data"]["token"]


# Versions


@pytest.mark.parametrize("use_token_a", [True, False])
def test_versions_and_details_list_our_endpoints(issued, ocpi, use_token_a):
    client = OcpiClient(issued.token_a) if use_token_a else ocpi
    versions = client.get("/ocpi/versions").json()
    assert versions["data"] == [{"version": "2.2.1", "url": "http://127.0.0.1:8000/ocpi/2.2.1"}]
    details = client.get("/ocpi/2.2.1").json()["data"]
    assert details["version"] == "2.2.1"
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["endpoints"]}
    assert endpoints[("locations", "RECEIVER")] == "http://127.0.0.1:8000/ocpi/emsp/2.2.1/locations"
    assert endpoints[("tokens", "SENDER")] == "http://127.0.0.1:8000/ocpi/emsp/2.2.1/tokens"
    assert set(endpoints) >= {
        ("credentials", "SENDER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("commands", "SENDER"),
    }


def test_configuration_modules_carry_no_routing_headers(ocpi):
    response = ocpi.get("/ocpi/versions")
    assert not any(name.lower().startswith("ocpi-") for name in response.headers)


@pytest.mark.parametrize(
    "header", [None, "Token", "Token nope", "Bearer abc", "Token " + "x" * 5000]
)
def test_versions_without_a_known_token_answer_401(db, header):
    client = OcpiClient("ignored")
    headers = {} if header is None else {"Authorization": header}
    client.client.defaults = {}
    response = client.client.get("/ocpi/versions", headers=headers)
    assert response.status_code == 401
    assert response.json()["status_code"] == 2000


def test_token_a_is_refused_on_functional_modules(issued):
    client = OcpiClient(issued.token_a)
    assert client.get(f"{BASE}/tokens").status_code == 401
    assert client.get(f"{BASE}/locations/BE/BEC/LOC1").status_code == 401


def test_spec_header_example_with_a_trailing_newline_is_read(db):
    """The spec's header example encodes "example-token\\n"; we read it as "example-token"."""
    partner = PartnerFactory(plain_token="example-token")
    response = OcpiClient("x").client.get(
        "/ocpi/versions", headers={"Authorization": "Token ZXhhbXBsZS10b2tlbgo="}
    )
    assert response.status_code == 200
    assert partner.token_c_prefix == "exampl"


def test_raw_token_only_for_partners_that_use_it(db):
    modern = PartnerFactory()
    legacy = PartnerFactory(raw_token_header=True)
    assert OcpiClient(modern.plain_token, raw=True).get("/ocpi/versions").status_code == 401
    assert OcpiClient(modern.plain_token).get("/ocpi/versions").status_code == 200
    assert OcpiClient(legacy.plain_token, raw=True).get("/ocpi/versions").status_code == 200
    assert OcpiClient(legacy.plain_token).get("/ocpi/versions").status_code == 200


def test_suspended_partner_is_refused(db):
    partner = PartnerFactory(status=Partner.Status.SUSPENDED)
    assert OcpiClient(partner.plain_token).get("/ocpi/versions").status_code == 401


# Registration


def test_cpo_registers_with_token_a(issued):
    with FakeCpo(token="token-b-from-the-cpo") as cpo:
        response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status_code"] == 1000
    ours = Credentials.model_validate(body["data"])
    assert ours.url == "http://127.0.0.1:8000/ocpi/versions"
    assert [(r.role, r.country_code, r.party_id) for r in ours.roles] == [("EMSP", "NL", "EMS")]
    token_c = ours.token
    assert token_c != issued.token_a
    # We called them back with THEIR token (B), Base64-encoded, with request ids, no routing.
    assert [r["path"] for r in cpo.requests] == ["/ocpi/versions", "/ocpi/2.2.1"]
    for request in cpo.requests:
        assert (
            request["headers"]["Authorization"]
            == "Token " + base64.b64encode(b"token-b-from-the-cpo").decode()
        )
        assert request["headers"]["X-Request-ID"]
        assert request["headers"]["X-Correlation-ID"]
        assert not any(name.lower().startswith("ocpi-") for name in request["headers"])
    partner = Partner.objects.get()
    assert (partner.status, partner.version, partner.token_b) == (
        "connected",
        "2.2.1",
        "token-b-from-the-cpo",
    )
    assert partner.version_details_url == f"{cpo.url}/ocpi/2.2.1"
    assert partner.token_a_hash is None
    assert partner.token_c_prefix == token_c[:6]
    assert sorted(PartnerRole.objects.values_list("party_id", flat=True)) == ["CGP", "EXO", "PFC"]
    assert (
        PartnerEndpoint.objects.get(identifier="locations").url
        == f"{cpo.url}/ocpi/cpo/2.2.1/locations"
    )
    assert partner.name == "New CPO"  # the name staff gave stays
    # Token A is void; token C opens the functional modules.
    assert OcpiClient(issued.token_a).get("/ocpi/versions").status_code == 401
    assert OcpiClient(token_c).get(f"{BASE}/tokens").status_code == 200
    assert OcpiClient(token_c).get(CREDENTIALS).json()["data"]["token"] == token_c


def test_registered_partner_may_not_post_again(issued):
    with FakeCpo(token="b1") as cpo:
        token_c = register(issued, cpo)
        again = OcpiClient(token_c).post(CREDENTIALS, credentials_for(cpo))
    assert again.status_code == 405


def test_put_renews_tokens_and_endpoints(issued):
    with FakeCpo(token="b1") as cpo:
        token_c = register(issued, cpo)
    with FakeCpo(token="b2", modules=[("credentials", "SENDER"), ("locations", "SENDER")]) as cpo2:
        response = OcpiClient(token_c).put(
            CREDENTIALS, credentials_for(cpo2, name="credentials_example")
        )
    assert response.status_code == 200, response.json()
    new_c = response.json()["data"]["token"]
    assert new_c != token_c
    assert OcpiClient(token_c).get("/ocpi/versions").status_code == 401
    assert OcpiClient(new_c).get("/ocpi/versions").status_code == 200
    partner = Partner.objects.get()
    assert partner.token_b == "b2"
    assert sorted(partner.endpoints.values_list("identifier", flat=True)) == [
        "credentials",
        "locations",
    ]
    assert list(partner.roles.values_list("party_id", flat=True)) == ["EXA"]


def test_put_before_registration_is_not_allowed(issued):
    with FakeCpo(token="b1") as cpo:
        response = OcpiClient(issued.token_a).put(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 405
    assert cpo.requests == []


def test_delete_unregisters(issued):
    with FakeCpo(token="b1") as cpo:
        token_c = register(issued, cpo)
    assert OcpiClient(token_c).delete(CREDENTIALS).status_code == 200
    partner = Partner.objects.get()
    assert (partner.status, partner.token_b, partner.token_c_hash) == ("unregistered", "", None)
    assert OcpiClient(token_c).get("/ocpi/versions").status_code == 401


def test_delete_before_registration_is_not_allowed(issued):
    assert OcpiClient(issued.token_a).delete(CREDENTIALS).status_code == 405
    assert Partner.objects.get().status == "pending"


def test_get_with_token_a_returns_our_credentials(issued):
    data = OcpiClient(issued.token_a).get(CREDENTIALS).json()["data"]
    assert data["token"] == issued.token_a
    assert data["roles"][0]["business_details"]["name"] == "EMSP"


def test_raw_token_partner_registers_and_is_called_raw(db):
    issued = partner_token_a_issue(name="Legacy", raw_token_header=True)
    with FakeCpo(token="legacy-b", raw_token=True) as cpo:
        response = OcpiClient(issued.token_a, raw=True).post(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 200, response.json()
    assert cpo.requests[0]["headers"]["Authorization"] == "Token legacy-b"


# Registration errors: nothing is written, token A keeps working.


def assert_still_pending(issued) -> None:
    partner = Partner.objects.get(pk=issued.partner.pk)
    assert (partner.status, partner.token_b, partner.token_c_hash) == ("pending", "", None)
    assert not partner.roles.exists()
    assert not partner.endpoints.exists()
    assert OcpiClient(issued.token_a).get("/ocpi/versions").status_code == 200


@pytest.mark.parametrize(
    ("setup", "status_code"),
    [
        ({"fail_with": 500}, 3001),
        ({"fail_with": 404}, 3001),
        ({"versions": ["2.1.1", "2.0"]}, 3002),
        ({"modules": [("credentials", "SENDER"), ("tokens", "RECEIVER")]}, 3003),
    ],
    ids=["their-5xx", "their-4xx", "no-common-version", "no-locations-sender"],
)
def test_registration_errors(issued, setup, status_code):
    with FakeCpo(token="b1", **setup) as cpo:
        response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == status_code
    assert body["status_message"]
    assert_still_pending(issued)


def test_registration_with_a_token_they_do_not_accept(issued):
    with FakeCpo(token="b1") as cpo:
        body = credentials_for(cpo) | {"token": "not-what-they-expect"}
        response = OcpiClient(issued.token_a).post(CREDENTIALS, body)
    assert response.json()["status_code"] == 3001
    assert "401" in response.json()["status_message"]
    assert_still_pending(issued)


def test_registration_when_they_are_unreachable(issued):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    body = copy.deepcopy(example("credentials_example")) | {
        "url": f"http://127.0.0.1:{port}/versions"
    }
    response = OcpiClient(issued.token_a).post(CREDENTIALS, body)
    assert response.json()["status_code"] == 3001
    assert_still_pending(issued)


def test_registration_when_they_are_too_slow(issued, monkeypatch):
    monkeypatch.setattr("roaming.services.partners.REGISTRATION_TIMEOUT", 0.3)
    with FakeCpo(token="b1", delay=1.0) as cpo:
        response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo))
    assert response.json()["status_code"] == 3001
    assert "timed out" in response.json()["status_message"]
    assert_still_pending(issued)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"roles": []}, "roles"),
        ({"token": "has spaces"}, "token"),
        ({"token": "x" * 65}, "token"),
        ({"url": "ftp://example.com/versions"}, "url"),
        (
            {
                "roles": [
                    {
                        "role": "EMSP",
                        "party_id": "ABC",
                        "country_code": "NL",
                        "business_details": {"name": "x"},
                    }
                ]
            },
            "roles",
        ),
    ],
    ids=["no-roles", "token-with-spaces", "token-too-long", "not-http", "no-cpo-role"],
)
def test_invalid_credentials_are_refused_before_calling_them(issued, change, field):
    with FakeCpo(token="b1") as cpo:
        response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo) | change)
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert field in response.json()["status_message"]
    assert cpo.requests == []
    assert_still_pending(issued)


def test_a_party_of_another_partner_cannot_be_claimed(issued):
    PartnerFactory(parties=["NL/EXO"])
    with FakeCpo(token="b1") as cpo:
        response = OcpiClient(issued.token_a).post(CREDENTIALS, credentials_for(cpo))
    assert response.status_code == 400
    assert "NL/EXO" in response.json()["status_message"]
    assert_still_pending(issued)


def test_issue_token_a_command_prints_token_and_versions_url(db, capsys):
    call_command("ocpi_issue_token_a", "--name", "Plug Flex")
    out = capsys.readouterr().out
    token = next(line.split()[-1] for line in out.splitlines() if line.startswith("token A:"))
    assert "http://127.0.0.1:8000/ocpi/versions" in out
    partner = Partner.objects.get(name="Plug Flex")
    assert partner.status == "pending"
    assert OcpiClient(token).get("/ocpi/versions").status_code == 200


def test_issued_tokens_never_look_like_a_command_line_option(db):
    """A token pasted after `--token` must not begin with '-' (about 1 in 32 random ones would);
    200 issues would all but surely show one."""
    tokens = [partner_token_a_issue(name=f"CPO {n}").token_a for n in range(200)]

    assert all(token[0].isalnum() for token in tokens), [t for t in tokens if not t[0].isalnum()]
    assert len(set(tokens)) == 200
    assert all(len(token) == 43 for token in tokens)
