"""The driver's charging history page (filter, monthly totals, pages of sessions) and its CSV."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from billing import selectors_history as selectors
from billing.csv_export import csv_response
from billing.forms_history import HistoryFilterForm
from billing.selectors_invoicing import session_duration_seconds
from roaming.models import Session

PAGE_SIZE = 25


@dataclass(frozen=True)
class HistoryRow:
    session: Session
    started: datetime  # in the driver's time zone
    started_local: datetime | None  # at the location, when its clock differs from the driver's
    duration_minutes: int
    price_status: str


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm.from_query(request.GET)
    tz = selectors.driver_time_zone(user=request.user)
    valid = form.is_valid()
    period = form.period(tz) if valid else None
    sessions = selectors.history_session_list(user=request.user, period=period)
    page = Paginator(sessions if valid else sessions.none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "rows": [_row(session, tz) for session in page],
        "totals": selectors.history_monthly_totals(user=request.user, tz=tz),
        "time_zone": str(tz),
        "filtered": period is not None,
    }
    return render(request, "billing/history.html", context, status=200 if valid else 400)


@login_required
@require_GET
def history_export(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm.from_query(request.GET)
    if not form.is_valid():
        return history(request)
    tz = selectors.driver_time_zone(user=request.user)
    rows = selectors.history_csv_rows(user=request.user, period=form.period(tz), tz=tz)
    return csv_response(rows, filename=f"charging-history-{form.suffix()}.csv")


@login_required
@require_GET
def sessions_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("billing:history", permanent=True)


def _row(session: Session, tz: ZoneInfo) -> HistoryRow:
    started = session.start_date_time.astimezone(tz)
    local = session.start_date_time.astimezone(selectors.session_time_zone(session, tz))
    return HistoryRow(
        session=session,
        started=started,
        started_local=local if local.utcoffset() != started.utcoffset() else None,
        duration_minutes=session_duration_seconds(session) // 60,
        price_status=selectors.price_status(session),
    )
