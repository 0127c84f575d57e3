"""Tokens sender: our drivers' tokens for CPOs (paged list) and real-time authorisation."""

import copy
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from drivers.models import Token
from drivers.services import token_app_get_or_create, token_rfid_add, token_valid_set
from roaming.models import TokenAuthorization
from roaming.ocpi.pagination import next_page_url
from roaming.ocpi.tokens import AuthorizationInfo
from roaming.ocpi.tokens import Token as OcpiToken
from tests.billing.factories import PaymentFactory, PaymentMethodFactory
from tests.roaming.conftest import BASE, example
from tests.roaming.factories import TokenFactory


def served(ocpi, **query):
    response = ocpi.get(f"{BASE}/tokens", **query)
    assert response.status_code == 200, response.json()
    return response


@pytest.mark.parametrize(
    "name", ["token_example_1_app_user", "token_example_2_full_rfid", "token_put_example"]
)
def test_we_serve_tokens_exactly_like_the_examples(ocpi, settings, driver, name):
    data = example(name)
    settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID = data["country_code"], data["party_id"]
    fields = {
        k: v for k, v in data.items() if k not in ("country_code", "party_id", "last_updated")
    }
    token = Token.objects.create(user=driver, **fields)
    moment = datetime.fromisoformat(data["last_updated"].replace("Z", "+00:00"))
    Token.objects.filter(pk=token.pk).update(last_updated=moment)
    assert served(ocpi).json()["data"] == [data]


def test_paging_follows_link_headers_through_all_tokens(ocpi, driver):
    tokens = [TokenFactory(user=driver) for _ in range(5)]
    seen, url, pages = [], f"{BASE}/tokens?limit=2", 0
    while url:
        response = ocpi.get(url)
        pages += 1
        assert response["X-Total-Count"] == "5"
        assert response["X-Limit"] == "2"
        seen += [item["uid"] for item in response.json()["data"]]
        link = next_page_url(response.get("Link"))
        url = urlsplit(link)._replace(scheme="", netloc="").geturl() if link else None
    assert pages == 3
    assert seen == [token.uid for token in tokens]


def test_link_keeps_the_filters(ocpi, driver):
    TokenFactory.create_batch(3, user=driver)
    date_from = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = served(ocpi, limit="1", date_from=date_from)
    link = response["Link"]
    assert link.startswith("<http://127.0.0.1:8000/ocpi/emsp/2.2.1/tokens?")
    assert link.endswith('>; rel="next"')
    assert "date_from=" in link
    assert "offset=1" in link
    assert "limit=1" in link


def test_date_filters(ocpi, driver):
    old, new = TokenFactory(user=driver), TokenFactory(user=driver)
    Token.objects.filter(pk=old.pk).update(last_updated=datetime(2020, 1, 1, tzinfo=UTC))
    uids = [t["uid"] for t in served(ocpi, date_from="2021-01-01T00:00:00Z").json()["data"]]
    assert uids == [new.uid]
    uids = [t["uid"] for t in served(ocpi, date_to="2021-01-01T00:00:00").json()["data"]]
    assert uids == [old.uid]


def test_limit_above_ours_is_lowered(ocpi, driver):
    TokenFactory(user=driver)
    assert served(ocpi, limit="100000")["X-Limit"] == "1000"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"date_from": "yesterday"}, "date_from"),
    ],
)
def test_bad_paging_parameters_are_refused(ocpi, query, field):
    response = ocpi.get(f"{BASE}/tokens", **query)
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert field in response.json()["status_message"]


def test_served_tokens_are_valid_ocpi_tokens(ocpi, driver):
    token_app_get_or_create(user=driver)
    token_rfid_add(user=driver, uid="04AABBCCDD", visual_number="NL-EMS-000001")
    for item in served(ocpi).json()["data"]:
        OcpiToken.model_validate(item)


def test_app_token_is_created_once_per_driver(driver):
    first = token_app_get_or_create(user=driver)
    assert token_app_get_or_create(user=driver) == first
    assert (first.type, first.whitelist, first.valid) == ("APP_USER", "NEVER", True)
    rfid = token_rfid_add(user=driver, uid="04AABBCCDD")
    assert rfid.contract_id == first.contract_id  # one contract per driver


def test_blocking_a_token_moves_last_updated(driver):
    token = token_rfid_add(user=driver, uid="04AABBCCDD")
    before = token.last_updated
    token = token_valid_set(token=token, valid=False)
    assert not token.valid
    assert token.last_updated > before


# Real-time authorisation


def authorize(ocpi, uid, body=None, **query):
    return ocpi.post(f"{BASE}/tokens/{uid}/authorize", body, **query)


def test_unknown_token_answers_404_with_2004_and_no_data(ocpi):
    response = authorize(ocpi, "UNKNOWN", type="RFID")
    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 2004
    assert "data" not in body


def test_type_defaults_to_rfid(ocpi, driver):
    app = token_app_get_or_create(user=driver)
    assert authorize(ocpi, app.uid).status_code == 404  # an APP_USER uid asked as RFID
    assert authorize(ocpi, app.uid, type="APP_USER").status_code != 404


def test_invalid_type_is_refused(ocpi):
    response = authorize(ocpi, "04AABB", type="CARD")
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001


