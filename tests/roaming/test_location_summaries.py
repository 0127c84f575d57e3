"""A Location's summary (EVSE counts, availability, most power, standards, search keys) follows
every write of its EVSEs and Connectors: pushes, PATCHes of a status, and pulled pages."""

import copy

import pytest

from drivers.selectors_find import LocationFilters, Near, location_search
from roaming.models import Location
from roaming.services.locations import location_bulk_put
from roaming.services.summaries import (
    ConnectorOffer,
    EvseOffer,
    location_summaries_refresh,
    location_summary_values,
)
from tests.roaming.conftest import example
from tests.roaming.test_locations_receiver import location_url

TYPE_2 = ConnectorOffer("IEC_62196_T2", None, 230, 32, "AC_3_PHASE")
CCS = ConnectorOffer("IEC_62196_T2_COMBO", 150000, 920, 200, "DC")
SUMMARY = ("evse_count", "available_count", "max_power_w", "standards", "search_keys")


def summary_of(location: Location) -> dict:
    location.refresh_from_db()
    return {name: getattr(location, name) for name in SUMMARY}


def keys(location: Location) -> set[str]:
    return set(summary_of(location)["search_keys"].split())


def status_set(ocpi, data: dict, evse_uid: str, status: str, day: str) -> None:
    patch = {"status": status, "last_updated": f"{day}T00:00:00Z"}
    assert ocpi.patch(location_url(data, evse_uid), patch).status_code == 200


def test_a_summary_counts_live_evses_and_keys_each_connector_with_its_own_evse():
    values = location_summary_values(
        [
            EvseOffer("AVAILABLE", ["EV_ONLY"], [TYPE_2]),
            EvseOffer("CHARGING", [], [CCS]),
            EvseOffer("REMOVED", [], [ConnectorOffer("CHADEMO", 50000, 500, 125, "DC")]),
        ]
    )

    assert values["evse_count"] == 2
    assert values["available_count"] == 1
    assert values["max_power_w"] == 150000
    assert values["standards"] == ["IEC_62196_T2", "IEC_62196_T2_COMBO"]
    assert set(values["search_keys"].split()) == {
        "IEC_62196_T2", "IEC_62196_T2:available", "IEC_62196_T2_COMBO", "IEC_62196_T2_COMBO:free",
        "*", "*:available", "*:free",
    }  # fmt: skip
    # Available Type 2 and free CCS, but no connector is both available and free.
    assert "*:available:free" not in values["search_keys"]


def test_power_without_max_electric_power_is_voltage_times_amperage_times_phases():
    values = location_summary_values([EvseOffer("AVAILABLE", [], [TYPE_2])])

    assert values["max_power_w"] == 230 * 32 * 3


def test_a_location_without_evses_offers_nothing():
    values = location_summary_values([])

    assert values == {
        "evse_count": 0, "available_count": 0, "max_power_w": None, "standards": [],
        "search_keys": "",
    }  # fmt: skip


def test_a_pushed_location_has_its_summary(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)

    assert summary_of(Location.objects.get()) | {"search_keys": None} == {
        "evse_count": 2, "available_count": 1, "max_power_w": 220 * 16 * 3,
        "standards": ["IEC_62196_T2"], "search_keys": None,
    }  # fmt: skip


def test_a_status_patch_moves_the_location_in_and_out_of_the_available_search(ocpi):
    data = example("location_example")
    data["coordinates"] = {"latitude": "52.379100", "longitude": "4.900300"}
    ocpi.put(location_url(data), data)
    location = Location.objects.get()
    available_type_2 = LocationFilters(standards=("IEC_62196_T2",), available=True)

    def found() -> list[Location]:
        return list(location_search(near=Near(location.latitude, location.longitude),
                                    filters=available_type_2))  # fmt: skip

    assert found() == [location]
    status_set(ocpi, data, "3256", "CHARGING", "2030-01-01")
    assert summary_of(location)["available_count"] == 0
    assert found() == []
    status_set(ocpi, data, "3257", "AVAILABLE", "2030-01-02")
    assert found() == [location]


def test_a_removed_evse_and_a_changed_connector_are_summarised_again(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    location = Location.objects.get()

    status_set(ocpi, data, "3256", "REMOVED", "2030-01-01")
    assert summary_of(location)["evse_count"] == 1
    ocpi.patch(
        location_url(data, "3257", "1"),
        {"standard": "CHADEMO", "power_type": "DC", "max_electric_power": 50000,
         "last_updated": "2030-01-02T00:00:00Z"},
    )  # fmt: skip
    assert summary_of(location) | {"search_keys": None} == {
        "evse_count": 1, "available_count": 0, "max_power_w": 50000, "standards": ["CHADEMO"],
        "search_keys": None,
    }  # fmt: skip
    assert "IEC_62196_T2" not in keys(location)


def test_a_pulled_page_summarises_new_locations_as_a_refresh_from_the_rows_would(cpo):
    first = example("location_example")
    second = copy.deepcopy(first)
    second["id"] = "LOC2"
    second["evses"][1]["parking_restrictions"] = ["DISABLED"]

    location_bulk_put(partner=cpo, items=[first, second])
    stored = {location.ocpi_id: summary_of(location) for location in Location.objects.all()}
    location_summaries_refresh(location_ids=list(Location.objects.values_list("pk", flat=True)))
    again = {location.ocpi_id: summary_of(location) for location in Location.objects.all()}

    assert stored == again
    assert stored["LOC1"]["evse_count"] == 2
    assert "IEC_62196_T2:available:free" in stored["LOC1"]["search_keys"]


def test_a_pulled_page_with_a_changed_evse_summarises_the_stored_location_again(cpo):
    data = example("location_example")
    location_bulk_put(partner=cpo, items=[data])
    changed = copy.deepcopy(data)
    changed["last_updated"] = changed["evses"][0]["last_updated"] = "2030-01-01T00:00:00Z"
    changed["evses"][0]["status"] = "OUTOFORDER"

    location_bulk_put(partner=cpo, items=[changed])

    location = Location.objects.get()
    assert summary_of(location)["available_count"] == 0
    assert "*:available" not in keys(location)


@pytest.mark.parametrize(
    ("filters", "wanted"),
    [
        pytest.param({}, True, id="no-filter"),
        pytest.param({"standards": ("IEC_62196_T2",)}, True, id="type-2"),
        pytest.param({"standards": ("CHADEMO",)}, False, id="chademo"),
        pytest.param({"available": True}, True, id="available"),
        pytest.param({"no_parking_restrictions": True, "available": True}, True, id="free"),
        pytest.param({"min_power_kw": 10}, True, id="10-kw"),
        pytest.param({"min_power_kw": 11, "available": True}, False, id="11-kw-available"),
    ],
)
def test_search_filters_read_the_summary_of_a_pushed_location(ocpi, filters, wanted):
    data = example("location_example")
    data["evses"][0]["connectors"][1]["max_amperage"] = 15  # 9.9 kW, the available EVSE
    data["evses"][1]["connectors"][0]["max_amperage"] = 32  # 21.1 kW, reserved
    ocpi.put(location_url(data), data)
    location = Location.objects.get()

    result = location_search(
        near=Near(location.latitude, location.longitude), filters=LocationFilters(**filters)
    )

    assert (list(result) == [location]) is wanted
