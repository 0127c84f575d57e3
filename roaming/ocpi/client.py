"""The OCPI client for one partner: every outbound call we (or our CPO simulator) make.

Pure: httpx and the standard library, nothing from Django. Built on the single-request seam
`roaming.ocpi.http.ocpi_request` (mandatory timeout, X-Request-ID, X-Correlation-ID, structured
log, errors that say retryable or final), it adds what a conversation with a partner needs:
- a pooled connection and the partner's token (Base64 or raw, per partner);
- routing headers on functional modules only (never on versions/credentials/hubclientinfo);
- retries with exponential backoff and jitter on network errors, HTTP 5xx and OCPI 3xxx, for
  idempotent requests only (GET, PUT, DELETE): a POST or PATCH the server may have seen is
  never repeated behind the caller's back;
- `crawl()`: a paginated GET list walked page by page (memory stays flat), following
  `Link: <...>; rel="next"`, honouring X-Limit, and re-reading what slid back onto pages
  already read when X-Total-Count drops mid-crawl (objects updated past date_to leave the
  window and everything after them moves back).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from roaming.ocpi.http import (
    DEFAULT_TIMEOUT,
    OcpiHttpResponse,
    OcpiRequestError,
    RoutingHeaders,
    ocpi_request,
)
from roaming.ocpi.pagination import next_page_url, server_limit, total_count

logger = logging.getLogger("roaming.ocpi.client")

# Configuration modules are platform-to-platform: routing headers SHALL NOT be sent on them.
CONFIGURATION_MODULES = frozenset({"versions", "credentials", "hubclientinfo"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class Party:
    """An OCPI party: country_code and party_id (CiStrings, kept upper-cased)."""

    country_code: str
    party_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "country_code", self.country_code.upper())
        object.__setattr__(self, "party_id", self.party_id.upper())

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries; try n waits between half and all of base * 2**(n-1), capped."""

    attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class Page:
    """One page of a paginated GET. `reread`: fetched again because objects moved."""

    url: str
    offset: int
    items: list[Any]
    total_count: int | None
    limit: int | None
    next_url: str | None
    reread: bool = False


