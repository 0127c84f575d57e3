"""Billing's one door to prices: what the driver pays for a session or a CDR, our price of the
CPO's tariff (reconciliation), and the preview that sizes a hold.

The driver's price comes from their price plan (`tariffs.selectors`, branch plans:
session_driver_price, cdr_driver_price, price_preview_get). Where those entry points are not
installed, the driver pays the CPO's tariff as it stands (pass-through, no markup): the same
engine, the tariff the CPO attached to the CDR or its connector's tariff valid at the start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from roaming.models import CDR, Connector, Session
from tariffs import selectors as tariff_selectors
from tariffs.models import TariffVersion
from tariffs.pricing import (
    ChargingPeriod,
    PriceBreakdown,
    PricingError,
    Tariff,
    cdr_price,
    session_price,
    tariff_parse,
    tariff_preview,
)


class UnknownTariff(Exception):
    """No tariff we know prices this session or CDR."""


@dataclass(frozen=True)
class DriverPrice:
    breakdown: PriceBreakdown
    plan_name: str = ""


_PLANS = {
    name: getattr(tariff_selectors, name, None)
    for name in ("session_driver_price", "cdr_driver_price", "cdr_cpo_price", "price_preview_get")
}


def cdr_driver_price(*, cdr: CDR) -> DriverPrice:
    """The exact price the driver pays for a CDR (PricingError, UnknownTariff)."""
    if _PLANS["cdr_driver_price"] is not None:
        breakdown, plan = _PLANS["cdr_driver_price"](cdr=cdr)
        return DriverPrice(breakdown, str(getattr(plan, "name", "") or ""))
    return DriverPrice(cdr_cpo_price(cdr=cdr))


def cdr_prices(*, cdr: CDR) -> tuple[DriverPrice, PriceBreakdown]:
    """The driver's price and our price of the CPO's tariff, priced once when they are the
    same (the driver pays the CPO's tariff as it stands)."""
    if _PLANS["cdr_driver_price"] is not None:
        return cdr_driver_price(cdr=cdr), cdr_cpo_price(cdr=cdr)
    cpo = cdr_cpo_price(cdr=cdr)
    return DriverPrice(cpo), cpo


def cdr_cpo_price(*, cdr: CDR) -> PriceBreakdown:
    """Our exact price of the CDR with the CPO's own tariff (to compare with their total)."""
    if _PLANS["cdr_cpo_price"] is not None:
        return _PLANS["cdr_cpo_price"](cdr=cdr)
    tariff = _cdr_tariff(cdr)
    return cdr_price(tariff, cdr.raw, time_zone=_time_zone(cdr.location))


def session_driver_price(*, session: Session) -> PriceBreakdown:
    """The exact running cost of a session for its driver (PricingError, UnknownTariff)."""
    if _PLANS["session_driver_price"] is not None:
        return _PLANS["session_driver_price"](session=session)
    tariff = _session_tariff(session)
    periods = [ChargingPeriod.from_ocpi(p) for p in session.charging_periods or []]
    end = session.end_date_time or datetime.now(tz=UTC)
    return session_price(
        tariff,
        charging_periods=periods,
        start_date_time=session.start_date_time,
        end_date_time=max(end, session.start_date_time),
        time_zone=_time_zone(session.location),
    )


def hold_preview(*, user, connector: Connector | None, currency: str) -> tuple[Decimal, str]:
    """What a typical charge here would cost the driver (exact figure, currency): the size of
    the hold before the cap. Without a connector or tariff, the cap itself."""
    energy = Decimal(settings.BILLING_HOLD_PREVIEW_KWH)
    if connector is not None:
        try:
            if _PLANS["price_preview_get"] is not None:
                breakdown = _PLANS["price_preview_get"](
                    user=user, connector=connector, energy_kwh=energy
                )
            else:
                tariff = _connector_tariff(connector, datetime.now(tz=UTC))
                power = Decimal(connector.max_electric_power or 11000) / 1000
                breakdown = tariff_preview(
                    tariff,
                    start_date_time=datetime.now(tz=UTC),
                    energy_kwh=energy,
                    power_kw=power,
                    time_zone=_time_zone(connector.evse.location),
                )
            return breakdown.total_cost.incl_vat or breakdown.total_cost.excl_vat, (
                breakdown.currency
            )
        except (UnknownTariff, PricingError):
            pass
    cap = settings.BILLING_HOLD_CAP.get(currency) or settings.BILLING_HOLD_CAP.get("EUR")
    return Decimal(cap), currency


def _cdr_tariff(cdr: CDR) -> Tariff:
    tariffs = cdr.raw.get("tariffs") or []
    used = {
        p.get("tariff_id") for p in cdr.raw.get("charging_periods") or [] if isinstance(p, dict)
    }
    chosen = [
        t for t in tariffs if isinstance(t, dict) and (len(tariffs) == 1 or t.get("id") in used)
    ]
    if chosen:
        return tariff_parse(chosen[0])
    ids = [i for i in used if i] or _connector_tariff_ids(
        cdr.location, cdr.ocpi_evse_uid, cdr.ocpi_connector_id
    )
    return _stored_tariff(cdr.country_code, cdr.party_id, ids, cdr.start_date_time)


def _session_tariff(session: Session) -> Tariff:
    used = [p.get("tariff_id") for p in session.charging_periods or [] if isinstance(p, dict)]
    ids = [i for i in used if i] or _connector_tariff_ids(
        session.location, session.ocpi_evse_uid, session.ocpi_connector_id
    )
    return _stored_tariff(session.country_code, session.party_id, ids, session.start_date_time)


def _connector_tariff(connector: Connector, moment: datetime) -> Tariff:
    location = connector.evse.location
    return _stored_tariff(location.country_code, location.party_id, connector.tariff_ids, moment)


def _connector_tariff_ids(location, evse_uid: str, connector_id: str) -> list[str]:
    if location is None:
        return []
    connector = Connector.objects.filter(
        evse__location=location, evse__uid__iexact=evse_uid, ocpi_id__iexact=connector_id
    ).first()
    return list(connector.tariff_ids) if connector else []


# Per process: the versions of each tariff, parsed, for a few seconds (rating thousands of CDRs
# of one tariff must not read and parse it thousands of times). A version published within
# that window reaches the cache when it expires; sessions last longer than that.
_VERSIONS_TTL_SECONDS = 10.0
_VERSIONS: dict[tuple[str, str, str], tuple[float, list[tuple[datetime, Tariff]]]] = {}


def _stored_tariff(country_code: str, party_id: str, ids: list[str], moment: datetime) -> Tariff:
    for tariff_id in ids:
        versions = _tariff_versions(country_code.upper(), party_id.upper(), tariff_id.upper())
        if versions:
            in_force = [tariff for published, tariff in versions if published <= moment]
            # none yet at the start: the earliest one known
            return in_force[-1] if in_force else versions[0][1]
    raise UnknownTariff(f"No known tariff among {ids or 'none'} for {country_code}/{party_id}.")


def tariff_cache_clear() -> None:
    """Forget the cached tariff versions (this process stored a new one)."""
    _VERSIONS.clear()


def _tariff_versions(country_code: str, party_id: str, tariff_id: str):
    key = (country_code, party_id, tariff_id)
    now = time.monotonic()
    cached = _VERSIONS.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    rows = (
        TariffVersion.objects.filter(
            tariff__country_code=country_code,
            tariff__party_id=party_id,
            tariff__ocpi_id__iexact=tariff_id,
        )
        .order_by("last_updated")
        .values_list("last_updated", "raw")
    )
    versions = [(published, tariff_parse(raw)) for published, raw in rows]
    if len(_VERSIONS) > 1024:
        _VERSIONS.clear()
    _VERSIONS[key] = (now + _VERSIONS_TTL_SECONDS, versions)
    return versions


def _time_zone(location) -> str:
    return (location.time_zone if location is not None else "") or "UTC"
