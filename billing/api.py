"""The app's payment API (mounted under /api/v1/): cards, open payments, eligibility."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors, services
from billing.api_invoicing import AmountField
from billing.models import CardSetup, Payment, PaymentMethod
from billing.stripe_gateway import CardDeclinedError, GatewayError
from emsp.api import PAGINATION_PARAMETERS, paginated, paginated_response


class PaymentRequired(APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "card_declined"
    default_detail = "The card was declined."


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "incomplete"
    default_detail = "Not finished yet."


class StripeUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "payment_provider_unavailable"
    default_detail = "The payment provider cannot be reached. Try again in a moment."


class BillingApi(APIView):
    """Maps our errors to HTTP: someone else's object → 404, gateway trouble → 503/402."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(
            exc, PaymentMethod.DoesNotExist | Payment.DoesNotExist | CardSetup.DoesNotExist
        ):
            exc = Http404()
        elif isinstance(exc, CardDeclinedError):
            exc = PaymentRequired(exc.message, code=exc.code or "card_declined")
        elif isinstance(exc, GatewayError) and exc.retryable:
            exc = StripeUnavailable()
        elif isinstance(exc, GatewayError):
            exc = ValidationError({"non_field_errors": [exc.message]})
        elif isinstance(exc, services.CardSetupError):
            exc = (Conflict if exc.code == "incomplete" else PaymentRequired)(exc.message, exc.code)
        return super().handle_exception(exc)


def _no_input(request: Request) -> None:
    data = request.data
    if data not in ({}, None) and not (hasattr(data, "keys") and not list(data.keys())):
        raise ValidationError({"non_field_errors": ["This endpoint takes no input."]})


class CardOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    is_default = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SetupOutputSerializer(serializers.Serializer):
    setup_intent_id = serializers.CharField()
    client_secret = serializers.CharField()
    publishable_key = serializers.CharField()


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purpose = serializers.CharField()
    reference = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.CharField()
    amount = AmountField()
    amount_captured = AmountField()
    amount_refunded = AmountField()
    currency = serializers.CharField()
    is_open = serializers.BooleanField()
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class PayInputSerializer(serializers.Serializer):
    payment_method_id = serializers.UUIDField()

    def validate(self, attrs: dict) -> dict:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise ValidationError({name: ["This field is unknown."] for name in sorted(unknown)})
        return attrs


class PayOutputSerializer(serializers.Serializer):
    payment = PaymentOutputSerializer()
    client_secret = serializers.CharField(
        allow_blank=True, help_text="Set when the bank asks the driver to authenticate."
    )


class EligibilityOutputSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class PaymentMethodSetupApi(BillingApi):
    """Start saving a card: a SetupIntent (off-session use) for the app's Stripe SDK."""

    @extend_schema(request=None, responses={201: SetupOutputSerializer})
    def post(self, request: Request) -> Response:
        _no_input(request)
        start = services.card_setup_start(user=request.user)
        return Response(SetupOutputSerializer(start).data, status=status.HTTP_201_CREATED)


class PaymentMethodSetupCompleteApi(BillingApi):
    """After the SDK confirmed the SetupIntent: we read it from Stripe and save the card."""

    @extend_schema(
        request=None,
        responses={
            201: CardOutputSerializer,
            200: OpenApiResponse(
                CardOutputSerializer, description="this card was saved before: that one"
            ),
            402: OpenApiResponse(description="declined"),
            404: OpenApiResponse(description="not this driver's setup"),
            409: OpenApiResponse(description="authentication not finished"),
        },
    )
    def post(self, request: Request, setup_intent_id: str) -> Response:
        _no_input(request)
        saved = services.card_setup_complete(user=request.user, setup_intent_id=setup_intent_id)
        return Response(
            CardOutputSerializer(saved.payment_method).data,
            status=status.HTTP_200_OK if saved.already_saved else status.HTTP_201_CREATED,
        )


class PaymentMethodListApi(BillingApi):
    @extend_schema(responses=CardOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        cards = selectors.payment_method_list(user=request.user)
        return Response(CardOutputSerializer(cards, many=True).data)


class PaymentMethodDetailApi(BillingApi):
    @extend_schema(responses=CardOutputSerializer)
    def get(self, request: Request, payment_method_id) -> Response:
        card = selectors.payment_method_get(user=request.user, payment_method_id=payment_method_id)
        return Response(CardOutputSerializer(card).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, payment_method_id) -> Response:
        services.payment_method_remove(user=request.user, payment_method_id=payment_method_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentMethodDefaultApi(BillingApi):
    @extend_schema(request=None, responses=CardOutputSerializer)
    def post(self, request: Request, payment_method_id) -> Response:
        _no_input(request)
        card = services.payment_method_set_default(
            user=request.user, payment_method_id=payment_method_id
        )
        return Response(CardOutputSerializer(card).data)


class PaymentListApi(BillingApi):
    @extend_schema(
        responses=paginated(PaymentOutputSerializer),
        parameters=PAGINATION_PARAMETERS,
        operation_id="payments_list",
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request=request,
            view=self,
            items=selectors.payment_list(user=request.user),
            serializer_class=PaymentOutputSerializer,
        )


class PaymentDetailApi(BillingApi):
    @extend_schema(responses=PaymentOutputSerializer)
    def get(self, request: Request, payment_id) -> Response:
        payment = selectors.payment_get(user=request.user, payment_id=payment_id)
        return Response(PaymentOutputSerializer(payment).data)


class PaymentPayApi(BillingApi):
    """Pay an open payment now with one of the driver's cards; when the bank asks, the
    client secret lets the app's SDK authenticate, then call .../refresh."""

    @extend_schema(request=PayInputSerializer, responses=PayOutputSerializer)
    def post(self, request: Request, payment_id) -> Response:
        selectors.payment_get(user=request.user, payment_id=payment_id)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object."]})
        serializer = PayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.payment_pay_on_session(
            user=request.user,
            payment_id=payment_id,
            payment_method_id=serializer.validated_data["payment_method_id"],
        )
        return Response(PayOutputSerializer(result).data)


class PaymentRefreshApi(BillingApi):
    """Re-read the payment from Stripe (after the app finished authentication)."""

    @extend_schema(request=None, responses=PaymentOutputSerializer)
    def post(self, request: Request, payment_id) -> Response:
        _no_input(request)
        payment = selectors.payment_get(user=request.user, payment_id=payment_id)
        payment = services.payment_refresh(payment_id=payment.pk)
        return Response(PaymentOutputSerializer(payment).data)


class ChargingEligibilityApi(BillingApi):
    """Whether the driver may start charging now (a usable card, no unpaid payments over the
    limit), and why not."""

    @extend_schema(responses=EligibilityOutputSerializer)
    def get(self, request: Request) -> Response:
        eligibility = selectors.charging_eligibility_get(user=request.user)
        return Response(EligibilityOutputSerializer(eligibility).data)
