"""Incremental pulls: only what changed since the last complete pull is fetched and stored;
objects leaving the window mid-crawl are not missed."""

import datetime as dt

import pytest

from roaming.models import EVSE, Location, SyncRun
from roaming.ocpi.types import parse_datetime
from roaming.services.pulls import partner_pull

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(registered, simulator):
    simulator.network(locations=200)
    return registered


@pytest.fixture
def pulled(network, simulator):
    registered = network
    run = partner_pull(partner=registered, module="locations", limit=50)
    assert run.objects_stored == 200
    registered.refresh_from_db()
    simulator.admin("DELETE", "requests")
    return registered


def test_only_the_changed_locations_are_fetched_and_stored(pulled, simulator):
    last_full = parse_datetime(pulled.last_synced["locations"])
    touched = simulator.admin("POST", "locations/touch", {"count": 2})["touched"]  # 1 %
    first_evse = {
        location_id: EVSE.objects.filter(location__ocpi_id=location_id).order_by("pk").first()
        for location_id in touched
    }

    run = partner_pull(partner=pulled, module="locations", limit=50)

    assert run.mode == SyncRun.Mode.INCREMENTAL
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.objects_received == 2
    assert run.objects_stored == 2
    assert run.pages == 1
    query = simulator.requests("locations")[0]["query"]
    assert parse_datetime(query["date_from"]) == last_full - dt.timedelta(seconds=60)
    assert parse_datetime(query["date_to"]) == run.date_to
    for location_id, before in first_evse.items():
        after = EVSE.objects.get(pk=before.pk)
        assert after.status != before.status
        assert after.last_updated > before.last_updated
        assert Location.objects.get(ocpi_id=location_id).last_updated == after.last_updated


def test_nothing_changed_means_nothing_fetched(pulled, simulator):
    run = partner_pull(partner=pulled, module="locations")

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.objects_received == 0
    assert run.objects_stored == 0


def test_the_sync_point_moves_only_after_a_complete_crawl(pulled, simulator):
    before = pulled.last_synced["locations"]
    simulator.admin("POST", "locations/touch", {"count": 120})
    simulator.faults({"kind": "status", "module": "locations", "page": 2, "times": 0})

    failed = partner_pull(partner=pulled, module="locations", limit=50)

    pulled.refresh_from_db()
    assert failed.status == SyncRun.Status.FAILED
    assert pulled.last_synced["locations"] == before
    simulator.faults()
    resumed = partner_pull(partner=pulled, module="locations", limit=50)
    pulled.refresh_from_db()
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert parse_datetime(pulled.last_synced["locations"]) == failed.date_to


def test_a_full_pull_after_incremental_ones_changes_nothing_that_is_current(pulled, simulator):
    simulator.admin("POST", "locations/touch", {"count": 5})
    partner_pull(partner=pulled, module="locations")

    run = partner_pull(partner=pulled, module="locations", full=True, limit=100)

    assert run.mode == SyncRun.Mode.FULL
    assert run.objects_received == 200
    assert run.objects_stored == 0  # every row already current: nothing rewritten


def test_locations_updated_mid_crawl_are_not_missed(network, simulator):
    simulator.faults({"kind": "shift", "module": "locations", "page": 3, "count": 4})

    run = partner_pull(partner=network, module="locations", full=True, limit=50)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.total_count == 196
    assert Location.objects.count() == 200
    assert any("dropped by 4" in entry.get("warning", "") for entry in run.error_log)
    # The four that moved are picked up (with their new state) by the next incremental pull.
    follow_up = partner_pull(partner=network, module="locations")
    assert follow_up.objects_received == 4
