"""Browser tests: the platform served for real (pytest-django's live_server, on loopback) and driven
by headless Debian chromium through Playwright. Every test under tests/browser/ is marked
`browser` (select with `-m browser`, leave out with `-m "not browser"`).

Fixtures for writing one:

- `page`: a Playwright page in a fresh browser context (own cookies), its base URL the live
  server, so `page.goto("/account/")` works. Desktop-sized; parametrise the `viewport` fixture
  with "phone" or "desktop" (`@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)`) for both.
  JavaScript errors on the page, and static files that fail to load, fail the test.
- `driver_page`: the same page, already signed in as the `driver` fixture (tests/conftest.py).
  The `sign_in` fixture, `sign_in(page, user)`, signs any user in the same way.
- `screenshot(name)`: saves a PNG of the page to artifacts/screenshots/<module>/<test>/.
- `mailbox`: the emails the app sent (the live server runs in this process, so Django's
  locmem outbox sees them): `mailbox.last(to=...)`, `mailbox.code(to=...)` for the
  verification or reset code.
- `tests.browser.a11y.assert_accessible(page)`: axe-core's WCAG 2.1 A/AA checks plus ours.

Data the live server must see is committed (live_server implies a transactional database), so
factories work as usual; the tables are emptied after each test.
"""

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "artifacts" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless, no sandbox (we run as root), and nothing that reaches out to Google's servers: this
# machine has no network beyond loopback, and a blocked connection only slows Chromium down.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
VIEWPORT_NAMES = tuple(VIEWPORTS)
TIMEOUT_MS = 15_000
CODE_LINE = re.compile(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6,8})\s*$", re.MULTILINE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the browser tests; Playwright gives it a fresh profile directory.

    Playwright's synchronous API keeps an asyncio loop in this thread, which makes Django refuse
    ORM calls from the test ("async context"); no coroutine ever runs Django code here, so the
    check is switched off while the browser is up, and only then.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-browser (make test does)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def viewport() -> str:
    return "desktop"


@pytest.fixture
def browser_context(browser: Browser, live_server, viewport: str) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Amsterdam",
        **VIEWPORTS[viewport],
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} for {response.url}")
            if response.status >= 400 and "/static/" in response.url
            else None
        ),
    )
    yield page
    assert problems == [], "the page had errors"


@pytest.fixture
def sign_in(live_server) -> Callable[[Page, object], None]:
    """`sign_in(page, user)`: the page's browser gets a signed-in session for `user`, as after a
    login (no login form, no email code)."""

    def sign_in(page: Page, user: object) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


@pytest.fixture
def driver_page(page: Page, driver, sign_in) -> Page:
    sign_in(page, driver)
    return page


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """`screenshot("dashboard")` saves artifacts/screenshots/<module>/<test>/NN-dashboard.png."""
    folder = SCREENSHOT_DIR / request.node.module.__name__.rsplit(".", 1)[-1]
    folder /= re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    count = iter(range(1, 1000))

    def take(name: str, *, full_page: bool = True, of: Page | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{next(count):02d}-{name}.png"
        (of or page).screenshot(path=str(path), full_page=full_page)
        return path

    return take


class Mailbox:
    """The emails sent by the app during this test (Django's locmem backend, same process)."""

    def messages(self, *, to: str | None = None) -> list[EmailMessage]:
        return [m for m in mail.outbox if to is None or to.lower() in (a.lower() for a in m.to)]

    def last(self, *, to: str, timeout: float = 5.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while not (found := self.messages(to=to)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {to} (sent: {[m.to for m in mail.outbox]})")
            time.sleep(0.05)
        return found[-1]

    def code(self, *, to: str) -> str:
        """The one-time code (email verification, password reset) in the last email to `to`."""
        body = self.last(to=to).body
        match = CODE_LINE.search(body)
        assert match, f"no code in the email to {to}:\n{body}"
        return match.group(1)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()
