"""API conventions shared by every endpoint of /api/v1/: one error shape, documented in the
OpenAPI schema for every operation."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Wrap DRF's errors as {"error": {"code", "message", "fields"}} so clients parse one shape."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict) and "detail" in detail and len(detail) == 1:
        body = {"code": getattr(detail["detail"], "code", code), "message": str(detail["detail"])}
    else:
        body = {"code": "invalid", "message": "The request is not valid.", "fields": detail}
    response.data = {"error": body}
    return response


# Base for API input serializers: the body must be a JSON object with the JSON types the schema
# states (a string field refuses 42, a boolean field refuses 0 and "yes"), and a field the
# serializer does not accept is refused rather than silently ignored. (A comment, not a docstring:
# drf-spectacular would show a docstring as the description of every subclass.)
class JsonInputSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object."]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        errors: dict[str, list[str]] = {
            name: ["This field is unknown or read-only."] for name in sorted(set(data) - writable)
        }
        for name in writable & set(data):
            message = _json_type_error(self.fields[name], data[name])
            if message:
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)
        return super().to_internal_value(data)


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field itself decides whether null is allowed
    if isinstance(field, serializers.BooleanField):
        expected: tuple[type, ...] = (bool,)
    elif isinstance(field, serializers.CharField | serializers.ChoiceField):
        expected = (str,)
    elif isinstance(field, serializers.IntegerField):
        expected = (int,)
    else:
        return None
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return str(field.error_messages.get("invalid", "This value has the wrong type."))
    limit = getattr(field, "max_length", None)
    if isinstance(value, str) and limit is not None and len(value) > limit:
        # Checked before DRF trims white space: the schema's maxLength is about what was sent.
        return f"Ensure this field has no more than {limit} characters."
    return None


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_authenticated.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.JSONField(
        required=False, help_text="With code invalid: the messages per field that was refused."
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorDetailSerializer()


NO_NULL_CHARACTERS = "^[^\\u0000]*$"


class ApiAutoSchema(AutoSchema):
    """Documents the errors an operation can answer with, in the shape of `exception_handler`:
    400 and 415 where a body is sent, 401 and 403 where sign-in is needed, 404 where the path names
    an object, 429 where requests are throttled. A status the view documents itself is kept."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status, description in self._error_statuses():
            if status not in responses:
                documented = OpenApiResponse(response=ApiErrorSerializer, description=description)
                responses[status] = self._get_response_for_code(documented, status)
        return responses

    def _map_basic_serializer(self, serializer: serializers.Serializer, direction: str) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if isinstance(serializer, JsonInputSerializer) and direction == "request":
            schema["additionalProperties"] = False  # JsonInputSerializer refuses unknown fields
        return schema

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and "pattern" not in schema
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NO_NULL_CHARACTERS  # DRF's CharField refuses them
        return schema

    def _insert_field_validators(self, field: Any, schema: dict) -> None:
        super()._insert_field_validators(field, schema)
        # drf-spectacular documents a blank-allowed string with a pattern as oneOf [pattern,
        # empty string]; when the pattern accepts "" too, oneOf makes "" invalid: anyOf is meant.
        if {"type": "string", "maxLength": 0} in schema.get("oneOf", []):
            schema["anyOf"] = schema.pop("oneOf")

    def _error_statuses(self) -> list[tuple[str, str]]:
        statuses = []
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.append(("400", "The request is not valid: see error.fields."))
            statuses.append(("415", "The body is not JSON."))
        elif self._get_parameters():
            statuses.append(("400", "A parameter is not valid: see error.fields."))
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses.append(("401", "No session token, or it is not valid or has expired."))
            statuses.append(("403", "Not allowed for this account (or a missing CSRF token)."))
        if "{" in self.path:
            statuses.append(("404", "No such object, or not yours."))
        if self.view.get_throttles():
            statuses.append(("429", "Too many requests: wait and try again."))
        return statuses


_PAGINATED_SERIALIZERS: dict[type, type] = {}


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a paginated list of `serializer_class`: {count, next, previous, results}."""
    if serializer_class not in _PAGINATED_SERIALIZERS:
        name = serializer_class.__name__.removesuffix("Serializer")
        _PAGINATED_SERIALIZERS[serializer_class] = type(
            f"Paginated{name}ListSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
            },
        )
    return _PAGINATED_SERIALIZERS[serializer_class]


PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description="Page size (default 50, at most 200).",
    ),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="Items to skip."),
]


def paginated_response(
    *, request: Any, view: Any, items: Any, serializer_class: type[serializers.Serializer]
) -> Response:
    """One page of `items` (limit/offset) in the shape `paginated(serializer_class)` documents."""
    from emsp.pagination import StrictLimitOffsetPagination

    paginator = StrictLimitOffsetPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
