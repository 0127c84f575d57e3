"""Signing up, verifying the email, logging in and out, resetting the password: on the web."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from drivers.models import DriverProfile, User
from tests.conftest import last_email_code
from tests.drivers.factories import DEFAULT_PASSWORD, DriverFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plug-in-and-go-4711"


def signup(client, email="new.driver@example.org", password=STRONG_PASSWORD, password2=None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password},
    )


def test_sign_up_verify_email_and_land_on_the_account_page(client):
    response = signup(client, email="New.Driver@Example.org")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.driver@example.org"]
    code = last_email_code()

    response = client.post(response.url, {"code": code})

    assert response.status_code == 302
    assert response.url == reverse("drivers:dashboard")
    user = User.objects.get(email="new.driver@example.org")
    assert EmailAddress.objects.get(user=user).verified
    assert DriverProfile.objects.filter(user=user, preferred_language="en").exists()
    assert client.get(reverse("drivers:dashboard")).status_code == 200


def test_a_wrong_verification_code_is_refused_and_the_account_stays_unverified(client):
    response = signup(client)
    response = client.post(response.url, {"code": "XXXXXX"})

    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert not EmailAddress.objects.get(email="new.driver@example.org").verified
    assert client.get(reverse("drivers:dashboard")).status_code == 302


def test_an_unverified_driver_cannot_log_in_before_verifying(client):
    signup(client)
    client.logout()
    mail.outbox.clear()
    cache.clear()  # a new code may be sent once the 10 s resend limit has passed

    response = client.post(
        reverse("account_login"), {"login": "new.driver@example.org", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1  # a fresh code is sent


@pytest.mark.parametrize(
    ("email", "password", "password2", "field"),
    [
        ("not-an-email", STRONG_PASSWORD, None, "email"),
        ("", STRONG_PASSWORD, None, "email"),
        ("a" * 250 + "@example.org", STRONG_PASSWORD, None, "email"),
        ("<script>alert(1)</script>@example.org", STRONG_PASSWORD, None, "email"),
        ("ok@example.org", "short", None, "password1"),
        ("ok@example.org", "password123", None, "password1"),
        ("ok@example.org", "12345678901234", None, "password1"),
        ("ok@example.org", STRONG_PASSWORD, "something-else-entirely", "password2"),
    ],
    ids=[
        "bad-email",
        "missing-email",
        "oversized-email",
        "hostile-email",
        "too-short-password",
        "common-password",
        "numeric-password",
        "passwords-differ",
    ],
)
def test_sign_up_with_bad_input_is_refused_with_a_field_error(
    client, email, password, password2, field
):
    response = signup(client, email=email, password=password, password2=password2)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == 0
    assert mail.outbox == []


def test_sign_up_with_a_registered_email_makes_no_account_and_warns_its_owner(client):
    """Enumeration is prevented: the page looks the same, the owner is told by email."""
    owner = DriverFactory(email="taken@example.org")

    response = signup(client, email="TAKEN@example.org", password="someone-else-s-pass-1")

    assert response.status_code == 302
    assert User.objects.filter(email="taken@example.org").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["taken@example.org"]
    assert "already" in mail.outbox[0].body
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)


def test_log_in_and_log_out(client):
    driver = DriverFactory()

    response = client.post(
        reverse("account_login"), {"login": driver.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("drivers:dashboard")
    page = client.get(reverse("drivers:dashboard"))
    assert driver.email in page.content.decode()

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("drivers:dashboard")).status_code == 302


def test_repeated_failed_logins_are_throttled(client):
    driver = DriverFactory()
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": driver.email, "password": "wrong-password-1"}
        )
        assert response.status_code == 200

    response = client.post(
        reverse("account_login"), {"login": driver.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_by_emailed_code(client):
    driver = DriverFactory()

    response = client.post(reverse("account_reset_password"), {"email": driver.email})
    assert response.status_code == 302
    code = last_email_code()
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302
    response = client.post(
        response.url, {"password1": "a-brand-new-secret-77", "password2": "a-brand-new-secret-77"}
    )
    assert response.status_code == 302

    driver.refresh_from_db()
    assert driver.check_password("a-brand-new-secret-77")


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert User.objects.count() == 0


def test_change_email_needs_verification_of_the_new_address(client):
    driver = DriverFactory(email="old@example.org")
    client.force_login(driver)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})

    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new@example.org"]
    code = last_email_code()
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    driver.refresh_from_db()
    assert driver.email == "new@example.org"
    assert EmailAddress.objects.get(user=driver, email="new@example.org").verified
