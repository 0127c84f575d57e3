"""The app's charging tokens API (mounted under /api/v1/): the app token and RFID cards (link,
order and activate on arrival, block a lost one). The driver's own tokens and orders only
(anyone else's: 404)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drivers import selectors, services
from drivers.models import CardOrder, Token
from emsp.api import ApiErrorSerializer, JsonInputSerializer


class TokenConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This cannot be done now."


class TokensApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Token.DoesNotExist | CardOrder.DoesNotExist):
            exc = Http404()
        return super().handle_exception(exc)


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=Token.Type.choices, help_text="APP_USER or RFID.")
    uid = serializers.CharField()
    visual_number = serializers.CharField()
    contract_id = serializers.CharField()
    valid = serializers.BooleanField(help_text="False: blocked.")
    created_at = serializers.DateTimeField()


class CardOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=CardOrder.Status.choices,
        help_text="requested → linked → shipped → activated (by you, when the card arrives; "
        "linked or shipped: the card does not charge yet).",
    )
    shipping_name = serializers.CharField()
    shipping_address = serializers.CharField()
    token_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)


class TokenListOutputSerializer(serializers.Serializer):
    tokens = TokenOutputSerializer(many=True, help_text="The app token first, then RFID cards.")
    card_orders = CardOrderOutputSerializer(many=True)


# What services.rfid_card_clean accepts, as patterns the schema shows (and the fuzz test
# generates from): separators and surrounding blanks as a reader or a person types them.
_BLANK = "[ \\t\\n\\r]*"
UID_AS_SENT = rf"^{_BLANK}[ :]*(?:[0-9A-Fa-f][ :]*){{8,20}}{_BLANK}$"
VISUAL_NUMBER_AS_SENT = rf"^{_BLANK}[A-Za-z0-9](?:[A-Za-z0-9 \t\n\r-]*[A-Za-z0-9])?{_BLANK}$"


def _visual_number_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=64,
        help_text="The number printed on the card: letters, digits, spaces and dashes.",
        validators=[
            RegexValidator(
                VISUAL_NUMBER_AS_SENT,
                "Enter the number printed on the card (letters, digits, spaces and dashes).",
            )
        ],
    )


class RfidLinkInputSerializer(JsonInputSerializer):
    uid = serializers.CharField(
        max_length=40,
        help_text="The card's UID: 8 to 20 hexadecimal digits (spaces or colons between).",
        validators=[
            RegexValidator(
                UID_AS_SENT, "Enter the card's UID: 8 to 20 hexadecimal digits (0-9, A-F)."
            )
        ],
    )
    visual_number = _visual_number_field()


class CardActivateInputSerializer(JsonInputSerializer):
    visual_number = _visual_number_field()


def _no_input(request: Request) -> None:
    data = request.data
    if data not in ({}, None) and not (hasattr(data, "keys") and not list(data.keys())):
        raise ValidationError({"non_field_errors": ["This endpoint takes no input."]})


def _invalid(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


class TokenListApi(TokensApi):
    """Your charging tokens (the app token is created on first need) and card orders."""

    @extend_schema(responses=TokenListOutputSerializer, operation_id="tokens_list")
    def get(self, request: Request) -> Response:
        services.token_app_get_or_create(user=request.user)
        data = {
            "tokens": selectors.token_list(user=request.user)[:100],
            "card_orders": selectors.card_order_list(user=request.user)[:20],
        }
        return Response(TokenListOutputSerializer(data).data)


class RfidLinkApi(TokensApi):
    """Link an RFID card you hold to your account."""

    @extend_schema(
        request=RfidLinkInputSerializer,
        responses={201: TokenOutputSerializer},
        operation_id="tokens_rfid_link",
    )
    def post(self, request: Request) -> Response:
        serializer = RfidLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = services.token_rfid_link(user=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _invalid(error) from None
        return Response(TokenOutputSerializer(token).data, status=status.HTTP_201_CREATED)


class CardOrderApi(TokensApi):
    """Order an RFID card, posted to the address in your profile."""

    @extend_schema(
        request=None,
        responses={
            201: CardOrderOutputSerializer,
            409: OpenApiResponse(
                response=ApiErrorSerializer,
                description="No complete address in the profile, or a card is already ordered.",
            ),
        },
        operation_id="tokens_rfid_order",
    )
    def post(self, request: Request) -> Response:
        _no_input(request)
        try:
            order = services.card_order_request(user=request.user)
        except DjangoValidationError as error:
            raise TokenConflict(" ".join(error.messages)) from None
        return Response(CardOrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)


class CardOrderActivateApi(TokensApi):
    """Your ordered card arrived: the number printed on it activates it, and every operator is
    told. Until then it does not charge. Activating it again changes nothing."""

    @extend_schema(
        request=CardActivateInputSerializer,
        responses={
            200: CardOrderOutputSerializer,
            400: OpenApiResponse(
                response=ApiErrorSerializer,
                description="Not the number printed on the card, or the card is not posted yet.",
            ),
        },
        operation_id="tokens_rfid_order_activate",
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = selectors.card_order_get(user=request.user, order_id=order_id)
        serializer = CardActivateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            order = services.card_order_activate(
                user=request.user, order_id=order.pk, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _invalid(error) from None
        return Response(CardOrderOutputSerializer(order).data)


class TokenBlockApi(TokensApi):
    """Block your lost RFID card for good (only support can unblock it). Every operator is
    told at once. Blocking a blocked card again changes nothing."""

    @extend_schema(
        request=None,
        responses={
            200: TokenOutputSerializer,
            409: OpenApiResponse(
                response=ApiErrorSerializer, description="Only RFID cards can be blocked."
            ),
        },
        operation_id="tokens_block",
    )
    def post(self, request: Request, token_id: str) -> Response:
        token = selectors.token_get(user=request.user, token_id=token_id)
        _no_input(request)
        try:
            token = services.token_block(user=request.user, token_id=token.pk)
        except DjangoValidationError as error:
            raise TokenConflict(" ".join(error.messages)) from None
        return Response(TokenOutputSerializer(token).data)
