"""Billing's one door to prices: what the driver pays for a session or a CDR (their price plan:
tariffs.pricing_service), our price of the CPO's tariff (reconciliation), and the preview that
sizes a hold (tariffs.preview). Errors come out as one kind, `PriceUnavailable`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from roaming.models import CDR, Connector, Session
from tariffs import pricing_service
from tariffs.preview import price_preview_get
from tariffs.pricing import PriceBreakdown, PricingError, cdr_price

PERIOD_FIELDS = ("start_date_time", "end_date_time", "charging_periods")


class PriceUnavailable(Exception):
    """No price can be given. `unknown_tariff`: no tariff we know prices it (else the
    configuration or the data is at fault: str() says what)."""

    def __init__(self, message: str, *, unknown_tariff: bool = False) -> None:
        super().__init__(message)
        self.unknown_tariff = unknown_tariff


@dataclass(frozen=True)
class DriverPrice:
    breakdown: PriceBreakdown
    plan_name: str = ""


def cdr_prices(
    *, cdr: CDR, lookups: pricing_service.PricingLookups | None = None
) -> tuple[DriverPrice, PriceBreakdown]:
    """The driver's exact price of a CDR (by their plan in force at its start) and our exact
    price of it with the CPO's own tariff. PriceUnavailable, or PricingError for CDR data the
    engine refuses (its `path` names the field: "currency" for a currency mismatch).
    `lookups`: the lookups of a batch of CDRs (pricing_service.PricingLookups), read once."""
    try:
        breakdown, driver_tariff = pricing_service.cdr_driver_price(cdr=cdr, lookups=lookups)
        if driver_tariff.cpo_tariff is not None:  # passed through: the CPO tariff is at hand
            cpo = cdr_price(
                driver_tariff.cpo_tariff.tariff,
                {**{key: cdr.raw.get(key) for key in PERIOD_FIELDS}, "currency": cdr.currency},
                time_zone=driver_tariff.time_zone,
            )
        else:
            cpo = pricing_service.cdr_cpo_price(cdr=cdr, lookups=lookups)
    except pricing_service.NoCpoTariffError as error:
        raise PriceUnavailable(str(error), unknown_tariff=True) from error
    except (pricing_service.DriverPriceError, LookupError) as error:
        raise PriceUnavailable(str(error)) from error
    return DriverPrice(breakdown, driver_tariff.plan.name), cpo


def session_driver_price(*, session: Session) -> PriceBreakdown:
    """The driver's exact running cost of a session (PriceUnavailable, PricingError)."""
    try:
        return pricing_service.session_driver_price(session=session)
    except pricing_service.NoCpoTariffError as error:
        raise PriceUnavailable(str(error), unknown_tariff=True) from error
    except (pricing_service.DriverPriceError, LookupError) as error:
        raise PriceUnavailable(str(error)) from error


def hold_preview(*, user, connector: Connector | None, currency: str) -> tuple[Decimal, str]:
    """What a typical charge at this connector would cost the driver by their plan (the price
    preview, incl. VAT, rounded) and its currency: the size of the hold before the cap.
    Without a connector or a price there, the cap of the currency itself (PriceUnavailable
    when the currency has none)."""
    if connector is not None:
        try:
            preview = price_preview_get(
                user=user,
                connector=connector,
                energy_kwh=Decimal(settings.BILLING_HOLD_PREVIEW_KWH),
            )
        except (pricing_service.DriverPriceError, LookupError, PricingError):
            pass
        else:
            return preview.total, preview.currency
    cap = settings.BILLING_HOLD_CAP.get(currency)
    if not cap:
        raise PriceUnavailable(f"No hold cap for {currency} (BILLING_HOLD_CAP).")
    return Decimal(cap), currency
