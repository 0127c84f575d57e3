"""A new driver's first visit, in a real browser on a phone and on a desktop: sign up with the
keyboard only, verify the email with the emailed code, complete the profile, switch to German,
log out and back in. Every page visited is checked for accessibility and photographed."""

import re

import pytest
from playwright.sync_api import Page, expect

from drivers.models import DriverProfile
from tests.browser.a11y import assert_accessible, focus_is_visible
from tests.browser.conftest import VIEWPORT_NAMES

EMAIL = "ada.driver@example.org"
PASSWORD = "plug-in-and-go-4711"


@pytest.fixture
def key_page(page: Page, screenshot):
    """Check a page the driver reaches (accessibility) and photograph it."""

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        assert_accessible(page)
        screenshot(name)

    return check


def press_tab_until(page: Page, selector: str, *, limit: int = 15) -> None:
    """Move the keyboard focus forward until `selector` has it, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert focus_is_visible(page), f"{selector} has focus but shows no focus indicator"
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def open_menu_on_phone(page: Page, viewport: str) -> None:
    """On a phone the links hide behind the menu button: open it with the keyboard."""
    if viewport != "phone":
        return
    expect(page.locator(".nav-links")).to_be_hidden()
    page.locator(".brand").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "nav-toggle"
    page.keyboard.press("Space")
    expect(page.locator(".nav-links")).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_a_new_driver_signs_up_verifies_edits_the_profile_in_german_and_logs_back_in(
    page: Page, key_page, mailbox, viewport
):
    page.goto("/")
    key_page("home")
    page.get_by_role("link", name="Create a free account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    key_page("signup")

    # Bad input: the browser accepts it, the server does not, and says why next to each field.
    page.get_by_label("Email").fill("ada@example")
    page.get_by_label("Password", exact=False).first.fill("short")
    page.locator("#id_password2").fill("something-else")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    assert mailbox.messages() == []
    key_page("signup-errors")

    # The form again, with the keyboard only: Tab from the top of the page, type, Enter.
    page.reload()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    press_tab_until(page, "#id_email")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(EMAIL)
    press_tab_until(page, "#id_password1")
    page.keyboard.type(PASSWORD)
    press_tab_until(page, "#id_password2")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    expect(page.get_by_text(f"We have sent a code to {EMAIL}")).to_be_visible()
    key_page("verify-email")
    code = mailbox.code(to=EMAIL)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {EMAIL}")
    expect(page.get_by_text("Add your name and billing address")).to_be_visible()
    key_page("dashboard-new")

    page.get_by_role("link", name="Complete your profile").click()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Phone").fill("call me maybe")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a phone number of digits")).to_be_visible()
    key_page("profile-errors")

    page.get_by_label("Phone").fill("+31 20 123 4567")
    page.get_by_label("Address:", exact=True).fill("Keizersgracht 1")
    page.get_by_label("Postal code").fill("1015 CJ")
    page.get_by_label("City").fill("Amsterdam")
    page.get_by_label("Country").select_option("NL")
    page.get_by_label("Preferred language").select_option("de")
    page.get_by_role("button", name="Save").click()

    # The profile is saved, and the site now speaks German.
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("Ihr Profil ist gespeichert.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Profil")
    key_page("profile-saved-de")
    profile = DriverProfile.objects.get(user__email=EMAIL)
    assert (profile.full_name, profile.city, profile.country.code) == (
        "Ada Lovelace",
        "Amsterdam",
        "NL",
    )
    assert profile.preferred_language == "de"

    open_menu_on_phone(page, viewport)
    page.get_by_role("link", name="Mein Konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hallo, Ada Lovelace")
    expect(page.get_by_text("Add your name and billing address")).to_have_count(0)
    key_page("dashboard-de")

    open_menu_on_phone(page, viewport)
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    key_page("logged-out-de")

    open_menu_on_phone(page, viewport)
    page.get_by_role("link", name="Anmelden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    key_page("login-de")
    page.get_by_label("E-Mail").fill(EMAIL)
    page.get_by_label("Passwort").fill("not-my-password")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator(".errorlist, .alert, [role=alert]").first).to_be_visible()
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hallo, Ada Lovelace")
    key_page("logged-in-again-de")
