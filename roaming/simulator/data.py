"""Generated CPO data: locations with EVSEs and connectors, and tariffs, as OCPI 2.2.1 JSON.

Deterministic for a seed (apart from the base time): the same `--seed` gives the same network.
Locations are spread over NL, DE, BE, FR, GB and PT (six time zones and two currencies), with
AC 11/22 kW Type 2, DC 50 kW CCS/CHAdeMO and HPC 150-350 kW CCS chargers, opening times, and
tariffs of several shapes (per kWh, start fee, time based, parking after N hours, time of day,
minimum and maximum price, free).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from roaming.ocpi.types import format_datetime as iso


@dataclass(frozen=True)
class Country:
    code: str
    alpha3: str
    time_zone: str
    currency: str
    vat: Decimal
    weight: int
    cities: tuple[tuple[str, float, float], ...]
    streets: tuple[str, ...]
    postal_format: str  # "#" a digit, "@" a capital letter


COUNTRIES = (
    Country(
        "NL", "NLD", "Europe/Amsterdam", "EUR", Decimal("21"), 30,
        (("Amsterdam", 52.3676, 4.9041), ("Rotterdam", 51.9244, 4.4777),
         ("Utrecht", 52.0907, 5.1214), ("Eindhoven", 51.4416, 5.4697),
         ("Groningen", 53.2194, 6.5665)),
        ("Stationsplein", "Kerkstraat", "Hoofdweg", "Marktplein", "Laan van Meerdervoort"),
        "#### @@",
    ),
    Country(
        "DE", "DEU", "Europe/Berlin", "EUR", Decimal("19"), 25,
        (("Berlin", 52.5200, 13.4050), ("München", 48.1351, 11.5820),
         ("Hamburg", 53.5511, 9.9937), ("Köln", 50.9375, 6.9603),
         ("Frankfurt am Main", 50.1109, 8.6821)),
        ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße", "Am Markt"),
        "#####",
    ),
    Country(
        "BE", "BEL", "Europe/Brussels", "EUR", Decimal("21"), 15,
        (("Brussel", 50.8503, 4.3517), ("Antwerpen", 51.2194, 4.4025),
         ("Gent", 51.0543, 3.7174), ("Liège", 50.6326, 5.5797)),
        ("Rue de la Loi", "Meir", "Korenmarkt", "Avenue Louise", "Stationsstraat"),
        "####",
    ),
    Country(
        "FR", "FRA", "Europe/Paris", "EUR", Decimal("20"), 15,
        (("Paris", 48.8566, 2.3522), ("Lyon", 45.7640, 4.8357), ("Lille", 50.6292, 3.0573),
         ("Marseille", 43.2965, 5.3698), ("Bordeaux", 44.8378, -0.5792)),
        ("Rue de Rivoli", "Avenue Jean Jaurès", "Place de la Gare", "Rue Victor Hugo"),
        "#####",
    ),
    Country(
        "GB", "GBR", "Europe/London", "GBP", Decimal("20"), 10,
        (("London", 51.5074, -0.1278), ("Manchester", 53.4808, -2.2426),
         ("Birmingham", 52.4862, -1.8904)),
        ("High Street", "Station Road", "Church Lane", "Victoria Road"),
        "@@# #@@",
    ),
    Country(
        "PT", "PRT", "Europe/Lisbon", "EUR", Decimal("23"), 5,
        (("Lisboa", 38.7223, -9.1393), ("Porto", 41.1579, -8.6291)),
        ("Avenida da Liberdade", "Rua Augusta", "Praça do Comércio"),
        "####-###",
    ),
)  # fmt: skip

# Per-currency price levels (excl. VAT): energy per kWh and the rest derived from it.
PRICE_LEVEL = {"EUR": Decimal("0.35"), "GBP": Decimal("0.45")}


@dataclass(frozen=True)
class ConnectorKind:
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    max_electric_power: int
    family: str  # AC, DC or HPC: which tariff applies


AC11 = ConnectorKind("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 16, 11000, "AC")
AC22 = ConnectorKind("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22000, "AC")
AC11_CABLE = ConnectorKind("IEC_62196_T2", "CABLE", "AC_3_PHASE", 230, 16, 11000, "AC")
SCHUKO = ConnectorKind("DOMESTIC_F", "SOCKET", "AC_1_PHASE", 230, 16, 3680, "AC")
AC43 = ConnectorKind("IEC_62196_T2", "CABLE", "AC_3_PHASE", 230, 63, 43000, "DC")
DC50_CCS = ConnectorKind("IEC_62196_T2_COMBO", "CABLE", "DC", 500, 125, 50000, "DC")
DC50_CHADEMO = ConnectorKind("CHADEMO", "CABLE", "DC", 500, 125, 50000, "DC")


def hpc(power_kw: int) -> ConnectorKind:
    return ConnectorKind("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 500, power_kw * 1000, "HPC")


AC_TARIFF_SHAPES = ("AC-KWH", "AC-START", "AC-TIME", "AC-PARK", "AC-DAYNIGHT")


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _price(excl: Decimal, vat: Decimal) -> dict[str, float]:
    return {"excl_vat": _money(excl), "incl_vat": _money(excl * (1 + vat / 100))}


def _component(kind: str, price: Decimal, vat: Decimal, step: int) -> dict[str, Any]:
    return {"type": kind, "price": float(price), "vat": float(vat), "step_size": step}


def tariffs_for(country: Country, *, party: tuple[str, str], updated: dt.datetime) -> list[dict]:
    """The tariffs of one country (its currency and VAT rate), one per shape."""
    cc, pid = party
    p, vat = PRICE_LEVEL[country.currency], country.vat
    shapes: dict[str, tuple[list[dict], dict[str, Any]]] = {
        "AC-KWH": ([{"price_components": [_component("ENERGY", p, vat, 1)]}], {}),
        "AC-START": (
            [
                {"price_components": [_component("FLAT", Decimal("0.50"), vat, 1)]},
                {"price_components": [_component("ENERGY", p - Decimal("0.05"), vat, 1)]},
            ],
            {},
        ),
        "AC-TIME": ([{"price_components": [_component("TIME", Decimal("2.40"), vat, 60)]}], {}),
        "AC-PARK": (
            [
                {"price_components": [_component("ENERGY", p - Decimal("0.03"), vat, 1)]},
                {
                    "price_components": [_component("PARKING_TIME", Decimal("5.00"), vat, 900)],
                    "restrictions": {"min_duration": 7200},
                },
            ],
            {},
        ),
        "AC-DAYNIGHT": (
            [
                {
                    "price_components": [_component("ENERGY", p + Decimal("0.07"), vat, 1)],
                    "restrictions": {"start_time": "07:00", "end_time": "23:00"},
                },
                {"price_components": [_component("ENERGY", p - Decimal("0.07"), vat, 1)]},
            ],
            {},
        ),
        "DC": (
            [
                {"price_components": [_component("FLAT", Decimal("1.00"), vat, 1)]},
                {"price_components": [_component("ENERGY", p + Decimal("0.24"), vat, 1)]},
            ],
            {
                "min_price": _price(Decimal("2.00"), vat),
                "max_price": _price(Decimal("60.00"), vat),
            },
        ),
        "HPC": (
            [
                {
                    "price_components": [_component("ENERGY", p + Decimal("0.14"), vat, 1)],
                    "restrictions": {"max_power": 50.0},
                },
                {"price_components": [_component("ENERGY", p + Decimal("0.34"), vat, 1)]},
                {
                    "price_components": [_component("TIME", Decimal("12.00"), vat, 60)],
                    "restrictions": {"min_duration": 2700},
                },
            ],
            {},
        ),
        "FREE": ([{"price_components": [_component("FLAT", Decimal("0"), vat, 1)]}], {}),
    }
    texts = {
        "AC-KWH": "per kWh",
        "AC-START": "start fee plus per kWh",
        "AC-TIME": "per hour of charging",
        "AC-PARK": "per kWh, parking fee after 2 hours",
        "AC-DAYNIGHT": "per kWh, cheaper from 23:00 to 07:00",
        "DC": "start fee plus per kWh, minimum and maximum price",
        "HPC": "per kWh, cheaper below 50 kW, idle fee after 45 minutes",
        "FREE": "free of charge",
    }
    tariffs = []
    for shape, (elements, extra) in shapes.items():
        tariff = {
            "country_code": cc,
            "party_id": pid,
            "id": f"{country.code}-{shape}",
            "currency": country.currency,
            "type": "REGULAR",
            "tariff_alt_text": [{"language": "en", "text": texts[shape]}],
            "elements": elements,
            **extra,
            "last_updated": iso(updated),
        }
        tariffs.append(tariff)
    return tariffs


def _postal_code(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randint(0, 9)) if c == "#" else chr(rng.randint(65, 90)) if c == "@" else c
        for c in pattern
    )


def _connector(
    kind: ConnectorKind, number: int, tariff_id: str, updated: dt.datetime
) -> dict[str, Any]:
    return {
        "id": str(number),
        "standard": kind.standard,
        "format": kind.format,
        "power_type": kind.power_type,
        "max_voltage": kind.max_voltage,
        "max_amperage": kind.max_amperage,
        "max_electric_power": kind.max_electric_power,
        "tariff_ids": [tariff_id],
        "last_updated": iso(updated),
    }


SITES = {
    # parking type, EVSE kinds to draw from, EVSE count range, opening profile
    "street": ("ON_STREET", ("AC",), (1, 3), "24/7"),
    "supermarket": ("PARKING_LOT", ("AC", "AC", "DC"), (2, 5), "shop"),
    "garage": ("PARKING_GARAGE", ("AC",), (2, 6), "garage"),
    "underground": ("UNDERGROUND_GARAGE", ("AC",), (2, 5), "garage"),
    "motorway": ("ALONG_MOTORWAY", ("HPC", "HPC", "DC"), (2, 6), "24/7"),
}
SITE_WEIGHTS = {"street": 38, "supermarket": 22, "garage": 14, "underground": 8, "motorway": 18}
STATUSES = (
    ("AVAILABLE", 76),
    ("CHARGING", 14),
    ("OUTOFORDER", 3),
    ("INOPERATIVE", 2),
    ("UNKNOWN", 2),
    ("BLOCKED", 2),
    ("REMOVED", 1),
)


def _opening_times(profile: str, year: int) -> tuple[dict[str, Any], bool]:
    if profile == "shop":
        hours = [
            {"weekday": day, "period_begin": "07:00", "period_end": "22:00"} for day in range(1, 7)
        ]
        closing = {
            "period_begin": f"{year}-12-25T00:00:00Z",
            "period_end": f"{year}-12-26T00:00:00Z",
        }
        return {
            "twentyfourseven": False,
            "regular_hours": hours,
            "exceptional_closings": [closing],
        }, False
    if profile == "garage":
        hours = [
            {"weekday": day, "period_begin": "06:00", "period_end": "23:30"} for day in range(1, 8)
        ]
        return {"twentyfourseven": False, "regular_hours": hours}, True
    return {"twentyfourseven": True}, True


class NetworkGenerator:
    """Draws a CPO network: `location(n)` gives the n-th location, the same for a seed."""

    def __init__(self, *, seed: int, party: tuple[str, str], now: dt.datetime) -> None:
        self.seed = seed
        self.party = party
        self.now = now
        self.tariff_updated = now - dt.timedelta(days=40)

    def tariffs(self) -> list[dict]:
        return [
            tariff
            for country in COUNTRIES
            for tariff in tariffs_for(country, party=self.party, updated=self.tariff_updated)
        ]

    def location(self, n: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{n}")
        country = rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]
        city, lat, lon = rng.choice(country.cities)
        site = rng.choices(list(SITE_WEIGHTS), weights=list(SITE_WEIGHTS.values()))[0]
        parking_type, families, (low, high), profile = SITES[site]
        updated = self.now - dt.timedelta(seconds=rng.randint(3600, 30 * 86400))
        location_id = f"LOC{n:06d}"
        ac_shape = "FREE" if rng.random() < 0.02 else rng.choice(AC_TARIFF_SHAPES)
        evses = [
            self._evse(rng, country, location_id, n, i, rng.choice(families), ac_shape, updated)
            for i in range(1, rng.randint(low, high) + 1)
        ]
        street = rng.choice(country.streets)
        opening_times, charging_when_closed = _opening_times(profile, self.now.year)
        cc, pid = self.party
        location: dict[str, Any] = {
            "country_code": cc,
            "party_id": pid,
            "id": location_id,
            "publish": rng.random() > 0.01,
            "name": f"{city} {street}" if site == "street" else f"{site.title()} {street}",
            "address": f"{street} {rng.randint(1, 240)}",
            "city": city,
            "postal_code": _postal_code(rng, country.postal_format),
            "country": country.alpha3,
            "coordinates": {
                "latitude": f"{lat + rng.uniform(-0.08, 0.08):.6f}",
                "longitude": f"{lon + rng.uniform(-0.12, 0.12):.6f}",
            },
            "parking_type": parking_type,
            "evses": evses,
            "operator": {"name": "SimCharge", "website": "https://simcharge.example.com"},
            "facilities": self._facilities(rng, site),
            "time_zone": country.time_zone,
            "opening_times": opening_times,
            "charging_when_closed": charging_when_closed,
            "energy_mix": {"is_green_energy": rng.random() < 0.6},
            "last_updated": iso(updated),
        }
        return location

    def _evse(
        self,
        rng: random.Random,
        country: Country,
        location_id: str,
        n: int,
        i: int,
        family: str,
        ac_shape: str,
        location_updated: dt.datetime,
    ) -> dict[str, Any]:
        if family == "AC":
            kinds = [rng.choice((AC11, AC22))]
            extra = rng.random()
            if extra < 0.5:
                kinds.append(SCHUKO)
            elif extra < 0.8:
                kinds.append(AC11_CABLE)
            tariff = f"{country.code}-{ac_shape}"
        elif family == "DC":
            kinds = [DC50_CCS, DC50_CHADEMO] + ([AC43] if rng.random() < 0.5 else [])
            tariff = f"{country.code}-DC"
        else:
            kinds = [hpc(rng.choice((150, 300, 350)))]
            if rng.random() < 0.6:
                kinds.append(DC50_CHADEMO)
            tariff = f"{country.code}-HPC"
        updated = location_updated - dt.timedelta(seconds=rng.randint(0, 86400))
        status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
        capabilities = ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
        if any(kind.format == "SOCKET" for kind in kinds):
            capabilities.append("UNLOCK_CAPABLE")
        if family == "HPC":
            capabilities += ["CREDIT_CARD_PAYABLE", "CONTACTLESS_CARD_SUPPORT"]
        if len(kinds) > 1:
            capabilities.append("START_SESSION_CONNECTOR_REQUIRED")
        pid = self.party[1]
        return {
            "uid": f"{location_id}-{i}",
            "evse_id": f"{country.code}*{pid}*E{n:06d}{i:02d}",
            "status": status,
            "capabilities": capabilities,
            "connectors": [
                _connector(kind, number, tariff, updated)
                for number, kind in enumerate(kinds, start=1)
            ],
            "physical_reference": str(i),
            "last_updated": iso(updated),
        }

    @staticmethod
    def _facilities(rng: random.Random, site: str) -> list[str]:
        if site == "motorway":
            return ["RESTAURANT", "FUEL_STATION", "WIFI"]
        if site == "supermarket":
            return ["SUPERMARKET"]
        return rng.sample(["CAFE", "MALL", "TRAIN_STATION", "PARKING_LOT", "MUSEUM"], k=1)
