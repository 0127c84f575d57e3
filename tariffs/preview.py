"""The price preview: what a planned charge at a connector will cost a driver, with its breakdown,
a short summary ("about 12.40 EUR for 30 kWh (~36 min)") and the unit prices in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from roaming.models import Connector
from tariffs import pricing
from tariffs.models import PricePlan
from tariffs.pricing.breakdown import quantity_text
from tariffs.pricing_service import DriverTariff, driver_tariff_for_plan, driver_tariff_get
from tariffs.selectors import connector_power_class, connector_power_kw

_SIXTY = Decimal(60)
# What the API and the back office accept for a planned charge.
MAX_ENERGY_KWH = Decimal(1000)
MAX_POWER_KW = Decimal(1000)
MAX_PARKING_MINUTES = 7 * 24 * 60
PREVIEW_WINDOW = timedelta(days=366)  # start within a year from now


@dataclass(frozen=True)
class PricePreview:
    """A planned charge and its expected price. `breakdown` is rounded (`cost_round`); `total`
    is what the driver pays incl. VAT. `power_kw` is the one priced: the one asked for, never
    above the connector's maximum."""

    connector: Connector
    driver_tariff: DriverTariff
    start: datetime
    energy_kwh: Decimal
    power_kw: Decimal
    parking_minutes: Decimal
    breakdown: pricing.PriceBreakdown

    @property
    def currency(self) -> str:
        return self.breakdown.currency

    @property
    def total(self) -> Decimal:
        return self.breakdown.total_cost.incl_vat

    @property
    def total_excl_vat(self) -> Decimal:
        return self.breakdown.total_cost.excl_vat

    @property
    def charging_minutes(self) -> int:
        minutes = self.energy_kwh / self.power_kw * _SIXTY
        return int(minutes.to_integral_value(ROUND_HALF_UP))

    @cached_property
    def summary(self) -> str:
        """ "about 12.40 EUR for 30 kWh (~36 min)", in the active language."""
        values = {
            "total": f"{self.total} {self.currency}",
            "energy": quantity_text(self.energy_kwh),
            "duration": duration_text(self.charging_minutes),
        }
        if self.parking_minutes:
            values["parking"] = duration_text(int(self.parking_minutes))
            return _(
                "about %(total)s for %(energy)s kWh (~%(duration)s) and %(parking)s parked"
            ) % (values)
        return _("about %(total)s for %(energy)s kWh (~%(duration)s)") % values

    @cached_property
    def unit_prices(self) -> str:
        """The driver's tariff in words, incl. VAT: "0.39 EUR/kWh, parking 6.00 EUR/h after 1 h"."""
        return self.driver_tariff.describe(translation.get_language() or "en", incl_vat=True)


def price_preview_get(
    *,
    user: Any,
    connector: Connector,
    energy_kwh: Decimal | None = None,
    power_kw: Decimal | None = None,
    start: datetime | None = None,
    parking_minutes: Decimal | int = 0,
    plan: PricePlan | None = None,
) -> PricePreview:
    """The expected price of charging `energy_kwh` at a steady `power_kw` from `start`, then
    staying `parking_minutes` plugged in, at `connector`, for `user` (their plan in force at
    `start`; staff may give a `plan` instead, and no user).

    Defaults: start now; energy settings.PRICE_PREVIEW_ENERGY_KWH; power the connector's
    maximum capped at what typical cars take on its power class
    (settings.PRICE_PREVIEW_POWER_CAP_KW). A power above the connector's maximum is priced at
    the maximum. Raises NoCpoTariffError (no price at this connector), pricing.SessionError
    (impossible figures: zero power, a charge of more than a year).
    """
    start = start or timezone.now()
    connector_kw = connector_power_kw(connector)
    if power_kw is None:
        cap = Decimal(settings.PRICE_PREVIEW_POWER_CAP_KW[connector_power_class(connector)])
        power_kw = min(connector_kw, cap) if connector_kw else cap
    elif connector_kw and power_kw > connector_kw:
        power_kw = connector_kw
    if energy_kwh is None:
        energy_kwh = Decimal(settings.PRICE_PREVIEW_ENERGY_KWH)
    if plan is not None:
        driver_tariff = driver_tariff_for_plan(plan=plan, connector=connector, moment=start)
    else:
        driver_tariff = driver_tariff_get(user=user, connector=connector, moment=start)
    breakdown = pricing.tariff_preview(
        driver_tariff.tariff,
        start_date_time=start,
        energy_kwh=energy_kwh,
        power_kw=power_kw,
        parking_minutes=Decimal(parking_minutes),
        time_zone=driver_tariff.time_zone,
    )
    return PricePreview(
        connector=connector,
        driver_tariff=driver_tariff,
        start=start,
        energy_kwh=energy_kwh,
        power_kw=power_kw,
        parking_minutes=Decimal(parking_minutes),
        breakdown=breakdown.rounded(),
    )


def duration_text(minutes: int) -> str:
    """36 -> "36 min", 125 -> "2 h 5 min", 120 -> "2 h"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": rest}
    if not rest:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
