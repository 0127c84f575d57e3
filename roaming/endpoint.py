"""The machinery of our OCPI endpoints: authentication, envelope, ids, routing headers, errors.

Views subclass `OcpiView` and implement `get`/`put`/`patch`/`post`/`delete(call, **kwargs)`
returning a `Reply`; they parse nothing themselves and call one service or selector.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from roaming.models import Partner
from roaming.ocpi.enums import StatusCode
from roaming.ocpi.envelope import MAX_BODY_BYTES, envelope, parse_json_body, parse_json_object
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import ci_equal
from roaming.selectors import our_party, partner_authenticate, partner_parties

logger = logging.getLogger("roaming.ocpi.endpoint")

_HEADER_ID = re.compile(r"^[!-~]{1,128}$")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Reply:
    """What a view answers: the `data` of the envelope, HTTP status, extra headers."""

    data: Any = None
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    status_message: str | None = None
    status_code: int = StatusCode.SUCCESS


@dataclass
class OcpiCall:
    """One authenticated OCPI request."""

    request: HttpRequest
    partner: Partner
    token: str
    with_token_a: bool
    _parties: frozenset[tuple[str, str]] | None = None

    @property
    def parties(self) -> frozenset[tuple[str, str]]:
        """The partner's (country_code, party_id) roles, loaded once per request."""
        if self._parties is None:
            self._parties = partner_parties(partner=self.partner)
        return self._parties

    def json_object(self) -> dict[str, Any]:
        return parse_json_object(self.request.body)

    def json_optional(self) -> Any:
        return parse_json_body(self.request.body, required=False)


def _header_id(request: HttpRequest, name: str) -> str:
    value = request.headers.get(name, "")
    return value if _HEADER_ID.match(value) else str(uuid.uuid4())


def _reply_response(reply: Reply) -> HttpResponse:
    body = envelope(reply.data, status_code=reply.status_code, status_message=reply.status_message)
    response = JsonResponse(body, status=reply.http_status)
    for name, value in reply.headers.items():
        response[name] = value
    return response


def _error_reply(error: OcpiError) -> Reply:
    return Reply(
        http_status=error.http_status, status_code=error.status_code, status_message=error.message
    )


@method_decorator(csrf_exempt, name="dispatch")
class OcpiView(View):
    """Base of our OCPI endpoints.

    `functional`: a functional module (routing headers checked and answered; token A refused).
    `token_a_allowed`: versions and credentials also accept the bootstrap token A.
    """

    functional = True
    token_a_allowed = False
    http_method_names = [*METHODS, "options"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        started = time.monotonic()
        request_id = _header_id(request, "X-Request-ID")
        correlation_id = _header_id(request, "X-Correlation-ID")
        call: OcpiCall | None = None
        try:
            call = self._authenticate(request)
            handler = self._handler(request)
            self._size_check(request)
            if self.functional:
                self._routing_check(call)
            reply = self._run(handler, call, kwargs)
        except OcpiError as error:
            reply = _error_reply(error)
        except Exception:
            logger.exception("OCPI endpoint failed: %s %s", request.method, request.path)
            reply = Reply(
                http_status=500,
                status_code=StatusCode.SERVER_ERROR,
                status_message="Internal error; nothing was stored.",
            )
        response = _reply_response(reply)
        response["X-Request-ID"] = request_id
        response["X-Correlation-ID"] = correlation_id
        if self.functional and call is not None:
            for name, value in self._routing_headers(call, kwargs).items():
                response[name] = value
        logger.info(
            "ocpi %s %s -> %s/%s",
            request.method,
            request.path,
            reply.http_status,
            int(reply.status_code),
            extra={
                "ocpi": {
                    "partner": call.partner.pk if call else None,
                    "request_id": request_id,
                    "correlation_id": correlation_id,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                }
            },
        )
        return response

    @staticmethod
    def _run(handler: Callable[..., Reply], call: OcpiCall, kwargs: dict[str, Any]) -> Reply:
        """Call the view; once more if a concurrent request created the same object first (the
        service's transaction was rolled back whole, and the second try sees that object)."""
        try:
            return handler(call, **kwargs)
        except IntegrityError:
            logger.info("concurrent insert on %s; retrying once", call.request.path)
            return handler(call, **kwargs)

    def _authenticate(self, request: HttpRequest) -> OcpiCall:
        authenticated = partner_authenticate(authorization=request.headers.get("Authorization"))
        if authenticated is None or (authenticated.with_token_a and not self.token_a_allowed):
            raise OcpiError(
                "Unknown or missing credentials token (Authorization: Token <base64>).",
                status_code=StatusCode.CLIENT_ERROR,
                http_status=401,
            )
        return OcpiCall(
            request=request,
            partner=authenticated.partner,
            token=authenticated.token,
            with_token_a=authenticated.with_token_a,
        )

    def _handler(self, request: HttpRequest) -> Callable[..., Reply]:
        method = (request.method or "").lower()
        handler = getattr(self, method, None) if method in METHODS else None
        if handler is None:
            allowed = ", ".join(m.upper() for m in METHODS if hasattr(self, m))
            raise OcpiError(
                f"Method {request.method} is not allowed here (allowed: {allowed}).",
                status_code=StatusCode.CLIENT_ERROR,
                http_status=405,
            )
        return handler

    @staticmethod
    def _size_check(request: HttpRequest) -> None:
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            raise OcpiError.invalid("Invalid Content-Length header.") from None
        if length > MAX_BODY_BYTES:
            raise OcpiError(
                f"Request body is {length} bytes; the limit is {MAX_BODY_BYTES} bytes per object.",
                http_status=413,
            )

    @staticmethod
    def _routing_check(call: OcpiCall) -> None:
        """OCPI-to-* must name us; OCPI-from-* one of the partner's roles (both optional)."""
        headers = call.request.headers
        ours = our_party()
        to_party = (headers.get("OCPI-to-country-code"), headers.get("OCPI-to-party-id"))
        if any(to_party) and not (
            ci_equal(to_party[0], ours[0]) and ci_equal(to_party[1], ours[1])
        ):
            raise OcpiError.invalid(
                f"OCPI-to-country-code/party-id {to_party[0]}/{to_party[1]} is not us."
            )
        from_party = (headers.get("OCPI-from-country-code"), headers.get("OCPI-from-party-id"))
        if any(from_party) and (
            not all(from_party)
            or (from_party[0].upper(), from_party[1].upper()) not in call.parties
        ):
            raise OcpiError.invalid(
                f"OCPI-from-country-code/party-id {from_party[0]}/{from_party[1]} is not one of "
                "your roles."
            )

    @staticmethod
    def _routing_headers(call: OcpiCall, kwargs: dict[str, Any]) -> dict[str, str]:
        """Our answer goes from us to the requesting party: its OCPI-from, or the URL's party;
        when neither names it (a platform with several roles), OCPI-to is left out."""
        headers = call.request.headers
        country_code = headers.get("OCPI-from-country-code") or kwargs.get("country_code")
        party_id = headers.get("OCPI-from-party-id") or kwargs.get("party_id")
        ours = our_party()
        result = {"OCPI-from-country-code": ours[0], "OCPI-from-party-id": ours[1]}
        if country_code and party_id and _HEADER_ID.match(country_code + party_id):
            result |= {
                "OCPI-to-country-code": country_code.upper(),
                "OCPI-to-party-id": party_id.upper(),
            }
        return result
