"""What every page brings along, in a real browser: htmx from our own server (no CDN), and the CSRF
token on every htmx request, so live parts of pages can post without a form of their own."""

from django.conf import settings
from playwright.sync_api import Page


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
