"""Reads other apps use: the map's bounding box, and the pull bookkeeping on a partner."""

import copy
from datetime import UTC, datetime

from roaming.models import Location, Partner
from roaming.selectors import location_list_in_box
from roaming.services.partners import partner_sync_mark
from tests.roaming.conftest import BASE, example


def put_location(
    ocpi, ocpi_id: str, latitude: str, longitude: str, *, publish: bool = True
) -> None:
    data = copy.deepcopy(example("location_example")) | {"id": ocpi_id, "publish": publish}
    data["coordinates"] = {"latitude": latitude, "longitude": longitude}
    assert ocpi.put(f"{BASE}/locations/BE/BEC/{ocpi_id}", data).status_code == 201


def test_bounding_box_finds_the_published_locations_inside(ocpi):
    put_location(ocpi, "GENT", "51.047599", "3.729944")
    put_location(ocpi, "BRUSSELS", "50.846557", "4.351697")
    put_location(ocpi, "PRIVATE", "51.050000", "3.730000", publish=False)
    put_location(ocpi, "HIDDEN", "51.040000", "3.720000")
    Location.objects.filter(ocpi_id="HIDDEN").update(shown_to_drivers=False)
    found = location_list_in_box(south=51.0, west=3.6, north=51.1, east=3.8)
    assert [location.ocpi_id for location in found] == ["GENT"]
    everything = location_list_in_box(south=50.0, west=3.0, north=52.0, east=5.0)
    assert sorted(location.ocpi_id for location in everything) == ["BRUSSELS", "GENT"]


def test_sync_mark_records_the_window_end_per_module(cpo):
    partner_sync_mark(
        partner=cpo, module="locations", synced_until=datetime(2030, 1, 1, tzinfo=UTC)
    )
    partner_sync_mark(partner=cpo, module="tariffs", synced_until=datetime(2030, 1, 2, tzinfo=UTC))
    assert Partner.objects.get(pk=cpo.pk).last_synced == {
        "locations": "2030-01-01T00:00:00Z",
        "tariffs": "2030-01-02T00:00:00Z",
    }
