"""Locations receiver: the CPO pushes Locations, EVSEs and Connectors; we store and serve them."""

import copy
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from roaming.models import EVSE, Connector, Location
from tests.roaming.conftest import BASE, OcpiClient, example

LOCATION_EXAMPLES = [
    "location_example",
    "location_example_parking_garage_opening_hours",
    "location_example_uc2_destination_charger",
    "location_example_uc3_destination_charger_not_published",
    "location_example_uc4_limited_visibility",
    "location_example_uc5_home_charge_point",
]


def location_url(data: dict, *rest: str) -> str:
    return "/".join(
        [f"{BASE}/locations", data["country_code"], data["party_id"], data["id"], *rest]
    )


@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_every_location_example_is_stored_and_served_back(ocpi, name):
    data = example(name)
    response = ocpi.put(location_url(data), data)
    assert response.status_code == 201, response.json()
    assert response.json()["status_code"] == 1000
    served = ocpi.get(location_url(data)).json()["data"]
    assert served == data
    location = Location.objects.get(ocpi_id=data["id"])
    assert location.latitude == Decimal(data["coordinates"]["latitude"])
    assert location.evses.count() == len(data.get("evses", []))


def test_put_again_answers_200_and_updates(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    changed = {
        **copy.deepcopy(data),
        "name": "Gent Zuid (new)",
        "last_updated": "2015-06-30T10:00:00Z",
    }
    response = ocpi.put(location_url(data), changed)
    assert response.status_code == 200
    assert Location.objects.get().name == "Gent Zuid (new)"


def test_columns_the_product_needs(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    location = Location.objects.get()
    assert (location.city, location.country, location.time_zone) == (
        "Gent",
        "BEL",
        "Europe/Brussels",
    )
    assert location.operator_name == "BeCharged"
    evse = location.evses.get(uid="3256")
    assert (evse.evse_id, evse.status, evse.capabilities) == (
        "BE*BEC*E041503001",
        "AVAILABLE",
        ["RESERVABLE"],
    )
    connector = evse.connectors.get(ocpi_id="2")
    assert (connector.standard, connector.max_voltage, connector.tariff_ids) == (
        "IEC_62196_T2",
        220,
        ["13"],
    )


def test_evse_status_patch_example_updates_the_evse_and_bumps_the_location(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(location_url(data, "3256"), example("location_patch_example_status"))
    assert response.status_code == 200, response.json()
    evse = EVSE.objects.get(uid="3256")
    assert evse.status == "CHARGING"
    moment = datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)
    assert evse.last_updated == moment
    assert Location.objects.get().last_updated == moment
    served = ocpi.get(location_url(data, "3256")).json()["data"]
    assert served["status"] == "CHARGING"
    assert served["last_updated"] == "2019-06-24T12:39:09Z"
    assert [c["id"] for c in served["connectors"]] == ["1", "2"]


def test_location_patch_example_changes_the_name(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(location_url(data), example("location_patch_example_location"))
    assert response.status_code == 200
    assert Location.objects.get().name == "Interparking Gent Zuid"
    assert EVSE.objects.count() == 2  # the EVSEs are untouched


def test_connector_tariff_patch_example_bumps_evse_and_location(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(location_url(data, "3256", "2"), example("location_patch_example_tariff"))
    assert response.status_code == 200, response.json()
    connector = Connector.objects.get(evse__uid="3256", ocpi_id="2")
    assert connector.tariff_ids == ["15"]
    moment = datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)
    assert connector.evse.last_updated == moment
    assert Location.objects.get().last_updated == moment


def test_remove_evse_patch_example_keeps_the_evse_with_status_removed(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(location_url(data, "3257"), example("location_patch_example_remove_evse"))
    assert response.status_code == 200
    assert EVSE.objects.get(uid="3257").status == "REMOVED"
    assert EVSE.objects.count() == 2


def test_add_evse_example_is_refused_because_it_lacks_required_fields(ocpi):
    """location_put_example_add_evse.json is defective (not yet in the notes): its connector has
    no power_type, max_voltage, max_amperage nor last_updated, it says `floor` for floor_level
    and gives physical_reference as a number. The spec says such an object may be discarded:
    we refuse it naming the fields, and store nothing."""
    data = example("location_example")
    ocpi.put(location_url(data), data)
    before = EVSE.objects.get(uid="3256").evse_id
    response = ocpi.put(location_url(data, "3256"), example("location_put_example_add_evse"))
    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 2001
    for field in ("connectors[0].power_type", "connectors[0].last_updated", "physical_reference"):
        assert field in body["status_message"]
    assert EVSE.objects.get(uid="3256").evse_id == before


def test_add_evse_example_with_its_defects_repaired_adds_an_evse(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    evse = copy.deepcopy(example("location_put_example_add_evse"))
    evse["uid"] = "3258"
    evse["physical_reference"] = "3"
    evse["connectors"][0] |= {
        "power_type": "AC_3_PHASE",
        "max_voltage": 220,
        "max_amperage": 16,
        "last_updated": "2019-06-24T12:39:09Z",
    }
    response = ocpi.put(location_url(data, "3258"), evse)
    assert response.status_code == 201, response.json()
    assert Location.objects.get().evses.count() == 3
    assert Location.objects.get().last_updated == datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)


def test_connector_put_creates_and_replaces(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    connector = {
        "id": "3",
        "standard": "CHADEMO",
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 500,
        "max_amperage": 125,
        "max_electric_power": 50000,
        "last_updated": "2016-01-01T00:00:00Z",
    }
    assert ocpi.put(location_url(data, "3256", "3"), connector).status_code == 201
    assert ocpi.put(location_url(data, "3256", "3"), connector).status_code == 200
    assert Connector.objects.get(ocpi_id="3").max_electric_power == 50000
    served = ocpi.get(location_url(data, "3256", "3")).json()["data"]
    assert served == connector


def test_an_older_update_never_overwrites_a_newer_one(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    ocpi.patch(
        location_url(data, "3256"), {"status": "CHARGING", "last_updated": "2019-06-24T12:39:09Z"}
    )
    late = ocpi.patch(
        location_url(data, "3256"), {"status": "AVAILABLE", "last_updated": "2019-06-24T12:00:00Z"}
    )
    assert late.status_code == 200
    assert "kept ours" in late.json()["status_message"] or late.json()["status_code"] == 1000
    assert EVSE.objects.get(uid="3256").status == "CHARGING"
    old_put = copy.deepcopy(data) | {"name": "Old name"}
    ocpi.put(location_url(data), old_put)
    assert Location.objects.get().name == "Gent Zuid"


def test_ids_are_case_insensitive(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(
        f"{BASE}/locations/be/bec/loc1/3256",
        {"status": "BLOCKED", "last_updated": "2020-01-01T00:00:00Z"},
    )
    assert response.status_code == 200, response.json()
    assert EVSE.objects.get(uid="3256").status == "BLOCKED"
    assert ocpi.get(f"{BASE}/locations/Be/bEc/LoC1").status_code == 200


def test_unknown_objects_answer_404(ocpi):
    data = example("location_example")
    assert ocpi.get(location_url(data)).status_code == 404
    assert ocpi.get(location_url(data)).json()["status_code"] == 2003
    ocpi.put(location_url(data), data)
    assert ocpi.get(location_url(data, "9999")).status_code == 404
    assert ocpi.get(location_url(data, "3256", "9")).status_code == 404
    patch = ocpi.patch(
        location_url(data, "9999"), {"status": "AVAILABLE", "last_updated": "2020-01-01T00:00:00Z"}
    )
    assert patch.status_code == 404


def test_evse_put_for_an_unknown_location_is_refused(ocpi):
    evse = example("location_example")["evses"][0]
    response = ocpi.put(f"{BASE}/locations/BE/BEC/NOPE/{evse['uid']}", evse)
    assert response.status_code == 404
    assert response.json()["status_code"] == 2003
    assert not EVSE.objects.exists()


def test_patch_without_last_updated_is_refused(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(location_url(data, "3256"), {"status": "CHARGING"})
    assert response.status_code == 400
    assert "last_updated" in response.json()["status_message"]
    assert EVSE.objects.get(uid="3256").status == "AVAILABLE"


def test_patch_with_a_wrong_value_is_refused_and_changes_nothing(ocpi):
    data = example("location_example")
    ocpi.put(location_url(data), data)
    response = ocpi.patch(
        location_url(data, "3256"), {"status": "BROKEN", "last_updated": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "status" in response.json()["status_message"]
    evse = EVSE.objects.get(uid="3256")
    assert evse.status == "AVAILABLE"
    assert evse.last_updated == datetime(2015, 6, 28, 8, 12, 1, tzinfo=UTC)


def test_responses_carry_request_ids_and_routing_headers(ocpi):
    data = example("location_example")
    response = ocpi.put(
        location_url(data),
        data,
        headers={
            "X-Request-ID": "req-1",
            "X-Correlation-ID": "corr-1",
            "OCPI-from-country-code": "BE",
            "OCPI-from-party-id": "BEC",
            "OCPI-to-country-code": "NL",
            "OCPI-to-party-id": "EMS",
        },
    )
    assert response["X-Request-ID"] == "req-1"
    assert response["X-Correlation-ID"] == "corr-1"
    assert (response["OCPI-from-country-code"], response["OCPI-from-party-id"]) == ("NL", "EMS")
    assert (response["OCPI-to-country-code"], response["OCPI-to-party-id"]) == ("BE", "BEC")
    assert response.json()["timestamp"].endswith("Z")


def test_evse_status_patch_is_a_handful_of_queries(ocpi, django_assert_max_num_queries):
    """The hot path (>= 200/s in bench_roaming): auth, one locking read, the EVSE's update, and
    the Location's summary read and written again with its last_updated (plus a savepoint and
    its release in the test's transaction)."""
    data = example("location_example")
    ocpi.put(location_url(data), data)
    patch = {"status": "CHARGING", "last_updated": "2030-01-01T00:00:00Z"}
    with django_assert_max_num_queries(7):
        assert ocpi.patch(location_url(data, "3256"), patch).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_puts_of_a_new_location_store_it_once(cpo):
    data = example("location_example")
    statuses = []

    def put() -> None:
        try:
            statuses.append(OcpiClient(cpo.plain_token).put(location_url(data), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=put) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 200, 201]
    assert Location.objects.count() == 1
    assert EVSE.objects.count() == 2
    assert Connector.objects.count() == 3
