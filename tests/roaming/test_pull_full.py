"""Full pulls from the CPO simulator (a real process) into our database, with SyncRun records
and the receivers' rules (ownership, last_updated, CDRs stored once)."""

import gc
import weakref

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from roaming.models import CDR, EVSE, Connector, Location, Session, SyncRun
from roaming.ocpi.types import parse_datetime
from roaming.services import pulls
from roaming.services.pulls import PullError, partner_pull, partner_pull_all
from roaming.signals import cdr_stored, cdrs_stored
from roaming.tasks import pull_partner
from tariffs.models import Tariff

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_pull_stores_every_location_with_its_evses_and_connectors(registered, simulator):
    counts = simulator.state()["counts"]

    run = partner_pull(partner=registered, module="locations", limit=20)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.mode == SyncRun.Mode.FULL
    assert run.pages == 3
    assert run.objects_received == run.objects_stored == 60
    assert run.total_count == 60
    assert run.errors == 0
    assert run.finished_at >= run.started_at
    assert Location.objects.count() == counts["locations"]
    assert EVSE.objects.count() == counts["evses"]
    assert Connector.objects.count() == counts["connectors"]
    registered.refresh_from_db()
    assert parse_datetime(registered.last_synced["locations"]) == run.date_to


def test_pulled_objects_are_stored_as_the_cpo_sent_them(registered, simulator):
    partner_pull(partner=registered, module="locations")
    sent = simulator.admin("GET", "state")  # the simulator's own view of LOC000001
    location = Location.objects.get(ocpi_id="LOC000001")

    assert location.partner == registered
    assert (location.country_code, location.party_id) == ("NL", "SIM")
    assert location.time_zone.startswith("Europe/")
    evse = location.evses.order_by("uid").first()
    assert evse.connectors.count() >= 1
    assert evse.status in {"AVAILABLE", "CHARGING", "OUTOFORDER", "INOPERATIVE", "UNKNOWN",
                           "BLOCKED", "REMOVED"}  # fmt: skip
    assert "evses" not in location.raw
    assert sent["counts"]["locations"] == 60


def test_tariffs_sessions_and_cdrs_are_pulled_in_order(registered, simulator):
    runs = partner_pull_all(partner=registered)

    assert [run.module for run in runs] == ["tariffs", "locations", "sessions", "cdrs"]
    assert all(run.status == SyncRun.Status.SUCCEEDED for run in runs), [r.error_log for r in runs]
    assert Tariff.objects.count() == 48
    assert Session.objects.count() == 12
    assert CDR.objects.count() == 12
    cdr = CDR.objects.order_by("ocpi_id").first()
    assert cdr.session is not None  # CDRs name the sessions pulled before them
    assert cdr.location is not None
    session_query = simulator.requests("sessions")[0]["query"]
    assert "date_from" in session_query  # the CPO requires it


def test_a_second_pull_of_cdrs_stores_nothing_twice(registered, simulator):
    partner_pull(partner=registered, module="cdrs")

    again = partner_pull(partner=registered, module="cdrs", full=True)

    assert again.status == SyncRun.Status.SUCCEEDED
    assert again.objects_received == 12
    assert again.objects_stored == 0
    assert CDR.objects.count() == 12


def test_pulled_cdrs_are_rated_a_page_at_a_time(registered, simulator):
    batches, singles = [], []

    def batch(sender, cdr_ids, **kwargs):
        batches.append(sorted(cdr_ids))

    def single(sender, cdr_id, **kwargs):
        singles.append(cdr_id)

    cdrs_stored.connect(batch, dispatch_uid="test-batches")
    cdr_stored.connect(single, dispatch_uid="test-singles")
    try:
        run = partner_pull(partner=registered, module="cdrs", limit=5)
    finally:
        cdrs_stored.disconnect(dispatch_uid="test-batches")
        cdr_stored.disconnect(dispatch_uid="test-singles")

    assert run.pages == 3
    assert [len(ids) for ids in batches] == [5, 5, 2]
    pulled = sorted(CDR.objects.values_list("pk", flat=True))
    assert sorted(pk for ids in batches for pk in ids) == pulled
    assert singles == []
    # billing rated each page as a batch: none is left waiting
    assert not CDR.objects.filter(rating_status=CDR.RatingStatus.PENDING).exists()


def test_objects_of_other_parties_and_broken_objects_are_skipped_and_logged(registered, simulator):
    simulator.faults(
        {"kind": "foreign", "module": "locations", "page": 1, "count": 2},
        {"kind": "corrupt", "module": "locations", "page": 2, "count": 1},
    )

    run = partner_pull(partner=registered, module="locations", limit=20)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.errors == 3
    assert Location.objects.count() == 57
    messages = [entry["error"] for entry in run.error_log]
    assert sum("XX/OTH is not one of your roles" in m for m in messages) == 2
    assert sum("last_updated" in m for m in messages) == 1
    assert {entry["object"] for entry in run.error_log} == {"LOC000001", "LOC000002", "LOC000021"}
    # A finished crawl counts as synced even with rejected objects (they are the CPO's fault).
    registered.refresh_from_db()
    assert "locations" in registered.last_synced


def test_one_pull_at_a_time_per_partner_and_module(registered):
    SyncRun.objects.create(partner=registered, module="locations", mode="full")

    with pytest.raises(PullError, match="already running"):
        partner_pull(partner=registered, module="locations")