def url_with_params(url: str, params: Mapping[str, Any]) -> str:
    """The URL with these query parameters set (replacing any of the same name)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items() if value is not None})
    return urlunsplit(parts._replace(query=urlencode(query)))


def _query_int(url: str, name: str, default: int) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get(name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@dataclass
class OcpiClient:
    """Calls to one partner. `token`: the credentials token we present; `raw_token` for
    partners that expect it without Base64; `ours`/`theirs` for the routing headers.

    Use as a context manager, or call `close()`, to release the connection pool.
    """

    token: str
    timeout: float = DEFAULT_TIMEOUT
    raw_token: bool = False
    ours: Party | None = None
    theirs: Party | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not self.timeout or self.timeout <= 0:
            raise ValueError("An OCPI client needs a positive timeout.")
        self.http = httpx.Client(
            follow_redirects=False,
            transport=self.transport,
            headers={"User-Agent": "emsp-ocpi/2.2.1"},
        )

    def __enter__(self) -> OcpiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def routing(self, module: str) -> RoutingHeaders | None:
        if module in CONFIGURATION_MODULES or not (self.ours and self.theirs):
            return None
        return RoutingHeaders(
            from_country_code=self.ours.country_code,
            from_party_id=self.ours.party_id,
            to_country_code=self.theirs.country_code,
            to_party_id=self.theirs.party_id,
        )

    def get(self, url: str, *, module: str, **kwargs: Any) -> OcpiHttpResponse:
        return self.request("GET", url, module=module, **kwargs)

    def post(self, url: str, *, module: str, json: Any = None, **kwargs: Any) -> OcpiHttpResponse:
        return self.request("POST", url, module=module, json=json, **kwargs)

    def put(self, url: str, *, module: str, json: Any = None, **kwargs: Any) -> OcpiHttpResponse:
        return self.request("PUT", url, module=module, json=json, **kwargs)

    def patch(self, url: str, *, module: str, json: Any = None, **kwargs: Any) -> OcpiHttpResponse:
        return self.request("PATCH", url, module=module, json=json, **kwargs)

    def delete(self, url: str, *, module: str, **kwargs: Any) -> OcpiHttpResponse:
        return self.request("DELETE", url, module=module, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        module: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
        idempotent: bool | None = None,
    ) -> OcpiHttpResponse:
        """One OCPI request (retried where safe); the partner's envelope with status 1xxx.

        `module` is the OCPI module identifier ("locations", "credentials", "versions"...): it
        decides the routing headers. `idempotent` overrides the method's default. Raises
        `OcpiRequestError` (its `retryable` says whether a later try may succeed).
        """
        method = method.upper()
        if params:
            url = url_with_params(url, params)
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        correlation_id = correlation_id or str(uuid.uuid4())
        attempt = 0
        while True:
            attempt += 1
            try:
                return ocpi_request(
                    method,
                    url,
                    token=self.token,
                    timeout=self.timeout,
                    raw_token=self.raw_token,
                    json_body=json,
                    routing=self.routing(module),
                    correlation_id=correlation_id,
                    client=self.http,
                )
            except OcpiRequestError as error:
                if not (error.retryable and repeatable) or attempt >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                logger.warning(
                    "ocpi retry %s %s after attempt %d in %.2f s: %s",
                    method, url, attempt, delay, error.message,
                    extra={"ocpi": {"method": method, "url": url, "attempt": attempt,
                                    "correlation_id": correlation_id}},
                )  # fmt: skip
                self.sleep(delay)

    def crawl(
        self,
        url: str,
        *,
        module: str,
        params: Mapping[str, Any] | None = None,
        limit: int | None = None,
        expected_total: int | None = None,
        already_received: int = 0,
    ) -> Crawl:
        """Walk a paginated GET list from `url` (+ params and limit).

        To resume an interrupted crawl of the same window, pass the URL it would have fetched
        next, the X-Total-Count it saw last (`expected_total`: moves in between are noticed)
        and how many objects it had received.
        """
        start = url_with_params(url, {**(params or {}), "limit": limit})
        return Crawl(
            self, start, module=module, previous_total=expected_total, received=already_received
        )


class Crawl:
    """The pages of one paginated GET, fetched as the loop asks for them.

    While a page is being handled `next_url` is that page's URL; once the loop asks for the
    next one it is the next page's (so after a failure it is where to resume). After the loop:
    `total_count` (last X-Total-Count), `received` (objects on first reads), `pages`,
    `rereads`, `warnings` (what looked wrong but was survivable).
    """

    def __init__(
        self,
        client: OcpiClient,
        url: str,
        *,
        module: str,
        previous_total: int | None = None,
        received: int = 0,
    ) -> None:
        self.client = client
        self.module = module
        self.next_url: str | None = url
        self.total_count = previous_total
        self.received = received
        self.pages = 0
        self.rereads = 0
        self.warnings: list[str] = []
        self.correlation_id = str(uuid.uuid4())

    def __iter__(self) -> Iterator[Page]:
        while self.next_url:
            page = self._fetch(self.next_url)
            if (
                self.total_count is not None
                and page.total_count is not None
                and page.total_count < self.total_count
            ):
                yield from self._reread(page, self.total_count - page.total_count)
            if page.total_count is not None:
                self.total_count = page.total_count
            self.pages += 1
            yield page
            self.received += len(page.items)
            self.next_url = page.next_url
        if self.total_count is not None and self.received < self.total_count:
            self.warnings.append(
                f"X-Total-Count said {self.total_count} objects, {self.received} arrived"
            )

    def _fetch(self, url: str, *, reread: bool = False) -> Page:
        response = self.client.get(url, module=self.module, correlation_id=self.correlation_id)
        items = response.data if response.data is not None else []
        if not isinstance(items, list):
            raise OcpiRequestError(
                "a paginated GET must answer a list",
                False,
                url,
                response.http_status,
                response.status_code,
                response.request_id,
            )
        total = total_count(response.headers)
        offset = _query_int(url, "offset", 0)
        return Page(
            url=url,
            offset=offset,
            items=items,
            total_count=total,
            limit=server_limit(response.headers),
            next_url=None if reread else self._next_url(url, response, offset, len(items), total),
            reread=reread,
        )

    def _next_url(
        self, url: str, response: OcpiHttpResponse, offset: int, count: int, total: int | None
    ) -> str | None:
        link = next_page_url(response.headers.get("link") or response.headers.get("Link"))
        if link:
            return link
        if count and total is not None and offset + count < total:
            # No Link although X-Total-Count says there is more: page on by offset ourselves.
            self.warnings.append(f"no Link at offset {offset} although X-Total-Count is {total}")
            return url_with_params(url, {"offset": offset + count})
        return None

    def _reread(self, page: Page, shift: int) -> Iterator[Page]:
        """X-Total-Count dropped by `shift` since the previous page: that many objects left
        the window, and the ones that followed them slid back onto pages already read."""
        start = max(0, page.offset - shift)
        size = page.limit or len(page.items) or shift
        self.warnings.append(
            f"X-Total-Count dropped by {shift} at offset {page.offset}: re-read from {start}"
        )
        while start < page.offset:
            count = min(size, page.offset - start)
            again = self._fetch(
                url_with_params(page.url, {"offset": start, "limit": count}), reread=True
            )
            self.rereads += 1
            yield again
            if not again.items:
                return
            start += len(again.items)
