"""During a session: the driver's running cost (recomputed on every Session update) and the
pre-authorisation hold placed at its start and settled at its end."""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.invoice_lines import invoice_lines
from billing.models import Payment, PlanHoldPolicy, SessionCost, SessionHold
from billing.pricing import PriceUnavailable, hold_preview, session_driver_price
from billing.services.payments import PaymentError, payment_hold_place, payment_release
from roaming.models import Command, Connector, Session
from tariffs.pricing import PricingError, cost_round
from tariffs.selectors import plan_in_force_get

logger = logging.getLogger(__name__)
HOLD_PURPOSE = "session-hold"
ENDED = ("COMPLETED", "INVALID")


def session_cost_update(*, session_id: int) -> SessionCost | None:
    """Recompute the driver's running cost of a session from its stored state (a few queries:
    the session, the tariff in force, the upsert). Sessions of other EMSPs' drivers are
    skipped. A session that cannot be priced keeps a cost row with the reason."""
    session = (
        Session.objects.select_related("location", "token")
        .filter(pk=session_id, token__isnull=False)
        .first()
    )
    if session is None:
        return None
    fields = {"session_last_updated": session.last_updated, "power_kw": _power_kw(session)}
    try:
        breakdown = session_driver_price(session=session)
    except (PriceUnavailable, PricingError) as error:
        fields.update(
            currency=session.currency,
            total_excl_vat=Decimal(0),
            total_incl_vat=Decimal(0),
            error=str(error)[:300],
        )
    else:
        fields.update(currency=breakdown.currency, error="", **_running_cost(breakdown))
    updated = SessionCost.objects.filter(
        session=session, session_last_updated__lte=session.last_updated
    ).update(**fields)
    if updated:
        return SessionCost(session=session, **fields)
    try:
        with transaction.atomic():
            return SessionCost.objects.create(session=session, **fields)
    except IntegrityError:  # a concurrent first update stored it
        return SessionCost.objects.filter(session=session).first()


def _running_cost(breakdown) -> dict[str, Decimal]:
    """The running cost as the invoice will state it: the invoice's own lines (rounded once per
    line, VAT per line), so the driver is shown to the cent what they will be charged."""
    lines, totals = invoice_lines(breakdown)
    per_component = dict.fromkeys(("energy", "time", "parking", "fixed"), Decimal(0))
    for line in lines:
        if line.component in per_component:
            per_component[line.component] += line.amount_incl_vat
    return {
        "total_excl_vat": totals.excl_vat,
        "total_incl_vat": totals.incl_vat,
        **{f"{component}_cost": amount for component, amount in per_component.items()},
    }


def _power_kw(session: Session) -> Decimal | None:
    """The charging power of the latest period: its POWER (or MAX_POWER) reading, else its
    ENERGY over its TIME."""
    periods = session.charging_periods or []
    if not periods or not isinstance(periods[-1], dict):
        return None
    volumes = {}
    for dimension in periods[-1].get("dimensions") or []:
        if isinstance(dimension, dict):
            try:
                volumes[dimension.get("type")] = Decimal(str(dimension.get("volume")))
            except ArithmeticError:
                continue
    for kind in ("POWER", "MAX_POWER"):
        if kind in volumes:
            return volumes[kind].quantize(Decimal("0.001"))
    if volumes.get("TIME") and "ENERGY" in volumes:
        return (volumes["ENERGY"] / volumes["TIME"]).quantize(Decimal("0.001"))
    return None


# --- holds -----------------------------------------------------------------------------------


def hold_key_for(*, authorization_reference: str = "", session: Session | None = None) -> str:
    """One key per charge: the authorization reference our START_SESSION (or RFID
    authorisation) gave it, else the session itself."""
    if authorization_reference:
        return f"auth:{authorization_reference}"[:80]
    return f"session:{session.pk}"


