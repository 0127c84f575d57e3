"""How a PATCH changes a stored object (transport_and_format PATCH; mod_locations; mod_sessions).

A PATCH carries only the changed fields and always `last_updated`. We merge it into the stored
JSON and validate the result with the full schema, so a PATCH can never leave an object that a
PUT would have refused.
"""

from copy import deepcopy
from typing import Any

from roaming.ocpi.errors import OcpiError
from roaming.ocpi.types import format_datetime, parse_datetime


def patch_last_updated(patch: dict[str, Any]) -> str:
    """The PATCH's last_updated, required by the spec; normalised to our DateTime format."""
    if "last_updated" not in patch:
        raise OcpiError.invalid("Invalid or missing fields: last_updated: missing required field")
    try:
        return format_datetime(parse_datetime(patch["last_updated"]))
    except ValueError as error:
        raise OcpiError.invalid(f"Invalid or missing fields: last_updated: {error}") from None


def merge_by_key(stored: list[Any], patched: list[Any], key: str) -> list[Any]:
    """Merge a list of child objects by their id: patched ones update, new ones are appended."""
    result = [deepcopy(item) for item in stored]
    index = {
        str(item.get(key, "")).upper(): position
        for position, item in enumerate(result)
        if isinstance(item, dict)
    }
    for item in patched:
        if not isinstance(item, dict):
            result.append(item)
            continue
        position = index.get(str(item.get(key, "")).upper())
        if position is None:
            index[str(item.get(key, "")).upper()] = len(result)
            result.append(deepcopy(item))
        else:
            result[position] = merge_object(result[position], item)
    return result


# Child lists a PATCH merges by id instead of replacing: EVSEs in a Location, Connectors in an EVSE.
CHILD_KEYS = {"evses": "uid", "connectors": "id"}


def merge_object(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields of the patch replace the stored ones; child objects merge by their id."""
    merged = deepcopy(stored)
    for field, value in patch.items():
        key = CHILD_KEYS.get(field)
        if key and isinstance(value, list) and isinstance(merged.get(field), list):
            merged[field] = merge_by_key(merged[field], value, key)
        else:
            merged[field] = deepcopy(value)
    return merged


def merge_session_patch(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A Session PATCH: `charging_periods` are appended (a repeated period is not added twice)."""
    periods = patch.get("charging_periods")
    merged = merge_object(stored, {k: v for k, v in patch.items() if k != "charging_periods"})
    if isinstance(periods, list) and periods:
        existing = list(merged.get("charging_periods") or [])
        seen = {_period_key(period) for period in existing}
        for period in periods:
            if _period_key(period) not in seen:
                existing.append(deepcopy(period))
                seen.add(_period_key(period))
        merged["charging_periods"] = existing
    elif periods is not None and not isinstance(periods, list):
        merged["charging_periods"] = periods  # let the schema refuse the wrong type
    return merged


def _period_key(period: Any) -> str:
    if isinstance(period, dict):
        try:
            return format_datetime(parse_datetime(period.get("start_date_time")))
        except ValueError:
            return repr(period)
    return repr(period)
