"""The app's invoices and sessions (mounted under /api/v1/): the driver's own only."""

import json
from decimal import Decimal

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors_invoicing as selectors
from billing.amounts import amount_display
from billing.models import Invoice
from billing.pdf import invoice_pdf
from billing.selectors_history import price_status
from billing.services.invoices import invoice_open_payment
from emsp.api import PAGINATION_PARAMETERS, paginated, paginated_response
from roaming.models import Session


class OwnObjectsApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Invoice.DoesNotExist | Session.DoesNotExist):
            exc = Http404()
        return super().handle_exception(exc)


class AmountField(serializers.CharField):
    """A decimal string with the currency's ISO 4217 decimals ("8.47"; "1235" for JPY)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        currency = getattr(instance, "currency", None) or instance.invoice.currency
        return None if value is None else amount_display(value, currency)

    def to_representation(self, value) -> str:
        return value


class InvoiceLineOutputSerializer(serializers.Serializer):
    component = serializers.CharField()
    description = serializers.CharField(source="get_component_display")
    quantity = serializers.DecimalField(max_digits=16, decimal_places=6)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    vat_rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    amount_excl_vat = AmountField()
    vat_amount = AmountField()
    amount_incl_vat = AmountField()


class InvoiceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    currency = serializers.CharField()
    total_excl_vat = AmountField()
    total_vat = AmountField()
    total_incl_vat = AmountField()
    amount_due = AmountField()
    amount_rounding_waived = AmountField()
    payment_status = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True)
    location_name = serializers.CharField()
    energy_kwh = serializers.DecimalField(max_digits=16, decimal_places=6)
    session_start = serializers.DateTimeField(allow_null=True)
    session_end = serializers.DateTimeField(allow_null=True)
    open_payment_id = serializers.SerializerMethodField(
        help_text="Pay it with POST /api/v1/payments/{id}/pay when the invoice is open."
    )

    def get_open_payment_id(self, invoice: Invoice) -> str | None:
        if hasattr(invoice, "open_payment_id"):
            return str(invoice.open_payment_id) if invoice.open_payment_id else None
        payment = invoice_open_payment(invoice=invoice)
        return str(payment.pk) if payment else None


class InvoiceDetailOutputSerializer(InvoiceOutputSerializer):
    seller_name = serializers.CharField()
    seller_address = serializers.CharField()
    seller_vat_id = serializers.CharField()
    buyer_name = serializers.CharField()
    buyer_address = serializers.CharField()
    lines = InvoiceLineOutputSerializer(many=True)


class SessionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    start_date_time = serializers.DateTimeField()
    end_date_time = serializers.DateTimeField(allow_null=True)
    energy_kwh = serializers.DecimalField(source="kwh", max_digits=16, decimal_places=6)
    duration_seconds = serializers.SerializerMethodField()
    power_kw = serializers.SerializerMethodField()
    location_name = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    running_cost_excl_vat = serializers.SerializerMethodField()
    running_cost_incl_vat = serializers.SerializerMethodField()
    cost_updated_at = serializers.SerializerMethodField()
    location_city = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField(
        help_text="Incl. VAT: the invoice's total, else the running estimate; null if unknown."
    )
    price_currency = serializers.SerializerMethodField()
    price_status = serializers.SerializerMethodField(
        help_text="invoiced, estimate (not invoiced yet) or unknown."
    )
    invoice_id = serializers.SerializerMethodField()
    invoice_number = serializers.SerializerMethodField()

    def get_location_city(self, session: Session) -> str:
        return session.location.city if session.location else ""

    def get_price(self, session: Session) -> str | None:
        price = getattr(session, "price", None)
        return None if price is None else amount_display(price, session.price_currency)

    def get_price_currency(self, session: Session) -> str:
        return getattr(session, "price_currency", None) or session.currency

    def get_price_status(self, session: Session) -> str:
        return price_status(session) if hasattr(session, "price") else "unknown"

    def get_invoice_id(self, session: Session) -> str | None:
        invoice_id = getattr(session, "invoice_id", None)
        return str(invoice_id) if invoice_id else None

    def get_invoice_number(self, session: Session) -> str | None:
        return getattr(session, "invoice_number", None)

    def get_duration_seconds(self, session: Session) -> int:
        return selectors.session_duration_seconds(session)

    def get_power_kw(self, session: Session) -> str | None:
        power = selectors.session_power_kw(session)
        return None if power is None else f"{power.quantize(Decimal('0.1'))}"

    def get_location_name(self, session: Session) -> str:
        return session.location.name if session.location else ""

    def get_currency(self, session: Session) -> str:
        cost = selectors.session_cost(session)
        return cost.currency if cost else session.currency

    def get_running_cost_excl_vat(self, session: Session) -> str | None:
        cost = selectors.session_cost(session)
        return (
            None
            if cost is None or cost.error
            else amount_display(cost.total_excl_vat, cost.currency)
        )

    def get_running_cost_incl_vat(self, session: Session) -> str | None:
        cost = selectors.session_cost(session)
        return (
            None
            if cost is None or cost.error
            else amount_display(cost.total_incl_vat, cost.currency)
        )

    def get_cost_updated_at(self, session: Session) -> str | None:
        cost = selectors.session_cost(session)
        return cost.computed_at.isoformat() if cost else None


class InvoiceListApi(OwnObjectsApi):
    @extend_schema(
        responses=paginated(InvoiceOutputSerializer),
        parameters=[
            OpenApiParameter(
                "status",
                {"type": "string", "enum": list(Invoice.PaymentStatus.values)},
                description="Only invoices in this payment status (open: to pay now).",
            ),
            *PAGINATION_PARAMETERS,
        ],
        operation_id="invoices_list",
    )
    def get(self, request: Request) -> Response:
        statuses = request.query_params.getlist("status")
        if len(statuses) > 1 or (statuses and statuses[0] not in Invoice.PaymentStatus.values):
            choices = ", ".join(Invoice.PaymentStatus.values)
            raise ValidationError({"status": [f"Send one of: {choices}."]})
        return paginated_response(
            request=request,
            view=self,
            items=selectors.invoice_list(
                user=request.user, payment_status=statuses[0] if statuses else None
            ),
            serializer_class=InvoiceOutputSerializer,
        )


class InvoiceDetailApi(OwnObjectsApi):
    @extend_schema(responses=InvoiceDetailOutputSerializer)
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = selectors.invoice_get(user=request.user, invoice_id=invoice_id)
        return Response(InvoiceDetailOutputSerializer(invoice).data)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for application/pdf; errors are still sent as JSON bytes."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class InvoicePdfApi(OwnObjectsApi):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The invoice as PDF."
            )
        }
    )
    def get(self, request: Request, invoice_id: str) -> HttpResponse:
        invoice = selectors.invoice_get(user=request.user, invoice_id=invoice_id)
        return pdf_response(invoice)


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
