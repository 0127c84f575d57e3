"""Pagination of /api/v1/ lists (kept apart from emsp.api: DRF imports it from its settings)."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """limit/offset paging that refuses bad values (400) instead of silently ignoring them."""

    default_limit = 50
    max_limit = 200

    def get_limit(self, request: Any) -> int:
        return self._parameter(
            request, self.limit_query_param, 1, self.max_limit, self.default_limit
        )

    def get_offset(self, request: Any) -> int:
        return self._parameter(request, self.offset_query_param, 0, None, 0)

    @staticmethod
    def _parameter(request: Any, name: str, low: int, high: int | None, default: int) -> int:
        values = request.query_params.getlist(name)
        if not values:
            return default
        if len(values) > 1 or not values[0].isdigit() or int(values[0]) < low:
            raise ValidationError({name: [f"Send one whole number of at least {low}."]})
        return min(int(values[0]), high) if high else int(values[0])
