"""What a Location offers drivers, kept on its row: EVSE counts, availability, the most power,
the connector standards, and the search keys that the driver's search filters on.

The search near a point reads hundreds of Locations per query; reading each one's EVSEs and
Connectors there cost more than the rest of the query. So every write of a Location, EVSE or
Connector (pushes and pulls, through roaming.services.locations) refreshes its Location's
summary in the same transaction, from the rows as stored.

Search keys: one word per combination a connector satisfies, `<standard>` or `*` (any
standard), then `:available` when its EVSE is AVAILABLE, then `:free` when its EVSE has no
parking restrictions. A search for Type 2 connectors available now asks for the word
`IEC_62196_T2:available`; the conditions hold for one and the same connector.
"""

import functools
import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from django.db import connection
from django.db.models import DateTimeField, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from roaming.bulk import values_update
from roaming.models import EVSE, Connector, Location

REMOVED = "REMOVED"
AVAILABLE = "AVAILABLE"
ANY_STANDARD = "*"
PHASES = {"AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3}
# Up to this many Locations are updated one statement each (a push: one short UPDATE), more
# in bulk (a pull page: COPY into a temporary table, one UPDATE).
FEW = 3
SUMMARY_FIELDS = ("evse_count", "available_count", "max_power_w", "standards", "search_keys")


class ConnectorLike(Protocol):
    """What a summary reads of a Connector (a ConnectorOffer, or an OCPI Connector object)."""

    standard: str
    max_electric_power: int | None
    max_voltage: int
    max_amperage: int
    power_type: str


class EvseLike(Protocol):
    """What a summary reads of an EVSE (an EvseOffer, or an OCPI EVSE object)."""

    status: str
    parking_restrictions: Sequence[str]
    connectors: Sequence[ConnectorLike]


class ConnectorOffer(NamedTuple):
    standard: str
    max_electric_power: int | None
    max_voltage: int
    max_amperage: int
    power_type: str


class EvseOffer(NamedTuple):
    status: str
    parking_restrictions: list[str]
    connectors: list[ConnectorOffer]


def connector_power_w(connector: ConnectorLike) -> int:
    """max_electric_power, else voltage x amperage x phases (as tariffs' connector_power_kw)."""
    if connector.max_electric_power:
        return connector.max_electric_power
    return connector.max_voltage * connector.max_amperage * PHASES.get(connector.power_type, 1)


def search_key(standard: str | None, *, available: bool = False, free: bool = False) -> str:
    """The word a connector of `standard` (None: any) on an EVSE that is available and/or
    free of parking restrictions has among its Location's search keys."""
    word = standard or ANY_STANDARD
    if available:
        word += ":available"
    if free:
        word += ":free"
    return word


@functools.cache
def _kind_keys(standard: str, available: bool, free: bool) -> tuple[str, ...]:
    """The search keys one connector of this kind gives its Location."""
    keys = []
    for wanted in (standard, None):
        keys.append(search_key(wanted))
        if available:
            keys.append(search_key(wanted, available=True))
        if free:
            keys.append(search_key(wanted, free=True))
        if available and free:
            keys.append(search_key(wanted, available=True, free=True))
    return tuple(keys)


def location_summary_values(evses: Iterable[EvseLike]) -> dict[str, Any]:
    """The summary columns of a Location with these EVSEs (REMOVED ones are not counted)."""
    evse_count = available_count = 0
    powers: list[int] = []
    kinds: set[tuple[str, bool, bool]] = set()  # (standard, available, free) of a connector
    for evse in evses:
        if evse.status == REMOVED:
            continue
        evse_count += 1
        available = evse.status == AVAILABLE
        available_count += available
        free = not evse.parking_restrictions
        for connector in evse.connectors:
            powers.append(connector_power_w(connector))
            kinds.add((connector.standard, available, free))
    keys: set[str] = set()
    for kind in kinds:
        keys.update(_kind_keys(*kind))
    return {
        "evse_count": evse_count,
        "available_count": available_count,
        "max_power_w": max(powers, default=None),
        "standards": sorted({standard for standard, _, _ in kinds}),
        # Spaces around every word: a search matches " word " whole.
        "search_keys": f" {' '.join(sorted(keys))} " if keys else "",
    }


def _offers_read(location_ids: Collection[int]) -> list[tuple]:
    """(location_id, evse pk, status, parking_restrictions, then the ConnectorOffer fields or
    Nones) of every EVSE of these Locations. Raw SQL: run on every status push, where building
    it with the ORM cost more than running it."""
    marks = ", ".join(["%s"] * len(location_ids))
    query = (
        "SELECT e.location_id, e.id, e.status, e.parking_restrictions, c.standard,"  # noqa: S608
        " c.max_electric_power, c.max_voltage, c.max_amperage, c.power_type"
        f" FROM {EVSE._meta.db_table} e"
        f" LEFT JOIN {Connector._meta.db_table} c ON c.evse_id = e.id"
        f" WHERE e.location_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, list(location_ids))
        return cursor.fetchall()


def location_summaries_refresh(
    *, location_ids: Collection[int], last_updated: datetime | None = None
) -> None:
    """Recompute the summary columns of these Locations from their stored EVSEs and
    Connectors: one read, one write. Call it inside the transaction that changed them.

    The rows' updated_at becomes now (what a driver's list shows changed, so its ETag does);
    `last_updated`, a child's, moves their last_updated forward in the same write."""
    if not location_ids:
        return
    evses: dict[int, dict[int, EvseOffer]] = {pk: {} for pk in location_ids}
    for location_id, evse_pk, status, restrictions, *connector in _offers_read(location_ids):
        if isinstance(restrictions, str):
            restrictions = json.loads(restrictions)
        evse = evses[location_id].setdefault(evse_pk, EvseOffer(status, restrictions or [], []))
        if connector[0] is not None:
            evse.connectors.append(ConnectorOffer(*connector))
    summaries = {pk: location_summary_values(by_pk.values()) for pk, by_pk in evses.items()}
    if len(summaries) <= FEW:
        moved = {"updated_at": timezone.now()}
        if last_updated is not None:
            moved["last_updated"] = Greatest("last_updated", Value(last_updated, DateTimeField()))
        for pk, values in summaries.items():
            Location.objects.filter(pk=pk).update(**values, **moved)
        return
    rows = [{"id": pk, **values} for pk, values in summaries.items()]
    values_update(Location, rows, (*SUMMARY_FIELDS, "updated_at"))
    if last_updated is not None:
        Location.objects.filter(pk__in=list(summaries), last_updated__lt=last_updated).update(
            last_updated=last_updated
        )
