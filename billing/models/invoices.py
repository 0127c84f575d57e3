"""Invoicing: the driver's running cost of a session, the hold placed at its start, the rating
of its CDR (with the CPO reconciliation and the review queue), invoices and credit notes.

Invoices and credit notes are legal records: once issued their figures, parties and lines never
change (`ImmutableRecordError`), they are never deleted, and they survive the driver's account
(user SET_NULL, the buyer's details copied at issue time). Numbers are gap-free per series: a
`DocumentCounter` row, locked in the transaction that issues the document.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models.payments import AMOUNT, Payment, Refund

QUANTITY = {"max_digits": 16, "decimal_places": 6}
RATE = {"max_digits": 6, "decimal_places": 2}


class ImmutableRecordError(Exception):
    """An attempt to change or delete an issued invoice, credit note or one of their lines."""


class SessionCost(models.Model):
    """What the driver's session has cost so far, by their price plan (recomputed on every
    Session update: PUT, PATCH or pull)."""

    session = models.OneToOneField(
        "roaming.Session", on_delete=models.CASCADE, related_name="driver_cost"
    )
    currency = models.CharField(max_length=3)
    total_excl_vat = models.DecimalField(**AMOUNT)
    total_incl_vat = models.DecimalField(**AMOUNT)
    energy_cost = models.DecimalField(**AMOUNT, default=0)
    time_cost = models.DecimalField(**AMOUNT, default=0)
    parking_cost = models.DecimalField(**AMOUNT, default=0)
    fixed_cost = models.DecimalField(**AMOUNT, default=0)
    power_kw = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text=_("Charging power in the latest period.")
    )
    session_last_updated = models.DateTimeField(
        help_text=_("The Session's last_updated this cost was computed from.")
    )
    error = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session cost")

    def __str__(self) -> str:
        return f"{self.total_incl_vat} {self.currency}"


class SessionHold(models.Model):
    """The pre-authorisation hold of one charge, placed once whether the charge began with our
    START_SESSION command or as an RFID session the CPO reported (`key`: the authorization
    reference when there is one, else the Session)."""

    key = models.CharField(max_length=80, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    session = models.OneToOneField(
        "roaming.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="driver_hold",
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="session_hold"
    )
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    released = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session hold")

    def __str__(self) -> str:
        return f"{self.key}: {self.amount} {self.currency}"


class CdrRating(models.Model):
    """How a CDR was rated: our price of the CPO's tariff against the CPO's own total
    (reconciliation), the review queue's reason and decision, and the invoice it led to.
    `CDR.rating_status` is the state; this row holds the details."""

    class Reason(models.TextChoices):
        UNKNOWN_TOKEN = "unknown_token", _("unknown token")
        UNKNOWN_TARIFF = "unknown_tariff", _("unknown tariff")
        IMPOSSIBLE_VALUES = "impossible_values", _("impossible values")
        CURRENCY_MISMATCH = "currency_mismatch", _("currency mismatch")
        CREDIT_CDR = "credit_cdr", _("credit CDR (a correction)")
        CANNOT_PRICE = "cannot_price", _("cannot be priced")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("approved: rate anyway")
        NOT_BILLABLE = "not_billable", _("not billable")

    cdr = models.OneToOneField("roaming.CDR", on_delete=models.PROTECT, related_name="rating")
    review_reason = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    review_message = models.CharField(max_length=500, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    cpo_total_excl_vat = models.DecimalField(**AMOUNT, null=True, blank=True)
    cpo_total_incl_vat = models.DecimalField(**AMOUNT, null=True, blank=True)
    our_cpo_total_excl_vat = models.DecimalField(
        **AMOUNT, null=True, blank=True, help_text=_("Our price of the CPO's tariff.")
    )
    our_cpo_total_incl_vat = models.DecimalField(**AMOUNT, null=True, blank=True)
    difference_excl_vat = models.DecimalField(
        **AMOUNT, null=True, blank=True, help_text=_("Ours minus the CPO's.")
    )
    difference_incl_vat = models.DecimalField(**AMOUNT, null=True, blank=True)
    reconciliation_flagged = models.BooleanField(default=False, db_index=True)
    reconciliation_note = models.CharField(max_length=300, blank=True)
    driver_total_incl_vat = models.DecimalField(**AMOUNT, null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CDR rating")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"rating of {self.cdr_id}"


class CdrReview(CdrRating):
    """The review queue: CDRs that were not charged and wait for staff (admin)."""

    class Meta:
        proxy = True
        verbose_name = _("CDR to review")
        verbose_name_plural = _("CDRs to review")


class DocumentCounter(models.Model):
    """The last number given in one series (e.g. INV-2026-NL-EUR): locked with
    select_for_update in the transaction that issues the document, so numbers have no gap
    and no duplicate even under concurrent issuance."""

    series = models.CharField(max_length=40, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series}: {self.last_number}"


class IssuedDocument(models.Model):
    """What invoices and credit notes share: number, parties, totals; immutable once saved."""

    MUTABLE_FIELDS: frozenset[str] = frozenset()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=40, unique=True)
    series = models.CharField(max_length=40)
    sequence = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    language = models.CharField(max_length=8)
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField()
    seller_vat_id = models.CharField(max_length=40, blank=True)
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_email = models.EmailField(max_length=254)
    buyer_address = models.TextField(blank=True)
    buyer_country = models.CharField(max_length=2, blank=True)
    total_excl_vat = models.DecimalField(**AMOUNT)
    total_vat = models.DecimalField(**AMOUNT)
    total_incl_vat = models.DecimalField(**AMOUNT)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= self.MUTABLE_FIELDS
        ):
            raise ImmutableRecordError(
                f"{self._meta.verbose_name} {self.number} is issued: its figures cannot change "
                "(issue a credit note instead)."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(f"{self._meta.verbose_name} {self.number} cannot be deleted.")


class Invoice(IssuedDocument):
    """One invoice per rated CDR: the driver's price by their plan, a line per cost component."""

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("payment pending")
        PAID = "paid", _("paid")
        OPEN = "open", _("unpaid: action needed")
        CARRIED = "carried", _("carried to your next payment")
        WAIVED = "waived", _("waived (below the minimum charge)")

    MUTABLE_FIELDS = frozenset(
        {"payment", "payment_status", "paid_at", "amount_paid", "receipt_sent_at", "updated_at"}
    )

    cdr = models.OneToOneField(
        "roaming.CDR", on_delete=models.PROTECT, null=True, blank=True, related_name="invoice"
    )
    source_key = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("What it bills when not a CDR, e.g. a monthly plan fee (once per key)."),
    )
    session = models.ForeignKey(
        "roaming.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
    )
    charge_description = models.CharField(max_length=300, blank=True)
    location_name = models.CharField(max_length=300, blank=True)
    location_address = models.CharField(max_length=400, blank=True)
    evse_id = models.CharField(max_length=48, blank=True)
    session_start = models.DateTimeField(null=True, blank=True)
    session_end = models.DateTimeField(null=True, blank=True)
    energy_kwh = models.DecimalField(**QUANTITY, default=0)
    amount_due = models.DecimalField(
        **AMOUNT, help_text=_("What the card is charged: the total, less what cannot be charged.")
    )
    amount_rounding_waived = models.DecimalField(
        **AMOUNT,
        default=0,
        help_text=_("Below what Stripe can charge in this currency (e.g. 0.005 KWD): waived."),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        help_text=_("The charge, or the session's hold it was captured from."),
    )
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_paid = models.DecimalField(**AMOUNT, default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        ordering = ("-issued_at",)
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="invoice_gap_free_number"),
            models.CheckConstraint(condition=Q(total_incl_vat__gte=0), name="invoice_not_negative"),
        ]
        indexes = [
            models.Index(fields=["user", "issued_at"]),
            models.Index(fields=["payment_status", "issued_at"]),
        ]


