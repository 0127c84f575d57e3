"""Locations receiver: PUT/PATCH of Location, EVSE and Connector (mod_locations).

Rules: an object older than the stored one (by last_updated) is ignored, never overwrites; a
child's change moves its parents' last_updated forward; EVSEs and Connectors are never deleted
(an EVSE is removed by status REMOVED); EVSEs missing from a Location PUT are left as they are.
A PATCH is merged into the stored object and the result validated as a whole.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.db.models.functions import Upper

from roaming.bulk import values_insert, values_update
from roaming.models import EVSE, Connector, Location, Partner
from roaming.ocpi import locations as ocpi
from roaming.ocpi.enums import StatusCode
from roaming.ocpi.errors import OcpiError
from roaming.ocpi.merging import merge_object, patch_last_updated
from roaming.ocpi.types import parse_datetime
from roaming.selectors import (
    connector_get,
    connector_object,
    evse_get,
    evse_object,
    location_object,
    partner_parties,
    partner_party_check,
)
from roaming.services.common import (
    StoreResult,
    last_updated_bump,
    ocpi_validate,
    same_id,
    without,
)
from roaming.services.summaries import location_summaries_refresh, location_summary_values


@transaction.atomic
def location_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str | None = None,
    party_id: str | None = None,
    location_id: str | None = None,
) -> StoreResult[Location]:
    """Store a full Location (with its EVSEs and Connectors). URL ids, when given, must match."""
    model = ocpi_validate(ocpi.Location, data)
    same_id("country_code", country_code, model.country_code)
    same_id("party_id", party_id, model.party_id)
    same_id("id", location_id, model.id)
    partner_party_check(partner=partner, country_code=model.country_code, party_id=model.party_id)
    location = _location_locked(model.country_code, model.party_id, model.id)
    if location is not None and model.last_updated < location.last_updated:
        return StoreResult(location, created=False, stale=True)
    created = location is None
    location = location or Location(
        country_code=model.country_code, party_id=model.party_id, ocpi_id=model.id
    )
    _location_save(location, partner, model, without(data, "evses"))
    for evse_model, evse_data in zip(model.evses, data.get("evses") or [], strict=True):
        existing = None if created else location.evses.filter(uid__iexact=evse_model.uid).first()
        if existing is None or evse_model.last_updated >= existing.last_updated:
            _evse_save(location, existing, evse_model, evse_data)
    location_summaries_refresh(location_ids=[location.pk])
    return StoreResult(location, created=created)


@transaction.atomic
def evse_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
) -> StoreResult[EVSE]:
    """Store a full EVSE of a stored Location; its Location's last_updated moves forward."""
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    model = ocpi_validate(ocpi.EVSE, data)
    same_id("uid", evse_uid, model.uid)
    location = _location_required(country_code, party_id, location_id)
    evse = location.evses.filter(uid__iexact=evse_uid).first()
    if evse is not None and model.last_updated < evse.last_updated:
        return StoreResult(evse, created=False, stale=True)
    stored = _evse_save(location, evse, model, data)
    location_summaries_refresh(location_ids=[location.pk], last_updated=model.last_updated)
    return StoreResult(stored, created=evse is None)


@transaction.atomic
def connector_put(
    *,
    partner: Partner,
    data: dict[str, Any],
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    connector_id: str,
) -> StoreResult[Connector]:
    """Store a full Connector of a stored EVSE; the EVSE's and Location's last_updated follow."""
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    model = ocpi_validate(ocpi.Connector, data)
    same_id("id", connector_id, model.id)
    location = _location_required(country_code, party_id, location_id)
    evse = evse_get(location=location, evse_uid=evse_uid)
    connector = evse.connectors.filter(ocpi_id__iexact=connector_id).first()
    if connector is not None and model.last_updated < connector.last_updated:
        return StoreResult(connector, created=False, stale=True)
    stored = _connector_save(evse, connector, model, data)
    last_updated_bump(EVSE, evse.pk, model.last_updated)
    location_summaries_refresh(location_ids=[location.pk], last_updated=model.last_updated)
    return StoreResult(stored, created=connector is None)


