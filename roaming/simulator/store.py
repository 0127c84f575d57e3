"""In-memory collections of OCPI objects in creation order, with their JSON pre-rendered.

A paginated GET selects the records in a `last_updated` window and joins their cached JSON:
rendering happens once per change, not once per request, so 20,000 locations page quickly.
An updated object keeps its place (creation order), as the spec advises for stable paging.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from roaming.ocpi.types import parse_datetime as parse

Party = tuple[str, str]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Record:
    key: str
    data: dict[str, Any]
    updated: dt.datetime
    owner: Party | None = None  # the eMSP a session or CDR belongs to; None: every peer
    _body: bytes | None = field(default=None, repr=False)

    def body(self) -> bytes:
        if self._body is None:
            self._body = dumps(self.data)
        return self._body

    def changed(self) -> None:
        """Call after editing `data` in place: re-reads last_updated, drops the cached JSON."""
        self.updated = parse(self.data["last_updated"])
        self._body = None


class Collection:
    def __init__(self) -> None:
        self._records: list[Record] = []
        self._index: dict[str, Record] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self):
        return iter(self._records)

    def get(self, key: str) -> Record | None:
        return self._index.get(key.upper())

    def put(self, key: str, data: dict[str, Any], *, owner: Party | None = None) -> Record:
        record = self.get(key)
        if record is None:
            record = Record(key, data, parse(data["last_updated"]), owner)
            self._records.append(record)
            self._index[key.upper()] = record
        else:
            record.data = data
            record.changed()
        return record

    def window(
        self,
        date_from: dt.datetime | None,
        date_to: dt.datetime | None,
        viewer: set[Party] | None = None,
    ) -> list[Record]:
        """Records with date_from <= last_updated < date_to visible to the viewer's parties."""
        return [
            record
            for record in self._records
            if (date_from is None or record.updated >= date_from)
            and (date_to is None or record.updated < date_to)
            and (record.owner is None or viewer is None or record.owner in viewer)
        ]

    @staticmethod
    def render(records: list[Record]) -> bytes:
        return b"[" + b",".join(record.body() for record in records) + b"]"
