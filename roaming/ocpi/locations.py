"""Locations module objects: Location, EVSE, Connector and their classes (mod_locations)."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator, model_validator

from roaming.ocpi.enums import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    EnergySourceCategory,
    EnvironmentalImpactCategory,
    Facility,
    ImageCategory,
    ParkingRestriction,
    ParkingType,
    PowerType,
    Status,
    TokenType,
)
from roaming.ocpi.types import (
    Boolean,
    CiString,
    CountryCode,
    DateTime,
    DisplayText,
    Number,
    OcpiModel,
    PartyId,
    PositiveInt,
    String,
    Url,
)

Latitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,2}\.[0-9]{1,10}$")]
Longitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,3}\.[0-9]{1,10}$")]
HourMinute = Annotated[str, StringConstraints(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]


class GeoLocation(OcpiModel):
    # The spec's regex asks for 5 to 7 decimals; fewer or more are read, not refused.
    latitude: Latitude
    longitude: Longitude

    @model_validator(mode="after")
    def _in_range(self) -> "GeoLocation":
        if not -90 <= float(self.latitude) <= 90:
            raise ValueError("latitude must be between -90 and 90")
        if not -180 <= float(self.longitude) <= 180:
            raise ValueError("longitude must be between -180 and 180")
        return self


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class Image(OcpiModel):
    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: CiString(4)
    width: PositiveInt | None = None
    height: PositiveInt | None = None


class BusinessDetails(OcpiModel):
    name: String(100)
    website: Url | None = None
    logo: Image | None = None


class EnergySource(OcpiModel):
    source: EnergySourceCategory
    percentage: Number


class EnvironmentalImpact(OcpiModel):
    category: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    is_green_energy: Boolean
    energy_sources: list[EnergySource] = Field(default_factory=list)
    environ_impact: list[EnvironmentalImpact] = Field(default_factory=list)
    supplier_name: String(64) | None = None
    energy_product_name: String(64) | None = None


class ExceptionalPeriod(OcpiModel):
    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiModel):
    weekday: Annotated[int, Field(strict=True, ge=1, le=7)]
    period_begin: HourMinute
    period_end: HourMinute


class Hours(OcpiModel):
    twentyfourseven: Boolean
    regular_hours: list[RegularHours] = Field(default_factory=list)
    exceptional_openings: list[ExceptionalPeriod] = Field(default_factory=list)
    exceptional_closings: list[ExceptionalPeriod] = Field(default_factory=list)


class PublishTokenType(OcpiModel):
    uid: CiString(36) | None = None
    type: TokenType | None = None
    visual_number: String(64) | None = None
    issuer: String(64) | None = None
    group_id: CiString(36) | None = None

    @model_validator(mode="after")
    def _identifies_a_token(self) -> "PublishTokenType":
        if not (self.uid or self.visual_number or self.group_id):
            raise ValueError("one of uid, visual_number or group_id must be set")
        return self


class StatusSchedule(OcpiModel):
    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    id: CiString(36)
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: PositiveInt
    max_amperage: PositiveInt
    max_electric_power: PositiveInt | None = None
    tariff_ids: list[CiString(36)] = Field(default_factory=list)
    terms_and_conditions: Url | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    uid: CiString(36)
    evse_id: CiString(48) | None = None
    status: Status
    status_schedule: list[StatusSchedule] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    connectors: list[Connector] = Field(min_length=1)
    floor_level: String(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String(16) | None = None
    directions: list[DisplayText] = Field(default_factory=list)
    parking_restrictions: list[ParkingRestriction] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    last_updated: DateTime

    @model_validator(mode="after")
    def _connector_ids_unique(self) -> "EVSE":
        ids = [connector.id.upper() for connector in self.connectors]
        if len(ids) != len(set(ids)):
            raise ValueError("connector ids must be unique within the EVSE")
        return self


class EvseWithoutConnectors(EVSE):
    """An EVSE's own fields, validated without its Connectors (a PATCH that does not touch them)."""

    connectors: list[Connector] = Field(default_factory=list)


class Location(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString(36)
    publish: Boolean
    publish_allowed_to: list[PublishTokenType] = Field(default_factory=list)
    name: String(255) | None = None
    address: String(255)
    city: String(45)
    postal_code: String(10) | None = None
    state: String(45) | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = Field(default_factory=list)
    parking_type: ParkingType | None = None
    evses: list[EVSE] = Field(default_factory=list)
    directions: list[DisplayText] = Field(default_factory=list)
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = Field(default_factory=list)
    time_zone: String(255)
    opening_times: Hours | None = None
    charging_when_closed: Boolean | None = None
    images: list[Image] = Field(default_factory=list)
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError("must be an IANA time zone such as Europe/Brussels") from None
        return value

    @model_validator(mode="after")
    def _evse_uids_unique(self) -> "Location":
        uids = [evse.uid.upper() for evse in self.evses]
        if len(uids) != len(set(uids)):
            raise ValueError("EVSE uids must be unique within the Location")
        return self
