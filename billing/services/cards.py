"""Stripe customers and saved cards (SetupIntent with usage=off_session)."""

import contextlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing import stripe_gateway as gateway
from billing.models import CardSetup, PaymentMethod, StripeCustomer
from billing.selectors import payment_method_get, payment_method_usable_get

logger = logging.getLogger(__name__)


class CardSetupError(Exception):
    """Saving a card did not succeed. `code`: declined, incomplete or mismatch."""

    def __init__(self, message: str, *, code: str, status: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CardSaved:
    """The card a setup saved; `already_saved` when the driver had saved this very card before
    (same number and expiry: the earlier one is kept, the new copy dropped at Stripe)."""

    payment_method: PaymentMethod
    already_saved: bool = False


@dataclass(frozen=True)
class CardSetupStart:
    setup_intent_id: str
    client_secret: str
    publishable_key: str


def customer_ensure(*, user) -> StripeCustomer:
    """The driver's Stripe Customer, created on first use; once only, even when called
    concurrently (the user row is locked while Stripe is asked)."""
    existing = StripeCustomer.objects.filter(user=user).first()
    if existing:
        return existing
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)
        existing = StripeCustomer.objects.filter(user=user).first()
        if existing:
            return existing
        profile = getattr(user, "profile", None)
        stripe_id = gateway.customer_create(
            email=user.email,
            name=getattr(profile, "full_name", "") or "",
            user_id=user.pk,
            idempotency_key=f"emsp-customer-{user.pk}",
        )
        return StripeCustomer.objects.create(user=user, stripe_id=stripe_id)


def card_setup_start(*, user) -> CardSetupStart:
    """A SetupIntent for the driver to confirm in Stripe.js or the app (client secret)."""
    customer = customer_ensure(user=user)
    intent = gateway.setup_intent_create(
        customer_id=customer.stripe_id, idempotency_key=f"emsp-setup-{user.pk}-{uuid.uuid4()}"
    )
    CardSetup.objects.create(user=user, stripe_id=intent.id)
    return CardSetupStart(
        setup_intent_id=intent.id,
        client_secret=intent.client_secret,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
    )


def card_setup_complete(*, user, setup_intent_id: str) -> CardSaved:
    """Record the card of a SetupIntent the driver confirmed, as Stripe reports it.

    The browser's or app's word is not taken: the SetupIntent and its PaymentMethod are read
    from Stripe by id. CardSetup.DoesNotExist when the SetupIntent is not this driver's.
    A card the driver saved before (Stripe's fingerprint of its number) is not listed twice:
    with the same expiry the earlier one stays; a reissued card (new expiry) takes the
    earlier one's place, default flag included.
    """
    setup = CardSetup.objects.get(user=user, stripe_id=setup_intent_id)
    customer = customer_ensure(user=user)
    intent = gateway.setup_intent_retrieve(setup_intent_id=setup.stripe_id)
    if intent.customer_id != customer.stripe_id:
        raise CardSetupError(_("This card setup belongs to someone else."), code="mismatch")
    if intent.status in {"requires_action", "requires_confirmation", "processing"}:
        raise CardSetupError(
            _("The card is not confirmed yet: finish the authentication with your bank."),
            code="incomplete",
            status=intent.status,
        )
    if intent.status != "succeeded":
        message = intent.error_message or _("The card was declined. Try another card.")
        CardSetup.objects.filter(pk=setup.pk).update(
            status=CardSetup.Status.FAILED, failure_message=message[:500]
        )
        raise CardSetupError(message, code="declined", status=intent.status)
    card = gateway.card_retrieve(payment_method_id=intent.payment_method_id)
    if card.customer_id and card.customer_id != customer.stripe_id:
        raise CardSetupError(_("This card belongs to someone else."), code="mismatch")
    saved_before = _card_saved_before(user=user, card=card)
    if saved_before:  # before attaching: Stripe refuses to attach a detached copy again
        CardSetup.objects.filter(pk=setup.pk).update(status=CardSetup.Status.SUCCEEDED)
        if card.customer_id:
            _card_detach_quietly(card.id)
        return CardSaved(saved_before, already_saved=True)
    if not card.customer_id:
        # Real Stripe attaches the card when the SetupIntent succeeds; the fake server does not.
        card = gateway.card_attach(
            payment_method_id=card.id,
            customer_id=customer.stripe_id,
            idempotency_key=f"emsp-attach-{card.id}-{customer.stripe_id}",
        )
    saved, unused_stripe_id = _card_store(user=user, card=card)
    CardSetup.objects.filter(pk=setup.pk).update(status=CardSetup.Status.SUCCEEDED)
    if unused_stripe_id:
        _card_detach_quietly(unused_stripe_id)
    return saved


