"""The driver's invoices (with the PDF) and charging sessions (live cost, polled by htmx)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import selectors_invoicing as selectors
from billing.api_invoicing import pdf_response
from billing.models import Invoice
from billing.services.invoices import invoice_open_payment
from roaming.models import Session

LIVE_STATUSES = ("PENDING", "ACTIVE", "RESERVATION")
INVOICE_PAGE_SIZE = 50


def _own_invoice(request: HttpRequest, invoice_id) -> Invoice:
    try:
        return selectors.invoice_get(user=request.user, invoice_id=invoice_id)
    except Invoice.DoesNotExist as error:
        raise Http404 from error


def _own_session(request: HttpRequest, session_id) -> Session:
    try:
        return selectors.session_get(user=request.user, session_id=session_id)
    except Session.DoesNotExist as error:
        raise Http404 from error


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Unpaid invoices the driver can pay now come first, each with its "Pay now" action."""
    invoices = selectors.invoice_list(user=request.user, open_first=True)
    page = Paginator(invoices, INVOICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/invoices.html", {"invoices": page, "page": page})


@login_required
@require_GET
def invoice_detail(request: HttpRequest, invoice_id) -> HttpResponse:
    invoice = _own_invoice(request, invoice_id)
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "open_payment": invoice_open_payment(invoice=invoice),
            "credit_notes": selectors.credit_note_list_for(invoice=invoice),
        },
    )


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, invoice_id) -> HttpResponse:
    return pdf_response(_own_invoice(request, invoice_id))


@login_required
@require_GET
def session_detail(request: HttpRequest, session_id) -> HttpResponse:
    session = _own_session(request, session_id)
    template = (
        "billing/session_live.html" if request.headers.get("HX-Request") else "billing/session.html"
    )
    return render(request, template, _session_context(session))


def _session_context(session: Session) -> dict:
    return {
        "session": session,
        "cost": selectors.session_cost(session),
        "duration_minutes": selectors.session_duration_seconds(session) // 60,
        "live": session.status in LIVE_STATUSES,
        "invoice": session.invoices.first(),
    }
