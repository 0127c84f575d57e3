"""The driver's payment pages and Stripe's webhook endpoint."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import selectors, services
from billing.forms import PaymentPayForm, SetupCompleteForm
from billing.models import CardSetup, Payment, PaymentMethod
from billing.stripe_gateway import GatewayError, WebhookSignatureError

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 512 * 1024


@login_required
def payment_methods(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/payment_methods.html",
        {
            "cards": selectors.payment_method_list(user=request.user),
            "eligibility": selectors.charging_eligibility_get(user=request.user),
            **_stripe_context(),
        },
    )


@login_required
@require_POST
def card_setup_complete(request: HttpRequest) -> HttpResponse:
    form = SetupCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The card could not be saved: the request was not valid."))
        return redirect("billing:payment_methods", permanent=False)
    try:
        saved = services.card_setup_complete(
            user=request.user, setup_intent_id=form.cleaned_data["setup_intent_id"]
        )
    except CardSetup.DoesNotExist as error:
        raise Http404 from error
    except (services.CardSetupError, GatewayError) as error:
        messages.error(request, error.message)
    else:
        last4 = {"last4": saved.payment_method.last4}
        if saved.already_saved:
            messages.info(request, _("Your card ending in %(last4)s was already saved.") % last4)
        else:
            messages.success(request, _("Your card ending in %(last4)s is saved.") % last4)
    return redirect("billing:payment_methods")


@login_required
@require_POST
def payment_method_default(request: HttpRequest, payment_method_id) -> HttpResponse:
    try:
        services.payment_method_set_default(user=request.user, payment_method_id=payment_method_id)
    except PaymentMethod.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("Your default card is changed."))
    return redirect("billing:payment_methods")


@login_required
@require_POST
def payment_method_remove(request: HttpRequest, payment_method_id) -> HttpResponse:
    try:
        services.payment_method_remove(user=request.user, payment_method_id=payment_method_id)
    except PaymentMethod.DoesNotExist as error:
        raise Http404 from error
    except GatewayError as error:
        messages.error(request, error.message)
        return redirect("billing:payment_methods")
    messages.success(request, _("The card is removed."))
    return redirect("billing:payment_methods")


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    payments = selectors.payment_list(user=request.user)[:100]
    return render(request, "billing/payments.html", {"payments": payments})


@login_required
@require_http_methods(["GET", "POST"])
def payment_pay(request: HttpRequest, payment_id) -> HttpResponse:
    payment = _own_payment(request, payment_id)
    form = PaymentPayForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"payment_method": selectors.payment_method_usable_get(user=request.user)},
    )
    client_secret = ""
    if request.method == "POST" and payment.is_open and form.is_valid():
        try:
            result = services.payment_pay_on_session(
                user=request.user,
                payment_id=payment.pk,
                payment_method_id=form.cleaned_data["payment_method"].pk,
            )
        except GatewayError as error:
            messages.error(request, error.message)
            return redirect("billing:payment_pay", payment_id=payment.pk)
        payment, client_secret = result.payment, result.client_secret
        if not client_secret:
            _tell_outcome(request, payment)
            return redirect("billing:payment_pay", payment_id=payment.pk)
    return render(
        request,
        "billing/payment_pay.html",
        {"payment": payment, "form": form, "client_secret": client_secret, **_stripe_context()},
    )


@login_required
@require_POST
def payment_refresh(request: HttpRequest, payment_id) -> HttpResponse:
    payment = _own_payment(request, payment_id)
    try:
        payment = services.payment_refresh(payment_id=payment.pk)
    except GatewayError as error:
        messages.error(request, error.message)
    else:
        _tell_outcome(request, payment)
    return redirect("billing:payment_pay", payment_id=payment.pk)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified, stored once, processed by a task (re-reading Stripe)."""
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "payload too large"}, status=413)
    try:
        event, is_new = services.webhook_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookSignatureError as error:
        logger.warning("webhook refused: %s", error)
        return JsonResponse({"error": "invalid signature"}, status=400)
    if is_new:
        from billing.tasks import webhook_event_process_task

        event_id = event.pk
        transaction.on_commit(lambda: webhook_event_process_task.delay(event_id))
    return JsonResponse({"received": True, "duplicate": not is_new})


def _own_payment(request: HttpRequest, payment_id) -> Payment:
    try:
        return selectors.payment_get(user=request.user, payment_id=payment_id)
    except Payment.DoesNotExist as error:
        raise Http404 from error


def _tell_outcome(request: HttpRequest, payment: Payment) -> None:
    if payment.state == Payment.State.SUCCEEDED:
        messages.success(request, _("Thank you: the payment is made."))
    elif payment.is_open:
        messages.error(request, payment.failure_message or _("The payment did not go through."))


def _stripe_context() -> dict[str, str]:
    return {
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
