"""CDRs module objects (mod_cdrs)."""

from pydantic import Field, model_validator

from roaming.ocpi.enums import AuthMethod, ConnectorFormat, ConnectorType, PowerType
from roaming.ocpi.locations import GeoLocation
from roaming.ocpi.sessions import CdrToken, ChargingPeriod
from roaming.ocpi.tariffs import Tariff
from roaming.ocpi.types import (
    Boolean,
    CiString,
    CountryCode,
    CurrencyCode,
    DateTime,
    Number,
    OcpiModel,
    PartyId,
    PositiveInt,
    Price,
    String,
    Url,
)


class CdrLocation(OcpiModel):
    id: CiString(36)
    name: String(255) | None = None
    # The spec gives 45 and 20 here, the lengths it calls a mistake for Location (erratum): a
    # CDR must not be refused because the Location's corrected 255/45 characters were copied.
    address: String(255)
    city: String(45)
    postal_code: String(10) | None = None
    state: String(45) | None = None
    country: String(3)
    coordinates: GeoLocation
    evse_uid: CiString(36)
    evse_id: CiString(48)
    connector_id: CiString(36)
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiModel):
    nature: CiString(32)
    plain_data: String(5000)
    signed_data: String(5000)


class SignedData(OcpiModel):
    encoding_method: CiString(36)
    encoding_method_version: PositiveInt | None = None
    public_key: String(512) | None = None
    signed_values: list[SignedValue] = Field(min_length=1)
    url: Url | None = None


class CDR(OcpiModel):
    country_code: CountryCode
    party_id: PartyId
    id: CiString(39)
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString(36) | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    cdr_location: CdrLocation
    meter_id: String(255) | None = None
    currency: CurrencyCode
    tariffs: list[Tariff] = Field(default_factory=list)
    charging_periods: list[ChargingPeriod] = Field(min_length=1)
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String(255) | None = None
    invoice_reference_id: CiString(39) | None = None
    credit: Boolean | None = None
    credit_reference_id: CiString(39) | None = None
    home_charging_compensation: Boolean | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _credit_has_reference(self) -> "CDR":
        if self.credit and not self.credit_reference_id:
            raise ValueError("a credit CDR (credit: true) needs credit_reference_id")
        if self.end_date_time < self.start_date_time:
            raise ValueError("end_date_time is before start_date_time")
        return self
