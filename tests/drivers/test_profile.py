"""A driver reads and edits their own profile, on the web and through GET/PATCH /api/v1/me."""

import pytest
from django.urls import reverse

from drivers.models import DriverProfile

pytestmark = pytest.mark.django_db

GOOD_PROFILE = {
    "full_name": "Ada Lovelace",
    "phone": "+44 20 7946 0000",
    "address_line1": "12 Charging Street",
    "address_line2": "",
    "postal_code": "N1 9GU",
    "city": "London",
    "country": "GB",
    "preferred_language": "en",
    "marketing_consent": "on",
}


def test_the_profile_page_shows_and_saves_the_driver_s_details(driver_client, driver):
    page = driver_client.get(reverse("drivers:profile"))
    assert page.status_code == 200
    assert driver.profile.full_name in page.content.decode()

    response = driver_client.post(reverse("drivers:profile"), GOOD_PROFILE)

    assert response.status_code == 302
    profile = DriverProfile.objects.get(user=driver)
    assert (profile.full_name, profile.city, profile.country.code) == (
        "Ada Lovelace",
        "London",
        "GB",
    )
    assert profile.marketing_consent is True
    assert profile.marketing_consent_changed_at is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "call me maybe"),
        ("country", "XX"),
        ("preferred_language", "fr"),
        ("full_name", "x" * 151),
        ("postal_code", "1" * 21),
    ],
    ids=[
        "bad-phone",
        "unknown-country",
        "unsupported-language",
        "oversized-name",
        "oversized-postcode",
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(driver_client, driver, field, value):
    before = DriverProfile.objects.get(user=driver).full_name

    response = driver_client.post(reverse("drivers:profile"), {**GOOD_PROFILE, field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert DriverProfile.objects.get(user=driver).full_name == before


def test_hostile_input_is_stored_as_text_and_shown_escaped(driver_client, driver):
    hostile = '<script>alert("x")</script>'
    driver_client.post(reverse("drivers:profile"), {**GOOD_PROFILE, "full_name": hostile})

    page = driver_client.get(reverse("drivers:dashboard")).content.decode()

    assert hostile not in page
    assert "&lt;script&gt;" in page


def test_the_profile_pages_need_a_login(client):
    for name in ("drivers:dashboard", "drivers:profile", "drivers:delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_api_me_returns_only_the_caller_s_own_profile(api_client, driver, other_driver):
    api_client.force_authenticate(driver)

    body = api_client.get("/api/v1/me").json()

    assert body["email"] == driver.email
    assert body["full_name"] == driver.profile.full_name
    assert other_driver.email not in str(body)


def test_api_me_patch_changes_only_the_given_fields(api_client, driver):
    api_client.force_authenticate(driver)
    city_before = driver.profile.city

    response = api_client.patch(
        "/api/v1/me", {"phone": "+31 6 1234 5678", "marketing_consent": True}, format="json"
    )

    assert response.status_code == 200
    profile = DriverProfile.objects.get(user=driver)
    assert profile.phone == "+31 6 1234 5678"
    assert profile.city == city_before
    assert profile.marketing_consent is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "Neverland"}, "country"),
        ({"phone": "<b>555</b>"}, "phone"),
        ({"preferred_language": "xx"}, "preferred_language"),
        ({"full_name": "a" * 5000}, "full_name"),
        ({"marketing_consent": "perhaps"}, "marketing_consent"),
        ({"full_name": ["not", "a", "string"]}, "full_name"),
        ({"email": "someone.else@example.org"}, "email"),
        ({"user": 1}, "user"),
    ],
    ids=[
        "unknown-country",
        "hostile-phone",
        "unknown-language",
        "oversized-name",
        "not-a-boolean",
        "wrong-type",
        "email-is-read-only",
        "cannot-target-another-user",
    ],
)
def test_api_me_patch_refuses_bad_input_naming_the_field(api_client, driver, body, field):
    api_client.force_authenticate(driver)
    before = DriverProfile.objects.get(user=driver).full_name

    response = api_client.patch("/api/v1/me", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert DriverProfile.objects.get(user=driver).full_name == before


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ("full_name=x", "application/x-www-form-urlencoded"),
    ],
    ids=["malformed-json", "json-array", "form-encoded"],
)
def test_api_me_patch_refuses_bodies_that_are_not_a_json_object(
    api_client, driver, payload, content_type
):
    api_client.force_authenticate(driver)

    response = api_client.patch("/api/v1/me", payload, content_type=content_type)

    assert response.status_code in (400, 415)
    assert "error" in response.json()


def test_api_me_patch_counts_the_length_of_what_was_sent_not_of_it_trimmed(api_client, driver):
    api_client.force_authenticate(driver)

    response = api_client.patch("/api/v1/me", {"postal_code": "1" * 20 + " "}, format="json")

    assert response.status_code == 400
    assert "postal_code" in response.json()["error"]["fields"]


def test_api_me_patch_accepts_blank_optional_fields(api_client, driver):
    api_client.force_authenticate(driver)

    response = api_client.patch(
        "/api/v1/me", {"postal_code": "", "phone": "", "country": ""}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["postal_code"] == ""
