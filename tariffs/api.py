"""The app's price preview (mounted under /api/v1/): what a planned charge at a connector costs
the signed-in driver, with the breakdown."""

import logging
from decimal import Decimal, InvalidOperation

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from emsp.api import ApiErrorSerializer
from roaming.models import Connector
from tariffs import pricing
from tariffs.preview import (
    MAX_ENERGY_KWH,
    MAX_PARKING_MINUTES,
    MAX_POWER_KW,
    PREVIEW_WINDOW,
    price_preview_get,
)
from tariffs.pricing_service import DriverPriceError, connector_for_pricing_get

logger = logging.getLogger(__name__)


class PriceUnavailable(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "price_unavailable"
    default_detail = "No price can be given for this charge at this connector."


class PricePreviewQuerySerializer(serializers.Serializer):
    energy_kwh = serializers.CharField(required=False)
    power_kw = serializers.CharField(required=False)
    start = serializers.DateTimeField(required=False)
    parking_minutes = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_PARKING_MINUTES
    )

    def validate_energy_kwh(self, value: str) -> Decimal:
        return _positive(value, MAX_ENERGY_KWH)

    def validate_power_kw(self, value: str) -> Decimal:
        return _positive(value, MAX_POWER_KW)


def _positive(value: str, maximum: Decimal) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise serializers.ValidationError("Send a number.") from None
    if not number.is_finite() or not 0 < number <= maximum:
        raise serializers.ValidationError(f"Send a number above 0 and at most {maximum}.")
    return number


class PriceOutputSerializer(serializers.Serializer):
    excl_vat = serializers.CharField()
    incl_vat = serializers.CharField()


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PricePreviewOutputSerializer(serializers.Serializer):
    connector_id = serializers.IntegerField()
    currency = serializers.CharField(help_text="ISO 4217.")
    total = PriceOutputSerializer(help_text="Rounded to the currency's minor unit.")
    summary = serializers.CharField(help_text='e.g. "about 12.40 EUR for 30 kWh (~36 min)".')
    unit_prices = serializers.CharField(help_text="The driver's tariff in words, incl. VAT.")
    energy_kwh = serializers.CharField()
    power_kw = serializers.CharField(help_text="As priced: never above the connector's maximum.")
    charging_minutes = serializers.IntegerField()
    parking_minutes = serializers.IntegerField()
    start = serializers.DateTimeField()
    power_class = serializers.CharField(allow_null=True, help_text="AC, DC or HPC.")
    plan = PlanOutputSerializer()
    breakdown = serializers.JSONField(
        help_text="Costs named as in an OCPI CDR (total_cost, total_energy_cost, ...), amounts "
        "as strings, and the lines (dimension, quantity, unit_price, vat, cost)."
    )


class ConnectorPricePreviewApi(APIView):
    """What a planned charge at this connector costs you, with your plan."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "connector_id",
                {"type": "integer", "minimum": 1},
                OpenApiParameter.PATH,
                description="The connector's id (as the map and location endpoints give it).",
            ),
            OpenApiParameter(
                "energy_kwh",
                {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMinimum": True,
                    "maximum": float(MAX_ENERGY_KWH),
                },
                description="Energy to charge (default: a typical charge, 30 kWh).",
            ),
            OpenApiParameter(
                "power_kw",
                {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMinimum": True,
                    "maximum": float(MAX_POWER_KW),
                },
                description="Average charging power (default: the connector's, capped at what "
                "typical cars take).",
            ),
            OpenApiParameter(
                "start",
                {"type": "string", "format": "date-time"},
                description="When the charge starts (default: now); within a year from now.",
            ),
            OpenApiParameter(
                "parking_minutes",
                {"type": "integer", "minimum": 0, "maximum": MAX_PARKING_MINUTES},
                description="Minutes plugged in after charging (default 0).",
            ),
        ],
        responses={
            200: PricePreviewOutputSerializer,
            409: OpenApiResponse(
                response=ApiErrorSerializer,
                description="No price can be given: the connector has no tariff we can use, "
                "or the start is more than a year away.",
            ),
        },
    )
    def get(self, request: Request, connector_id: str) -> Response:
        query = PricePreviewQuerySerializer(data=request.query_params)
        if set(request.query_params) - set(query.fields):
            unknown = sorted(set(request.query_params) - set(query.fields))
            raise ValidationError({name: ["This parameter is unknown."] for name in unknown})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if not connector_id.isdigit() or len(connector_id) > 18:
            raise Http404
        try:
            connector = connector_for_pricing_get(connector_id=int(connector_id))
        except Connector.DoesNotExist:
            raise Http404 from None
        start = data.get("start")
        if start is not None and abs(start - timezone.now()) > PREVIEW_WINDOW:
            raise PriceUnavailable("Prices can be previewed for charges within a year from now.")
        try:
            preview = price_preview_get(
                user=request.user,
                connector=connector,
                energy_kwh=data.get("energy_kwh"),
                power_kw=data.get("power_kw"),
                start=start,
                parking_minutes=data.get("parking_minutes", 0),
            )
        except DriverPriceError as error:
            raise PriceUnavailable(str(error)) from None
        except LookupError:  # our configuration (default plan, VAT rate): staff see it in logs
            logger.exception("No price preview at connector %s", connector.pk)
            raise PriceUnavailable() from None
        except pricing.PricingError as error:
            raise ValidationError({error.path or "non_field_errors": [error.message]}) from None
        return Response(PricePreviewOutputSerializer(_output(preview)).data)


def _output(preview) -> dict:
    tariff = preview.driver_tariff
    return {
        "connector_id": preview.connector.pk,
        "currency": preview.currency,
        "total": {"excl_vat": str(preview.total_excl_vat), "incl_vat": str(preview.total)},
        "summary": preview.summary,
        "unit_prices": preview.unit_prices,
        "energy_kwh": pricing.breakdown.quantity_text(preview.energy_kwh),
        "power_kw": pricing.breakdown.quantity_text(preview.power_kw),
        "charging_minutes": preview.charging_minutes,
        "parking_minutes": int(preview.parking_minutes),
        "start": preview.start,
        "power_class": tariff.power_class,
        "plan": {"id": tariff.plan.pk, "name": tariff.plan.name},
        "breakdown": preview.breakdown.as_json(),
    }
