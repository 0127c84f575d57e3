"""The one seam to Stripe: every call to Stripe's API goes through this module.

- one `StripeClient` per configuration (API key, `STRIPE_API_BASE` for the fake server, timeout);
- an idempotency key on every create, confirm, capture, cancel and refund (real Stripe honours
  them; the fake server ignores them, so our own records decide whether to charge);
- Decimal amounts in and out, minor units only inside (billing.money, never via float);
- Stripe's errors become ours, each saying whether trying again can help (`retryable`).

Results are small frozen dataclasses, so callers never touch stripe-python's objects.
"""

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings

from billing.money import from_minor_units, to_minor_units

logger = logging.getLogger(__name__)


class GatewayError(Exception):
    """A Stripe call that did not do what was asked.

    `retryable` is true for network failures, 5xx, rate limits and lock conflicts: the same call
    may work later. Otherwise the answer is final (declined, authentication required, bad
    request) and retrying the same call would only repeat it.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        decline_code: str = "",
        http_status: int | None = None,
        payment_intent_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or ""
        self.decline_code = decline_code or ""
        self.http_status = http_status
        self.payment_intent_id = payment_intent_id or ""


class RetryableGatewayError(GatewayError):
    retryable = True


class FinalGatewayError(GatewayError):
    retryable = False


class CardDeclinedError(FinalGatewayError):
    """The card was refused (402). `code` is Stripe's (card_declined, authentication_required)."""

    @property
    def authentication_required(self) -> bool:
        return self.code == "authentication_required" or self.decline_code in {
            "authentication_required",
            "authentication_not_handled",
        }


class NotFoundError(FinalGatewayError):
    """Stripe does not know the object (404)."""


@dataclass(frozen=True)
class Card:
    id: str
    customer_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    country: str


@dataclass(frozen=True)
class SetupIntent:
    id: str
    status: str
    customer_id: str
    payment_method_id: str
    client_secret: str
    error_code: str
    error_message: str


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: Decimal
    amount_capturable: Decimal | None
    amount_received: Decimal | None  # None where the server does not report it (localstripe)
    currency: str
    customer_id: str
    payment_method_id: str
    capture_method: str
    client_secret: str
    latest_charge_id: str
    error_code: str
    decline_code: str
    error_message: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: Decimal
    currency: str
    payment_intent_id: str
    charge_id: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class Charge:
    id: str
    payment_intent_id: str
    amount: Decimal
    amount_captured: Decimal | None  # None where the server does not report it (localstripe)
    amount_refunded: Decimal
    refunds: tuple[Refund, ...]


# --- customers and cards ---------------------------------------------------------------------


def customer_create(*, email: str, name: str, user_id: int, idempotency_key: str) -> str:
    customer = _call(
        lambda c: c.v1.customers.create(
            params={"email": email, "name": name, "metadata": {"emsp_user_id": str(user_id)}},
            options=_options(idempotency_key),
        )
    )
    return customer.id


def setup_intent_create(*, customer_id: str, idempotency_key: str) -> SetupIntent:
    intent = _call(
        lambda c: c.v1.setup_intents.create(
            params={
                "customer": customer_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
            },
            options=_options(idempotency_key),
        )
    )
    return _setup_intent(intent)


def setup_intent_retrieve(*, setup_intent_id: str) -> SetupIntent:
    return _setup_intent(_call(lambda c: c.v1.setup_intents.retrieve(setup_intent_id)))


def card_retrieve(*, payment_method_id: str) -> Card:
    return _card(_call(lambda c: c.v1.payment_methods.retrieve(payment_method_id)))


def card_attach(*, payment_method_id: str, customer_id: str, idempotency_key: str) -> Card:
    method = _call(
        lambda c: c.v1.payment_methods.attach(
            payment_method_id,
            params={"customer": customer_id},
            options=_options(idempotency_key),
        )
    )
    return _card(method)


def card_detach(*, payment_method_id: str) -> None:
    _call(lambda c: c.v1.payment_methods.detach(payment_method_id))


# --- payment intents -------------------------------------------------------------------------


