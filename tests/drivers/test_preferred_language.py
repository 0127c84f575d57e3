"""A driver's preferred language follows them: pages after login, the language cookie, the
language switcher (which also saves the preference), and the profile form."""

import pytest
from django.conf import settings
from django.urls import reverse

from drivers.models import DriverProfile
from tests.drivers.factories import DEFAULT_PASSWORD, DriverFactory

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


def driver_speaking(language: str):
    driver = DriverFactory()
    DriverProfile.objects.filter(user=driver).update(preferred_language=language)
    return driver


def test_pages_are_in_the_driver_s_language_whatever_the_browser_asks_for(client):
    client.force_login(driver_speaking("nl"))

    response = client.get(reverse("drivers:dashboard"), HTTP_ACCEPT_LANGUAGE="de")

    assert '<html lang="nl">' in response.content.decode()
    assert "Lid sinds" in response.content.decode()
    assert response.cookies[COOKIE].value == "nl"


def test_logging_in_switches_to_the_driver_s_language_and_remembers_it_in_the_cookie(client):
    driver = driver_speaking("de")
    client.cookies[COOKIE] = "en"

    response = client.post(
        reverse("account_login"), {"login": driver.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "de"
    page = client.get(response.url).content.decode()
    assert "Mitglied seit" in page


def test_the_language_cookie_outlives_the_session(client):
    driver = driver_speaking("nl")
    client.force_login(driver)
    client.get(reverse("drivers:dashboard"))

    client.post(reverse("account_logout"))
    page = client.get(reverse("home")).content.decode()

    assert '<html lang="nl">' in page


def test_the_language_switcher_saves_a_signed_in_driver_s_preference(client):
    driver = driver_speaking("en")
    client.force_login(driver)

    response = client.post(
        reverse("set_language"), {"language": "de", "next": reverse("drivers:profile")}
    )

    assert response.status_code == 302
    assert response.url == reverse("drivers:profile")
    assert DriverProfile.objects.get(user=driver).preferred_language == "de"
    assert "Ihr Profil" in client.get(response.url).content.decode()


def test_the_language_switcher_for_a_visitor_only_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/"})

    assert response.cookies[COOKIE].value == "nl"
    assert DriverProfile.objects.count() == 0


@pytest.mark.parametrize(
    "language",
    ["fr", "", "de' OR 1=1--", "x" * 5000],
    ids=["unknown-language", "empty", "hostile", "oversized"],
)
def test_the_language_switcher_ignores_languages_we_do_not_offer(client, language):
    driver = driver_speaking("nl")
    client.force_login(driver)

    response = client.post(reverse("set_language"), {"language": language, "next": "/"})

    assert response.status_code == 302
    assert DriverProfile.objects.get(user=driver).preferred_language == "nl"
    assert COOKIE not in response.cookies or response.cookies[COOKIE].value == "nl"


def test_the_language_switcher_does_not_redirect_to_another_site(client):
    response = client.post(
        reverse("set_language"), {"language": "de", "next": "https://evil.example.com/"}
    )

    assert response.status_code == 302
    assert "evil.example.com" not in response.url


def test_the_language_switcher_only_accepts_posts(client):
    assert client.get(reverse("set_language"), {"language": "de"}).status_code == 405


def test_saving_a_new_language_in_the_profile_answers_in_that_language(client):
    driver = driver_speaking("en")
    client.force_login(driver)
    profile = DriverProfile.objects.get(user=driver)
    form = {
        "full_name": profile.full_name,
        "address_line1": profile.address_line1,
        "postal_code": profile.postal_code,
        "city": profile.city,
        "country": "NL",
        "preferred_language": "nl",
    }

    response = client.post(reverse("drivers:profile"), form, follow=True)

    page = response.content.decode()
    assert "Je profiel is opgeslagen." in page
    assert '<html lang="nl">' in page
