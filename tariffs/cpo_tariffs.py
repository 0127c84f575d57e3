"""CPO tariffs as pricing reads them: the version of a CPO's tariff in force at a moment, which
of a connector's tariffs applies to our drivers, the copy a CDR carries; and the process cache
of parsed (and derived) tariffs, keyed by what makes them change: (tariff, last_updated) for a
CPO tariff version, (plan or rule, updated_at) for our own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Upper

from tariffs import pricing
from tariffs.models import Tariff, TariffVersion


class DriverPriceError(Exception):
    """No price can be given (str() says why, for staff and logs)."""


class NoCpoTariffError(DriverPriceError):
    """The connector has no usable CPO tariff, and the driver's plan passes it through."""


# Tariff types that apply to our drivers, best first (AD_HOC_PAYMENT is for payment terminals).
_TYPE_PREFERENCE = {
    None: 0,
    "REGULAR": 0,
    "PROFILE_FAST": 1,
    "PROFILE_GREEN": 1,
    "PROFILE_CHEAP": 1,
}


@dataclass(frozen=True)
class CpoTariff:
    """A CPO's tariff as in force at some moment: the stored version (`version_id`), or the
    copy the CDR carried when we had none stored (`version_id` None)."""

    tariff: pricing.Tariff
    country_code: str
    party_id: str
    tariff_id: str
    last_updated: datetime | None
    version_id: int | None = None

    @property
    def currency(self) -> str:
        return self.tariff.currency


def cpo_tariffs_at(
    *, country_code: str, party_id: str, tariff_ids: Sequence[str], moment: datetime
) -> list[CpoTariff]:
    """The versions of these tariffs of the party in force at `moment` (the latest published at
    or before it; the first one we know when we learnt of the tariff only later), in the order
    of `tariff_ids`; unknown ids and tariffs deleted before `moment` are left out. One query;
    the parsed tariffs come from the cache by (tariff, last_updated)."""
    keys = [tariff_id.upper() for tariff_id in tariff_ids]
    if not keys:
        return []
    in_force = TariffVersion.objects.filter(tariff=OuterRef("pk"), last_updated__lte=moment)
    first = TariffVersion.objects.filter(tariff=OuterRef("pk"))
    tariffs = (
        Tariff.objects.annotate(key=Upper("ocpi_id"))
        .filter(country_code=country_code.upper(), party_id=party_id.upper(), key__in=keys)
        .exclude(deleted_at__lte=moment)
        .annotate(
            version=Coalesce(
                Subquery(in_force.order_by("-last_updated").values("pk")[:1]),
                Subquery(first.order_by("last_updated").values("pk")[:1]),
            )
        )
    )
    versions = (
        TariffVersion.objects.filter(pk__in=tariffs.values("version"))
        .select_related("tariff")
        .defer("tariff__raw")
    )
    found = []
    for version in versions:
        stored = version.tariff
        parsed = tariff_cached(
            ("cpo", stored.pk, version.last_updated), lambda v=version: pricing.tariff_parse(v.raw)
        )
        found.append(
            CpoTariff(
                parsed,
                stored.country_code,
                stored.party_id,
                stored.ocpi_id,
                version.last_updated,
                version.pk,
            )
        )
    found.sort(key=lambda cpo: keys.index(cpo.tariff_id.upper()))
    return found


class CpoTariffHistory:
    """All the versions of some tariffs of a party, read once (`cpo_tariff_history`): `at(moment)`
    answers as `cpo_tariffs_at` would, without a query once a version's parse is cached."""

    def __init__(self, keys: list[str], tariffs: list[Tariff], versions: list) -> None:
        self.keys = keys
        self.tariffs = tariffs
        self.versions: dict[int, list] = {tariff.pk: [] for tariff in tariffs}
        for version in versions:  # oldest first
            self.versions[version.tariff_id].append(version)

    def at(self, moment: datetime) -> list[CpoTariff]:
        found = []
        for stored in self.tariffs:
            if stored.deleted_at is not None and stored.deleted_at <= moment:
                continue
            versions = self.versions[stored.pk]
            if not versions:
                continue
            in_force = [version for version in versions if version.last_updated <= moment]
            version = in_force[-1] if in_force else versions[0]
            parsed = tariff_cached(
                ("cpo", stored.pk, version.last_updated),
                lambda v=version: pricing.tariff_parse(
                    TariffVersion.objects.values_list("raw", flat=True).get(pk=v.pk)
                ),
            )
            found.append(
                CpoTariff(
                    parsed,
                    stored.country_code,
                    stored.party_id,
                    stored.ocpi_id,
                    version.last_updated,
                    version.pk,
                )
            )
        found.sort(key=lambda cpo: self.keys.index(cpo.tariff_id.upper()))
        return found


