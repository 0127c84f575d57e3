"""Builders for OCPI tariff and CDR dicts used by the pricing tests (no database); stored OCPI
objects (made by the receivers' own services) and factories of our price plans."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from tariffs.models import PlanSubscription, PricePlan, PricePlanRule, PricingMethod

# The spec's example payloads: shared/ beside the repository (CI, /work/main), else /work/shared.
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "ocpi" / "2.2.1" / "examples"
if not EXAMPLES.exists():
    EXAMPLES = Path("/work/shared/ocpi/2.2.1/examples")
AMSTERDAM = "Europe/Amsterdam"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def component(kind: str, price, *, vat=None, step_size: int = 1) -> dict:
    data = {"type": kind, "price": price, "step_size": step_size}
    if vat is not None:
        data["vat"] = vat
    return data


def tariff_dict(*elements: dict, currency: str = "EUR", **extra) -> dict:
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T1",
        "currency": currency,
        "elements": list(elements),
        "last_updated": "2024-01-01T00:00:00Z",
        **extra,
    }


def element(*components: dict, **restrictions) -> dict:
    data: dict = {"price_components": list(components)}
    if restrictions:
        data["restrictions"] = restrictions
    return data


def cdr_dict(start_local: str, segments, time_zone: str = AMSTERDAM, **extra) -> dict:
    """A CDR from local start time and segments [(minutes or timedelta, {dimension: volume})];
    the volume "t" stands for the segment's own duration in hours (exact Decimal)."""
    moment = datetime.fromisoformat(start_local).replace(tzinfo=ZoneInfo(time_zone))
    return cdr_from_utc(moment, segments, **extra)


