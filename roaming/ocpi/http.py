"""The one outbound seam for OCPI calls to a partner: `ocpi_request`.

Every call has a timeout (mandatory), an X-Request-ID and X-Correlation-ID, routing headers on
functional modules, and a structured log line (never the token). Failures raise
`OcpiRequestError` saying whether a retry may help (`retryable`: network errors, timeouts,
HTTP 5xx, OCPI 3xxx) or not (HTTP 4xx, invalid envelope, OCPI 2xxx).
"""

import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from roaming.ocpi.auth import authorization_header
from roaming.ocpi.envelope import MAX_BODY_BYTES
from roaming.ocpi.errors import validation_message
from roaming.ocpi.versions import Version, VersionDetails

logger = logging.getLogger("roaming.ocpi.http")

DEFAULT_TIMEOUT = 10.0
# A page of 1000 locations is large; a response beyond this is refused, not buffered.
MAX_RESPONSE_BYTES = 64 * MAX_BODY_BYTES


@dataclass(frozen=True)
class RoutingHeaders:
    """OCPI-from-* (us) and OCPI-to-* (them), for functional modules only."""

    from_country_code: str
    from_party_id: str
    to_country_code: str
    to_party_id: str

    def as_headers(self) -> dict[str, str]:
        return {
            "OCPI-from-country-code": self.from_country_code,
            "OCPI-from-party-id": self.from_party_id,
            "OCPI-to-country-code": self.to_country_code,
            "OCPI-to-party-id": self.to_party_id,
        }


@dataclass(frozen=True)
class OcpiHttpResponse:
    http_status: int
    headers: Mapping[str, str]
    body: dict[str, Any]
    request_id: str
    correlation_id: str

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def status_code(self) -> int:
        return int(self.body["status_code"])

    @property
    def status_message(self) -> str | None:
        return self.body.get("status_message")


@dataclass
class OcpiRequestError(Exception):
    """An outbound OCPI call that failed. `retryable` says whether trying again may help."""

    message: str
    retryable: bool
    url: str
    http_status: int | None = None
    status_code: int | None = None
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        kind = "retryable" if self.retryable else "final"
        where = f"url={self.url} http={self.http_status} ocpi={self.status_code}"
        return f"{self.message} ({kind}; {where})"


def ocpi_request(
    method: str,
    url: str,
    *,
    token: str,
    timeout: float,
    raw_token: bool = False,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    routing: RoutingHeaders | None = None,
    correlation_id: str | None = None,
    client: httpx.Client | None = None,
) -> OcpiHttpResponse:
    """Call a partner's OCPI endpoint and return its parsed envelope (status_code 1xxx only).

    `timeout` (seconds) is required. `client` lets a caller reuse connections across pages.
    """
    request_id = str(uuid.uuid4())
    correlation_id = correlation_id or str(uuid.uuid4())
    headers = {
        "Authorization": authorization_header(token, raw=raw_token),
        "X-Request-ID": request_id,
        "X-Correlation-ID": correlation_id,
        "Accept": "application/json",
        **(routing.as_headers() if routing else {}),
    }
    content = None
    if json_body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
    started = time.monotonic()
    log = {"method": method, "url": url, "request_id": request_id, "correlation_id": correlation_id}

    def fail(message: str, *, retryable: bool, **extra: Any) -> OcpiRequestError:
        elapsed = round((time.monotonic() - started) * 1000)
        logger.warning(
            "ocpi request failed: %s",
            message,
            extra={"ocpi": {**log, **extra, "duration_ms": elapsed, "retryable": retryable}},
        )
        return OcpiRequestError(message, retryable, url, request_id=request_id, **extra)

    own_client = client is None
    http = client or httpx.Client(follow_redirects=False)
    try:
        with http.stream(
            method, url, headers=headers, content=content, params=params, timeout=timeout
        ) as response:
            raw = _body_read(response, MAX_RESPONSE_BYTES)
    except httpx.TimeoutException as error:
        raise fail(f"timed out after {timeout} s: {error!r}", retryable=True) from error
    except httpx.HTTPError as error:
        raise fail(f"network error: {error!r}", retryable=True) from error
    finally:
        if own_client:
            http.close()
    status = response.status_code
    if raw is None:
        raise fail(
            f"response of more than {MAX_RESPONSE_BYTES} bytes is too large",
            retryable=False,
            http_status=status,
        )
    body = _envelope_or_none(raw)
    ocpi_status = body.get("status_code") if body else None
    if status >= 500:
        raise fail(f"HTTP {status}", retryable=True, http_status=status, status_code=ocpi_status)
    if status >= 400 or body is None:
        detail = (body or {}).get("status_message") or raw[:200].decode("utf-8", "replace")
        message = (
            f"HTTP {status}: {detail}" if status >= 400 else "response is not an OCPI envelope"
        )
        raise fail(message, retryable=False, http_status=status, status_code=ocpi_status)
    if not 1000 <= ocpi_status < 2000:
        raise fail(
            f"OCPI status {ocpi_status}: {body.get('status_message') or ''}".strip(),
            retryable=3000 <= ocpi_status < 4000,
            http_status=status,
            status_code=ocpi_status,
        )
    elapsed = round((time.monotonic() - started) * 1000)
    logger.info(
        "ocpi request %s %s -> %s/%s",
        method,
        url,
        status,
        ocpi_status,
        extra={
            "ocpi": {
                **log,
                "http_status": status,
                "status_code": ocpi_status,
                "duration_ms": elapsed,
            }
        },
    )
    return OcpiHttpResponse(status, dict(response.headers), body, request_id, correlation_id)


def _body_read(response: httpx.Response, limit: int) -> bytes | None:
    """The (decoded) body, read no further than `limit` bytes: None when it is longer. Kept
    out of the Response, which lives on in a reference cycle until the collector runs."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _envelope_or_none(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("status_code"), int):
        return None
    return body


def versions_get(
    url: str,
    *,
    token: str,
    timeout: float = DEFAULT_TIMEOUT,
    raw_token: bool = False,
    client: httpx.Client | None = None,
) -> list[Version]:
    """GET a partner's versions endpoint (no routing headers: configuration module)."""
    response = ocpi_request(
        "GET", url, token=token, timeout=timeout, raw_token=raw_token, client=client
    )
    data = response.data
    if not isinstance(data, list):
        raise OcpiRequestError("versions data is not a list", False, url, response.http_status)
    versions = []
    for item in data:
        try:
            versions.append(Version.model_validate(item))
        except ValidationError as error:
            logger.warning("ignoring unreadable version entry: %s", validation_message(error))
    return versions


def version_details_get(
    url: str,
    *,
    token: str,
    timeout: float = DEFAULT_TIMEOUT,
    raw_token: bool = False,
    client: httpx.Client | None = None,
) -> VersionDetails:
    """GET a partner's version details (its endpoints for one version)."""
    response = ocpi_request(
        "GET", url, token=token, timeout=timeout, raw_token=raw_token, client=client
    )
    try:
        return VersionDetails.model_validate(response.data)
    except ValidationError as error:
        raise OcpiRequestError(
            f"version details unreadable: {validation_message(error)}",
            False,
            url,
            response.http_status,
            response.status_code,
            response.request_id,
        ) from error