@transaction.atomic
def location_patch(
    *, partner: Partner, patch: dict[str, Any], country_code: str, party_id: str, location_id: str
) -> StoreResult[Location]:
    """Apply a partial update to a Location (EVSEs in the patch are merged by uid)."""
    moment = parse_datetime(patch_last_updated(patch))
    partner_party_check(partner=partner, country_code=country_code, party_id=party_id)
    for field, value in (
        ("country_code", country_code),
        ("party_id", party_id),
        ("id", location_id),
    ):
        same_id(field, value, patch.get(field))
    location = _location_required(country_code, party_id, location_id)
    stored = location_object(location) if "evses" in patch else location.raw
    merged = merge_object(stored, patch)
    model = ocpi_validate(ocpi.Location, merged)
    if moment < location.last_updated:
        return StoreResult(location, created=False, stale=True)
    _location_save(location, partner, model, without(merged, "evses"))
    if "evses" in patch:
        patched = {
            str(item.get("uid", "")).upper() for item in patch["evses"] if isinstance(item, dict)
        }
        for evse_model, evse_data in zip(model.evses, merged["evses"], strict=True):
            if evse_model.uid.upper() in patched:
                existing = location.evses.filter(uid__iexact=evse_model.uid).first()
                _evse_save(location, existing, evse_model, evse_data)
        location_summaries_refresh(location_ids=[location.pk])
    return StoreResult(location, created=False)


@transaction.atomic
def evse_patch(
    *,
    partner: Partner,
    patch: dict[str, Any],
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
) -> StoreResult[EVSE]:
    """Apply a partial update (typically the status) to an EVSE; the Location follows.

    The hot path of the Locations receiver: one locking read, two updates (see the benchmark).
    """
    moment = parse_datetime(patch_last_updated(patch))
    same_id("uid", evse_uid, patch.get("uid"))
    evse = _evse_locked(partner, country_code, party_id, location_id, evse_uid)
    with_connectors = "connectors" in patch
    connectors = list(evse.connectors.order_by("pk")) if with_connectors else []
    merged = merge_object(evse_object(evse, connectors), patch)
    if not with_connectors:
        del merged["connectors"]
    model = ocpi_validate(ocpi.EVSE if with_connectors else ocpi.EvseWithoutConnectors, merged)
    if moment < evse.last_updated:
        return StoreResult(evse, created=False, stale=True)
    _evse_write(evse, model, merged, connectors=connectors, with_connectors=with_connectors)
    location_summaries_refresh(location_ids=[evse.location_id], last_updated=model.last_updated)
    return StoreResult(evse, created=False)


@transaction.atomic
def connector_patch(
    *,
    partner: Partner,
    patch: dict[str, Any],
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    connector_id: str,
) -> StoreResult[Connector]:
    """Apply a partial update (e.g. tariff_ids) to a Connector; EVSE and Location follow."""
    moment = parse_datetime(patch_last_updated(patch))
    same_id("id", connector_id, patch.get("id"))
    evse = _evse_locked(partner, country_code, party_id, location_id, evse_uid)
    connector = connector_get(evse=evse, connector_id=connector_id)
    merged = merge_object(connector_object(connector), patch)
    model = ocpi_validate(ocpi.Connector, merged)
    if moment < connector.last_updated:
        return StoreResult(connector, created=False, stale=True)
    _connector_save(evse, connector, model, merged)
    last_updated_bump(EVSE, evse.pk, model.last_updated)
    location_summaries_refresh(location_ids=[evse.location_id], last_updated=model.last_updated)
    return StoreResult(connector, created=False)


