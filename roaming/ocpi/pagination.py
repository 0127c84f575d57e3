"""Pagination (transport_and_format: offset/limit/date_from/date_to; Link, X-Total-Count, X-Limit).

Both sides: `page_request` reads the query of a paginated GET we serve, `page_headers` writes
the headers of our answer; `next_page_url`, `total_count` and `server_limit` read a partner's.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import format_datetime, parse_datetime

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_LINK_PART = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL_NEXT = re.compile(r';\s*rel\s*=\s*"?([^";]*)"?', re.IGNORECASE)


@dataclass(frozen=True)
class PageRequest:
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    date_from: datetime | None = None
    date_to: datetime | None = None

    def query(self) -> dict[str, str]:
        """The filters, as query parameters (for the next-page link or an outbound GET)."""
        params = {}
        if self.date_from is not None:
            params["date_from"] = format_datetime(self.date_from)
        if self.date_to is not None:
            params["date_to"] = format_datetime(self.date_to)
        params["offset"] = str(self.offset)
        params["limit"] = str(self.limit)
        return params


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9:
        raise OcpiError.invalid(f"Query parameter {name} must be a non-negative integer.")
    return int(text)


def _datetime_param(query: Mapping[str, str], name: str) -> datetime | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError as error:
        raise OcpiError.invalid(f"Query parameter {name} {error}.") from None


def page_request(
    query: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> PageRequest:
    """Read offset, limit, date_from, date_to; a limit above ours is lowered (spec allows it)."""
    limit = min(_int_param(query, "limit", default_limit), max_limit)
    return PageRequest(
        offset=_int_param(query, "offset", 0),
        limit=limit,
        date_from=_datetime_param(query, "date_from"),
        date_to=_datetime_param(query, "date_to"),
    )


def page_headers(*, base_url: str, page: PageRequest, total: int) -> dict[str, str]:
    """Link (when a next page exists, with the original filters), X-Total-Count, X-Limit."""
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    next_offset = page.offset + page.limit
    if page.limit > 0 and next_offset < total:
        params = {**page.query(), "offset": str(next_offset)}
        headers["Link"] = f'<{base_url}?{urlencode(params)}>; rel="next"'
    return headers


def next_page_url(link_header: str | None) -> str | None:
    """The URL of the Link header's rel="next" entry (RFC 8288), or None on the last page."""
    if not link_header:
        return None
    for match in _LINK_PART.finditer(link_header):
        url, params = match.groups()
        for rel in _REL_NEXT.findall(params):
            if "next" in rel.lower().split():
                return url.strip()
    return None


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        lowered = {key.lower(): item for key, item in headers.items()}
        value = lowered.get(name.lower())
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def total_count(headers: Mapping[str, str]) -> int | None:
    return _header_int(headers, "X-Total-Count")


def server_limit(headers: Mapping[str, str]) -> int | None:
    return _header_int(headers, "X-Limit")