def cdr_from_utc(moment: datetime, segments, **extra) -> dict:
    start = moment
    periods = []
    for minutes, dimensions in segments:
        duration = minutes if isinstance(minutes, timedelta) else timedelta(minutes=minutes)
        hours = Decimal(duration // timedelta(microseconds=1)) / 3_600_000_000
        periods.append(
            {
                "start_date_time": stamp(moment),
                "dimensions": [
                    {
                        "type": kind,
                        "volume": hours if volume == "t" else volume,
                    }
                    for kind, volume in dimensions.items()
                ],
            }
        )
        moment = moment + duration
    return {
        "start_date_time": stamp(start),
        "end_date_time": stamp(moment),
        "charging_periods": periods,
        **extra,
    }


# Stored OCPI objects (through the receivers' own services) and our price plans.

UPDATED = "2024-01-01T00:00:00Z"


def connector_dict(
    connector_id: str = "1",
    *,
    power_type: str = "AC_3_PHASE",
    max_electric_power: int | None = 22000,
    tariff_ids=("T1",),
    max_voltage: int = 230,
    max_amperage: int = 32,
) -> dict:
    data = {
        "id": connector_id,
        "standard": "IEC_62196_T2_COMBO" if power_type == "DC" else "IEC_62196_T2",
        "format": "CABLE",
        "power_type": power_type,
        "max_voltage": max_voltage,
        "max_amperage": max_amperage,
        "tariff_ids": list(tariff_ids),
        "last_updated": UPDATED,
    }
    if max_electric_power is not None:
        data["max_electric_power"] = max_electric_power
    return data


def location_store(
    partner,
    location_id: str = "LOC1",
    *,
    connectors=None,
    country_code: str = "NL",
    party_id: str = "CPO",
    country: str = "NLD",
    time_zone: str = AMSTERDAM,
    publish: bool = True,
):
    """A Location with one EVSE (uid "E1") holding `connectors`, stored by location_put."""
    from roaming.services.locations import location_put

    data = {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": publish,
        "name": f"Charging hub {location_id}",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "country": country,
        "coordinates": {"latitude": "52.379189", "longitude": "4.899431"},
        "time_zone": time_zone,
        "evses": [
            {
                "uid": "E1",
                "evse_id": f"{country_code}*{party_id}*E{location_id}",
                "status": "AVAILABLE",
                "connectors": connectors or [connector_dict()],
                "last_updated": UPDATED,
            }
        ],
        "last_updated": UPDATED,
    }
    return location_put(partner=partner, data=data).obj


def connector_of(location, connector_id: str = "1"):
    from roaming.models import Connector

    return Connector.objects.select_related("evse__location").get(
        evse__location=location, ocpi_id=connector_id
    )


def cpo_tariff_store(partner, data: dict, *, last_updated: str = UPDATED, **identity):
    """A CPO tariff (dict as OCPI sends it) stored by tariff_put as a version at last_updated."""
    from tariffs.services import tariff_put

    body = {
        **data,
        "country_code": "NL",
        "party_id": "CPO",
        "id": "T1",
        **identity,
        "last_updated": last_updated,
    }
    return tariff_put(partner=partner, data=body).obj


def charge_dict(
    start: datetime, minutes: int, kwh, *, tariff_id: str | None = None, **extra
) -> dict:
    """A one-period Session/CDR body part: `kwh` charged over `minutes` from `start` (UTC)."""
    period = {
        "start_date_time": stamp(start),
        "dimensions": [
            {"type": "ENERGY", "volume": kwh},
            {"type": "TIME", "volume": round(minutes / 60, 6)},
        ],
    }
    if tariff_id:
        period["tariff_id"] = tariff_id
    return {
        "start_date_time": stamp(start),
        "end_date_time": stamp(start + timedelta(minutes=minutes)),
        "charging_periods": [period],
        **extra,
    }


def cdr_token(token) -> dict:
    """The OCPI CdrToken of one of our drivers' tokens."""
    return {
        "country_code": "NL",
        "party_id": "EMS",
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }


def cdr_store(partner, location, token, start: datetime, minutes: int, kwh, **extra):
    """A CDR of `token` at the location's connector 1, stored by cdr_post."""
    from roaming.services.cdrs import cdr_post

    body = charge_dict(start, minutes, kwh, **extra)
    body.update(
        {
            "country_code": location.country_code,
            "party_id": location.party_id,
            "id": f"CDR-{token.uid}-{start:%Y%m%d%H%M%S}",
            "cdr_token": cdr_token(token),
            "auth_method": "WHITELIST",
            "cdr_location": {
                "id": location.ocpi_id,
                "address": location.address,
                "city": location.city,
                "country": location.country,
                "coordinates": {"latitude": "52.379189", "longitude": "4.899431"},
                "evse_uid": "E1",
                "evse_id": "NL*CPO*E1",
                "connector_id": extra.pop("connector_id", "1"),
                "connector_standard": "IEC_62196_T2",
                "connector_format": "CABLE",
                "connector_power_type": "AC_3_PHASE",
            },
            "currency": extra.get("currency", "EUR"),
            "total_cost": {"excl_vat": 0},
            "total_energy": kwh,
            "total_time": round(minutes / 60, 6),
            "last_updated": stamp(start + timedelta(minutes=minutes)),
        }
    )
    return cdr_post(partner=partner, data=body).obj


def session_store(partner, location, token, start: datetime, minutes: int, kwh, **extra):
    """A Session of `token` at the location's connector 1, stored by session_put."""
    from roaming.services.sessions import session_put

    body = charge_dict(start, minutes, kwh, **extra)
    body.update(
        {
            "country_code": location.country_code,
            "party_id": location.party_id,
            "id": f"S-{token.uid}-{start:%Y%m%d%H%M%S}",
            "kwh": kwh,
            "cdr_token": cdr_token(token),
            "auth_method": "WHITELIST",
            "location_id": location.ocpi_id,
            "evse_uid": "E1",
            "connector_id": "1",
            "currency": "EUR",
            "status": "COMPLETED",
            "last_updated": stamp(start + timedelta(minutes=minutes)),
        }
    )
    return session_put(partner=partner, data=body).obj


class PricePlanFactory(factory.django.DjangoModelFactory):
    """A subscription plan passing the CPO tariff through unchanged (give it rules or a fee)."""

    class Meta:
        model = PricePlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    is_public = True
    monthly_fee = Decimal("4.99")
    method = PricingMethod.PASS_THROUGH


class PricePlanRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PricePlanRule

    plan = factory.SubFactory(PricePlanFactory)
    scope = PricePlanRule.Scope.POWER_CLASS
    power_class = "AC"
    method = PricingMethod.OWN_TARIFF


class PlanSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanSubscription

    plan = factory.SubFactory(PricePlanFactory)
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


def own_tariff(price_kwh, *, currency: str = "EUR", vat=None, **extra) -> dict:
    """Our own tariff: one ENERGY price (and other components in `extra["elements"]`)."""
    elements = extra.pop("elements", None) or [element(component("ENERGY", price_kwh, vat=vat))]
    return {"currency": currency, "elements": elements, **extra}
