"""The pricing entry points: the tariff a driver pays at a connector (their plan in force, its
most specific rule, the CPO's tariff with our markup or our own tariff, VAT of the country),
the CPO's own tariff, and the price of a Session or CDR with either. Billing rates CDRs and
computes live session costs with these; the driver pages and API show prices with them.

Speed: parsed tariffs are cached in the process by (tariff, last_updated) for CPO tariff
versions and by (plan or rule, updated_at) for our own tariffs, and so are the driver tariffs
derived from them (markup, VAT filled in); the VAT table is in the settings cache. Queries:
`driver_tariff_get` with a connector loaded with `select_related("evse__location")`: 3 (plan in
force, its matching rules, the CPO tariff versions; 2 for an own tariff); the Session and CDR
functions: 1 more (the connector); plus one for the VAT table each 5 minutes per cache. See
tests/tariffs/test_driver_price_queries.py. Many CDRs priced together (a rating batch) pass one
`PricingLookups`: each connector, plan's rules and CPO tariff history read once, the plans in
force of all their tokens in two queries (tests/tariffs/test_pricing_lookups.py).

Prices returned are exact (`PriceBreakdown.rounded()` applies the one rounding rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from roaming.models import CDR, Connector, Location, Session
from tariffs import pricing
from tariffs.cpo_tariffs import (
    CpoTariff,
    CpoTariffHistory,
    DriverPriceError,
    NoCpoTariffError,
    carried_choose,
    carried_tariffs,
    cpo_tariff_choose,
    cpo_tariff_history,
    cpo_tariffs_at,
    referenced_tariff_ids,
    tariff_cache_clear,
    tariff_cached,
)
from tariffs.models import PricePlan, PricePlanRule, Pricing, PricingMethod
from tariffs.pricing import PriceBreakdown
from tariffs.selectors import (
    PlansInForce,
    connector_power_kw,
    plan_in_force_for,
    plans_in_force_for_tokens,
    power_class_of,
    vat_rate_get,
)

__all__ = [
    "CpoTariff",
    "DriverPriceError",
    "DriverTariff",
    "NoCpoTariffError",
    "PricingLookups",
    "cdr_cpo_price",
    "cdr_driver_price",
    "connector_for_pricing_get",
    "cpo_tariff_get",
    "cpo_tariffs_at",
    "driver_tariff_for_plan",
    "driver_tariff_get",
    "session_driver_price",
    "tariff_cache_clear",
]

_SCOPE_ORDER = {
    PricePlanRule.Scope.LOCATION: 0,
    PricePlanRule.Scope.PARTNER: 1,
    PricePlanRule.Scope.POWER_CLASS: 2,
}


@dataclass(frozen=True)
class DriverTariff:
    """What a driver pays at a connector: `tariff` (a pricing Tariff, in `currency`), made by
    `plan` and its `rule` (None: the plan's own pricing), derived from `cpo_tariff` when passed
    through (None for our own tariffs). `vat_rate` is the charging country's, when it was
    needed; `description` says the prices in words (English, incl. VAT; `describe()` for others).
    """

    tariff: pricing.Tariff
    currency: str
    plan: PricePlan
    rule: PricePlanRule | None
    cpo_tariff: CpoTariff | None
    time_zone: str
    power_class: str | None
    vat_rate: Decimal | None

    @property
    def scope(self) -> str:
        """Which rule decided: location, partner, power_class, or plan (the plan's default)."""
        return self.rule.scope if self.rule is not None else "plan"

    @property
    def method(self) -> str:
        return (self.rule or self.plan).method

    @cached_property
    def description(self) -> str:
        return self.describe()

    def describe(self, language: str = "en", *, incl_vat: bool = True) -> str:
        return pricing.tariff_describe(self.tariff, language, incl_vat=incl_vat)


@dataclass(frozen=True)
class Place:
    """Where a charge happens, as pricing needs it: the Location (time zone, country, CPO),
    the connector when known, and its power class (None when unknown)."""

    location: Location
    connector: Connector | None
    power_class: str | None
    tariff_ids: tuple[str, ...]


# Entry points.


def driver_tariff_get(*, user: Any, connector: Connector, moment: datetime) -> DriverTariff:
    """The tariff `user` pays at `connector` for a session starting at `moment`.

    Raises NoCpoTariffError when the winning pricing passes the CPO tariff through and the
    connector has none we can use; VatRateMissingError or NoDefaultPlanError (LookupErrors)
    when our configuration is incomplete. Pass a connector loaded with
    `select_related("evse__location")` (see `connector_for_pricing_get`) to save 2 queries.
    """
    place = place_of_connector(connector)
    return _driver_tariff(place=place, moment=moment, user_id=user.pk)


def cpo_tariff_get(
    *,
    moment: datetime,
    connector: Connector | None = None,
    country_code: str | None = None,
    party_id: str | None = None,
    tariff_id: str | None = None,
) -> CpoTariff:
    """The CPO's tariff in force at `moment` (for reconciliation: what the CPO charges us):
    the tariff `tariff_id` of the party, or when it is not given, the one of `connector`'s
    tariffs that applies to our drivers then. One query. NoCpoTariffError when none."""
    if tariff_id is not None:
        if connector is not None:
            location = connector.evse.location
            country_code, party_id = location.country_code, location.party_id
        if not (country_code and party_id):
            raise ValueError("cpo_tariff_get needs the country_code and party_id of tariff_id")
        found = cpo_tariffs_at(
            country_code=country_code, party_id=party_id, tariff_ids=(tariff_id,), moment=moment
        )
        if not found:
            raise NoCpoTariffError(f"No tariff {country_code}/{party_id}/{tariff_id} is known.")
        return found[0]
    if connector is None:
        raise ValueError("cpo_tariff_get needs a connector or a tariff_id")
    place = place_of_connector(connector)
    chosen = cpo_tariff_choose(_cpo_candidates(place, moment), moment)
    if chosen is None:
        raise NoCpoTariffError(_no_tariff_message(place))
    return chosen


def session_driver_price(*, session: Session, moment: datetime | None = None) -> PriceBreakdown:
    """The driver's price of a Session, exact: finished, or running until `moment` (default
    now; a finished session ends at its end_date_time unless `moment` is given). Priced with
    the plan in force at the session's start, in the stored Location's time zone. A session
    that reports kWh but no charging periods yet is one charging period with that energy."""
    place = place_of_session(session)
    driver_tariff = _driver_tariff(
        place=place,
        moment=session.start_date_time,
        token_id=_token_of(session),
        referenced=referenced_tariff_ids(session.raw),
    )
    end = moment or session.end_date_time or timezone.now()
    return pricing.cdr_price(
        driver_tariff.tariff, _session_data(session, end), time_zone=place.location.time_zone
    )


def cdr_driver_price(
    *, cdr: CDR, lookups: PricingLookups | None = None
) -> tuple[PriceBreakdown, DriverTariff]:
    """The driver's price of a CDR, exact, and the DriverTariff it used (plan in force at the
    CDR's start, the Location's time zone, the CPO tariff the CDR's periods name or else the
    connector's). 4 queries for a pass-through plan (CDR with its token id and location id);
    with the `lookups` of a batch, none once its connector, rules and tariffs were read."""
    lookups = lookups or _READ_EACH_TIME
    place = lookups.place_of_cdr(cdr)
    driver_tariff = _driver_tariff(
        lookups=lookups,
        place=place,
        moment=cdr.start_date_time,
        token_id=_token_of(cdr),
        referenced=referenced_tariff_ids(cdr.raw),
        carried=carried_tariffs(cdr.raw),
    )
    breakdown = pricing.cdr_price(
        driver_tariff.tariff, _periods_of(cdr.raw), time_zone=place.location.time_zone
    )
    return breakdown, driver_tariff


def cdr_cpo_price(*, cdr: CDR, lookups: PricingLookups | None = None) -> PriceBreakdown:
    """The CDR priced with the CPO's own tariff (what the CPO should charge us), exact. The
    tariff: the one the CDR's periods name, else the connector's in force at the start; the
    copy the CDR carries when we have no stored version. 2 queries (see cdr_driver_price for
    `lookups`)."""
    lookups = lookups or _READ_EACH_TIME
    place = lookups.place_of_cdr(cdr)
    moment = cdr.start_date_time
    referenced = referenced_tariff_ids(cdr.raw)
    candidates = lookups.cpo_candidates(place, moment, referenced)
    chosen = cpo_tariff_choose(candidates, moment) or carried_choose(
        carried_tariffs(cdr.raw), referenced, moment
    )
    if chosen is None:
        raise NoCpoTariffError(_no_tariff_message(place))
    data = {**_periods_of(cdr.raw), "currency": cdr.currency}
    return pricing.cdr_price(chosen.tariff, data, time_zone=place.location.time_zone)


# Places.


def connector_for_pricing_get(*, connector_id: int) -> Connector:
    """A connector with its EVSE and Location (what pricing reads), shown to drivers: published,
    not hidden by staff, EVSE not removed. Connector.DoesNotExist otherwise. One query."""
    return (
        Connector.objects.select_related("evse__location")
        .exclude(evse__status="REMOVED")
        .get(pk=connector_id, evse__location__publish=True, evse__location__shown_to_drivers=True)
    )


def place_of_connector(connector: Connector) -> Place:
    location = connector.evse.location
    power_class = power_class_of(
        power_type=connector.power_type, power_kw=connector_power_kw(connector)
    )
    return Place(location, connector, power_class, tuple(connector.tariff_ids or ()))


def place_of_session(session: Session) -> Place:
    return _place_of(session, session.ocpi_evse_uid, session.ocpi_connector_id, power_type=None)


def place_of_cdr(cdr: CDR) -> Place:
    """The CDR's connector (one query); when we never got it, its Location and the power type
    the CDR states (power class AC or DC: a DC charger's size is unknown)."""
    cdr_location = cdr.raw.get("cdr_location") if isinstance(cdr.raw, Mapping) else None
    power_type = (cdr_location or {}).get("connector_power_type")
    return _place_of(cdr, cdr.ocpi_evse_uid, cdr.ocpi_connector_id, power_type=power_type)


def _place_of(record: Session | CDR, evse_uid: str, connector_id: str, power_type) -> Place:
    if record.location_id is None:
        raise DriverPriceError(
            f"Location {record.ocpi_location_id} of {record} is unknown: its time zone and "
            "tariffs are needed to price it."
        )
    connector = (
        Connector.objects.select_related("evse__location")
        .filter(
            evse__location_id=record.location_id,
            evse__uid__iexact=evse_uid,
            ocpi_id__iexact=connector_id,
        )
        .first()
    )
    if connector is not None:
        return place_of_connector(connector)
    power_class = None if not power_type else power_class_of(power_type=power_type, power_kw=None)
    return Place(record.location, None, power_class, ())


# Lookups: read each time, or once per batch.


class _ReadEachTime:
    """What pricing reads from the database, read afresh on every call (the default)."""

    def place_of_cdr(self, cdr: CDR) -> Place:
        return place_of_cdr(cdr)

    def plan_in_force(
        self, *, moment: datetime, user_id: int | None, token_id: int | None
    ) -> PricePlan:
        return plan_in_force_for(moment=moment, user_id=user_id, token_id=token_id)

    def winning_rule(self, plan: PricePlan, place: Place) -> PricePlanRule | None:
        return _winning_rule(plan, place)

    def cpo_candidates(
        self, place: Place, moment: datetime, referenced: Sequence[str] = ()
    ) -> list[CpoTariff]:
        return _cpo_candidates(place, moment, referenced)


_READ_EACH_TIME = _ReadEachTime()


class PricingLookups(_ReadEachTime):
    """The reads of pricing memoised for one short run over many CDRs (a rating batch, in one
    transaction): each connector, plan's rules and CPO tariff history is read once, the plans
    in force of the run's tokens in two queries (`plans_prime`). The answers are the ones each
    CDR priced alone would get; a change made while the run lasts is seen by the next run, so
    do not keep one beyond a batch."""

    def __init__(self) -> None:
        self._places: dict[tuple, Place] = {}
        self._rules: dict[tuple, PricePlanRule | None] = {}
        self._histories: dict[tuple, CpoTariffHistory] = {}
        self._plans: PlansInForce | None = None

    def plans_prime(self, *, token_ids: Sequence[int]) -> None:
        """Read the plans in force of these tokens' drivers at once."""
        self._plans = plans_in_force_for_tokens(token_ids=token_ids)

    def place_of_cdr(self, cdr: CDR) -> Place:
        cdr_location = cdr.raw.get("cdr_location") if isinstance(cdr.raw, Mapping) else None
        key = (
            cdr.location_id,
            cdr.ocpi_evse_uid,
            cdr.ocpi_connector_id,
            (cdr_location or {}).get("connector_power_type"),
        )
        if key not in self._places:
            self._places[key] = place_of_cdr(cdr)
        return self._places[key]

    def plan_in_force(
        self, *, moment: datetime, user_id: int | None, token_id: int | None
    ) -> PricePlan:
        if token_id is not None and self._plans is not None and token_id in self._plans:
            return self._plans.at(token_id=token_id, moment=moment)
        return plan_in_force_for(moment=moment, user_id=user_id, token_id=token_id)

    def winning_rule(self, plan: PricePlan, place: Place) -> PricePlanRule | None:
        key = (plan.pk, place.location.pk, place.location.partner_id, place.power_class)
        if key not in self._rules:
            self._rules[key] = _winning_rule(plan, place)
        return self._rules[key]

    def cpo_candidates(
        self, place: Place, moment: datetime, referenced: Sequence[str] = ()
    ) -> list[CpoTariff]:
        ids = tuple(referenced) or place.tariff_ids
        key = (place.location.country_code, place.location.party_id, ids)
        if key not in self._histories:
            self._histories[key] = cpo_tariff_history(
                country_code=key[0], party_id=key[1], tariff_ids=ids
            )
        return self._histories[key].at(moment)


# The driver's tariff.


def driver_tariff_for_plan(*, plan: PricePlan, connector: Connector, moment: datetime):
    """What a driver on `plan` would pay at `connector` (staff's "what if" preview)."""
    return _driver_tariff(place=place_of_connector(connector), moment=moment, plan=plan)


def _driver_tariff(
    *,
    lookups: _ReadEachTime | None = None,
    place: Place,
    moment: datetime,
    user_id: int | None = None,
    token_id: int | None = None,
    referenced: Sequence[str] = (),
    carried: Sequence[Mapping[str, Any]] = (),
    plan: PricePlan | None = None,
) -> DriverTariff:
    lookups = lookups or _READ_EACH_TIME
    if plan is None:
        plan = lookups.plan_in_force(moment=moment, user_id=user_id, token_id=token_id)
    rule = lookups.winning_rule(plan, place)
    source: Pricing = rule or plan
    vat = _LazyVat(place.location, moment)
    cpo = None
    if source.method == PricingMethod.OWN_TARIFF:
        tariff = _own_tariff(source, vat)
    else:
        cpo = cpo_tariff_choose(lookups.cpo_candidates(place, moment, referenced), moment)
        cpo = cpo or carried_choose(carried, referenced, moment)
        if cpo is None:
            raise NoCpoTariffError(_no_tariff_message(place))
        tariff = _passed_through(cpo, source, vat)
    return DriverTariff(
        tariff=tariff,
        currency=tariff.currency,
        plan=plan,
        rule=rule,
        cpo_tariff=cpo,
        time_zone=place.location.time_zone,
        power_class=place.power_class,
        vat_rate=vat.known,
    )


def _winning_rule(plan: PricePlan, place: Place) -> PricePlanRule | None:
    """The most specific of the plan's rules matching the place: location > CPO > power class.
    One query (at most three rows)."""
    matches = Q(scope=PricePlanRule.Scope.LOCATION, location_id=place.location.pk) | Q(
        scope=PricePlanRule.Scope.PARTNER, partner_id=place.location.partner_id
    )
    if place.power_class is not None:
        matches |= Q(scope=PricePlanRule.Scope.POWER_CLASS, power_class=place.power_class)
    rules = list(PricePlanRule.objects.filter(matches, plan=plan))
    return min(rules, key=lambda rule: _SCOPE_ORDER[rule.scope], default=None)


class _LazyVat:
    """The charging country's VAT rate on the local date, looked up only if a price needs it."""

    def __init__(self, location: Location, moment: datetime) -> None:
        self.location, self.moment, self.known = location, moment, None

    def rate(self) -> Decimal:
        if self.known is None:
            local_date = self.moment.astimezone(_zone(self.location.time_zone)).date()
            self.known = vat_rate_get(country=self.location.country, on=local_date)
        return self.known


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise DriverPriceError(f"Unknown time zone {name!r} of the location.") from error


def _own_tariff(source: Pricing, vat: _LazyVat) -> pricing.Tariff:
    parsed = tariff_cached(_source_key(source), lambda: pricing.tariff_parse(source.tariff))
    if not _lacks_vat(parsed):
        return parsed
    rate = vat.rate()
    return tariff_cached(("vat", _source_key(source), rate), lambda: _vat_filled(parsed, rate))


def _passed_through(cpo: CpoTariff, source: Pricing, vat: _LazyVat) -> pricing.Tariff:
    """The CPO tariff with the source's markup; the country's VAT where the CPO states none and
    on the markup's own components. Cached by the CPO version and the source's updated_at."""
    same_currency = source.markup_currency == cpo.currency
    per_kwh = source.markup_per_kwh if same_currency else Decimal(0)
    per_session = source.markup_per_session if same_currency else Decimal(0)
    needs_vat = _lacks_vat(cpo.tariff) or bool(per_kwh or per_session)
    rate = vat.rate() if needs_vat else None

    def build() -> pricing.Tariff:
        base = cpo.tariff if rate is None else _vat_filled(cpo.tariff, rate)
        if not (source.markup_percent or per_kwh or per_session):
            return base
        return pricing.tariff_with_markup(
            base,
            percent=source.markup_percent,
            per_kwh=per_kwh,
            per_session=per_session,
            vat=rate,
        )

    if cpo.version_id is None:  # the CDR's own copy: not cached
        return build()
    return tariff_cached(("pass", cpo.version_id, _source_key(source), rate), build)


def _lacks_vat(tariff: pricing.Tariff) -> bool:
    return any(c.vat is None for e in tariff.elements for c in e.price_components)


def _vat_filled(tariff: pricing.Tariff, rate: Decimal) -> pricing.Tariff:
    elements = tuple(
        replace(
            element,
            price_components=tuple(
                c if c.vat is not None else replace(c, vat=rate) for c in element.price_components
            ),
        )
        for element in tariff.elements
    )
    return replace(tariff, elements=elements)


def _source_key(source: Pricing) -> tuple:
    return (source._meta.label, source.pk, source.updated_at)


def _cpo_candidates(place: Place, moment: datetime, referenced: Sequence[str] = ()):
    """The CPO tariffs that may price a charge at `place`: the ones the session names, else the
    connector's."""
    ids = tuple(referenced) or place.tariff_ids
    return cpo_tariffs_at(
        country_code=place.location.country_code,
        party_id=place.location.party_id,
        tariff_ids=ids,
        moment=moment,
    )


def _no_tariff_message(place: Place) -> str:
    where = str(place.connector) if place.connector is not None else str(place.location)
    return f"No usable CPO tariff at {where} (tariff_ids {list(place.tariff_ids)})."


# Sessions and CDRs as the engine reads them.


def _token_of(record: Session | CDR) -> int:
    if record.token_id is None:
        raise DriverPriceError(f"{record} has no token of ours: whose plan applies is unknown.")
    return record.token_id


def _periods_of(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise pricing.SessionError("", "a CDR must be a JSON object")
    return {
        "start_date_time": raw.get("start_date_time"),
        "end_date_time": raw.get("end_date_time"),
        "charging_periods": raw.get("charging_periods"),
    }


def _session_data(session: Session, end: datetime) -> dict[str, Any]:
    data = _periods_of(session.raw)
    data["start_date_time"] = session.start_date_time.isoformat()
    data["end_date_time"] = max(end, session.start_date_time).isoformat()
    if not data["charging_periods"]:
        data["charging_periods"] = (
            [
                {
                    "start_date_time": data["start_date_time"],
                    "dimensions": [{"type": "ENERGY", "volume": session.kwh}],
                }
            ]
            if session.kwh
            else []
        )
    return data