def test_blocked_token(ocpi):
    token = TokenFactory(valid=False)
    info = authorize(ocpi, token.uid, type="RFID").json()["data"]
    assert info["allowed"] == "BLOCKED"
    assert "authorization_reference" not in info
    AuthorizationInfo.model_validate(info)
    assert TokenAuthorization.objects.get().allowed == "BLOCKED"


def test_disabled_account_is_blocked(ocpi):
    token = TokenFactory()
    token.user.is_active = False
    token.user.save()
    assert authorize(ocpi, token.uid).json()["data"]["allowed"] == "BLOCKED"


def test_expired_token(ocpi):
    token = TokenFactory(valid_until=timezone.now() - timedelta(minutes=1))
    info = authorize(ocpi, token.uid.lower()).json()["data"]  # uid case-insensitive
    assert info["allowed"] == "EXPIRED"
    assert info["info"]["text"]


def test_not_allowed_at_a_location_not_published_to_the_token(ocpi):
    location = example("location_example_uc4_limited_visibility")
    assert ocpi.put(f"{BASE}/locations/NL/ALL/{location['id']}", location).status_code == 201
    token = TokenFactory(uid="0000000001", visual_number="not-listed", issuer="EMSP")
    body = {"location_id": location["id"], "evse_uids": [location["evses"][0]["uid"]]}
    info = authorize(ocpi, token.uid, body).json()["data"]
    assert info["allowed"] == "NOT_ALLOWED"
    assert "location" not in info


def test_malformed_location_references_are_refused(ocpi):
    token = TokenFactory()
    response = authorize(ocpi, token.uid, {"evse_uids": ["1"]})
    assert response.status_code == 400
    assert "location_id" in response.json()["status_message"]
    assert not TokenAuthorization.objects.exists()


def test_allowed_for_a_driver_with_a_usable_card(ocpi):
    token = TokenFactory()
    PaymentMethodFactory(user=token.user)
    ocpi.put(f"{BASE}/locations/BE/BEC/LOC1", example("location_example"))
    body = {"location_id": "LOC1", "evse_uids": ["3256", "9999"]}
    response = authorize(ocpi, token.uid, body, type="RFID")
    assert response.status_code == 200
    info = response.json()["data"]
    AuthorizationInfo.model_validate(info)
    assert info["allowed"] == "ALLOWED"
    assert info["location"] == {"location_id": "LOC1", "evse_uids": ["3256"]}  # known EVSEs only
    reference = TokenAuthorization.objects.get().authorization_reference
    assert info["authorization_reference"] == reference
    assert info["token"]["uid"] == token.uid
    assert "info" not in info


def test_allowed_without_location_references(ocpi):
    token = TokenFactory()
    PaymentMethodFactory(user=token.user)
    info = authorize(ocpi, token.uid).json()["data"]
    assert info["allowed"] == "ALLOWED"
    assert "location" not in info


def test_allowed_at_an_unpublished_location_listing_the_token(ocpi):
    location = example("location_example_uc4_limited_visibility")
    ocpi.put(f"{BASE}/locations/NL/ALL/{location['id']}", location)
    token = TokenFactory(uid="12345678905880", type="RFID")  # in its publish_allowed_to
    PaymentMethodFactory(user=token.user)
    info = authorize(ocpi, token.uid, {"location_id": location["id"]}).json()["data"]
    assert info["allowed"] == "ALLOWED"


def test_no_credit_without_a_usable_card(ocpi):
    token = TokenFactory()
    PaymentMethodFactory(user=token.user, exp_year=2020)  # expired card
    info = authorize(ocpi, token.uid).json()["data"]
    assert info["allowed"] == "NO_CREDIT"
    assert "payment card" in info["info"]["text"]
    assert "authorization_reference" not in info


def test_no_credit_with_unpaid_payments(ocpi, settings):
    settings.BILLING_UNPAID_LIMIT_COUNT = 1
    token = TokenFactory()
    PaymentMethodFactory(user=token.user)
    PaymentFactory(user=token.user, state="failed")
    info = authorize(ocpi, token.uid).json()["data"]
    assert info["allowed"] == "NO_CREDIT"
    assert "open payments" in info["info"]["text"]


def test_authorize_is_a_handful_of_queries(ocpi, django_assert_max_num_queries):
    """Auth, the token with its driver, billing's two indexed reads, the record: the CPO waits."""
    token = TokenFactory()
    PaymentMethodFactory(user=token.user)
    with django_assert_max_num_queries(7):
        assert authorize(ocpi, token.uid).json()["data"]["allowed"] == "ALLOWED"


def test_example_token_list_is_what_a_cpo_reads_back(ocpi, settings, driver):
    data = copy.deepcopy(example("transport_and_format_get_token_list_example"))
    settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID = "NL", "TNM"
    for item in data["data"]:
        fields = {
            k: v for k, v in item.items() if k not in ("country_code", "party_id", "last_updated")
        }
        token = Token.objects.create(user=driver, **fields)
        moment = datetime.fromisoformat(item["last_updated"].replace("Z", "+00:00"))
        Token.objects.filter(pk=token.pk).update(last_updated=moment)
    body = served(ocpi).json()
    assert body["status_code"] == 1000
    expected = sorted(data["data"], key=lambda item: item["last_updated"])
    assert body["data"] == expected
