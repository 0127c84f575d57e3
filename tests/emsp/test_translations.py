"""The site in German and Dutch: the key pages are translated, and the catalogues are complete,
keep their placeholders, and are compiled (the committed .mo files match the .po files)."""

import ast
import gettext
import re
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.urls import reverse

from tests.roaming.factories import PartnerFactory, charger

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "nl")

KEY_PAGES = {
    "home": ("/", False, {"de": "Laden Sie Ihr E-Auto überall", "nl": "Laad je elektrische auto"}),
    "login": ("/accounts/login/", False, {"de": "Neu hier?", "nl": "Nieuw hier?"}),
    "signup": ("/accounts/signup/", False, {"de": "Konto anlegen", "nl": "Maak je account aan"}),
    "password-reset": (
        "/accounts/password/reset/",
        False,
        {"de": "Passwort vergessen?", "nl": "Wachtwoord vergeten?"},
    ),
    "404": ("/no-such-page/", False, {"de": "Seite nicht gefunden", "nl": "Pagina niet gevonden"}),
    "dashboard": ("/account/", True, {"de": "Mitglied seit", "nl": "Lid sinds"}),
    "profile": ("/account/profile/", True, {"de": "Postleitzahl", "nl": "Postcode"}),
    "delete": (
        "/account/delete/",
        True,
        {"de": "Ihr Konto löschen", "nl": "Je account verwijderen"},
    ),
    "locations": (
        "/locations/",
        False,
        {"de": "Keine Parkbeschränkungen", "nl": "Geen parkeerbeperkingen"},
    ),
    "history": (
        "/account/history/",
        True,
        {"de": "Monatssummen (letzte 12 Monate)", "nl": "Totalen per maand (afgelopen 12 maanden)"},
    ),
    "tokens": (
        "/account/tokens/",
        True,
        {"de": "Vorhandene Karte verknüpfen", "nl": "Koppel een kaart die je al hebt"},
    ),
    "invoices": (
        "/account/invoices/",
        True,
        {"de": "jeder Ladevorgang wird abgerechnet", "nl": "elke laadsessie wordt gefactureerd"},
    ),
    "payment-methods": (
        "/account/payment-methods/",
        True,
        {"de": "Standardkarte nach jedem Ladevorgang", "nl": "af van je standaardkaart"},
    ),
    "favourites": (
        "/account/favourites/",
        True,
        {"de": "Noch keine Favoriten.", "nl": "Nog geen favorieten."},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", KEY_PAGES)
def test_key_pages_are_translated(client, driver, name, language):
    path, signed_in, expected = KEY_PAGES[name]
    if signed_in:
        driver.profile.preferred_language = language
        driver.profile.save()
        client.force_login(driver)
    else:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(path)

    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert expected[language] in page
    assert "Skip to content" not in page  # base.html is translated too


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_location_page_is_translated(client, language):
    place = charger(PartnerFactory(parties=["NL/CPO"]), name="Centraal hub")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(f"/locations/{place.pk}/").content.decode()

    assert f'<html lang="{language}">' in page
    assert "Centraal hub" in page
    assert {"de": "Öffnungszeiten", "nl": "Openingstijden"}[language] in page
    assert {"de": "Zurück zur Suche", "nl": "Terug naar het zoeken"}[language] in page
    assert "Opening hours" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_allauth_pages_we_do_not_override_show_allauth_s_own_translation(client, driver, language):
    allauth_mo = Path(allauth.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.mo"
    with allauth_mo.open("rb") as compiled:
        change_to = gettext.GNUTranslations(compiled).gettext("Change to")
    driver.profile.preferred_language = language
    driver.profile.save()
    client.force_login(driver)

    page = client.get(reverse("account_email")).content.decode()

    assert change_to != "Change to"
    assert change_to in page


def read_po(path: Path) -> list[dict]:
    """The entries of a gettext catalogue as {keyword: text} ("msgid", "msgstr", "msgid_plural",
    "msgstr[0]", ...) plus their flags."""
    entries, entry, keyword = [], None, None
    for line in [*path.read_text().splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        entry = entry or {"flags": set()}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("msg"):
            keyword, _, literal = line.partition(" ")
            entry[keyword] = ast.literal_eval(literal)
        elif line.startswith('"'):
            entry[keyword] += ast.literal_eval(line)
    return [e for e in entries if e.get("msgid")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_are_complete_and_compiled(language):
    folder = ROOT / "locale" / language / "LC_MESSAGES"
    entries = read_po(folder / "django.po")
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    placeholders = re.compile(r"%\(\w+\)[sd]")

    assert len(entries) > 100
    for entry in entries:
        msgid = entry["msgid"]
        if "msgid_plural" in entry:
            msgstr = entry["msgstr[0]"]
            compiled_text = catalogue.ngettext(msgid, entry["msgid_plural"], 1)
        else:
            msgstr = entry["msgstr"]
            compiled_text = catalogue.gettext(msgid)
        assert msgstr, f"{language}: not translated: {msgid!r}"
        assert "fuzzy" not in entry["flags"], f"{language}: fuzzy: {msgid!r}"
        assert sorted(placeholders.findall(msgid)) == sorted(placeholders.findall(msgstr)), msgid
        assert compiled_text == msgstr, f"{language}: run `make messages`: {msgid!r}"