class InvoiceLine(models.Model):
    """One cost component (energy, time, parking, fixed fee, reservation) at one VAT rate.
    VAT is computed on the line's rounded amount and rounded once (cost_round)."""

    class Component(models.TextChoices):
        ENERGY = "energy", _("Energy")
        TIME = "time", _("Charging time")
        PARKING = "parking", _("Parking time")
        FIXED = "fixed", _("Start fee")
        RESERVATION = "reservation", _("Reservation")
        MIN_PRICE = "min_price", _("Minimum price adjustment")
        MAX_PRICE = "max_price", _("Maximum price adjustment")
        SUBSCRIPTION = "subscription", _("Monthly plan fee")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    component = models.CharField(max_length=16, choices=Component.choices)
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=8)
    unit_price = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    vat_rate = models.DecimalField(
        **RATE, null=True, blank=True, help_text=_("Percent; empty where no VAT applies.")
    )
    amount_excl_vat = models.DecimalField(**AMOUNT)
    vat_amount = models.DecimalField(**AMOUNT)
    amount_incl_vat = models.DecimalField(**AMOUNT)

    class Meta:
        verbose_name = _("invoice line")
        ordering = ("invoice", "position")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")
        ]

    def __str__(self) -> str:
        return f"{self.get_component_display()}: {self.amount_incl_vat}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("Invoice lines cannot change once issued.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Invoice lines cannot be deleted.")