@transaction.atomic
def _card_store(*, user, card: gateway.Card) -> tuple[CardSaved, str]:
    """The card stored, and the Stripe id of a copy no longer needed (detach it), or ""."""
    _user_cards_lock(user)
    existing = PaymentMethod.objects.filter(stripe_id=card.id).first()
    if existing:
        if existing.user_id != user.pk:
            raise CardSetupError(_("This card belongs to someone else."), code="mismatch")
        return CardSaved(existing), ""
    earlier = _card_same_number(user=user, card=card)
    if earlier and _same_expiry(earlier, card):
        return CardSaved(earlier, already_saved=True), card.id
    is_default = payment_method_usable_get(user=user) is None or bool(
        earlier and earlier.is_default
    )
    if earlier:  # the bank's new card for the same number replaces the old one
        PaymentMethod.objects.filter(pk=earlier.pk).delete()
    if is_default:
        PaymentMethod.objects.filter(user=user, is_default=True).update(is_default=False)
    try:
        with transaction.atomic():
            method = PaymentMethod.objects.create(
                user=user,
                stripe_id=card.id,
                brand=card.brand[:32],
                last4=card.last4[-4:],
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                fingerprint=card.fingerprint[:64],
                is_default=is_default,
            )
    except IntegrityError:
        return CardSaved(PaymentMethod.objects.get(stripe_id=card.id, user=user)), ""
    return CardSaved(method), earlier.stripe_id if earlier else ""


def _card_saved_before(*, user, card: gateway.Card) -> PaymentMethod | None:
    """The driver's stored copy of this card (same number and expiry), if any."""
    if PaymentMethod.objects.filter(stripe_id=card.id).exists():
        return None
    earlier = _card_same_number(user=user, card=card)
    return earlier if earlier and _same_expiry(earlier, card) else None


def _card_same_number(*, user, card: gateway.Card) -> PaymentMethod | None:
    """The driver's stored card with this one's number (Stripe's fingerprint of it), if any."""
    if not card.fingerprint:
        return None
    return PaymentMethod.objects.filter(user=user, fingerprint=card.fingerprint[:64]).first()


def _same_expiry(method: PaymentMethod, card: gateway.Card) -> bool:
    return (method.exp_month, method.exp_year) == (card.exp_month, card.exp_year)


def _card_detach_quietly(stripe_id: str) -> None:
    """Drop a card copy at Stripe that nothing here uses: a failure leaves it unused there."""
    try:
        gateway.card_detach(payment_method_id=stripe_id)
    except gateway.GatewayError as error:
        logger.warning("card %s: not detached at Stripe: %s", stripe_id, error)


@transaction.atomic
def payment_method_set_default(*, user, payment_method_id: uuid.UUID | str) -> PaymentMethod:
    """Make one of the driver's cards the one we charge. DoesNotExist for anyone else's card."""
    _user_cards_lock(user)
    method = payment_method_get(user=user, payment_method_id=payment_method_id)
    if not method.is_default:
        PaymentMethod.objects.filter(user=user, is_default=True).update(is_default=False)
        method.is_default = True
        method.save(update_fields=["is_default"])
    return method


def payment_method_remove(*, user, payment_method_id: uuid.UUID | str) -> None:
    """Detach the card from the driver's Stripe Customer and forget it; the newest remaining
    valid card becomes the default. DoesNotExist for anyone else's card."""
    method = payment_method_get(user=user, payment_method_id=payment_method_id)
    with contextlib.suppress(gateway.NotFoundError):  # gone at Stripe: forget it here too
        gateway.card_detach(payment_method_id=method.stripe_id)
    with transaction.atomic():
        _user_cards_lock(user)
        was_default = PaymentMethod.objects.filter(pk=method.pk, is_default=True).exists()
        PaymentMethod.objects.filter(pk=method.pk).delete()
        if was_default:
            successor = payment_method_usable_get(user=user)
            if successor:
                PaymentMethod.objects.filter(pk=successor.pk).update(is_default=True)


def _user_cards_lock(user) -> None:
    """Serialise changes to one driver's cards (the default flag) on the user row."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
