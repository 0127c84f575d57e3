"""Errors an OCPI endpoint answers with, and readable messages for validation errors."""

from pydantic import ValidationError

from roaming.ocpi.enums import StatusCode

MAX_REPORTED_ERRORS = 5


class OcpiError(Exception):
    """A request that cannot be served: the HTTP status and OCPI status code to answer with."""

    def __init__(
        self,
        message: str,
        *,
        status_code: StatusCode = StatusCode.INVALID_OR_MISSING_PARAMETERS,
        http_status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.http_status = http_status

    @classmethod
    def not_found(
        cls, message: str, status_code: StatusCode = StatusCode.INVALID_OR_MISSING_PARAMETERS
    ) -> "OcpiError":
        return cls(message, status_code=status_code, http_status=404)

    @classmethod
    def invalid(cls, message: str) -> "OcpiError":
        return cls(message, status_code=StatusCode.INVALID_OR_MISSING_PARAMETERS, http_status=400)


class OcpiValidationError(OcpiError):
    """An object that does not match its schema; the message names the fields."""

    def __init__(self, error: ValidationError, *, prefix: str = "") -> None:
        super().__init__(validation_message(error, prefix=prefix))
        self.errors = error.errors(include_url=False, include_input=False)


def field_path(location: tuple[int | str, ...], prefix: str = "") -> str:
    """('evses', 0, 'status') -> 'evses[0].status'."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(body)"


def validation_message(error: ValidationError, *, prefix: str = "") -> str:
    """'Invalid or missing fields: last_updated: Field required; kwh: must be a JSON number'."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:MAX_REPORTED_ERRORS]:
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "missing required field"
        parts.append(f"{field_path(item['loc'], prefix)}: {message}")
    more = error.error_count() - MAX_REPORTED_ERRORS
    suffix = f" (and {more} more)" if more > 0 else ""
    return "Invalid or missing fields: " + "; ".join(parts) + suffix
