"""The driver's charging history: their sessions with place, energy and price (the invoice's
total, or the running estimate until it is invoiced), filtered by a period, summed per month and
currency in the database, and the rows of the CSV export. Only the driver's own sessions."""

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from billing.amounts import amount_display
from billing.models import CreditNote, Invoice
from billing.selectors_invoicing import session_duration_seconds, session_list
from roaming.models import Session

PRICE = DecimalField(max_digits=14, decimal_places=4)
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """[start, end): either side may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class MonthlyTotal:
    month: date  # the first day of the month, in the driver's time zone
    currency: str
    sessions: int
    energy_kwh: Decimal
    amount: Decimal  # invoice totals, plus the estimates of sessions not invoiced yet
    sessions_estimated: int  # how many of the sessions are not invoiced yet


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_get(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The IANA zone by that exact name, or None (never a path on disk for a hostile name)."""
    if not name or name not in time_zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


def driver_time_zone(*, user, requested: str | None = None) -> zoneinfo.ZoneInfo:
    """The zone that months and dates of the history are counted in: the one the app sends
    (its device's), else DRIVER_TIME_ZONE."""
    return time_zone_get(requested) or zoneinfo.ZoneInfo(settings.DRIVER_TIME_ZONE)


# Days outside these are taken as these (no charging session is older or newer), so that any
# well-formed date (0001-01-01, 9999-12-31) gives a period, not an overflow.
FIRST_DAY, LAST_DAY = date(1000, 1, 1), date(9000, 1, 1)


def month_period(*, year: int, month: int, tz: zoneinfo.ZoneInfo) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1) if year < LAST_DAY.year else LAST_DAY
    return Period(_midnight(first, tz), _midnight(following, tz))


def year_period(*, year: int, tz: zoneinfo.ZoneInfo) -> Period:
    following = date(year + 1, 1, 1) if year < LAST_DAY.year else LAST_DAY
    return Period(_midnight(date(year, 1, 1), tz), _midnight(following, tz))


def dates_period(*, date_from: date | None, date_to: date | None, tz: zoneinfo.ZoneInfo) -> Period:
    """From the start of date_from to the end of date_to (both days included)."""
    following = (min(date_to, LAST_DAY) + timedelta(days=1)) if date_to else None
    return Period(
        _midnight(date_from, tz) if date_from else None,
        _midnight(following, tz) if following else None,
    )


def period_intersection(periods: list[Period]) -> Period:
    """The time in all of the periods (may be empty: start at or after end)."""
    starts = [p.start for p in periods if p.start]
    ends = [p.end for p in periods if p.end]
    return Period(max(starts) if starts else None, min(ends) if ends else None)


def _midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), time(0), tzinfo=tz)


def history_session_list(*, user, period: Period | None = None) -> QuerySet[Session]:
    """The driver's sessions that started in the period, newest first, each annotated with
    `price`, `price_currency`, `price_is_estimate`, `invoice_id`, `invoice_number` and
    `invoice_status` (the session's first invoice). The price is what the driver pays: the
    invoice's total less what its credit notes gave back, else the running estimate; a cost
    that could not be computed gives no price (None)."""
    sessions = session_list(user=user)
    if period and period.start:
        sessions = sessions.filter(start_date_time__gte=period.start)
    if period and period.end:
        sessions = sessions.filter(start_date_time__lt=period.end)
    invoices = Invoice.objects.filter(session=OuterRef("pk")).order_by("issued_at", "sequence")
    credited = (
        CreditNote.objects.filter(invoice=OuterRef("invoice_id"))
        .order_by()
        .values("invoice")
        .annotate(total=Sum("total_incl_vat"))
        .values("total")
    )
    return sessions.annotate(
        invoice_id=Subquery(invoices.values("pk")[:1]),
        invoice_number=Subquery(invoices.values("number")[:1]),
        invoice_status=Subquery(invoices.values("payment_status")[:1]),
        invoice_total=Subquery(invoices.values("total_incl_vat")[:1]),
        invoice_currency=Subquery(invoices.values("currency")[:1]),
        invoice_credited=Coalesce(Subquery(credited), Value(Decimal(0)), output_field=PRICE),
        price=Case(
            When(invoice_total__isnull=False, then=F("invoice_total") - F("invoice_credited")),
            When(driver_cost__error="", then=F("driver_cost__total_incl_vat")),
            default=None,
            output_field=PRICE,
        ),
        price_currency=Coalesce(
            "invoice_currency", "driver_cost__currency", "currency", output_field=CharField()
        ),
        price_is_estimate=Case(
            When(invoice_total__isnull=True, price__isnull=False, then=Value(True)),
            default=Value(False),
        ),
    )


