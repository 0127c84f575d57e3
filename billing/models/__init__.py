"""Billing's models: payments (Stripe customers, cards, payments, refunds, webhook events) and
invoicing (live session cost, holds at session start, CDR ratings, invoices, credit notes)."""

from billing.models.invoices import (
    CdrRating,
    CdrReview,
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    ImmutableRecordError,
    Invoice,
    InvoiceLine,
    PlanHoldPolicy,
    SessionCost,
    SessionHold,
    TokenBlock,
)
from billing.models.payments import (
    AMOUNT,
    CardSetup,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    Refund,
    StripeCustomer,
    WebhookEvent,
)

__all__ = [
    "AMOUNT",
    "CardSetup",
    "CdrRating",
    "CdrReview",
    "CreditNote",
    "CreditNoteLine",
    "DocumentCounter",
    "ImmutableRecordError",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PaymentAttempt",
    "PaymentMethod",
    "PlanHoldPolicy",
    "Refund",
    "SessionCost",
    "SessionHold",
    "StripeCustomer",
    "TokenBlock",
    "WebhookEvent",
]