def session_hold_for_command(*, command_id: int) -> SessionHold | None:
    """The hold of a charge we started with START_SESSION, placed when the CPO accepted it
    (unless its Session already brought one)."""
    command = Command.objects.select_related("driver", "partner").get(pk=command_id)
    if not command.driver or not command.authorization_reference or not _holds_for(command.driver):
        return None
    request = command.request or {}
    connector = (
        Connector.objects.select_related("evse__location")
        .filter(
            evse__location__partner=command.partner,
            evse__location__ocpi_id__iexact=request.get("location_id", ""),
            evse__uid__iexact=request.get("evse_uid", ""),
        )
        .order_by("pk")
    )
    if request.get("connector_id"):
        connector = connector.filter(ocpi_id__iexact=request["connector_id"])
    return _hold_place(
        user=command.driver,
        key=hold_key_for(authorization_reference=command.authorization_reference),
        connector=connector.first(),
        currency="EUR",
    )


def session_hold_for_session(*, session_id: int) -> SessionHold | None:
    """A session of our driver arrived (RFID or app): make sure its charge has one hold (the
    command's, or a new one), and release it when the session ended without a charge."""
    session = Session.objects.select_related("token__user").filter(pk=session_id).first()
    if session is None or session.token is None:
        return None
    key = hold_key_for(authorization_reference=session.authorization_reference, session=session)
    hold = SessionHold.objects.filter(key=key).first()
    if hold is None and session.status not in ENDED and _holds_for(session.token.user):
        connector = Connector.objects.filter(
            evse__location=session.location,
            evse__uid__iexact=session.ocpi_evse_uid,
            ocpi_id__iexact=session.ocpi_connector_id,
        ).first()
        hold = _hold_place(
            user=session.token.user, key=key, connector=connector, currency=session.currency
        )
    if hold is None:
        return None
    if hold.session_id is None:
        SessionHold.objects.filter(pk=hold.pk, session__isnull=True).update(session=session)
    if session.status == "INVALID" or (session.status == "COMPLETED" and session.kwh == 0):
        session_hold_release(hold_id=hold.pk)
    return hold


def session_hold_release(*, hold_id: int) -> SessionHold:
    """Release a hold whose charge will not be invoiced (the session failed or delivered
    nothing). A hold already captured is left alone."""
    hold = SessionHold.objects.select_related("payment").get(pk=hold_id)
    if hold.payment and hold.payment.amount_to_capture is None:
        payment_release(payment_id=hold.payment_id)
        SessionHold.objects.filter(pk=hold.pk).update(released=True)
    return hold


def _holds_for(user) -> bool:
    """Whether charges of this driver start with a hold: the policy of their plan in force
    (PlanHoldPolicy), else BILLING_HOLDS_ENABLED."""
    if user is None:
        return False
    try:
        plan = plan_in_force_get(user=user, moment=timezone.now())
    except LookupError:  # no default plan configured
        return bool(settings.BILLING_HOLDS_ENABLED)
    policy = PlanHoldPolicy.objects.filter(plan=plan).values_list("hold_enabled", flat=True)
    return next(iter(policy), bool(settings.BILLING_HOLDS_ENABLED))


def _hold_place(*, user, key: str, connector, currency: str) -> SessionHold | None:
    existing = SessionHold.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        exact, currency = hold_preview(user=user, connector=connector, currency=currency)
    except PriceUnavailable as error:
        logger.warning("no hold for %s: %s", key, error)
        return None
    amount = cost_round(exact, currency)
    try:
        with transaction.atomic():
            hold = SessionHold.objects.create(key=key, user=user, amount=amount, currency=currency)
    except IntegrityError:
        return SessionHold.objects.get(key=key)
    try:
        payment = payment_hold_place(
            user=user,
            purpose=HOLD_PURPOSE,
            reference=key,
            amount=amount,
            currency=currency,
            description="Charging session (pre-authorisation)",
        )
    except PaymentError as error:
        logger.warning("hold %s not placed: %s", key, error)
        return hold
    SessionHold.objects.filter(pk=hold.pk).update(payment=payment, amount=payment.amount)
    hold.payment, hold.amount = payment, payment.amount
    if payment.state != Payment.State.AUTHORIZED:
        logger.info(
            "hold %s is %s: the session is charged off-session at its end", key, payment.state
        )
    return hold
