"""Tariffs module objects (mod_tariffs, as on the release-2.2.1-bugfixes branch)."""

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from roaming.ocpi.enums import (
    DayOfWeek,
    ReservationRestrictionType,
    TariffDimensionType,
    TariffType,
)
from roaming.ocpi.locations import EnergyMix, HourMinute
from roaming.ocpi.types import (
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    DisplayText,
    Int,
    Number,
    OcpiModel,
    PartyId,
    PositiveInt,
    Price,
    Url,
)

IsoDate = Annotated[
    str,
    StringConstraints(pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
]


class PriceComponent(OcpiModel):
    type: TariffDimensionType
    price: Number
    vat: Number | None = None
    step_size: PositiveInt

    @field_validator("step_size")
    @classmethod
    def _zero_step_is_one(cls, value: int) -> int:
        # The spec's own free-of-charge example sends step_size 0: read it as 1 (no rounding).
        return value or 1


class TariffRestrictions(OcpiModel):
    start_time: HourMinute | None = None
    end_time: HourMinute | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: Int | None = None
    max_duration: Int | None = None
    day_of_week: list[DayOfWeek] = Field(default_factory=list)
    reservation: ReservationRestrictionType | None = None


class TariffElement(OcpiModel):
    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString(36)
    currency: CurrencyCode
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = Field(default_factory=list)
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1)
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
