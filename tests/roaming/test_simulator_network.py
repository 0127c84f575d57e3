"""The simulator's generated CPO network: valid OCPI, realistic, deterministic, pure."""

import datetime as dt
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest

from roaming.ocpi.locations import Location
from roaming.ocpi.tariffs import Tariff
from roaming.simulator import CpoSimulator, SimulatorConfig
from roaming.simulator.pricing import session_cost
from tests.processes import ROOT


@pytest.fixture(scope="module")
def network():
    return CpoSimulator(SimulatorConfig(locations=400, seed=11, port=0))


def locations_of(sim):
    return [record.data for record in sim.locations]


def test_every_location_and_tariff_is_valid_ocpi(network):
    for location in locations_of(network):
        Location.model_validate(location)
    for record in network.tariffs:
        Tariff.model_validate(record.data)


def test_locations_span_countries_time_zones_and_currencies(network):
    countries = Counter(location["country"] for location in locations_of(network))
    zones = {location["time_zone"] for location in locations_of(network)}

    assert set(countries) == {"NLD", "DEU", "BEL", "FRA", "GBR", "PRT"}
    assert countries["NLD"] > countries["PRT"]
    assert {"Europe/Amsterdam", "Europe/London", "Europe/Lisbon"} <= zones
    currencies = {record.data["currency"] for record in network.tariffs}
    assert currencies == {"EUR", "GBP"}


def test_chargers_are_realistic_ac_dc_and_high_power(network):
    connectors = [
        (c["standard"], c["power_type"], c["max_electric_power"])
        for location in locations_of(network)
        for evse in location["evses"]
        for c in evse["connectors"]
    ]
    kinds = set(connectors)

    assert ("IEC_62196_T2", "AC_3_PHASE", 11000) in kinds
    assert ("IEC_62196_T2", "AC_3_PHASE", 22000) in kinds
    assert ("IEC_62196_T2_COMBO", "DC", 50000) in kinds
    assert ("CHADEMO", "DC", 50000) in kinds
    assert {150000, 300000, 350000} <= {p for s, t, p in kinds if s == "IEC_62196_T2_COMBO"}
    evses = sum(len(location["evses"]) for location in locations_of(network))
    assert 2.5 < evses / 400 < 3.5
    assert 1.6 < len(connectors) / evses < 2.3


def test_opening_times_are_given_where_sites_close(network):
    hours = [location["opening_times"] for location in locations_of(network)]

    assert any(h["twentyfourseven"] for h in hours)
    limited = [h for h in hours if not h["twentyfourseven"]]
    assert limited
    assert all(h["regular_hours"] for h in limited)


def test_tariffs_come_in_several_shapes(network):
    tariffs = {record.key: record.data for record in network.tariffs}
    nl = {key.removeprefix("NL-"): value for key, value in tariffs.items() if key[:3] == "NL-"}

    def components(tariff):
        return [c["type"] for e in tariff["elements"] for c in e["price_components"]]

    assert components(nl["AC-KWH"]) == ["ENERGY"]
    assert components(nl["AC-START"]) == ["FLAT", "ENERGY"]
    assert components(nl["AC-TIME"]) == ["TIME"]
    assert nl["AC-PARK"]["elements"][1]["restrictions"] == {"min_duration": 7200}
    assert nl["AC-DAYNIGHT"]["elements"][0]["restrictions"]["start_time"] == "07:00"
    assert nl["DC"]["min_price"]["excl_vat"] < nl["DC"]["max_price"]["excl_vat"]
    assert nl["FREE"]["elements"][0]["price_components"][0]["price"] == 0
    # Every connector points to a tariff that exists.
    for location in locations_of(network):
        for evse in location["evses"]:
            for connector in evse["connectors"]:
                assert all(tariff_id in tariffs for tariff_id in connector["tariff_ids"])


def test_the_same_seed_gives_the_same_network():
    first = CpoSimulator(SimulatorConfig(locations=30, seed=5, port=0))
    again = CpoSimulator(SimulatorConfig(locations=30, seed=5, port=0))
    other = CpoSimulator(SimulatorConfig(locations=30, seed=6, port=0))

    def shape(sim):
        return [(loc["id"], loc["city"], len(loc["evses"])) for loc in locations_of(sim)]

    assert shape(first) == shape(again)
    assert shape(first) != shape(other)


def test_a_session_is_priced_by_one_call_to_the_pricing_engine():
    tariff = {
        "country_code": "NL",
        "party_id": "SIM",
        "id": "T9",
        "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": 0.5, "vat": 20.0, "step_size": 1}]},
            {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]},
        ],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    start = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    periods = [
        {
            "start_date_time": "2024-03-01T09:00:00Z",
            "dimensions": [{"type": "ENERGY", "volume": 20}, {"type": "TIME", "volume": 1}],
        }
    ]

    cost = session_cost(
        tariff=tariff,
        periods=periods,
        start=start,
        end=start + dt.timedelta(hours=1),
        time_zone="Europe/Amsterdam",
    )

    # tariff_9 of the spec: 20 kWh -> 5.50 excl. VAT, 6.10 incl. VAT.
    assert Decimal(str(cost["total_cost"]["excl_vat"])) == Decimal("5.50")
    assert Decimal(str(cost["total_cost"]["incl_vat"])) == Decimal("6.10")
    assert cost["total_fixed_cost"] == {"excl_vat": 0.5, "incl_vat": 0.6}
    assert cost["total_energy_cost"] == {"excl_vat": 5, "incl_vat": 5.5}


def test_the_simulator_listens_on_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        CpoSimulator(SimulatorConfig(host="0.0.0.0", locations=1))


def test_the_simulator_imports_no_django():
    script = (
        "import sys, roaming.simulator.server, roaming.simulator.runner\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_a_reset_returns_only_once_the_push_under_way_is_done():
    simulator = CpoSimulator(SimulatorConfig(locations=2, seed=5, port=0))
    simulator.start_background()
    sending, sent, stale = threading.Event(), threading.Event(), threading.Event()

    def push() -> None:  # a push still on its way to the peer
        sending.set()
        time.sleep(0.3)
        sent.set()

    try:
        simulator.later(0, push)
        assert sending.wait(5)
        simulator.later(0, stale.set)  # queued behind it: dropped by the reset

        simulator.reset()

        assert sent.is_set()
        assert not stale.wait(0.3)
    finally:
        simulator.stop_background()