def _evse_locked(
    partner: Partner, country_code: str, party_id: str, location_id: str, evse_uid: str
) -> EVSE:
    """The partner's stored EVSE, its row locked. One query.

    An existing object is the caller's when it stored it (Location.partner); a party that is
    not the caller's finds nothing here (404), like a missing object.
    """
    evse = _evse_of_partner(partner, country_code, party_id, location_id, evse_uid)
    if evse is None:
        known = Location.objects.filter(
            country_code=country_code.upper(),
            party_id=party_id.upper(),
            ocpi_id__iexact=location_id,
            partner=partner,
        ).exists()
        if not known:
            raise OcpiError.not_found(
                f"Unknown Location {location_id}.", StatusCode.UNKNOWN_LOCATION
            )
        raise OcpiError.not_found(f"Unknown EVSE {evse_uid} in Location {location_id}.")
    return evse


def _evse_of_partner(
    partner: Partner, country_code: str, party_id: str, location_id: str, evse_uid: str
) -> EVSE | None:
    # Raw SQL: the hot path of status pushes, where building this query with the ORM cost
    # more than running it. Ids compare case-insensitively (on the unique indexes' UPPER).
    lock = " FOR UPDATE OF e" if connection.features.has_select_for_update_of else ""
    query = (
        f"SELECT e.* FROM {EVSE._meta.db_table} e"  # noqa: S608 (only placeholders go in)
        f" JOIN {Location._meta.db_table} l ON l.id = e.location_id"
        " WHERE l.country_code = %s AND l.party_id = %s AND UPPER(l.ocpi_id) = UPPER(%s)"
        " AND l.partner_id = %s AND UPPER(e.uid) = UPPER(%s) LIMIT 1" + lock
    )
    params = [country_code.upper(), party_id.upper(), location_id, partner.pk, evse_uid]
    return next(iter(EVSE.objects.raw(query, params)), None)


def _location_locked(country_code: str, party_id: str, location_id: str) -> Location | None:
    """The stored Location, locked for this transaction (writes of one Location are serial)."""
    return (
        Location.objects.select_for_update()
        .filter(
            country_code=country_code.upper(),
            party_id=party_id.upper(),
            ocpi_id__iexact=location_id,
        )
        .first()
    )


def _location_required(country_code: str, party_id: str, location_id: str) -> Location:
    location = _location_locked(country_code, party_id, location_id)
    if location is None:
        raise OcpiError.not_found(
            f"Unknown Location {location_id}: PUT the Location first.", StatusCode.UNKNOWN_LOCATION
        )
    return location


def _location_save(
    location: Location, partner: Partner, model: ocpi.Location, raw: dict[str, Any]
) -> None:
    _location_fill(location, partner, model, raw)
    location.save()


def _location_fill(
    location: Location, partner: Partner, model: ocpi.Location, raw: dict[str, Any]
) -> None:
    location.partner = partner
    for name, value in _location_values(model, raw).items():
        setattr(location, name, value)


def _location_values(model: ocpi.Location, raw: dict[str, Any]) -> dict[str, Any]:
    """The one mapping of an OCPI Location onto our row (per-object and bulk writes), by
    attname; the partner and the key are the caller's."""
    return {
        "publish": model.publish,
        "name": model.name or "",
        "address": model.address,
        "city": model.city,
        "postal_code": model.postal_code or "",
        "state": model.state or "",
        "country": model.country.upper(),
        "latitude": Decimal(model.coordinates.latitude),
        "longitude": Decimal(model.coordinates.longitude),
        "time_zone": model.time_zone,
        "operator_name": model.operator.name if model.operator else "",
        "parking_type": model.parking_type or "",
        "facilities": [str(facility) for facility in model.facilities],
        "opening_times": model.opening_times.to_json() if model.opening_times else None,
        "charging_when_closed": model.charging_when_closed,
        "raw": raw,
        "last_updated": model.last_updated,
    }


