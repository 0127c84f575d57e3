import re

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.drivers.factories import DriverFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run eagerly unless a test starts a real worker (tests.processes)."""
    from celery._state import _set_task_join_will_block

    from emsp.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
    # Celery's "inside a task" flag is process-global: eager tasks run by a live server's
    # concurrent request threads can leave it set, and .get() on a real worker's result
    # would then refuse to wait in a later test.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache: each test starts with none used. So does the
    process cache of parsed tariffs, keyed by (row id, the CPO's last_updated): on SQLite a
    rolled-back test hands its ids out again, and the next test's tariff of the same fixed
    last_updated would find the last one's parse."""
    from tariffs.pricing_service import tariff_cache_clear

    cache.clear()
    tariff_cache_clear()
    yield
    cache.clear()
    tariff_cache_clear()


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def _staff_roles_exist(request):
    """A transactional test empties every table at its end, the role groups made by a data
    migration too: make them again for the tests that follow (one query when they exist).
    Only for tests that use the database: asked for by any other test, the database fixture
    would open the real (non-test) database when no selected test made pytest-django set up
    the test one."""
    if not (
        request.node.get_closest_marker("django_db")
        or DATABASE_FIXTURES & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    from django.contrib.auth.models import Group

    from emsp.roles import staff_groups_sync

    if not Group.objects.exists():
        staff_groups_sync()


@pytest.fixture
def driver(db):
    return DriverFactory()


@pytest.fixture
def other_driver(db):
    return DriverFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def driver_client(client, driver):
    client.force_login(driver)
    return client


def last_email_code() -> str:
    """The verification or reset code in the last email sent (allauth's codes are 6+ chars)."""
    body = mail.outbox[-1].body
    match = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6,8})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


@pytest.fixture(scope="session")
def fake_stripe_server(tmp_path_factory):
    """One fake Stripe (localstripe) process on loopback for the whole test session."""
    from tests.processes import FakeStripe

    server = FakeStripe(tmp_path_factory.mktemp("fake-stripe") / "localstripe.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server, settings):
    """Point the Stripe gateway at the fake server, emptied (DELETE /_config/data)."""
    fake_stripe_server.clear()
    settings.STRIPE_API_BASE = fake_stripe_server.url
    settings.STRIPE_SECRET_KEY = "sk_test_emsp_tests"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_emsp_tests"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_emsp_tests"
    settings.STRIPE_JS_URL = f"{fake_stripe_server.url}/js.stripe.com/v3/"
    settings.STRIPE_CONFIRM_SENDS_OFF_SESSION = False
    settings.STRIPE_TIMEOUT_SECONDS = 20
    yield fake_stripe_server
    fake_stripe_server.faults()