class CreditNote(IssuedDocument):
    """A correction of an invoice, full or partial, numbered in its own series; its refund
    (through the payments layer) is requested once."""

    MUTABLE_FIELDS = frozenset({"refund", "receipt_sent_at", "updated_at"})

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=32, choices=Refund.Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    request_key = models.CharField(max_length=200, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credit note")
        ordering = ("-issued_at",)
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="credit_note_gap_free"),
            models.CheckConstraint(condition=Q(total_incl_vat__gt=0), name="credit_positive"),
        ]


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    vat_rate = models.DecimalField(**RATE, null=True, blank=True)
    amount_excl_vat = models.DecimalField(**AMOUNT)
    vat_amount = models.DecimalField(**AMOUNT)
    amount_incl_vat = models.DecimalField(**AMOUNT)

    class Meta:
        verbose_name = _("credit note line")
        ordering = ("credit_note", "position")

    def __str__(self) -> str:
        return f"{self.description}: {self.amount_incl_vat}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("Credit note lines cannot change once issued.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Credit note lines cannot be deleted.")


class TokenBlock(models.Model):
    """A driver's token we blocked for unpaid invoices (valid=False, pushed to the CPOs), so
    that paying unblocks exactly these and not a token support blocked for another reason."""

    token = models.OneToOneField(
        "drivers.Token", on_delete=models.CASCADE, related_name="billing_block"
    )
    blocked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("token blocked for unpaid invoices")

    def __str__(self) -> str:
        return f"{self.token} blocked {self.blocked_at:%Y-%m-%d}"


class PlanHoldPolicy(models.Model):
    """Whether charges of drivers on a price plan start with a pre-authorisation hold (plans
    without a policy follow BILLING_HOLDS_ENABLED). Kept in billing, keyed by plan, so the
    plans app needs no migration for it."""

    plan = models.OneToOneField(
        "tariffs.PricePlan", on_delete=models.CASCADE, related_name="hold_policy"
    )
    hold_enabled = models.BooleanField(
        _("place a hold at the start"),
        default=True,
        help_text=_("Off: the session is charged off-session at its end, without a hold."),
    )

    class Meta:
        verbose_name = _("hold policy of a price plan")
        verbose_name_plural = _("hold policies of price plans")

    def __str__(self) -> str:
        return f"{self.plan}: {'hold' if self.hold_enabled else 'no hold'}"
