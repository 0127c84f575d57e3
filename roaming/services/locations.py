"""Locations receiver: PUT/PATCH of Location, EVSE and Connector (mod_locations).

Rules: an object older than the stored one (by last_updated) is ignored, never overwrites; a
child's change moves its parents' last_updated forward; EVSEs and Connectors are never deleted
(an EVSE is removed by status REMOVED); EVSEs missing from a Location PUT are left as they are.
A PATCH is merged into the stored object and the result validated as a whole.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from roaming.bulk import rows_insert, rows_update
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
    last_updated_bump(Location, location.pk, model.last_updated)
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
    last_updated_bump(Location, location.pk, model.last_updated)
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
    _evse_save(
        evse.location, evse, model, merged, connectors=connectors, with_connectors=with_connectors
    )
    last_updated_bump(Location, evse.location_id, model.last_updated)
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
    last_updated_bump(Location, evse.location_id, model.last_updated)
    return StoreResult(connector, created=False)


def _evse_locked(
    partner: Partner, country_code: str, party_id: str, location_id: str, evse_uid: str
) -> EVSE:
    """The partner's stored EVSE with its Location, the EVSE row locked. One query.

    An existing object is the caller's when it stored it (Location.partner); a party that is
    not the caller's finds nothing here (404), like a missing object.
    """
    evse = (
        EVSE.objects.select_related("location")
        .select_for_update(of=("self",))
        .filter(
            location__country_code=country_code.upper(),
            location__party_id=party_id.upper(),
            location__ocpi_id__iexact=location_id,
            location__partner=partner,
            uid__iexact=evse_uid,
        )
        .first()
    )
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
    """The one mapping of an OCPI Location onto our row (per-object and bulk writes)."""
    location.partner = partner
    location.publish = model.publish
    location.name = model.name or ""
    location.address = model.address
    location.city = model.city
    location.postal_code = model.postal_code or ""
    location.state = model.state or ""
    location.country = model.country.upper()
    location.latitude = Decimal(model.coordinates.latitude)
    location.longitude = Decimal(model.coordinates.longitude)
    location.time_zone = model.time_zone
    location.operator_name = model.operator.name if model.operator else ""
    location.parking_type = model.parking_type or ""
    location.facilities = [str(facility) for facility in model.facilities]
    location.opening_times = model.opening_times.to_json() if model.opening_times else None
    location.charging_when_closed = model.charging_when_closed
    location.raw = raw
    location.last_updated = model.last_updated


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
    """The one mapping of an OCPI EVSE (without its Connectors) onto our row."""
    evse.evse_id = model.evse_id or ""
    evse.status = model.status
    evse.capabilities = [str(capability) for capability in model.capabilities]
    evse.floor_level = model.floor_level or ""
    evse.physical_reference = model.physical_reference or ""
    evse.latitude = Decimal(model.coordinates.latitude) if model.coordinates else None
    evse.longitude = Decimal(model.coordinates.longitude) if model.coordinates else None
    evse.parking_restrictions = [str(item) for item in model.parking_restrictions]
    evse.raw = without(data, "connectors")
    evse.last_updated = model.last_updated


def _connector_save(
    evse: EVSE, connector: Connector | None, model: ocpi.Connector, data: dict[str, Any]
) -> Connector:
    if connector is None:
        connector = Connector(evse=evse, ocpi_id=model.id)
    _connector_fill(connector, model, data)
    connector.save()
    return connector


def _connector_fill(connector: Connector, model: ocpi.Connector, data: dict[str, Any]) -> None:
    """The one mapping of an OCPI Connector onto our row."""
    connector.standard = model.standard
    connector.format = model.format
    connector.power_type = model.power_type
    connector.max_voltage = model.max_voltage
    connector.max_amperage = model.max_amperage
    connector.max_electric_power = model.max_electric_power
    connector.tariff_ids = list(model.tariff_ids)
    connector.terms_and_conditions = model.terms_and_conditions or ""
    connector.raw = data
    connector.last_updated = model.last_updated


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


@transaction.atomic
def location_bulk_put(*, partner: Partner, items: list[Any]) -> BulkResult:
    """Store many full Locations, as `location_put` would one by one: each is validated and
    must belong to the partner (else it is skipped with an error); a Location older than the
    stored one is ignored; an EVSE or Connector is written when not older than the stored one
    and never deleted. Rows are locked like the per-object path, so pushes arriving meanwhile
    are serialised with the page."""
    parties = partner_parties(partner=partner)
    incoming: dict[tuple[str, str, str], tuple[ocpi.Location, dict[str, Any]]] = {}
    errors = []
    for index, data in enumerate(items):
        try:
            model = ocpi_validate(ocpi.Location, data)
            partner_party_check(
                partner=partner,
                country_code=model.country_code,
                party_id=model.party_id,
                parties=parties,
            )
        except OcpiError as error:
            name = data.get("id") if isinstance(data, dict) else None
            errors.append({"object": str(name or f"#{index}"), "error": error.message})
            continue
        key = (model.country_code.upper(), model.party_id.upper(), model.id.upper())
        if key not in incoming or model.last_updated >= incoming[key][0].last_updated:
            incoming[key] = (model, data)
    stored_rows = _locations_for_update(incoming)
    stale = unchanged = 0
    writes = []
    for key, (model, data) in incoming.items():
        location = stored_rows.get(key)
        if location is not None and model.last_updated < location.last_updated:
            stale += 1
            continue
        if location is None:
            location = Location(country_code=key[0], party_id=key[1], ocpi_id=model.id)
        writes.append((location, model, data))
    changed = _bulk_write(
        Location,
        [(row, lambda r, m=m, d=d: _location_fill(r, partner, m, without(d, "evses")))
         for row, m, d in writes],
        LOCATION_FIELDS,
    )  # fmt: skip
    evse_writes = _children(
        EVSE, writes, "location", lambda m: m.evses, lambda d: d.get("evses") or [], "uid"
    )
    _bulk_write(
        EVSE, [(row, lambda r, m=m, d=d: _evse_fill(r, m, d)) for row, m, d in evse_writes],
        EVSE_FIELDS,
    )  # fmt: skip
    connector_writes = _children(
        Connector, evse_writes, "evse", lambda m: m.connectors, lambda d: d["connectors"], "id"
    )
    _bulk_write(
        Connector,
        [(row, lambda r, m=m, d=d: _connector_fill(r, m, d)) for row, m, d in connector_writes],
        CONNECTOR_FIELDS,
    )
    unchanged = len(writes) - changed
    return BulkResult(stored=changed, unchanged=unchanged, stale=stale, errors=errors)


def _locations_for_update(keys: Iterable[tuple[str, str, str]]) -> dict[tuple, Location]:
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
        )
        for row in rows:
            found[(country_code, party_id, row.key)] = row
    return found


def _children(
    model: type[models.Model],
    parents: list[tuple[models.Model, Any, dict[str, Any]]],
    parent_field: str,
    models_of: Callable[[Any], list[Any]],
    data_of: Callable[[dict[str, Any]], list[Any]],
    key_field: str,
) -> list[tuple[models.Model, Any, dict[str, Any]]]:
    """The child rows (EVSEs of Locations, Connectors of EVSEs) to write: new ones, and
    stored ones the incoming object is not older than."""
    id_field = "uid" if model is EVSE else "ocpi_id"
    stored = {
        (getattr(row, f"{parent_field}_id"), getattr(row, id_field).upper()): row
        for row in model.objects.filter(**{f"{parent_field}__in": [p.pk for p, _, _ in parents]})
    }
    writes = []
    for parent, parent_model, parent_data in parents:
        for child_model, child_data in zip(
            models_of(parent_model), data_of(parent_data), strict=True
        ):
            key = getattr(child_model, key_field)
            row = stored.get((parent.pk, key.upper()))
            if row is not None and child_model.last_updated < row.last_updated:
                continue
            if row is None:
                row = model(**{f"{parent_field}_id": parent.pk, id_field: key})
            writes.append((row, child_model, child_data))
    return writes


def _bulk_write(
    model: type[models.Model],
    rows: list[tuple[models.Model, Callable[[models.Model], None]]],
    fields: tuple[str, ...],
) -> int:
    """Fill each row; insert the new ones, update the stored ones that changed. Returns how
    many were written."""
    moment = timezone.now()
    new, changed = [], []
    for row, fill in rows:
        before = None if row.pk is None else (row.raw, row.last_updated)
        fill(row)
        if before is None:
            new.append(row)
        elif before != (row.raw, row.last_updated):
            row.updated_at = moment
            changed.append(row)
    rows_insert(model, new)
    rows_update(model, changed, fields)
    return len(new) + len(changed)