def _evse_save(
    location: Location,
    evse: EVSE | None,
    model: ocpi.EVSE,
    data: dict[str, Any],
    *,
    connectors: list[Connector] | None = None,
    with_connectors: bool = True,
) -> EVSE:
    """Write an EVSE (new or existing) and, unless told otherwise, its Connectors."""
    if evse is None:
        evse = EVSE(location=location, uid=model.uid)
    return _evse_write(evse, model, data, connectors=connectors, with_connectors=with_connectors)


def _evse_write(
    evse: EVSE,
    model: ocpi.EVSE,
    data: dict[str, Any],
    *,
    connectors: list[Connector] | None = None,
    with_connectors: bool = True,
) -> EVSE:
    _evse_fill(evse, model, data)
    evse.save()
    if with_connectors:
        if connectors is None:
            connectors = list(evse.connectors.all()) if evse.pk else []
        by_id = {connector.ocpi_id.upper(): connector for connector in connectors}
        for connector_model, connector_data in zip(
            model.connectors, data["connectors"], strict=True
        ):
            existing = by_id.get(connector_model.id.upper())
            if existing is None or connector_model.last_updated >= existing.last_updated:
                _connector_save(evse, existing, connector_model, connector_data)
    return evse


def _evse_fill(evse: EVSE, model: ocpi.EVSE, data: dict[str, Any]) -> None:
    for name, value in _evse_values(model, data).items():
        setattr(evse, name, value)


def _evse_values(model: ocpi.EVSE, data: dict[str, Any]) -> dict[str, Any]:
    """The one mapping of an OCPI EVSE (without its Connectors) onto our row, by attname."""
    coordinates = model.coordinates
    return {
        "evse_id": model.evse_id or "",
        "status": model.status,
        "capabilities": [str(capability) for capability in model.capabilities],
        "floor_level": model.floor_level or "",
        "physical_reference": model.physical_reference or "",
        "latitude": Decimal(coordinates.latitude) if coordinates else None,
        "longitude": Decimal(coordinates.longitude) if coordinates else None,
        "parking_restrictions": [str(item) for item in model.parking_restrictions],
        "raw": without(data, "connectors"),
        "last_updated": model.last_updated,
    }


def _connector_save(
    evse: EVSE, connector: Connector | None, model: ocpi.Connector, data: dict[str, Any]
) -> Connector:
    if connector is None:
        connector = Connector(evse=evse, ocpi_id=model.id)
    _connector_fill(connector, model, data)
    connector.save()
    return connector


def _connector_fill(connector: Connector, model: ocpi.Connector, data: dict[str, Any]) -> None:
    for name, value in _connector_values(model, data).items():
        setattr(connector, name, value)


def _connector_values(model: ocpi.Connector, data: dict[str, Any]) -> dict[str, Any]:
    """The one mapping of an OCPI Connector onto our row, by attname."""
    return {
        "standard": model.standard,
        "format": model.format,
        "power_type": model.power_type,
        "max_voltage": model.max_voltage,
        "max_amperage": model.max_amperage,
        "max_electric_power": model.max_electric_power,
        "tariff_ids": list(model.tariff_ids),
        "terms_and_conditions": model.terms_and_conditions or "",
        "raw": data,
        "last_updated": model.last_updated,
    }


# Bulk: a page of a pull (hundreds of Locations) in a few queries, same rules as location_put.

