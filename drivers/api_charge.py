"""The app's charging API (mounted under /api/v1/): start at a connector, follow the
command, stop a session. The driver's own commands and sessions only (anyone else's: 404)."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drivers import charging
from emsp.api import ApiErrorSerializer, JsonInputSerializer
from roaming.models import Command, Connector, Session
from roaming.ocpi.enums import CommandType

REFUSAL_DESCRIPTION = (
    "Charging cannot start; error.code says why: no_payment_method, unpaid_payments, "
    "already_charging, connector_unavailable (out of order, in use, ...), partner_unavailable "
    "(the operator cannot be reached), refused (e.g. a blocked token)."
)


class ChargingConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"
    default_detail = "Charging cannot start now."


class ChargingApi(APIView):
    """Maps our errors to HTTP: another driver's (or a hidden) object → 404, a refusal → 409."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Connector.DoesNotExist | Command.DoesNotExist | Session.DoesNotExist):
            exc = Http404()
        elif isinstance(exc, charging.ChargingRefused):
            exc = ChargingConflict(exc.message, code=exc.code)
        return super().handle_exception(exc)


class ChargingStartInputSerializer(JsonInputSerializer):
    connector_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The connector's id (as the location endpoints give it).",
    )


class CommandLinksSerializer(serializers.Serializer):
    self = serializers.CharField(help_text="This command (poll it until it is final).")
    session = serializers.CharField(allow_null=True, help_text="The session, once it is known.")
    web = serializers.CharField(help_text="The command's page on the web site.")


class CommandOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    kind = serializers.ChoiceField(
        choices=[CommandType.START_SESSION.value, CommandType.STOP_SESSION.value]
    )
    status = serializers.ChoiceField(
        choices=Command.Status.choices,
        help_text="pending → accepted → succeeded, or rejected / failed / timeout. A start is "
        "done when session_id is set.",
    )
    final = serializers.SerializerMethodField(
        help_text="No further change is expected: stop polling (a start is final once its "
        "session_id is known, or it failed)."
    )
    message = serializers.SerializerMethodField(help_text="The state in words, for people.")
    detail = serializers.SerializerMethodField(
        help_text="The charge point's own word (e.g. EVSE_OCCUPIED) or why it failed."
    )
    session_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    links = serializers.SerializerMethodField()

    def get_final(self, command: Command) -> bool:
        return not charging.command_is_waiting(command)

    def get_message(self, command: Command) -> str:
        return charging.command_outcome_text(command)

    def get_detail(self, command: Command) -> str:
        return charging.command_detail_text(command)

    @extend_schema_field(CommandLinksSerializer)
    def get_links(self, command: Command) -> dict:
        return _links(command)


def _links(command: Command) -> dict:
    return {
        "self": reverse("api:charging_command", args=[command.uid]),
        "session": reverse("api:session", args=[command.session_id])
        if command.session_id
        else None,
        "web": reverse("charge_command", args=[command.uid]),
    }


def _no_input(request: Request) -> None:
    data = request.data
    if data not in ({}, None) and not (hasattr(data, "keys") and not list(data.keys())):
        raise ValidationError({"non_field_errors": ["This endpoint takes no input."]})


class ChargingStartApi(ChargingApi):
    """Start charging with your app token at a connector. The command's outcome comes later:
    poll the command (links.self) until it is final."""

    @extend_schema(
        request=ChargingStartInputSerializer,
        responses={
            202: CommandOutputSerializer,
            404: OpenApiResponse(
                response=ApiErrorSerializer, description="No such connector, or it is hidden."
            ),
            409: OpenApiResponse(response=ApiErrorSerializer, description=REFUSAL_DESCRIPTION),
        },
        operation_id="charging_start",
    )
    def post(self, request: Request) -> Response:
        serializer = ChargingStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        connector = charging.charge_connector_get(
            connector_id=serializer.validated_data["connector_id"]
        )
        command = charging.charging_start(user=request.user, connector=connector)
        return Response(CommandOutputSerializer(command).data, status=status.HTTP_202_ACCEPTED)


class ChargingCommandApi(ChargingApi):
    """A start or stop command you sent, and its outcome."""

    @extend_schema(responses=CommandOutputSerializer, operation_id="charging_command_retrieve")
    def get(self, request: Request, command_id: str) -> Response:
        command = charging.charging_command_get(user=request.user, command_id=command_id)
        return Response(CommandOutputSerializer(command).data)


class SessionStopApi(ChargingApi):
    """Stop your charging session. A stop already on its way is answered again (no second
    command is sent)."""

    @extend_schema(
        request=None,
        responses={
            202: CommandOutputSerializer,
            409: OpenApiResponse(
                response=ApiErrorSerializer,
                description="The session has already ended (error.code session_ended).",
            ),
        },
        operation_id="sessions_stop",
    )
    def post(self, request: Request, session_id: str) -> Response:
        charging_session = charging.session_get(user=request.user, session_id=session_id)
        _no_input(request)
        command = charging.charging_stop(user=request.user, session_id=charging_session.pk)
        return Response(CommandOutputSerializer(command).data, status=status.HTTP_202_ACCEPTED)
