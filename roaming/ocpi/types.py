"""OCPI's primitive types (types.asciidoc) as pydantic annotated types, and the base model.

Every field type here refuses values of the wrong JSON type instead of coercing them: an int
field refuses "220" and 220.5, a boolean refuses "true", a number refuses "0.25", a string
refuses 3. Strings refuse control characters (NUL would not even fit in PostgreSQL); tabs and
line breaks are tolerated in free text, because partners send them in directions and remarks.
"""

import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
)

# Numbers beyond this magnitude are refused: no real kWh, hour or price is near it, and the
# database columns (numeric(20, 6)) hold it with room to spare.
NUMBER_LIMIT = Decimal(10) ** 12
INT_LIMIT = 2**31 - 1

_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


class OcpiModel(BaseModel):
    """Base of every OCPI object: unknown fields kept (forward compatibility), immutable."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The object as a JSON-ready dict, as OCPI sends it (optional fields left out if unset)."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_datetime(value: Any) -> datetime:
    """An OCPI DateTime: RFC 3339, UTC when no designator is given; returned aware, in UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    match = _DATETIME.match(value.strip())
    if match is None:
        raise ValueError("must be an RFC 3339 date-time such as 2015-06-29T20:39:09Z")
    day, time, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]  # Python keeps microseconds; more digits are dropped
    zone = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        parsed = datetime.fromisoformat(f"{day}T{time}{fraction}{zone}")
    except ValueError as error:
        raise ValueError(f"is not a valid date-time: {error}") from None
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Our own DateTime format: UTC with the `Z` designator, milliseconds only when non-zero."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_number(value: Any) -> Decimal:
    """An OCPI number: a JSON number (never a string or a boolean), finite, within range."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        value = Decimal(repr(value))
    number = Decimal(value)
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValueError("is out of range")
    return number


def _number_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _printable_ascii(value: str) -> str:
    if not _PRINTABLE_ASCII.match(value):
        raise ValueError("must contain printable ASCII characters only")
    return value


def _http_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return value


DateTime = Annotated[
    datetime,
    BeforeValidator(parse_datetime),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]
Number = Annotated[
    Decimal,
    BeforeValidator(parse_number),
    PlainSerializer(_number_to_json, when_used="json"),
]
Int = Annotated[int, Strict(), Field(ge=-INT_LIMIT, le=INT_LIMIT)]
PositiveInt = Annotated[int, Strict(), Field(ge=0, le=INT_LIMIT)]
Boolean = Annotated[bool, Strict()]


def String(max_length: int) -> Any:
    """OCPI `string(n)`: case-sensitive UTF-8 text of at most n characters."""
    return Annotated[
        str,
        Strict(),
        StringConstraints(max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


def CiString(max_length: int) -> Any:
    """OCPI `CiString(n)`: case-insensitive printable ASCII; compare it with `ci_equal`."""
    return Annotated[
        str, Strict(), StringConstraints(max_length=max_length), AfterValidator(_printable_ascii)
    ]


# OCPI `URL`: string(255), an http(s) address.
Url = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=255, min_length=8),
    AfterValidator(_no_control_characters),
    AfterValidator(_http_url),
]


CountryCode = Annotated[
    str, Strict(), StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
]
PartyId = Annotated[
    str, Strict(), StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z0-9]{3}$")
]
CurrencyCode = Annotated[
    str, Strict(), StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
]
LanguageCode = Annotated[
    str, Strict(), StringConstraints(min_length=2, max_length=2, pattern=r"^[a-zA-Z]{2}$")
]


def ci_equal(first: str | None, second: str | None) -> bool:
    """CiString comparison: the same text regardless of case."""
    if first is None or second is None:
        return first is second
    return first.upper() == second.upper()


class DisplayText(OcpiModel):
    language: LanguageCode
    text: String(512)


class Price(OcpiModel):
    excl_vat: Number
    incl_vat: Number | None = None
