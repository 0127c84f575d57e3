"""Builders for the invoicing tests: a CPO partner, its tariff, and CDRs stored through the real
OCPI receiver services (so rating sees exactly what a CPO's POST leaves behind)."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from roaming.services.cdrs import cdr_post
from tariffs.services import tariff_put
from tests.roaming.factories import PartnerFactory, TokenFactory

SEQUENCE = itertools.count(1)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpo(parties=("NL/CPO",)):
    return PartnerFactory(parties=list(parties))


def tariff(partner, *, tariff_id="T1", currency="EUR", energy="0.30", flat=None, vat=21.0):
    components = [
        {
            "price_components": [
                {"type": "ENERGY", "price": float(energy), "vat": vat, "step_size": 1}
            ]
        }
    ]
    if flat is not None:
        components.insert(
            0,
            {
                "price_components": [
                    {"type": "FLAT", "price": float(flat), "vat": vat, "step_size": 1}
                ]
            },
        )
    data = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": tariff_id,
        "currency": currency,
        "elements": components,
        "last_updated": "2026-01-01T00:00:00Z",
    }
    return tariff_put(partner=partner, data=data).obj


def our_token(user=None, **kwargs):
    from django.conf import settings

    token = TokenFactory(**({"user": user} if user else {}), **kwargs)
    token.cdr_token = {
        "country_code": settings.OCPI_COUNTRY_CODE,
        "party_id": settings.OCPI_PARTY_ID,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }
    return token


def cdr_data(
    token,
    *,
    kwh="20",
    minutes=60,
    start=START,
    currency="EUR",
    tariff_id="T1",
    cpo_total=("6.00", "7.26"),
    ocpi_id=None,
    **extra,
):
    end = start + timedelta(minutes=minutes)
    hours = Decimal(minutes) / 60
    data = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": ocpi_id or f"CDR{next(SEQUENCE):06d}",
        "start_date_time": stamp(start),
        "end_date_time": stamp(end),
        "cdr_token": token.cdr_token if hasattr(token, "cdr_token") else token,
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "name": "Stationsplein",
            "address": "Stationsplein 1",
            "city": "Utrecht",
            "postal_code": "3511 ED",
            "country": "NLD",
            "coordinates": {"latitude": "52.089", "longitude": "5.110"},
            "evse_uid": "EVSE1",
            "evse_id": "NL*CPO*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": currency,
        "charging_periods": [
            {
                "start_date_time": stamp(start),
                "dimensions": [
                    {"type": "ENERGY", "volume": float(kwh)},
                    {"type": "TIME", "volume": float(hours)},
                ],
                "tariff_id": tariff_id,
            }
        ],
        "total_cost": {"excl_vat": float(cpo_total[0]), "incl_vat": float(cpo_total[1])},
        "total_energy": float(kwh),
        "total_time": float(hours),
        "last_updated": stamp(end),
        **extra,
    }
    return data


def cdr_store(partner, data):
    return cdr_post(partner=partner, data=data).obj


def location(partner, *, tariff_id="T1", max_power=11000):
    from roaming.services.locations import location_put

    data = {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "LOC1",
        "publish": True,
        "name": "Stationsplein",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511 ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.089000", "longitude": "5.110000"},
        "evses": [
            {
                "uid": "EVSE1",
                "evse_id": "NL*CPO*E1",
                "status": "AVAILABLE",
                "capabilities": ["REMOTE_START_STOP_CAPABLE"],
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 16,
                        "max_electric_power": max_power,
                        "tariff_ids": [tariff_id],
                        "last_updated": "2026-01-01T00:00:00Z",
                    }
                ],
                "last_updated": "2026-01-01T00:00:00Z",
            }
        ],
        "time_zone": "Europe/Amsterdam",
        "last_updated": "2026-01-01T00:00:00Z",
    }
    return location_put(partner=partner, data=data).obj


def session_data(token, *, ocpi_id="S1", periods=(), status="ACTIVE", start=START, kwh=0, **extra):
    moment = start + timedelta(minutes=10 * len(periods))
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": ocpi_id,
        "start_date_time": stamp(start),
        "kwh": kwh,
        "cdr_token": token.cdr_token,
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": list(periods),
        "status": status,
        "last_updated": stamp(moment),
        **extra,
    }


def period(minute: int, kwh: float, *, start=START, power: float | None = None):
    dimensions = [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": 10 / 60}]
    if power is not None:
        dimensions.append({"type": "POWER", "volume": power})
    return {"start_date_time": stamp(start + timedelta(minutes=minute)), "dimensions": dimensions}