def history_session_get(*, user, session_id: int | str) -> Session:
    """One of the driver's sessions with the annotations of history_session_list;
    Session.DoesNotExist for anyone else's."""
    try:
        key = int(session_id)
    except (TypeError, ValueError) as error:
        raise Session.DoesNotExist from error
    if not 0 < key < 2**63:
        raise Session.DoesNotExist
    return history_session_list(user=user).get(pk=key)


def history_monthly_totals(
    *,
    user,
    tz: zoneinfo.ZoneInfo,
    months: int = HISTORY_MONTHS,
    now: datetime | None = None,
) -> list[MonthlyTotal]:
    """Sessions, kWh and amount per month (in `tz`) and currency, for the current month and
    the `months - 1` before it, newest first; months without sessions are left out.
    One grouped query."""
    today = (now or timezone.now()).astimezone(tz).date()
    index = today.year * 12 + today.month - 1 - (months - 1)
    first = month_period(year=index // 12, month=index % 12 + 1, tz=tz).start
    rows = (
        history_session_list(user=user, period=Period(start=first))
        .annotate(month=TruncMonth("start_date_time", tzinfo=tz))
        .values("month", "price_currency")
        .annotate(
            sessions=Count("pk"),
            energy=Sum("kwh"),
            amount=Sum("price"),
            estimated=Count("pk", filter=Q(price_is_estimate=True)),
        )
        .order_by("-month", "price_currency")
    )
    return [
        MonthlyTotal(
            month=row["month"].astimezone(tz).date(),
            currency=row["price_currency"],
            sessions=row["sessions"],
            energy_kwh=row["energy"] or Decimal(0),
            amount=row["amount"] or Decimal(0),
            sessions_estimated=row["estimated"],
        )
        for row in rows
    ]


CSV_HEADER = [
    "session_id",
    "start",
    "end",
    "time_zone",
    "location",
    "address",
    "city",
    "country",
    "energy_kwh",
    "duration_minutes",
    "amount",
    "currency",
    "price_status",
    "invoice_number",
]


def history_csv_rows(
    *, user, period: Period | None, tz: zoneinfo.ZoneInfo, now: datetime | None = None
) -> Iterator[list[str]]:
    """The header and one row per session of the period (oldest first), as strings: times in
    ISO 8601 with the offset of the location's time zone (else `tz`), amounts with the
    currency's decimals beside their currency. Read in chunks, never all at once."""
    yield CSV_HEADER
    sessions = history_session_list(user=user, period=period).order_by("start_date_time", "pk")
    for session in sessions.iterator(chunk_size=500):
        zone = session_time_zone(session, tz)
        location = session.location
        seconds = session_duration_seconds(session, now)
        price = session.price
        yield [
            str(session.pk),
            session.start_date_time.astimezone(zone).isoformat(),
            session.end_date_time.astimezone(zone).isoformat() if session.end_date_time else "",
            str(zone),
            location.name if location else session.ocpi_location_id,
            location.address if location else "",
            location.city if location else "",
            location.country if location else "",
            f"{session.kwh.normalize():f}",
            str(seconds // 60),
            "" if price is None else amount_display(price, session.price_currency),
            session.price_currency,
            price_status(session),
            session.invoice_number or "",
        ]


def price_status(session: Session) -> str:
    """invoiced, estimate (running or waiting for the invoice) or unknown."""
    if session.invoice_id:
        return "invoiced"
    return "estimate" if session.price is not None else "unknown"


def session_time_zone(session: Session, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    """The location's time zone (what the charger's clock showed), else `fallback`."""
    location = session.location
    return (time_zone_get(location.time_zone) if location else None) or fallback
