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
    from emsp.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache: each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


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
