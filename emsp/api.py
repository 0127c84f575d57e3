"""API conventions shared by every endpoint of /api/v1/: one error shape."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
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
