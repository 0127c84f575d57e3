"""Crawling a paginated sender interface with the OCPI client, against the CPO simulator:
Link following, X-Limit, X-Total-Count changing mid-crawl, a missing Link, resuming."""

import datetime as dt
import time

import pytest

from roaming.ocpi.client import OcpiClient, RetryPolicy
from roaming.ocpi.http import OcpiRequestError
from roaming.ocpi.types import format_datetime

TOKEN = "paging-test-token-0123456789"


@pytest.fixture
def ocpi(simulator):
    simulator.admin("POST", "peers", {"token": TOKEN, "country_code": "NL", "party_id": "EMS"})
    with OcpiClient(token=TOKEN, timeout=5, retry=RetryPolicy(attempts=1)) as client:
        yield client


def frozen_now():
    """T of a pull: a date_to just before now (later updates fall outside the window)."""
    moment = format_datetime(dt.datetime.now(dt.UTC))
    time.sleep(0.01)
    return moment


def ids_of(pages):
    return [item["id"] for page in pages for item in page.items]


def test_a_crawl_follows_link_headers_to_the_last_page(simulator, ocpi):
    crawl = ocpi.crawl(f"{simulator.ocpi}/locations", module="locations", limit=25)
    pages = list(crawl)

    assert [len(page.items) for page in pages] == [25, 25, 10]
    assert [page.offset for page in pages] == [0, 25, 50]
    assert pages[-1].next_url is None
    assert len(set(ids_of(pages))) == 60
    assert crawl.total_count == 60
    assert crawl.received == 60
    assert crawl.warnings == []
    # One correlation id ties the pages of a crawl together.
    assert len({entry["correlation_id"] for entry in simulator.requests("locations")}) == 1


def test_the_server_limit_wins_over_the_requested_one(simulator, ocpi):
    simulator.configure(max_limit=20)

    pages = list(ocpi.crawl(f"{simulator.ocpi}/locations", module="locations", limit=500))

    assert [page.limit for page in pages] == [20, 20, 20]
    assert len(set(ids_of(pages))) == 60


def test_filters_stay_on_every_page(simulator, ocpi):
    date_to = frozen_now()
    pages = list(
        ocpi.crawl(
            f"{simulator.ocpi}/locations", module="locations", limit=20, params={"date_to": date_to}
        )
    )

    assert len(pages) == 3
    assert all(entry["query"]["date_to"] == date_to for entry in simulator.requests("locations"))


def test_objects_leaving_the_window_mid_crawl_are_not_missed(simulator, ocpi):
    """On page 3, three objects already read are updated past date_to: X-Total-Count drops
    by three and what followed them slides back onto page 2. The client re-reads it."""
    date_to = frozen_now()
    simulator.faults({"kind": "shift", "module": "locations", "page": 3, "count": 3})

    crawl = ocpi.crawl(
        f"{simulator.ocpi}/locations", module="locations", limit=20, params={"date_to": date_to}
    )
    pages = list(crawl)

    assert len(set(ids_of(pages))) == 60
    assert crawl.rereads == 1
    assert crawl.total_count == 57
    assert [page.reread for page in pages] == [False, False, True, False]
    assert "dropped by 3" in crawl.warnings[0]


def test_without_the_re_read_those_objects_would_have_been_lost(simulator, ocpi):
    date_to = frozen_now()
    simulator.faults({"kind": "shift", "module": "locations", "page": 3, "count": 3})

    pages = ocpi.crawl(
        f"{simulator.ocpi}/locations", module="locations", limit=20, params={"date_to": date_to}
    )
    first_reads = [page for page in pages if not page.reread]

    assert len(set(ids_of(first_reads))) == 57


def test_a_page_without_link_is_followed_by_offset_when_more_remain(simulator, ocpi):
    simulator.faults({"kind": "no_link", "module": "locations", "page": 1})

    crawl = ocpi.crawl(f"{simulator.ocpi}/locations", module="locations", limit=25)
    pages = list(crawl)

    assert len(set(ids_of(pages))) == 60
    assert "no Link" in crawl.warnings[0]


def test_an_interrupted_crawl_resumes_where_it_stopped(simulator, ocpi):
    date_to = frozen_now()
    simulator.faults(
        {"kind": "status", "module": "locations", "page": 3, "status": 500, "times": 1}
    )
    crawl = ocpi.crawl(
        f"{simulator.ocpi}/locations", module="locations", limit=20, params={"date_to": date_to}
    )
    kept = []

    def read_all():
        for page in crawl:
            kept.append(page)

    with pytest.raises(OcpiRequestError) as error:
        read_all()
    assert error.value.retryable
    assert len(kept) == 2
    assert "offset=40" in crawl.next_url

    resumed = ocpi.crawl(
        crawl.next_url,
        module="locations",
        expected_total=crawl.total_count,
        already_received=crawl.received,
    )
    rest = list(resumed)

    assert len(set(ids_of(kept + rest))) == 60
    assert resumed.received == 60
    assert resumed.warnings == []


def test_a_resumed_crawl_notices_objects_that_moved_while_it_was_stopped(simulator, ocpi):
    date_to = frozen_now()
    crawl = ocpi.crawl(
        f"{simulator.ocpi}/locations", module="locations", limit=20, params={"date_to": date_to}
    )
    kept = []
    for page in crawl:
        kept.append(page)
        if len(kept) == 2:
            break
    # Between the runs two locations already read are updated (they leave the window).
    simulator.faults({"kind": "shift", "module": "locations", "page": 3, "count": 2})

    resumed = ocpi.crawl(
        f"{simulator.ocpi}/locations?limit=20&offset=40&date_to={date_to}",
        module="locations",
        expected_total=60,
        already_received=40,
    )
    rest = list(resumed)

    assert len(set(ids_of(kept + rest))) == 60
    assert resumed.rereads == 1


def test_a_list_answer_that_is_not_a_list_is_refused(simulator, ocpi):
    with pytest.raises(OcpiRequestError, match="list"):
        list(ocpi.crawl(f"{simulator.ocpi}/locations/LOC000001", module="locations"))