LOCATION_FIELDS = (
    "partner", "publish", "name", "address", "city", "postal_code", "state", "country",
    "latitude", "longitude", "time_zone", "operator_name", "parking_type", "facilities",
    "opening_times", "charging_when_closed", "raw", "last_updated", "updated_at",
)  # fmt: skip
EVSE_FIELDS = (
    "evse_id", "status", "capabilities", "floor_level", "physical_reference", "latitude",
    "longitude", "parking_restrictions", "raw", "last_updated", "updated_at",
)  # fmt: skip
CONNECTOR_FIELDS = (
    "standard", "format", "power_type", "max_voltage", "max_amperage", "max_electric_power",
    "tariff_ids", "terms_and_conditions", "raw", "last_updated", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class BulkResult:
    """What a bulk write did: objects `stored` (created or changed), `unchanged` (same as
    stored), `stale` (older than stored: ignored), and per-object `errors` (skipped)."""

    stored: int
    unchanged: int
    stale: int
    errors: list[dict[str, str]]


class Received(NamedTuple):
    """A received OCPI object, validated, with its row values by attname and its children
    (a Location's EVSEs, an EVSE's Connectors), made before any database work."""

    model: Any
    row: dict[str, Any]
    children: list["Received"]


def locations_receive(items: list[Any]) -> list[Received | OcpiError]:
    """Each received Location validated and mapped onto rows, or why it is not valid. No
    database: a pull does this for the next page while the current one is being stored."""
    received: list[Received | OcpiError] = []
    for data in items:
        try:
            model = ocpi_validate(ocpi.Location, data)
        except OcpiError as error:
            received.append(error)
            continue
        row = _location_values(model, without(data, "evses"))
        row.update(location_summary_values(model.evses))  # written for new Locations
        evses = [
            Received(evse, _evse_values(evse, evse_data), _connectors_receive(evse, evse_data))
            for evse, evse_data in zip(model.evses, data.get("evses") or [], strict=True)
        ]
        received.append(Received(model, row, evses))
    return received


def _connectors_receive(evse: ocpi.EVSE, data: dict[str, Any]) -> list[Received]:
    return [
        Received(connector, _connector_values(connector, connector_data), [])
        for connector, connector_data in zip(evse.connectors, data["connectors"], strict=True)
    ]


@transaction.atomic
def location_bulk_put(
    *,
    partner: Partner,
    items: list[Any],
    received: list[Received | OcpiError] | None = None,
) -> BulkResult:
    """Store many full Locations, as `location_put` would one by one: each is validated and
    must belong to the partner (else it is skipped with an error); a Location older than the
    stored one is ignored; an EVSE or Connector is written when not older than the stored one
    and never deleted. Rows are locked like the per-object path, so pushes arriving meanwhile
    are serialised with the page. Rows are written as dicts of values (no model instances).
    `received`: what `locations_receive` made of these items, when done beforehand."""
    parties = partner_parties(partner=partner)
    incoming: dict[tuple[str, str, str], Received] = {}
    errors = []
    if received is None:
        received = locations_receive(items)
    for index, (data, item) in enumerate(zip(items, received, strict=True)):
        try:
            if isinstance(item, OcpiError):
                raise item
            partner_party_check(
                partner=partner,
                country_code=item.model.country_code,
                party_id=item.model.party_id,
                parties=parties,
            )
        except OcpiError as error:
            name = data.get("id") if isinstance(data, dict) else None
            errors.append({"object": str(name or f"#{index}"), "error": error.message})
            continue
        model = item.model
        key = (model.country_code.upper(), model.party_id.upper(), model.id.upper())
        if key not in incoming or model.last_updated >= incoming[key].model.last_updated:
            incoming[key] = item
    stored_rows = _locations_for_update(incoming)
    stale = 0
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    writes: list[_Write] = []
    for key, item in incoming.items():
        stored = stored_rows.get(key)
        if stored is not None and item.model.last_updated < stored.last_updated:
            stale += 1
            continue
        row = item.row
        row["partner_id"] = partner.pk
        if stored is None:
            row.update(country_code=key[0], party_id=key[1], ocpi_id=item.model.id)
            new.append(row)
        else:
            row["id"] = stored.pk
            if (stored.raw, stored.last_updated) != (row["raw"], row["last_updated"]):
                changed.append(row)
        writes.append(_Write(row, stored is not None, item.children))
    values_insert(Location, new)
    values_update(Location, changed, LOCATION_FIELDS)
    evse_writes, evses_written = _children_write(
        EVSE, writes, "location_id", ("uid", "uid"), EVSE_FIELDS
    )
    _, connectors_written = _children_write(
        Connector, evse_writes, "evse_id", ("ocpi_id", "id"), CONNECTOR_FIELDS
    )
    # New Locations got their summaries from what came in; stored ones are read again.
    stored_pks = {stored.pk for stored in stored_rows.values()}
    location_summaries_refresh(location_ids=(evses_written | connectors_written) & stored_pks)
    stored_count = len(new) + len(changed)
    return BulkResult(
        stored=stored_count, unchanged=len(writes) - stored_count, stale=stale, errors=errors
    )


class _Stored(NamedTuple):
    """What the bulk path needs of a stored row: its key, and what tells a change."""

    pk: int
    last_updated: Any
    raw: Any


class _Write(NamedTuple):
    """A row being written (`values`, with its `id` once stored), its incoming children, and
    the Location it belongs to (None: it is the Location)."""

    values: dict[str, Any]
    stored: bool
    children: list[Received]
    location_id: int | None = None


def _locations_for_update(keys: Iterable[tuple[str, str, str]]) -> dict[tuple, _Stored]:
    """The stored Locations for these keys, locked (in pk order: no deadlocks)."""
    by_party: dict[tuple[str, str], list[str]] = {}
    for country_code, party_id, location_id in keys:
        by_party.setdefault((country_code, party_id), []).append(location_id)
    found = {}
    for (country_code, party_id), ids in by_party.items():
        rows = (
            Location.objects.select_for_update()
            .annotate(key=Upper("ocpi_id"))
            .filter(country_code=country_code, party_id=party_id, key__in=ids)
            .order_by("pk")
            .values_list("pk", "key", "last_updated", "raw")
        )
        for pk, key, last_updated, raw in rows:
            found[(country_code, party_id, key)] = _Stored(pk, last_updated, raw)
    return found


def _children_write(
    model: type[models.Model],
    parents: list[_Write],
    parent_field: str,
    key: tuple[str, str],
    fields: tuple[str, ...],
) -> tuple[list[_Write], set[int]]:
    """Write the child rows (EVSEs of Locations, Connectors of EVSEs): new ones, and stored
    ones the incoming object is not older than (updated when changed). `key` names the
    child's id column and its OCPI field. Children of new parents are new: no lookup.
    Returns the children's writes and the Locations whose children were inserted or changed."""
    column, ocpi_key = key
    stored_parents = [parent.values["id"] for parent in parents if parent.stored]
    stored = {
        (parent_pk, child_key.upper()): _Stored(pk, last_updated, raw)
        for pk, parent_pk, child_key, last_updated, raw in model.objects.filter(
            **{f"{parent_field}__in": stored_parents}
        ).values_list("pk", parent_field, column, "last_updated", "raw")
    } if stored_parents else {}  # fmt: skip
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    writes: list[_Write] = []
    written: set[int] = set()
    for parent in parents:
        parent_pk = parent.values["id"]
        location_id = parent.location_id or parent_pk
        for child in parent.children:
            child_key = getattr(child.model, ocpi_key)
            row_stored = stored.get((parent_pk, child_key.upper())) if stored else None
            if row_stored is not None and child.model.last_updated < row_stored.last_updated:
                continue
            row = child.row
            if row_stored is None:
                row[parent_field] = parent_pk
                row[column] = child_key
                new.append(row)
                written.add(location_id)
            else:
                row["id"] = row_stored.pk
                if (row_stored.raw, row_stored.last_updated) != (row["raw"], row["last_updated"]):
                    changed.append(row)
                    written.add(location_id)
            writes.append(_Write(row, row_stored is not None, child.children, location_id))
    values_insert(model, new)
    values_update(model, changed, fields)
    return writes, written
