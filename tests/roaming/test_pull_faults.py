"""Faults mid-pagination: the run records the error, keeps the pages already stored, and the
next run resumes the same window where it stopped and loses nothing."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from roaming.models import Location, SyncRun
from roaming.services.pulls import partner_pull

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(registered, simulator):
    simulator.network(locations=100)
    return registered


def offsets(simulator):
    return [int(entry["query"].get("offset", 0)) for entry in simulator.requests("locations")]


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 503},
        {"kind": "drop"},
        {"kind": "invalid_json"},
    ],
    ids=["http-500", "http-503", "dropped-connection", "invalid-json"],
)
def test_a_failure_on_page_3_keeps_pages_1_and_2_and_the_next_run_resumes(
    network, simulator, fault
):
    simulator.faults({**fault, "module": "locations", "page": 3, "times": 0})

    failed = partner_pull(partner=network, module="locations", limit=20)

    assert failed.status == SyncRun.Status.FAILED
    assert failed.pages == 2
    assert failed.objects_stored == 40
    assert Location.objects.count() == 40
    assert failed.errors == 1
    error = failed.error_log[-1]
    assert "offset=40" in error["url"]
    assert error["retryable"] is (fault["kind"] != "invalid_json")
    assert "offset=40" in failed.resume_url
    network.refresh_from_db()
    assert "locations" not in network.last_synced

    simulator.faults()
    simulator.admin("DELETE", "requests")
    resumed = partner_pull(partner=network, module="locations", limit=20)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.resumed_from == failed
    assert (resumed.date_from, resumed.date_to) == (failed.date_from, failed.date_to)
    assert offsets(simulator) == [40, 60, 80]  # pages 1 and 2 are not fetched again
    assert resumed.objects_received == 100
    assert Location.objects.count() == 100
    network.refresh_from_db()
    assert "locations" in network.last_synced


def test_get_requests_are_retried_so_a_single_glitch_does_not_fail_the_run(network, simulator):
    simulator.faults({"kind": "drop", "module": "locations", "page": 3, "times": 1})

    run = partner_pull(partner=network, module="locations", limit=20)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert offsets(simulator) == [0, 20, 40, 40, 60, 80]
    assert Location.objects.count() == 100


def test_a_partner_that_stops_answering_hits_the_timeout(network, simulator, settings):
    settings.OCPI_TIMEOUT_SECONDS = 0.5
    simulator.faults({"kind": "slow", "delay": 2.0, "module": "locations", "page": 2, "times": 0})

    failed = partner_pull(partner=network, module="locations", limit=20)

    assert failed.status == SyncRun.Status.FAILED
    assert "timed out" in failed.error_log[-1]["error"]
    assert Location.objects.count() == 20
    simulator.faults()
    resumed = partner_pull(partner=network, module="locations", limit=20)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert Location.objects.count() == 100


def test_objects_that_moved_while_the_pull_was_stopped_are_not_lost(network, simulator):
    simulator.faults({"kind": "status", "module": "locations", "page": 3, "times": 0})
    failed = partner_pull(partner=network, module="locations", limit=20)
    assert Location.objects.count() == 40
    # Meanwhile three locations already stored are updated at the CPO: they leave the window
    # and the ones behind them slide back by three places.
    simulator.faults({"kind": "shift", "module": "locations", "page": 3, "count": 3})

    resumed = partner_pull(partner=network, module="locations", limit=20)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.total_count == failed.total_count - 3
    assert Location.objects.count() == 100


def test_a_run_abandoned_by_a_dead_worker_is_resumed(network, simulator):
    simulator.faults({"kind": "status", "module": "locations", "page": 2, "times": 0})
    stopped = partner_pull(partner=network, module="locations", limit=50)
    # As if the worker had died mid-run: still "running", an hour old.
    SyncRun.objects.filter(pk=stopped.pk).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now() - dt.timedelta(hours=1)
    )
    simulator.faults()

    resumed = partner_pull(partner=network, module="locations", limit=50)

    stopped.refresh_from_db()
    assert stopped.status == SyncRun.Status.FAILED
    assert "abandoned" in stopped.error_log[-1]["error"]
    assert resumed.resumed_from == stopped
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert Location.objects.count() == 100


def test_asking_for_a_full_pull_starts_a_new_window_instead_of_resuming(network, simulator):
    simulator.faults({"kind": "status", "module": "locations", "page": 2, "times": 0})
    partner_pull(partner=network, module="locations", limit=50)
    simulator.faults()

    fresh = partner_pull(partner=network, module="locations", limit=50, full=True)

    assert fresh.resumed_from is None
    assert fresh.objects_received == 100


def test_the_pull_command_fails_loudly_and_says_it_will_resume(network, simulator, capsys):
    simulator.faults({"kind": "status", "module": "locations", "page": 2, "times": 0})

    with pytest.raises(CommandError, match="resume"):
        call_command("ocpi_pull", "--module", "locations", "--limit", "50")

    assert "failed" in capsys.readouterr().out


@pytest.fixture
def database_refusing_page_3(network):
    """PostgreSQL itself refuses the statement that stores the 41st Location (page 3 at
    limit 20): a real database failure while the next page is already being fetched.
    Yields how to lift the fault."""
    if connection.vendor != "postgresql":
        pytest.skip("the fault is a PostgreSQL trigger")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_page_3() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF (SELECT count(*) FROM roaming_location) > 40 THEN"
            " RAISE EXCEPTION 'disk full (test)'; END IF; RETURN NULL; END $$;"
            "CREATE TRIGGER test_refuse_page_3 AFTER INSERT ON roaming_location"
            " FOR EACH STATEMENT EXECUTE FUNCTION test_refuse_page_3()"
        )

    def lift() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS test_refuse_page_3 ON roaming_location;"
                "DROP FUNCTION IF EXISTS test_refuse_page_3()"
            )

    yield lift
    lift()


def test_a_database_failure_while_storing_stops_the_page_fetched_ahead_and_the_run_resumes(
    network, simulator, database_refusing_page_3
):
    with pytest.raises(DatabaseError, match="disk full"):
        partner_pull(partner=network, module="locations", limit=20)

    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED
    assert (failed.pages, Location.objects.count()) == (2, 40)  # page 3 not half-written
    assert "disk full" in failed.error_log[-1]["error"]
    assert "offset=40" in failed.resume_url
    # The page after the failed one may have been fetched ahead, nothing beyond it.
    assert offsets(simulator)[:3] == [0, 20, 40]
    assert set(offsets(simulator)[3:]) <= {60}
    assert not [t for t in threading.enumerate() if t.name == "ocpi-pull-fetch"]

    database_refusing_page_3()
    simulator.admin("DELETE", "requests")
    resumed = partner_pull(partner=network, module="locations", limit=20)

    assert resumed.resumed_from == failed
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert offsets(simulator) == [40, 60, 80]
    assert Location.objects.count() == 100
