"""The pricing engine: OCPI 2.2.1 tariffs applied to charging sessions. Pure Python, no Django.

Use::

    tariff = tariff_parse(tariff_json_dict)            # validates; TariffError names the field
    breakdown = cdr_price(tariff, cdr_json_dict, time_zone="Europe/Amsterdam")
    breakdown.total_cost                               # exact Price(excl_vat, incl_vat)
    breakdown.rounded().total_cost                     # the one rounding rule applied

Keep a parsed `Tariff` to price many sessions: it compiles itself once (`tariff.compiled`).

Rules (mod_tariffs and mod_cdrs of OCPI 2.2.1, branch release-2.2.1-bugfixes), and the
interpretations we had to make where the spec is silent or ambiguous:

Choosing components
- Per dimension, the first element that has a component for it and whose restrictions all hold
  (logical AND, each evaluated at the instant) prices it; none found means that dimension is
  free at that moment. A second component for the same dimension in one element is ignored.
- Restrictions are evaluated in the location's local time (IANA zone, zoneinfo). start_time is
  inclusive, end_time exclusive; end_time before start_time wraps past midnight; end_time 00:00
  is the end of the day; start_time equal to end_time means the whole day. A window that wraps
  past midnight is still ANDed with day_of_week at each instant: with FRIDAY, Saturday 02:00 of a
  22:00-06:00 window does not match (the spec's AND rule, read literally).
- start_date is inclusive, end_date exclusive (local dates); day_of_week is the local weekday.
- On DST change days local time is the wall clock: in spring a boundary inside the skipped hour
  takes effect at the jump; in autumn a boundary inside the repeated hour is crossed twice.
- min_kwh (inclusive) and max_kwh (exclusive) compare the energy consumed in the session so
  far; min_duration (inclusive) and max_duration (exclusive) the time since the charging
  session started (after any reservation time; reservation elements count from the start).
- min_current/min_power compare the period's MIN_CURRENT/MIN_POWER (>=), max_current/max_power
  its MAX_CURRENT/MAX_POWER (<), as the spec's complex tariff example reads ("a maximum of 16 A",
  "a minimum of 43 A"). One stands in for the other when only one is given; power falls back to
  the period's average (ENERGY / TIME). Without any value the restriction does not hold (a
  note names such periods), and power and current restrictions never hold during parking or
  reservation time.
- Reservation: elements with a `reservation` restriction price only RESERVATION_TIME, all other
  elements only the rest of the session. RESERVATION holds during any reservation time,
  RESERVATION_EXPIRES only when the reservation expired: by default when the session has
  reservation time and nothing else (`reservation_expired` overrides). So an expired
  reservation's TIME comes from the first of both kinds that prices TIME (spec note).
- FLAT is counted once for the session and once for a reservation: the first FLAT component
  whose element matches at the first moment any does (the spec's reservation example 16
  charges the reservation fee and the start fee both; its table calls the reservation time
  "Parking time", we report it as reservation cost).

Charging periods
- A period ends where the next starts, the last at the session's end (time before the first
  period belongs to no period and is not priced). It is laid out as its
  reservation time, then its charging time (TIME), then its parking time, each taking its
  share of the period's wall-clock duration; ENERGY is spread evenly over the charging time.
  Quantities are the CPO's volumes, not the wall clock. A period that gives no time dimension
  at all is charging time for its whole duration (total_time - total_parking_time is charging
  time, per the CDR object).
- Where a restriction changes inside a period (17:00 in a 16:30-17:30 period, a kWh threshold
  reached, a duration passed, a DST jump), the period is split at that instant, pro rata: each
  part is priced by its own element. `ChargingPeriod.tariff_id` is not used: the caller passes
  the tariff.
- A session longer than a year is refused: such an end or start is a placeholder (the spec
  lets a CPO send 1970-01-01 for an unknown time), and pricing it is meaningless.
- Negative ENERGY (energy fed back) counts towards energy consumed so far but is not billed.
  Session-only dimensions (CURRENT, POWER, STATE_OF_CHARGE, ENERGY_IMPORT/EXPORT) are ignored.

step_size (mod_cdrs)
- Once per session for ENERGY, on the total billable energy (what some component prices),
  with the step of the component of the last ENERGY line; the rounding up is added to that
  last line. step_size 0 (the spec's free-of-charge example) is read as 1.
- Once for TIME and PARKING_TIME together: the dimension of the last billable time line is
  rounded (its session total, with that line's step); the other is not (the spec: charging time
  followed by parking is not rounded; tariff_14's examples). Reservation time is rounded on its
  own, the same way.

Money
- Decimal throughout, exact: no rounding inside the engine. incl_vat = excl_vat * (1 + vat/100)
  per line; a component without vat has no VAT (line.vat is None), which differs from 0 % VAT
  (line.vat == 0) though both leave incl_vat equal to excl_vat.
- min_price and max_price bound the excl. and the incl. VAT totals separately (spec notes).
  When the bound has no incl_vat, the incl. VAT total moves in proportion to the excl. total.
  The adjustment is reported (min_price_adjustment/max_price_adjustment), per-dimension totals
  are left as computed. total_fixed_cost holds FLAT outside reservations; reservation FLAT and
  TIME go to total_reservation_cost.
- Rounding: OCPI leaves it to the parties. Ours: half-up to the currency's ISO 4217 exponent
  (EUR 2, JPY 0, KWD 3), applied once to each exact figure by `cost_round`
  (`PriceBreakdown.rounded()`); each total is rounded from its exact figure, not summed from
  rounded lines. Pro rata splits and hours (seconds / 3600) are 28-digit quotients: before
  rounding a cost, and before step_size rounds a quantity up, a figure is taken to 18 decimal
  places, so that 5 min at 3.18/h is 0.265 (-> 0.27), not 0.2649999... (-> 0.26).
- The tariff's validity (start_date_time, end_date_time) is checked at the session start only
  (the driver accepts the tariff valid when they start); outside it, the tariff is still
  applied and a note says so.

Validation (`tariff_parse`): a tariff that breaks the spec raises TariffError naming the field
path (`elements[1].price_components[0].price: must be >= 0`). Lenient only where the spec's
own examples are defective: step_size 0, and missing last_updated or identity fields. Session
data that cannot be priced raises SessionError the same way; both are PricingError.

Performance: a Tariff compiles once, on first use, and keeps the result (`tariff.compiled`): per
dimension the reachable components and a chooser function over them, one matcher per element
(a current or power bound also as the least float that reaches it, so that a JSON float reading
is compared as it is, yet as the number its text states), per kind of portion the dimensions it
prices and, when no choice depends on context, their components; the local times, durations
and kWh amounts where a restriction can change. Pricing a CDR dict reads the common shape of
its periods directly (anything unusual goes through the validating reader), converts only the
volumes a rule uses to Decimal, looks the zone's offset up at the session's ends only, finds
the instants where a time restriction can change once per session and cuts a period only where
one falls inside it, and builds PriceLine objects only when `lines` is read.
See bench/bench_pricing.py (warm and cold figures).
"""

from .breakdown import COST_FIELDS, PriceBreakdown, PriceLine, cost_comparison, price_json
from .describe import tariff_describe
from .engine import cdr_price, session_price
from .errors import PricingError, SessionError, TariffError
from .model import (
    DisplayText,
    Price,
    PriceComponent,
    Tariff,
    TariffElement,
    TariffRestrictions,
    to_json_value,
)
from .money import cost_round, currency_exponent
from .parse import tariff_parse
from .periods import ChargingPeriod
from .plans import tariff_preview, tariff_with_markup

__all__ = [
    "COST_FIELDS",
    "ChargingPeriod",
    "DisplayText",
    "Price",
    "PriceBreakdown",
    "PriceComponent",
    "PriceLine",
    "PricingError",
    "SessionError",
    "Tariff",
    "TariffElement",
    "TariffError",
    "TariffRestrictions",
    "cdr_price",
    "cost_comparison",
    "cost_round",
    "currency_exponent",
    "price_json",
    "session_price",
    "tariff_describe",
    "tariff_parse",
    "tariff_preview",
    "tariff_with_markup",
    "to_json_value",
]
