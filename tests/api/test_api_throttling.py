"""Rate limiting of /api/v1/ per app session token: a token over its budget gets 429 with
Retry-After in the API's error shape; another token (of the same driver or another) is not
affected. Rates come from the settings (API_RATE_PER_TOKEN, API_RATE_ANONYMOUS)."""

import json
import threading
import uuid

import pytest
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from emsp.throttling import ApiRateThrottle
from tests.drivers.factories import DEFAULT_PASSWORD, DriverFactory
from tests.processes import broker_url

pytestmark = pytest.mark.django_db
OPENAPI_JSON = "application/vnd.oai.openapi+json"


@pytest.fixture(params=["local memory", "redis"])
def rate_cache(request, settings):
    """The counts in the local-memory cache (the embedded default) or in Redis (CACHE_URL, as
    deployed: counted in one pipelined round trip)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": broker_url(),
                "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
            }
        }
    return request.param


def app_login(user) -> str:
    response = APIClient().post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def get_me(token: str):
    return APIClient().get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)


def test_a_token_over_its_budget_gets_429_and_other_tokens_do_not(settings, rate_cache, driver):
    settings.API_RATE_PER_TOKEN = "3/min"
    phone, tablet = app_login(driver), app_login(driver)
    someone_else = app_login(DriverFactory())

    statuses = [get_me(phone).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = get_me(phone)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json() == {
        "error": {"code": "throttled", "message": refused.json()["error"]["message"]}
    }
    assert "throttled" in refused.json()["error"]["message"]
    assert get_me(tablet).status_code == 200
    assert get_me(someone_else).status_code == 200


def test_signed_in_on_the_web_the_budget_is_the_users(settings, client, driver, other_driver):
    settings.API_RATE_PER_TOKEN = "2/min"
    client.force_login(driver)
    other = APIClient()
    other.force_login(other_driver)

    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    assert other.get("/api/v1/me").status_code == 200


def test_the_rate_follows_the_setting(settings, driver):
    settings.API_RATE_PER_TOKEN = "5/min"
    token = app_login(driver)

    assert [get_me(token).status_code for _ in range(6)] == [200] * 5 + [429]


def test_anonymous_calls_are_counted_per_address_not_per_forwarded_header(settings):
    settings.API_RATE_ANONYMOUS = "2/min"
    throttle = ApiRateThrottle()
    factory = APIRequestFactory()

    def allowed(address: str, forwarded: str) -> bool:
        request = factory.get("/api/v1/x", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)
        wrapped = Request(request)
        wrapped.user = None
        return throttle.allow_request(wrapped, view=None)

    results = [allowed("192.0.2.1", f"198.51.100.{n}") for n in range(3)]

    assert results == [True, True, False]
    assert allowed("192.0.2.2", "198.51.100.1") is True


def test_anonymous_calls_have_their_own_budget_per_address(settings, driver):
    settings.API_RATE_ANONYMOUS = "2/min"
    settings.API_RATE_PER_TOKEN = "100/min"
    token = app_login(driver)
    anonymous = APIClient(REMOTE_ADDR="192.0.2.7", HTTP_ACCEPT=OPENAPI_JSON)

    statuses = [anonymous.get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert json.loads(anonymous.get("/api/schema/").content)["error"]["code"] == "throttled"
    other_address = APIClient(REMOTE_ADDR="192.0.2.8", HTTP_ACCEPT=OPENAPI_JSON)
    assert other_address.get("/api/schema/").status_code == 200
    assert get_me(token).status_code == 200


def _anonymous_throttle(moment: list[float], address: str) -> tuple[ApiRateThrottle, Request]:
    throttle = ApiRateThrottle()
    throttle.timer = lambda: moment[0]
    request = Request(APIRequestFactory().get("/api/v1/x", REMOTE_ADDR=address))
    request.user = None
    return throttle, request


def test_the_last_minute_still_counts_as_far_as_the_sliding_window_covers_it(settings, rate_cache):
    settings.API_RATE_ANONYMOUS = "10/min"
    moment = [6_000_030.0]  # half a minute into a minute
    throttle, request = _anonymous_throttle(moment, "192.0.2.9")

    assert [throttle.allow_request(request, None) for _ in range(11)] == [True] * 10 + [False]
    assert 0 < throttle.wait() <= 30
    moment[0] += 60  # the last minute's 11 weigh half: 5.5, so 4 more fit
    assert [throttle.allow_request(request, None) for _ in range(5)] == [True] * 4 + [False]
    moment[0] += 120  # two minutes later nothing of it is left
    assert [throttle.allow_request(request, None) for _ in range(11)] == [True] * 10 + [False]


def test_requests_at_the_same_moment_are_each_counted(settings, rate_cache):
    settings.API_RATE_ANONYMOUS = "10/min"
    moment = [6_000_000.0]
    answers = []

    def ask() -> None:
        throttle, request = _anonymous_throttle(moment, "192.0.2.10")
        answers.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=ask) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [False] * 15 + [True] * 10


def test_on_redis_a_window_s_count_expires_after_two_windows(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": broker_url(),
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    settings.API_RATE_ANONYMOUS = "10/min"
    throttle, request = _anonymous_throttle([6_000_030.0], "192.0.2.11")

    assert throttle.allow_request(request, None) is True

    backend = caches["default"]
    key = backend.make_and_validate_key(f"{throttle.get_cache_key(request, None)}:100000")
    client = backend._cache.get_client(key)
    assert int(client.get(key)) == 1
    assert 60 < client.ttl(key) <= 120
