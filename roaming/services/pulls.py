"""Pulls: Locations, Tariffs, Sessions and CDRs from a CPO's sender interfaces.

One run crawls one module of one partner in one window [date_from, date_to):
- full: no date_from (Sessions: the last OCPI_SESSIONS_PULL_DAYS, the CPO requires one);
- incremental: date_from = the date_to of the last complete crawl (minus a small overlap for
  clock skew and in-flight writes at the CPO; upserts make the overlap harmless).
T = now is frozen as date_to before the first page and recorded as the module's sync point
only after the last page. Each page is stored in one transaction together with the run's
progress (pages, objects, where to resume), so a failure loses nothing already stored and
the next run resumes the same window at the next page. Memory stays flat: pages stream,
and while one page is stored the next is fetched and validated on a thread (one ahead).

Objects are stored by the same services as pushes (one place decides how a Location, Tariff,
Session or CDR is stored; a CDR pulled after it was pushed is the same CDR, stored once).
Locations go through the bulk variant of the Locations receiver, with the same rules.
"""

import gc
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.models import CDR, Partner, SyncRun
from roaming.ocpi.client import Crawl, Page
from roaming.ocpi.enums import InterfaceRole
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.http import OcpiRequestError
from roaming.ocpi.types import format_datetime, parse_datetime
from roaming.outbound import PartnerUnavailable, partner_client, partner_endpoint_url
from roaming.services.cdrs import cdr_post
from roaming.services.common import StoreResult
from roaming.services.locations import BulkResult, location_bulk_put, locations_receive
from roaming.services.partners import partner_sync_mark
from roaming.services.sessions import session_put
from roaming.signals import cdrs_stored
from tariffs.services import tariff_put

logger = logging.getLogger(__name__)

# Tariffs before Locations (connectors name tariffs), Sessions before CDRs (CDRs name them).
PULL_MODULES = ("tariffs", "locations", "sessions", "cdrs")
# A run still "running" after this long was abandoned (its worker died): it is resumed.
ABANDONED_AFTER = timedelta(minutes=30)
MAX_LOGGED_ERRORS = 200

PageHook = Callable[[SyncRun, Page, Crawl], None]


class PullError(Exception):
    """A pull that cannot start (partner not connected, module not offered, one running)."""


@dataclass(frozen=True)
class Window:
    mode: str
    date_from: datetime | None
    date_to: datetime
    resume: SyncRun | None = None


def partner_pull(
    *,
    partner: Partner,
    module: str,
    full: bool = False,
    limit: int | None = None,
    on_page: PageHook | None = None,
) -> SyncRun:
    """Pull one module of one partner; the SyncRun says how it went (never raises for the
    partner's faults: a failed run is recorded with its error and resumes next time).

    Raises PullError when the pull cannot start. `on_page` is called after each stored page
    (progress bars). Do not call inside a transaction: every page commits on its own.
    """
    if module not in PULL_MODULES:
        raise PullError(f"Unknown module {module!r}; pulls exist for {', '.join(PULL_MODULES)}.")
    url = partner_endpoint_url(partner=partner, identifier=module, role=InterfaceRole.SENDER)
    if url is None:
        raise PullError(f"{partner} offers no {module} sender interface.")
    try:
        client = partner_client(partner=partner)
    except PartnerUnavailable as error:
        raise PullError(str(error)) from error
    run = _run_start(partner, module, full)
    with client:
        if run.resumed_from_id:
            crawl = client.crawl(
                run.resume_url,
                module=module,
                expected_total=run.total_count,
                already_received=run.objects_received,
            )
        else:
            params = {"date_from": run.date_from, "date_to": run.date_to}
            crawl = client.crawl(
                url,
                module=module,
                limit=limit or settings.OCPI_PULL_LIMIT,
                params={k: format_datetime(v) for k, v in params.items() if v is not None},
            )
        _run_resume_point(run, crawl.next_url)
        try:
            with _collector_paused() as collect_if_grown:
                for fetched in _pages_ahead(crawl, PREPARE.get(module)):
                    _page_store(run, partner, module, fetched)
                    if on_page:
                        on_page(run, fetched.page, crawl)
                    collect_if_grown()
        except OcpiRequestError as error:
            _run_failed(run, error.message, url=error.url, retryable=error.retryable)
            return run
        except Exception as error:
            _run_failed(run, f"{type(error).__name__}: {error}", url=crawl.next_url or "")
            raise
    _run_finished(run, partner, crawl)
    return run


