"""The account emails (verification codes, password reset, account notices) read as our product:
our name, a clear code, links to our public address, text and HTML, in the driver's language."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from drivers.models import DriverProfile
from tests.drivers.factories import DriverFactory

pytestmark = pytest.mark.django_db
PUBLIC_URL = "https://charge.example.com"
PASSWORD = "plug-in-and-go-4711"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.EMSP_PUBLIC_URL = PUBLIC_URL
    settings.HEADLESS_FRONTEND_URLS = {
        name: url.replace("http://127.0.0.1:8000", PUBLIC_URL)
        for name, url in settings.HEADLESS_FRONTEND_URLS.items()
    }


def html_of(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def code_in(text: str) -> str:
    match = re.search(r"^ {4}([A-Z0-9-]{6,9})$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_the_sign_up_code_email_is_ours_with_the_code_on_a_line_of_its_own(client):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    assert message.subject == "[EMSP] Confirm your email address"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.to == ["new@example.org"]
    body = message.body
    assert body.startswith("Hello,\n")
    assert "Please confirm that new@example.org is your email address" in body
    assert "The EMSP team\nhttps://charge.example.com" in body
    assert "testserver" not in body
    assert "Hello from" not in body
    code = code_in(body)
    html = html_of(message)
    assert '<html lang="en">' in html
    assert f'letter-spacing:4px;color:#1b1f24;">{code}</span>' in html
    assert 'href="https://charge.example.com"' in html
    assert "testserver" not in html

    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302


def test_the_site_name_comes_from_the_settings(client, settings):
    settings.SITE_NAME = "VoltPass"
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[VoltPass] "

    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    assert message.subject.startswith("[VoltPass] ")
    assert "on the VoltPass website or in the app" in message.body
    assert "The VoltPass team" in message.body
    assert "EMSP" not in message.body
    assert "VoltPass" in html_of(message)


def test_a_password_reset_code_goes_out_in_the_driver_s_language_not_the_page_s(client):
    driver = DriverFactory()
    DriverProfile.objects.filter(user=driver).update(preferred_language="de")

    client.post(
        reverse("account_reset_password"), {"email": driver.email}, HTTP_ACCEPT_LANGUAGE="en"
    )

    (message,) = mail.outbox
    assert message.subject == "[EMSP] Ihr Code für ein neues Passwort"
    assert message.body.startswith("Guten Tag,\n")
    assert "Geben Sie diesen Code ein" in message.body
    assert "Ihr EMSP-Team" in message.body
    code_in(message.body)
    assert '<html lang="de">' in html_of(message)
    assert translation.get_language() == "en"  # the request's language is untouched


def test_signing_up_with_a_taken_address_tells_its_owner_in_their_language_with_a_public_link(
    client,
):
    owner = DriverFactory(email="taken@example.org")
    DriverProfile.objects.filter(user=owner).update(preferred_language="nl")

    client.post(
        reverse("account_signup"),
        {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    assert message.subject == "[EMSP] Je hebt al een account"
    assert "Je hebt al een account met dit adres" in message.body
    assert f"{PUBLIC_URL}/accounts/password/reset/" in message.body
    assert f'href="{PUBLIC_URL}/accounts/password/reset/"' in html_of(message)


def test_a_reset_for_an_unknown_address_answers_in_the_page_s_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"

    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    (message,) = mail.outbox
    assert message.subject == "[EMSP] Geen account met dit e-mailadres"
    assert f"{PUBLIC_URL}/accounts/signup/" in message.body


# Every account email allauth can send, rendered as it would be sent.
EMAILS = {
    "account/email/email_confirmation_signup": {"code": "ABCD-EFGH"},
    "account/email/email_confirmation": {"code": "ABCD-EFGH"},
    "account/email/password_reset_code": {"code": "ABCD-EFGH"},
    "account/email/login_code": {"code": "ABCD-EFGH"},
    "account/email/password_reset_key": {"password_reset_url": f"{PUBLIC_URL}/reset/key/x/"},
    "account/email/account_already_exists": {"password_reset_url": f"{PUBLIC_URL}/r/"},
    "account/email/unknown_account": {"signup_url": f"{PUBLIC_URL}/accounts/signup/"},
    "account/email/email_changed": {"from_email": "a@example.org", "to_email": "b@example.org"},
    "account/email/email_confirm": {},
    "account/email/email_deleted": {"deleted_email": "old@example.org"},
    "account/email/password_changed": {},
    "account/email/password_reset": {},
    "account/email/password_set": {},
}
NOTICE = {"ip": "192.0.2.1", "user_agent": "Firefox", "timestamp": timezone.now()}


@pytest.mark.parametrize("language", ["en", "de", "nl"])
@pytest.mark.parametrize("template", EMAILS, ids=lambda t: t.rsplit("/", 1)[-1])
def test_every_account_email_is_branded_in_text_and_html(rf: RequestFactory, template, language):
    driver = DriverFactory(email="driver@example.org")
    DriverProfile.objects.filter(user=driver).update(preferred_language=language)
    request = rf.get("/")
    request.user = driver
    with context.request_context(request):
        get_adapter(request).send_mail(
            template, driver.email, {"user": driver, **NOTICE, **EMAILS[template]}
        )

    (message,) = mail.outbox
    html = html_of(message)
    assert message.subject.startswith("[EMSP] ")
    assert len(message.subject) < 80
    assert "EMSP" in message.body
    assert PUBLIC_URL in message.body
    assert f'<html lang="{language}">' in html
    for text in (message.subject, message.body, html):
        assert "testserver" not in text
        assert "{{" not in text
        assert "%(" not in text
    if "code" in EMAILS[template]:
        assert "\n    ABCD-EFGH\n" in message.body
        assert ">ABCD-EFGH</span>" in html
    if template.endswith(("changed", "confirm", "deleted", "password_reset", "password_set")):
        assert "192.0.2.1" in message.body
        assert f"{PUBLIC_URL}/accounts/password/change/" in message.body


def test_an_address_in_an_email_cannot_inject_html(rf: RequestFactory):
    request = rf.get("/")
    hostile = '"<script>alert(1)</script>"@example.org'

    with context.request_context(request):
        get_adapter(request).send_mail(
            "account/email/unknown_account", hostile, {"signup_url": PUBLIC_URL}
        )

    html = html_of(mail.outbox[0])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
