"""Rate limiting of /api/v1/: one budget per app session token, per signed-in user on the web
(session cookie), per client address for anonymous calls. Rates are read from the settings at
each request (API_RATE_PER_TOKEN, API_RATE_ANONYMOUS), so they follow the environment."""

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from drivers.authentication import AppSessionTokenAuthentication


class ApiRateThrottle(SimpleRateThrottle):
    """A request over its budget is refused with 429, a Retry-After header and the API's error
    body (emsp.api.exception_handler). Counts live in the default cache: set CACHE_URL so that
    all web processes share them.

    A sliding window over two fixed ones: the previous window's count, weighted by how much of
    it the sliding window still covers, plus the current window's count, kept by one atomic
    increment per request (refused ones count too). DRF's default keeps every request's time
    in one cache entry that each request reads and writes back whole: processes racing on it
    lose counts, and a request costs as much as the budget is large."""

    scope = "api"

    def __init__(self) -> None:  # the rate is chosen per request, in allow_request
        self.wait_seconds = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = (
            settings.API_RATE_PER_TOKEN
            if request.user and request.user.is_authenticated
            else settings.API_RATE_ANONYMOUS
        )
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        now = self.timer()
        window, into = divmod(now, self.duration)
        current = f"{key}:{int(window)}"
        previous, count = self._counts(f"{key}:{int(window) - 1}", current)
        estimate = previous * (1 - into / self.duration) + count
        if estimate <= self.num_requests:
            return True
        self.wait_seconds = self.duration - into
        return False

    def _counts(self, previous: str, current: str) -> tuple[int, int]:
        """The previous window's count and the current one's after counting this request: on
        Redis in one round trip (GET, INCR and EXPIRE pipelined), through the cache API
        elsewhere."""
        backend = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(backend, RedisCache):
            return self.cache.get(previous, 0), self._increment(current)
        client = backend._cache.get_client(write=True)
        current = backend.make_and_validate_key(current)
        pipeline = client.pipeline(transaction=False)
        pipeline.get(backend.make_and_validate_key(previous))
        pipeline.incr(current)
        pipeline.expire(current, int(self.duration * 2))
        earlier, count, _ = pipeline.execute()
        return int(earlier or 0), count

    def _increment(self, key: str) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            if self.cache.add(key, 1, timeout=self.duration * 2):
                return 1
            return self.cache.incr(key)  # another request counted first, meanwhile

    def wait(self) -> float:
        return max(1.0, self.wait_seconds)

    def get_cache_key(self, request: Request, view: Any) -> str:
        if request.user and request.user.is_authenticated:
            if isinstance(request.successful_authenticator, AppSessionTokenAuthentication):
                token = request.successful_authenticator.get_session_token(request) or ""
                # The cache key never holds the token itself: a digest of it.
                ident = "token:" + hashlib.sha256(token.encode()).hexdigest()
            else:
                ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request) or 'unknown'}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