def partner_pull_all(
    *,
    partner: Partner,
    full: bool = False,
    modules: tuple[str, ...] | None = None,
    on_page: PageHook | None = None,
) -> list[SyncRun]:
    """Pull every module the partner offers (or those named), in dependency order."""
    offered = {e.identifier for e in partner.endpoints.all() if e.role == InterfaceRole.SENDER}
    runs = []
    for module in PULL_MODULES:
        if module in offered and (modules is None or module in modules):
            try:
                runs.append(
                    partner_pull(partner=partner, module=module, full=full, on_page=on_page)
                )
            except PullError as error:
                logger.warning("pull of %s %s not started: %s", partner, module, error)
    return runs


def _window(partner: Partner, module: str, full: bool, moment: datetime) -> Window:
    since = None if full else partner.last_synced.get(module)
    if since:
        overlap = timedelta(seconds=settings.OCPI_PULL_OVERLAP_SECONDS)
        return Window(SyncRun.Mode.INCREMENTAL, parse_datetime(since) - overlap, moment)
    date_from = None
    if module == "sessions":
        date_from = moment - timedelta(days=settings.OCPI_SESSIONS_PULL_DAYS)
    return Window(SyncRun.Mode.FULL, date_from, moment)


@transaction.atomic
def _run_start(partner: Partner, module: str, full: bool) -> SyncRun:
    """Create the run (one at a time per partner and module). A run that failed midway, or
    was abandoned by a dead worker, is resumed unless a full pull is asked for."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    moment = timezone.now()
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # as sent: ms
    for running in SyncRun.objects.filter(
        partner=partner, module=module, status=SyncRun.Status.RUNNING
    ):
        if moment - running.started_at < ABANDONED_AFTER:
            raise PullError(f"A pull of {module} from {partner} is already running.")
        _log(running, {"error": "abandoned: the worker stopped before finishing"})
        running.status = SyncRun.Status.FAILED
        running.finished_at = moment
        running.save(update_fields=["status", "finished_at", "error_log"])
    last = SyncRun.objects.filter(partner=partner, module=module).order_by("-started_at").first()
    if last is not None and last.status == SyncRun.Status.FAILED and last.resume_url and not full:
        return SyncRun.objects.create(
            partner=partner,
            module=module,
            mode=last.mode,
            date_from=last.date_from,
            date_to=last.date_to,
            resume_url=last.resume_url,
            total_count=last.total_count,
            objects_received=last.objects_received,
            resumed_from=last,
        )
    window = _window(partner, module, full, moment)
    return SyncRun.objects.create(
        partner=partner,
        module=module,
        mode=window.mode,
        date_from=window.date_from,
        date_to=window.date_to,
    )


def _run_resume_point(run: SyncRun, url: str | None) -> None:
    run.resume_url = url or ""
    run.save(update_fields=["resume_url"])


@dataclass(frozen=True)
class Fetched:
    """A page with what the crawl knew when it arrived (`received`: objects before it), and
    what was `prepared` of its items ahead of storing (validated OCPI objects, or None)."""

    page: Page
    received: int
    total_count: int | None
    prepared: Any = None


_END = object()  # the crawl has no more pages


def _pages_ahead(crawl: Crawl, prepare: Callable[[list[Any]], Any] | None) -> Iterator[Fetched]:
    """The crawl's pages, each fetched and prepared on a thread while the page before it is
    stored: waiting on the CPO and parsing overlap waiting on the database. One page ahead at
    most, so memory stays flat; the thread's faults are raised here, in order."""
    ahead: queue.SimpleQueue[Any] = queue.SimpleQueue()
    # A page may be fetched when it is the first, or the one after the page being stored.
    wanted = threading.Semaphore(2)
    stop = threading.Event()

    def fetch() -> None:
        pages = iter(crawl)
        try:
            while True:
                while not wanted.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                page = next(pages, None)
                if page is None:
                    break
                prepared = prepare(page.items) if prepare else None
                ahead.put(Fetched(page, crawl.received, crawl.total_count, prepared))
        except BaseException as error:  # re-raised in the storing thread
            ahead.put(error)
            return
        ahead.put(_END)

    thread = threading.Thread(target=fetch, name="ocpi-pull-fetch", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
            wanted.release()
    finally:
        stop.set()
        thread.join()


@transaction.atomic
def _page_store(run: SyncRun, partner: Partner, module: str, fetched: Fetched) -> None:
    """Store one page and the run's progress together: either both commit or neither."""
    page = fetched.page
    stored, errors = STORE[module](partner, page.items, fetched.prepared)
    run.pages += 1
    run.objects_stored += stored
    run.errors += len(errors)
    for error in errors:
        _log(run, error)
    if not page.reread:
        run.objects_received = fetched.received + len(page.items)
        run.resume_url = page.next_url or ""
    run.total_count = fetched.total_count
    run.save(
        update_fields=[
            "pages",
            "objects_stored",
            "errors",
            "error_log",
            "objects_received",
            "resume_url",
            "total_count",
        ]
    )


# Tracked objects a pull may pile up before the collector runs: what stays alive from one page
# to the next (the page fetched ahead: its JSON and rows) stays level; cycles add up.
COLLECT_AFTER_GROWTH = 300_000


@contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """Python's cyclic garbage collector paused during a pull; yields a check to call after
    each page, which collects once tracked objects have piled up. A pull makes millions of
    short-lived, acyclic objects (dicts, lists, OCPI models) that reference counting frees at
    once; the collector, running by itself, would traverse them and the page fetched ahead
    again and again (a third of the CPU of a pull of Locations). The few cycles made
    meanwhile (HTTP responses, ORM objects) wait for the check, or for the end of the pull."""
    enabled = gc.isenabled()
    gc.disable()
    level: int | None = None

    def collect_if_grown() -> None:
        nonlocal level
        count = gc.get_count()[0]  # tracked since the last collection, alive
        level = count if level is None else min(level, count)
        if count - level > COLLECT_AFTER_GROWTH:
            gc.collect()
            level = None

    try:
        yield collect_if_grown
    finally:
        if enabled:
            gc.enable()


def _run_failed(run: SyncRun, message: str, *, url: str, retryable: bool = False) -> None:
    logger.warning("pull %s failed: %s (%s)", run.pk, message, url)
    run.refresh_from_db()  # what the committed pages recorded
    _log(run, {"error": message, "url": url, "retryable": retryable})
    run.errors += 1
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.save(update_fields=["errors", "error_log", "status", "finished_at"])


def _run_finished(run: SyncRun, partner: Partner, crawl: Crawl) -> None:
    with transaction.atomic():
        for warning in crawl.warnings:
            _log(run, {"warning": warning})
        run.status = SyncRun.Status.PARTIAL if run.errors else SyncRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.resume_url = ""
        run.save(update_fields=["error_log", "status", "finished_at", "resume_url"])
        partner_sync_mark(partner=partner, module=run.module, synced_until=run.date_to)
    logger.info(
        "pulled %s from %s: %s pages, %s stored, %s errors",
        run.module,
        partner,
        run.pages,
        run.objects_stored,
        run.errors,
    )


def _log(run: SyncRun, entry: dict[str, Any]) -> None:
    if len(run.error_log) < MAX_LOGGED_ERRORS:
        run.error_log.append(entry)


# How each module's page is stored: (objects stored, errors) -- skipped objects are errors.


def _store_each(
    store: Callable[..., Any], *, only_new: bool = False
) -> Callable[[Partner, list[Any]], tuple[int, list]]:
    """Store a page object by object (each in its own savepoint: a bad one is skipped).
    Counted as stored: new or changed objects (`only_new`: new ones, for immutable CDRs)."""

    def store_page(
        partner: Partner, items: list[Any], prepared: None = None
    ) -> tuple[int, list[dict[str, str]]]:
        stored, errors = 0, []
        for index, data in enumerate(items):
            try:
                result = store(partner=partner, data=data)
            except OcpiError as error:
                name = data.get("id") if isinstance(data, dict) else None
                errors.append({"object": str(name or f"#{index}"), "error": error.message})
                continue
            stored += result.created or not (only_new or result.stale)
        return stored, errors

    return store_page


def _store_cdrs(
    partner: Partner, items: list[Any], prepared: None = None
) -> tuple[int, list[dict[str, str]]]:
    """CDRs one by one (a bad one is skipped), the page's new ones announced together so that
    billing rates them as one batch."""
    new_ids: list[int] = []

    def post(*, partner: Partner, data: Any) -> StoreResult[CDR]:
        result = cdr_post(partner=partner, data=data, announce=False)
        if result.created:
            new_ids.append(result.obj.pk)
        return result

    stored, errors = _store_each(post, only_new=True)(partner, items)
    if new_ids:
        transaction.on_commit(lambda: cdrs_stored.send(sender=CDR, cdr_ids=new_ids))
    return stored, errors


def _store_locations(
    partner: Partner, items: list[Any], prepared: list[Any] | None = None
) -> tuple[int, list[dict[str, str]]]:
    result: BulkResult = location_bulk_put(partner=partner, items=items, received=prepared)
    return result.stored, result.errors


# What is done with a page's items on the fetching thread (no database there).
PREPARE: dict[str, Callable[[list[Any]], Any]] = {"locations": locations_receive}
STORE: dict[str, Callable[[Partner, list[Any], Any], tuple[int, list[dict[str, str]]]]] = {
    "locations": _store_locations,
    "tariffs": _store_each(tariff_put),
    "sessions": _store_each(session_put),
    "cdrs": _store_cdrs,
}
