"""Payments: Stripe customers and cards, payments with their attempts, refunds, webhook events.

A Payment is generic over what it pays for: `purpose` names the kind of thing ("invoice",
"session"), `reference` its id, and `idempotency_key` (unique) is derived from both, so asking
twice to pay the same thing finds the same row and can never charge twice.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 14, "decimal_places": 4}


class StripeCustomer(models.Model):
    """The Stripe Customer of one driver, created the first time it is needed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Stripe customer")

    def __str__(self) -> str:
        return self.stripe_id


class CardSetup(models.Model):
    """A SetupIntent we created for a driver: only its owner may complete it."""

    class Status(models.TextChoices):
        STARTED = "started", _("started")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_setups"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("card setup")

    def __str__(self) -> str:
        return self.stripe_id


class PaymentMethod(models.Model):
    """A card a driver saved for off-session charges (a Stripe PaymentMethod on their Customer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=64, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment method")
        ordering = ("-is_default", "-created_at")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_card_per_user"
            ),
        ]
        indexes = [models.Index(fields=["user", "is_default", "exp_year", "exp_month"])]

    def __str__(self) -> str:
        return f"{self.brand or 'card'} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"

    def is_expired_on(self, year: int, month: int) -> bool:
        return (self.exp_year, self.exp_month) < (year, month)


class Payment(models.Model):
    """Money asked of a driver for one thing, with its own state machine.

    pending → (authorized →) succeeded, or → requires_action / failed (open: the driver can pay
    on-session, the sweeper retries), or → canceled. Amounts below Stripe's minimum are
    `carried` into the driver's next payment (then succeeded, `settled_by` that payment) or
    `waived`. Every PaymentIntent we create for it is a PaymentAttempt.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("charge")
        HOLD = "hold", _("pre-authorisation hold")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        REQUIRES_ACTION = "requires_action", _("authentication required")
        AUTHORIZED = "authorized", _("authorised (held)")
        SUCCEEDED = "succeeded", _("paid")
        FAILED = "failed", _("failed")
        CANCELED = "canceled", _("canceled")
        CARRIED = "carried", _("carried to the next payment")
        WAIVED = "waived", _("waived")

    OPEN_STATES = (State.REQUIRES_ACTION, State.FAILED)
    DONE_STATES = (State.SUCCEEDED, State.CANCELED, State.WAIVED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    purpose = models.CharField(max_length=40, db_index=True)
    reference = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(
        _("amount due"), **AMOUNT, help_text=_("What the purpose asks, plus carried amounts.")
    )
    amount_carried_in = models.DecimalField(**AMOUNT, default=Decimal(0))
    amount_authorized = models.DecimalField(**AMOUNT, default=Decimal(0))
    amount_to_capture = models.DecimalField(
        **AMOUNT, null=True, blank=True, help_text=_("Set when a hold's capture is decided.")
    )
    amount_captured = models.DecimalField(**AMOUNT, default=Decimal(0))
    amount_refunded = models.DecimalField(**AMOUNT, default=Decimal(0))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text=_("The hold whose final amount this charge completes."),
    )
    settled_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_payments",
        help_text=_("The payment that collected this carried small amount."),
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    failure_code = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    retry_count = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    driver_notified_attempt = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["user", "state"]),
            models.Index(fields=["purpose", "reference"]),
            models.Index(fields=["state", "next_retry_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount_captured")),
                name="payment_refunds_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.reference}: {self.amount} {self.currency} ({self.state})"

    @property
    def is_open(self) -> bool:
        """The driver owes it and can pay it on-session."""
        return self.state in self.OPEN_STATES

    @property
    def is_settled(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.WAIVED)

    @property
    def amount_refundable(self) -> Decimal:
        return self.amount_captured - self.amount_refunded


class PaymentAttempt(models.Model):
    """One PaymentIntent created for a payment: every try is kept, with how it ended."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(**AMOUNT)
    off_session = models.BooleanField(default=True)
    status = models.CharField(_("Stripe status"), max_length=32)
    failure_code = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment attempt")
        ordering = ("payment", "number")
        constraints = [
            models.UniqueConstraint(fields=["payment", "number"], name="one_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.stripe_payment_intent_id} ({self.status})"


class Refund(models.Model):
    """Money given back on a payment; at most once per request (`request_key`, unique)."""

    class Reason(models.TextChoices):
        REQUESTED_BY_CUSTOMER = "requested_by_customer", _("requested by the driver")
        DUPLICATE = "duplicate", _("duplicate")
        FRAUDULENT = "fraudulent", _("fraudulent")
        BILLING_ERROR = "billing_error", _("billing error")
        GOODWILL = "goodwill", _("goodwill")
        MADE_IN_STRIPE = "made_in_stripe", _("made in Stripe's dashboard")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    request_key = models.CharField(max_length=200, unique=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("refund")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~Q(stripe_refund_id=""),
                name="one_refund_per_stripe_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.payment_id} ({self.state})"


class WebhookEvent(models.Model):
    """A Stripe event we received; processed once (unique event id)."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"
