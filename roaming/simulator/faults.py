"""Misbehaviour on demand, so tests can prove our side survives a bad CPO.

A fault matches requests by module, HTTP method and (for paginated GETs) page number, and fires
`times` times (0: until cleared). Kinds:
- `status`: answer HTTP `status` (default 500) with OCPI status 3000;
- `drop`: close the connection without an answer;
- `slow`: wait `delay` seconds, then answer normally;
- `shift`: before answering, move `count` objects already served out of the date window (their
  last_updated becomes now, past date_to), so X-Total-Count drops mid-crawl as in real life;
- `invalid_json`: answer HTTP 200 with a body that is not JSON;
- `no_link`: answer a page without its Link header (some CPOs forget it);
- `corrupt`: the first `count` objects of the page lack a required field (last_updated);
- `foreign`: the first `count` objects of the page belong to another party (XX*OTH).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = frozenset(
    {"status", "drop", "slow", "shift", "invalid_json", "no_link", "corrupt", "foreign"}
)


@dataclass
class Fault:
    kind: str
    module: str | None = None
    method: str | None = None
    page: int | None = None
    times: int = 1
    status: int = 500
    delay: float = 0.0
    count: int = 1
    fired: int = 0

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Fault:
        allowed = {"kind", "module", "method", "page", "times", "status", "delay", "count"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        fault = cls(**value)
        if fault.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(sorted(KINDS))}")
        if fault.method:
            fault.method = fault.method.upper()
        return fault

    def matches(self, module: str, method: str, page: int | None) -> bool:
        return (
            (self.times == 0 or self.fired < self.times)
            and (self.module is None or self.module == module)
            and (self.method is None or self.method == method)
            and (self.page is None or self.page == page)
        )


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def replace(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = faults

    def take(self, module: str, method: str, page: int | None) -> Fault | None:
        """The first fault matching this request, counted as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(module, method, page):
                    fault.fired += 1
                    return fault
        return None

    def as_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]