def payment_intent_create(
    *,
    amount: Decimal,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    capture_manual: bool,
    metadata: dict[str, str],
    idempotency_key: str,
) -> PaymentIntent:
    """Create a PaymentIntent without confirming it: nothing is charged until it is confirmed."""
    intent = _call(
        lambda c: c.v1.payment_intents.create(
            params={
                "amount": to_minor_units(amount, currency),
                "currency": currency.lower(),
                "customer": customer_id,
                "payment_method": payment_method_id,
                "payment_method_types": ["card"],
                "capture_method": "manual" if capture_manual else "automatic",
                "metadata": metadata,
            },
            options=_options(idempotency_key),
        )
    )
    return _payment_intent(intent)


def payment_intent_confirm(
    *, payment_intent_id: str, off_session: bool, idempotency_key: str
) -> PaymentIntent:
    """Confirm by id. `off_session` is sent only where the server accepts it on confirm
    (STRIPE_CONFIRM_SENDS_OFF_SESSION: real Stripe yes, the fake server no)."""
    params: dict[str, Any] = {}
    if off_session and settings.STRIPE_CONFIRM_SENDS_OFF_SESSION:
        params["off_session"] = True
    intent = _call(
        lambda c: c.v1.payment_intents.confirm(
            payment_intent_id, params=params, options=_options(idempotency_key)
        ),
        payment_intent_id=payment_intent_id,
    )
    return _payment_intent(intent)


def payment_intent_retrieve(*, payment_intent_id: str) -> PaymentIntent:
    return _payment_intent(_call(lambda c: c.v1.payment_intents.retrieve(payment_intent_id)))


def payment_intent_capture(
    *, payment_intent_id: str, amount: Decimal, currency: str, idempotency_key: str
) -> PaymentIntent:
    intent = _call(
        lambda c: c.v1.payment_intents.capture(
            payment_intent_id,
            params={"amount_to_capture": to_minor_units(amount, currency)},
            options=_options(idempotency_key),
        ),
        payment_intent_id=payment_intent_id,
    )
    return _payment_intent(intent)


def payment_intent_cancel(*, payment_intent_id: str, idempotency_key: str) -> PaymentIntent:
    intent = _call(
        lambda c: c.v1.payment_intents.cancel(payment_intent_id, options=_options(idempotency_key)),
        payment_intent_id=payment_intent_id,
    )
    return _payment_intent(intent)


# --- refunds and charges ---------------------------------------------------------------------


def refund_create(
    *,
    payment_intent_id: str,
    amount: Decimal,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Refund:
    """Refund part of a payment. Stripe's `reason` is not sent (the fake server refuses it): the
    reason is kept in our records and in the metadata."""
    refund = _call(
        lambda c: c.v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "amount": to_minor_units(amount, currency),
                "metadata": metadata,
            },
            options=_options(idempotency_key),
        )
    )
    return _refund(refund)


def charge_retrieve(*, charge_id: str) -> Charge:
    charge = _call(lambda c: c.v1.charges.retrieve(charge_id))
    data = charge.to_dict()
    currency = data["currency"]
    refunds = _call(lambda c: c.v1.refunds.list(params={"charge": charge_id, "limit": 100}))
    captured = data.get("amount_captured")
    return Charge(
        id=data["id"],
        payment_intent_id=data.get("payment_intent") or "",
        amount=from_minor_units(data["amount"], currency),
        amount_captured=None if captured is None else from_minor_units(captured, currency),
        amount_refunded=from_minor_units(data.get("amount_refunded") or 0, currency),
        refunds=tuple(_refund(refund) for refund in refunds.data),
    )


# --- webhooks --------------------------------------------------------------------------------


class WebhookSignatureError(Exception):
    """The payload is not signed with our secret, or the signature is too old."""


def webhook_event_construct(*, payload: bytes, signature: str) -> dict[str, Any]:
    """Verify Stripe-Signature (HMAC-SHA256 of "t.payload", tolerance 300 s) and return the
    event as a dict; WebhookSignatureError for a bad, old or missing signature or a body that
    is not an event."""
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
        data = json.loads(text)
    except stripe.SignatureVerificationError as error:
        raise WebhookSignatureError(str(error)) from error
    except ValueError as error:  # not UTF-8, not JSON
        raise WebhookSignatureError("The payload is not a JSON event.") from error
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("id"), str)
        or not isinstance(data.get("type"), str)
        or not isinstance(data.get("data"), dict)
    ):
        raise WebhookSignatureError("The payload is not an event.")
    return data


