"""What every page brings along, in a real browser: htmx from our own server (no CDN), the CSRF
token on every htmx request (so live parts of pages can post without a form of their own), and
accessible markup on the pages of a signed-in driver, allauth's own among them."""

import pytest
from django.conf import settings
from playwright.sync_api import Page

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import VIEWPORT_NAMES


def test_pages_load_their_scripts_and_styles_from_our_own_server(page: Page, live_server):
    page.goto("/")

    sources = page.evaluate(
        """() => [...document.querySelectorAll('script[src], link[href]')]
                  .map(e => e.getAttribute('src') || e.getAttribute('href'))"""
    )
    assert any(src.endswith("htmx.min.js") for src in sources)
    for source in sources:
        assert source.startswith(("/static/", "data:")), source
    assert page.evaluate("() => typeof htmx.ajax") == "function"


def test_htmx_posts_carry_the_csrf_token_and_plain_posts_without_it_are_refused(page: Page):
    page.goto("/")

    refused = page.evaluate(
        """async () => (await fetch('/i18n/setlang/', {method: 'POST',
              headers: {'Content-Type': 'application/x-www-form-urlencoded'},
              body: 'language=nl'})).status"""
    )
    page.evaluate(
        """() => new Promise(resolve => {
              document.body.addEventListener('htmx:afterRequest', resolve, {once: true});
              htmx.ajax('POST', '/i18n/setlang/',
                        {source: document.body, values: {language: 'de'}, swap: 'none'});
           })"""
    )

    assert refused == 403
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies[settings.LANGUAGE_COOKIE_NAME] == "de"
    page.reload()
    assert page.locator("html").get_attribute("lang") == "de"


ACCOUNT_PAGES = [
    "/account/",
    "/account/profile/",
    "/account/delete/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
    "/no-such-page/",
]


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_a_signed_in_driver_s_pages_pass_the_accessibility_checks(driver_page: Page, screenshot):
    for path in ACCOUNT_PAGES:
        driver_page.goto(path)
        assert_accessible(driver_page)
        screenshot(path.strip("/").replace("/", "-"))