def test_a_module_the_cpo_does_not_offer_cannot_be_pulled(registered):
    registered.endpoints.filter(identifier="cdrs").delete()

    with pytest.raises(PullError, match="no cdrs sender"):
        partner_pull(partner=registered, module="cdrs")
    with pytest.raises(PullError, match="Unknown module"):
        partner_pull(partner=registered, module="tokens")


def test_the_task_takes_an_id_and_is_safe_to_run_twice(registered, simulator):
    first = pull_partner(registered.pk, full=True, modules=["locations", "tariffs"])
    second = pull_partner(registered.pk, full=True, modules=["locations", "tariffs"])

    assert [r["status"] for r in first] == ["succeeded", "succeeded"]
    assert [r["status"] for r in second] == ["succeeded", "succeeded"]
    assert Location.objects.count() == 60
    assert Tariff.objects.count() == 48
    assert pull_partner(999_999) == []


def test_the_pull_command_shows_progress_and_a_summary(registered, simulator, capsys):
    call_command("ocpi_pull", "--party", "nl*sim", "--module", "locations", "--full")

    out = capsys.readouterr().out
    assert "locations" in out
    assert "succeeded" in out
    assert "60" in out
    with pytest.raises(CommandError, match="No connected partner"):
        call_command("ocpi_pull", "--party", "DE*XXX")


def _snapshot(location_id):
    """Every column of a Location, its EVSEs and Connectors, but ids and our timestamps."""
    skip = {"id", "location", "evse", "created_at", "updated_at"}

    def columns(row):
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields
                if f.name not in skip}  # fmt: skip

    location = Location.objects.get(ocpi_id=location_id)
    return {
        "location": columns(location),
        "evses": [
            (columns(evse), [columns(c) for c in evse.connectors.order_by("ocpi_id")])
            for evse in location.evses.order_by("uid")
        ],
    }


def test_the_bulk_path_stores_exactly_what_the_receiver_stores(registered, simulator):
    from roaming.ocpi.client import OcpiClient
    from roaming.services.locations import location_bulk_put, location_put

    with OcpiClient(token=registered.token_b, timeout=5) as client:
        data = client.get(f"{simulator.ocpi}/locations/LOC000003", module="locations").data
    location_put(partner=registered, data=data)
    one_by_one = _snapshot("LOC000003")
    Location.objects.all().delete()

    result = location_bulk_put(partner=registered, items=[data])

    assert result.stored == 1
    assert _snapshot("LOC000003") == one_by_one


@pytest.mark.parametrize(
    "extra",
    [
        {"x_big_integer": 2**70},
        {"x_nothing": None, "x_list": [None, 1.5, "ok"]},
        {"x_float": 1e16, "x_tiny": 5e-324, "x_text": 'naïve \u2028 "quoted" \\ €'},
    ],
    ids=["integer-beyond-64-bits", "nulls", "floats-and-text"],
)
def test_the_bulk_path_stores_unknown_fields_as_the_receiver_does(registered, simulator, extra):
    from roaming.ocpi.client import OcpiClient
    from roaming.services.locations import location_bulk_put, location_put

    with OcpiClient(token=registered.token_b, timeout=5) as client:
        data = client.get(f"{simulator.ocpi}/locations/LOC000003", module="locations").data
    evse = {**data["evses"][0], **extra}
    evse["connectors"] = [{**evse["connectors"][0], **extra}, *evse["connectors"][1:]]
    data = {**data, **extra, "evses": [evse, *data["evses"][1:]]}
    location_put(partner=registered, data=data)
    one_by_one = _snapshot("LOC000003")
    Location.objects.all().delete()

    result = location_bulk_put(partner=registered, items=[data])

    assert result.stored == 1
    assert _snapshot("LOC000003") == one_by_one
    stored = Location.objects.get(ocpi_id="LOC000003")
    connector = stored.evses.get(uid=evse["uid"]).connectors.get(
        ocpi_id=evse["connectors"][0]["id"]
    )
    assert {key: stored.raw[key] for key in extra} == extra
    assert {key: connector.raw[key] for key in extra} == extra


@pytest.mark.worker
def test_a_real_worker_runs_the_pull_task_by_id(registered, simulator, tmp_path):
    from tests.processes import celery_worker_running

    with celery_worker_running(tmp_path) as worker:
        result = pull_partner.apply_async(
            args=[registered.pk], kwargs={"modules": ["tariffs", "locations"]}, queue=worker.queue
        )
        runs = result.get(timeout=120)

    assert [run["status"] for run in runs] == ["succeeded", "succeeded"]
    assert Location.objects.count() == 60
    assert Tariff.objects.count() == 48


class _Node:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.django_db(transaction=False)
def test_cycles_made_during_a_long_pull_are_collected_once_they_pile_up(monkeypatch):
    monkeypatch.setattr(pulls, "COLLECT_AFTER_GROWTH", 5_000)
    with pulls._collector_paused() as after_page:
        assert not gc.isenabled()
        after_page()
        first = weakref.ref(_Node())
        after_page()
        assert first() is not None  # a few cycles wait: collecting is not free

        for _ in range(10_000):
            _Node()
        after_page()

        assert first() is None
    assert gc.isenabled()