# --- internals -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    options: dict[str, Any] = {
        "http_client": stripe.RequestsClient(timeout=timeout),
        "max_network_retries": 0,  # retries are ours: Celery with backoff, records first
    }
    if api_base:
        options["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(api_key, **options)


def client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_TIMEOUT_SECONDS),
    )


def _options(idempotency_key: str) -> dict[str, str]:
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValueError("An idempotency key of 1 to 255 characters is required.")
    return {"idempotency_key": idempotency_key}


def _call(operation: Any, *, payment_intent_id: str = "") -> Any:
    try:
        return operation(client())
    except stripe.CardError as error:
        raise _error(CardDeclinedError, error, payment_intent_id) from error
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise _error(RetryableGatewayError, error, payment_intent_id) from error
    except stripe.StripeError as error:
        status = error.http_status or 0
        if status >= 500 or (status == 409 and error.code == "lock_timeout"):
            raise _error(RetryableGatewayError, error, payment_intent_id) from error
        if status == 404:
            raise _error(NotFoundError, error, payment_intent_id) from error
        raise _error(FinalGatewayError, error, payment_intent_id) from error


def _error(kind: type[GatewayError], error: stripe.StripeError, intent_id: str) -> GatewayError:
    body = (error.json_body or {}).get("error") or {}
    if not isinstance(body, dict):
        body = {}
    intent = body.get("payment_intent")
    if isinstance(intent, dict):
        intent_id = intent.get("id") or intent_id
    logger.info(
        "stripe error %s status=%s code=%s decline=%s",
        kind.__name__,
        error.http_status,
        error.code,
        body.get("decline_code"),
    )
    return kind(
        str(body.get("message") or error.user_message or error.__class__.__name__),
        code=error.code or body.get("code") or "",
        decline_code=body.get("decline_code") or "",
        http_status=error.http_status,
        payment_intent_id=intent_id,
    )


def _card(method: Any) -> Card:
    data = method.to_dict()
    card = data.get("card") or {}
    return Card(
        id=data["id"],
        customer_id=data.get("customer") or "",
        brand=str(card.get("brand") or ""),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
        fingerprint=str(card.get("fingerprint") or ""),
        country=str(card.get("country") or ""),
    )


def _setup_intent(intent: Any) -> SetupIntent:
    data = intent.to_dict()
    error = data.get("last_setup_error") or {}
    method = data.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    return SetupIntent(
        id=data["id"],
        status=data["status"],
        customer_id=data.get("customer") or "",
        payment_method_id=method or "",
        client_secret=data.get("client_secret") or "",
        error_code=error.get("code") or "",
        error_message=error.get("message") or "",
    )


def _payment_intent(intent: Any) -> PaymentIntent:
    data = intent.to_dict()
    currency = data["currency"]
    error = data.get("last_payment_error") or {}
    charge = data.get("latest_charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    capturable = data.get("amount_capturable")
    received = data.get("amount_received")
    return PaymentIntent(
        id=data["id"],
        status=data["status"],
        amount=from_minor_units(data["amount"], currency),
        amount_capturable=None if capturable is None else from_minor_units(capturable, currency),
        amount_received=None if received is None else from_minor_units(received, currency),
        currency=currency.upper(),
        customer_id=data.get("customer") or "",
        payment_method_id=data.get("payment_method") or "",
        capture_method=data.get("capture_method") or "",
        client_secret=data.get("client_secret") or "",
        latest_charge_id=charge or "",
        error_code=error.get("code") or "",
        decline_code=error.get("decline_code") or "",
        error_message=error.get("message") or "",
        metadata=dict(data.get("metadata") or {}),
    )


def _refund(refund: Any) -> Refund:
    data = refund.to_dict() if hasattr(refund, "to_dict") else dict(refund)
    currency = data["currency"]
    return Refund(
        id=data["id"],
        status=data.get("status") or "",
        amount=from_minor_units(data["amount"], currency),
        currency=currency.upper(),
        payment_intent_id=data.get("payment_intent") or "",
        charge_id=data.get("charge") or "",
        metadata=dict(data.get("metadata") or {}),
    )
