"""A driver who forgot their password gets a new one with the emailed code, in a real browser. The
pages speak the browser's language (English here) until the driver is known; the email, and the
site after logging in, speak the driver's own (Dutch). Each page passes the accessibility checks."""

import re

from playwright.sync_api import Page, expect

from drivers.models import DriverProfile
from tests.browser.a11y import assert_accessible
from tests.drivers.factories import DriverFactory

NEW_PASSWORD = "a-brand-new-secret-77"


def test_a_driver_resets_a_forgotten_password_with_the_emailed_code(
    page: Page, mailbox, screenshot
):
    driver = DriverFactory(email="vergeten@example.org")
    DriverProfile.objects.filter(user=driver).update(preferred_language="nl")

    def check(name: str) -> None:
        assert_accessible(page)
        screenshot(name)

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten your password?")
    check("request")
    page.get_by_label("Email").fill("vergeten@example.org")
    page.get_by_role("button", name="Send me a code").click()

    # The email is in the driver's own language, whatever the page's.
    email = mailbox.last(to="vergeten@example.org")
    assert email.subject == "[EMSP] Je code voor een nieuw wachtwoord"
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your password reset code")
    check("enter-code")
    page.get_by_label("Code").fill("WRONG1")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Code").fill(mailbox.code(to="vergeten@example.org"))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check("new-password")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")
    check("done")

    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("vergeten@example.org")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_text("Lid sinds")).to_be_visible()
    check("logged-in-nl")
    driver.refresh_from_db()
    assert driver.check_password(NEW_PASSWORD)