def cpo_tariff_history(
    *, country_code: str, party_id: str, tariff_ids: Sequence[str]
) -> CpoTariffHistory:
    """The versions of these tariffs of the party (without their JSON, read only for a version
    not yet parsed in this process): two queries, for a run pricing many CDRs."""
    keys = [tariff_id.upper() for tariff_id in tariff_ids]
    if not keys:
        return CpoTariffHistory([], [], [])
    tariffs = list(
        Tariff.objects.annotate(key=Upper("ocpi_id"))
        .filter(country_code=country_code.upper(), party_id=party_id.upper(), key__in=keys)
        .only("pk", "country_code", "party_id", "ocpi_id", "deleted_at")
    )
    versions = (
        TariffVersion.objects.filter(tariff__in=[tariff.pk for tariff in tariffs])
        .only("pk", "tariff_id", "last_updated")
        .order_by("last_updated")
    )
    return CpoTariffHistory(keys, tariffs, list(versions))


def cpo_tariff_choose(candidates: Sequence[CpoTariff], moment: datetime) -> CpoTariff | None:
    """Of a connector's tariffs, the one for our drivers: types REGULAR or none before the
    PROFILE_ ones, never AD_HOC_PAYMENT (payment terminals); valid at `moment` before not."""
    usable = [c for c in candidates if c.tariff.type in _TYPE_PREFERENCE]
    ranked = sorted(
        usable,
        key=lambda c: (not c.tariff.is_active_at(moment), _TYPE_PREFERENCE[c.tariff.type]),
    )
    return ranked[0] if ranked else None


def carried_tariffs(raw: Any) -> list[Mapping[str, Any]]:
    tariffs = raw.get("tariffs") if isinstance(raw, Mapping) else None
    return [t for t in tariffs if isinstance(t, Mapping)] if isinstance(tariffs, list) else []


def carried_choose(
    carried: Sequence[Mapping[str, Any]], referenced: Sequence[str], moment: datetime
) -> CpoTariff | None:
    """The CDR's own copy of its tariff, when we have no stored version of it."""
    wanted = {tariff_id.upper() for tariff_id in referenced}
    candidates = []
    for data in carried:
        if wanted and str(data.get("id", "")).upper() not in wanted:
            continue
        try:
            parsed = pricing.tariff_parse(data)
        except pricing.TariffError:
            continue
        candidates.append(
            CpoTariff(
                parsed,
                parsed.country_code or "",
                parsed.party_id or "",
                parsed.id or "",
                parsed.last_updated,
            )
        )
    return cpo_tariff_choose(candidates, moment)


def referenced_tariff_ids(raw: Any) -> tuple[str, ...]:
    """The tariff_ids a Session's or CDR's charging periods name, in order, once each."""
    periods = raw.get("charging_periods") if isinstance(raw, Mapping) else None
    ids: list[str] = []
    for period in periods if isinstance(periods, list) else ():
        tariff_id = period.get("tariff_id") if isinstance(period, Mapping) else None
        if isinstance(tariff_id, str) and tariff_id and tariff_id not in ids:
            ids.append(tariff_id)
    return tuple(ids)


# The process cache of parsed and derived tariffs.


class _LruCache:
    """A bounded, thread-safe map: the least recently used entry goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, pricing.Tariff] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], pricing.Tariff]) -> pricing.Tariff:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = build()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_TARIFFS = _LruCache(2048)


def tariff_cached(key: Hashable, build: Callable[[], pricing.Tariff]) -> pricing.Tariff:
    return _TARIFFS.get(key, build)


def tariff_cache_clear() -> None:
    """Empty this process's cache of parsed tariffs (tests, benchmarks)."""
    _TARIFFS.clear()
