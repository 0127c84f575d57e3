"""The OCPI response format {data, status_code, status_message, timestamp} and JSON bodies."""

import json
import math
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import Field

from roaming.ocpi.enums import StatusCode
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import DateTime, Int, OcpiModel, String, format_datetime

DataT = TypeVar("DataT")

# One object per request is plenty below this; a larger body is refused before it is parsed.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64


class OcpiResponse(OcpiModel, Generic[DataT]):
    """A response envelope as read from a partner; `data` typed by the caller."""

    data: DataT | None = None
    status_code: Int
    status_message: String(4096) | None = None
    timestamp: DateTime = Field(default_factory=lambda: datetime.now(UTC))


def envelope(
    data: Any = None,
    *,
    status_code: int = StatusCode.SUCCESS,
    status_message: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """The response body we send. `data` is left out when None, as the spec advises for errors."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if status_message is None:
        status_message = "Success" if 1000 <= int(status_code) < 2000 else None
    if status_message is not None:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(timestamp or datetime.now(UTC))
    return body


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _check_depth_and_nul(value: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("strings must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_depth_and_nul(key, depth + 1)
            _check_depth_and_nul(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth_and_nul(item, depth + 1)


def parse_json_body(body: bytes, *, required: bool = True, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """Parse a request body as strict JSON (no NaN/Infinity, no NUL, bounded size and depth).

    Raises OcpiError (HTTP 400, status 2001; HTTP 413 when too large) with a readable message.
    Returns None for an empty body when it is not required.
    """
    if len(body) > max_bytes:
        raise OcpiError(
            f"Request body is {len(body)} bytes; the limit is {max_bytes} bytes per object.",
            http_status=413,
        )
    if not body.strip():
        if required:
            raise OcpiError.invalid("Request body is empty; a JSON object is required.")
        return None
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
        _check_depth_and_nul(value)
    except UnicodeDecodeError:
        raise OcpiError.invalid("Request body is not UTF-8 encoded JSON.") from None
    except RecursionError:
        raise OcpiError.invalid(
            f"Invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels."
        ) from None
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise OcpiError.invalid(f"Invalid JSON: {error}") from None
    return value


def parse_json_object(body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """A body that must be one JSON object."""
    value = parse_json_body(body, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise OcpiError.invalid(f"Request body must be a JSON object, not {type(value).__name__}.")
    return value
