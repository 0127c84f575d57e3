"""The OCPI 2.2.1 Tariff as frozen dataclasses (Decimal amounts), and back to its JSON shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compiled import CompiledTariff

ENERGY = "ENERGY"
FLAT = "FLAT"
PARKING_TIME = "PARKING_TIME"
TIME = "TIME"
TARIFF_DIMENSIONS = (ENERGY, FLAT, PARKING_TIME, TIME)
DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION = "RESERVATION"
RESERVATION_EXPIRES = "RESERVATION_EXPIRES"
RESERVATION_RESTRICTIONS = (RESERVATION, RESERVATION_EXPIRES)
TARIFF_TYPES = ("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR")


@dataclass(frozen=True, slots=True)
class Price:
    """OCPI Price: an amount excluding VAT and, when known, including VAT."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None

    def as_ocpi(self) -> dict[str, Any]:
        data: dict[str, Any] = {"excl_vat": self.excl_vat}
        if self.incl_vat is not None:
            data["incl_vat"] = self.incl_vat
        return data


_new_object = object.__new__
_set_excl_vat = Price.__dict__["excl_vat"].__set__
_set_incl_vat = Price.__dict__["incl_vat"].__set__


def price_make(excl_vat: Decimal, incl_vat: Decimal | None) -> Price:
    """Price(excl_vat, incl_vat), without the frozen dataclass's checked __init__ (the engine
    makes a dozen per CDR)."""
    price = _new_object(Price)
    _set_excl_vat(price, excl_vat)
    _set_incl_vat(price, incl_vat)
    return price


@dataclass(frozen=True, slots=True)
class DisplayText:
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """How one dimension is priced: `price` per unit excl. VAT (kWh, hour, or once for FLAT).

    `vat` None means no VAT applies, which is not the same as Decimal(0) (0 % VAT).
    `step_size` is the spec's value as sent; the engine reads 0 as 1.
    """

    type: str
    price: Decimal
    step_size: int
    vat: Decimal | None = None

    def as_ocpi(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "price": self.price}
        if self.vat is not None:
            data["vat"] = self.vat
        data["step_size"] = self.step_size
        return data


@dataclass(frozen=True, slots=True)
class TariffRestrictions:
    """Times and dates are local to the location ("HH:MM", "YYYY-MM-DD"); power in kW,
    current in A, energy in kWh, durations in seconds."""

    start_time: str | None = None
    end_time: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: tuple[str, ...] = ()
    reservation: str | None = None

    def as_ocpi(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if value is None or value == ():
                continue
            data[name] = list(value) if name == "day_of_week" else value
        return data

    @property
    def is_empty(self) -> bool:
        return not self.as_ocpi()


@dataclass(frozen=True, slots=True)
class TariffElement:
    price_components: tuple[PriceComponent, ...]
    restrictions: TariffRestrictions | None = None

    def as_ocpi(self) -> dict[str, Any]:
        data: dict[str, Any] = {"price_components": [c.as_ocpi() for c in self.price_components]}
        if self.restrictions is not None:
            data["restrictions"] = self.restrictions.as_ocpi()
        return data


@dataclass(frozen=True)
class Tariff:
    """An OCPI 2.2.1 Tariff. Build it with `tariff_parse`, which validates it.

    The identity fields are kept when present but the engine does not need them.
    `compiled` (cached on the instance) holds the structures the engine prices with:
    keep a parsed Tariff around to price many sessions with it.
    """

    currency: str
    elements: tuple[TariffElement, ...]
    country_code: str | None = None
    party_id: str | None = None
    id: str | None = None
    type: str | None = None
    tariff_alt_text: tuple[DisplayText, ...] = ()
    tariff_alt_url: str | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    last_updated: datetime | None = None

    @cached_property
    def compiled(self) -> CompiledTariff:
        from .compiled import tariff_compile

        return tariff_compile(self)

    @property
    def is_free_of_charge(self) -> bool:
        """Every component of every element is priced 0 and there is no minimum price."""
        return all(c.price == 0 for e in self.elements for c in e.price_components) and (
            self.min_price is None or self.min_price.excl_vat == 0
        )

    def is_active_at(self, moment: datetime) -> bool:
        """Whether `moment` lies in [start_date_time, end_date_time] of the tariff."""
        if self.start_date_time is not None and moment < self.start_date_time:
            return False
        return self.end_date_time is None or moment <= self.end_date_time

    def as_ocpi(self) -> dict[str, Any]:
        """The Tariff as an OCPI object, Decimals and datetimes as such (see `to_json_value`)."""
        data: dict[str, Any] = {}
        for name in ("country_code", "party_id", "id"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        data["currency"] = self.currency
        if self.type is not None:
            data["type"] = self.type
        if self.tariff_alt_text:
            data["tariff_alt_text"] = [
                {"language": t.language, "text": t.text} for t in self.tariff_alt_text
            ]
        if self.tariff_alt_url is not None:
            data["tariff_alt_url"] = self.tariff_alt_url
        for name in ("min_price", "max_price"):
            price = getattr(self, name)
            if price is not None:
                data[name] = price.as_ocpi()
        data["elements"] = [e.as_ocpi() for e in self.elements]
        for name in ("start_date_time", "end_date_time", "last_updated"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


def to_json_value(value: Any) -> Any:
    """A value of `as_ocpi()` made JSON-ready: datetimes as OCPI DateTime strings (UTC, "Z"),
    Decimals as JSON numbers (float; exact for the up to 15 significant digits prices have)."""
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}".rstrip("0")
        return text + "Z"
    return value
