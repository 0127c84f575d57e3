"""The driver's charging pages: start at a connector (price preview, eligibility, the token
used), follow the command's outcome (htmx polling, a meta refresh without JavaScript), stop
from the live session page."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from drivers import charging
from roaming.models import Command, Connector, Session
from roaming.ocpi.enums import CommandType
from tariffs import pricing
from tariffs.preview import price_preview_get
from tariffs.pricing_service import DriverPriceError

logger = logging.getLogger(__name__)


def _connector(connector_id: int) -> Connector:
    try:
        return charging.charge_connector_get(connector_id=connector_id)
    except Connector.DoesNotExist:
        raise Http404 from None


def _preview(request: HttpRequest, connector: Connector):
    try:
        return price_preview_get(user=request.user, connector=connector)
    except (DriverPriceError, pricing.PricingError):
        return None
    except LookupError:  # our configuration (default plan, VAT rate): staff see it in logs
        logger.exception("No price preview at connector %s", connector.pk)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def charge_start(request: HttpRequest, connector_id: int) -> HttpResponse:
    connector = _connector(connector_id)
    refusal = None
    if request.method == "POST":
        try:
            command = charging.charging_start(user=request.user, connector=connector)
        except charging.ChargingRefused as error:
            refusal = error
        else:
            return redirect("charge_command", command_id=command.uid)
    else:
        refusal = charging.charge_start_refusal(user=request.user, connector=connector)
    context = {
        "connector": connector,
        "evse": connector.evse,
        "location": connector.evse.location,
        "preview": _preview(request, connector),
        "refusal": refusal,
        "token": charging.driver_app_token(user=request.user),
    }
    status = 409 if request.method == "POST" else 200
    return render(request, "drivers/charge_start.html", context, status=status)


@login_required
@require_GET
def charge_command(request: HttpRequest, command_id: str) -> HttpResponse:
    try:
        command = charging.charging_command_get(user=request.user, command_id=command_id)
    except Command.DoesNotExist:
        raise Http404 from None
    is_open = charging.command_is_open(command)
    session_url = (
        reverse("billing:session_detail", args=[command.session_id]) if command.session_id else None
    )
    context = {
        "command": command,
        "is_start": command.kind == CommandType.START_SESSION,
        "is_open": is_open,
        "polling": charging.command_is_waiting(command),
        "outcome": charging.command_outcome_text(command),
        "detail": "" if is_open else charging.command_detail_text(command),
        "session_url": session_url,
    }
    if request.headers.get("HX-Request"):
        response = render(request, "drivers/charge_command_status.html", context)
        if context["is_start"] and session_url and request.GET.get("follow") == "1":
            response["HX-Redirect"] = session_url  # the session is there: follow it live
        return response
    return render(request, "drivers/charge_command.html", context)


@login_required
@require_POST
def charge_stop(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        command = charging.charging_stop(user=request.user, session_id=session_id)
    except Session.DoesNotExist:
        raise Http404 from None
    except charging.ChargingRefused as error:
        messages.error(request, error.message)
        return redirect("billing:session_detail", session_id=session_id)
    return redirect("charge_command", command_id=command.uid)
