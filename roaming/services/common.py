"""What every receiver service shares: validation into OCPI errors, id checks, the result."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from roaming.ocpi.errors import OcpiError, OcpiValidationError
from roaming.ocpi.types import ci_equal

ModelT = TypeVar("ModelT")
SchemaT = TypeVar("SchemaT", bound=BaseModel)


@dataclass(frozen=True)
class StoreResult(Generic[ModelT]):
    """What a PUT/PATCH/POST did: `created` a new row, or ignored a `stale` (older) version."""

    obj: ModelT
    created: bool
    stale: bool = False


def ocpi_validate(schema: type[SchemaT], data: Any, *, what: str = "") -> SchemaT:
    """Validate a received object with its OCPI schema; errors name the fields (HTTP 400, 2001)."""
    if not isinstance(data, dict):
        raise OcpiError.invalid(f"{what or schema.__name__} must be a JSON object.")
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise OcpiValidationError(error) from None


def same_id(field: str, url_value: str | None, body_value: Any) -> None:
    """The id in the URL and the one in the body must agree (case-insensitively)."""
    if url_value is None or body_value is None:
        return
    if not isinstance(body_value, str) or not ci_equal(url_value, body_value):
        raise OcpiError.invalid(
            f"{field} {body_value!r} in the body differs from {url_value!r} in the URL."
        )


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in keys}


def last_updated_bump(model: type[models.Model], pk: int, moment: datetime) -> None:
    """Move a parent's last_updated forward to its child's (never backwards). One UPDATE."""
    model.objects.filter(pk=pk, last_updated__lt=moment).update(
        last_updated=moment, updated_at=timezone.now()
    )
