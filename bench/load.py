"""HTTP load from a second process: `wrk` (C, Debian package) drives the server, so the load
generator costs the 2-core machine little CPU and the figures are the server's, not a Python
client's. A Lua script builds each request; `done()` prints the figures as JSON.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gunicorn_workers(variable: str) -> tuple[int | None, int]:
    """The workers a benchmark asks for in `variable` (None: as deployed), and how many run."""
    chosen = int(os.environ.get(variable) or 0) or None
    return chosen, chosen or runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]


# Shared Lua: per-thread numbering, failures counted by `response()`, JSON summary from `done()`.
_LUA_COMMON = r"""
local threads = {}
local counter = 1
function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
failures = 0
function response(status, headers, body)
  if status < 200 or status > 299 or (expect_pattern and not string.find(body, expect_pattern)) then
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  local errors = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"failures": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), failed,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failures: int

    def row(self) -> str:
        return (
            f"{self.requests} | {self.per_second:.0f} | {self.p50_ms:.1f} | {self.p95_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.failures}"
        )


def ensure_wrk() -> None:
    subprocess.run([str(ROOT / "scripts" / "ensure-apt"), "wrk"], check=True)


def wrk_run(
    url: str, lua: str, *, connections: int, seconds: float, threads: int = 2
) -> LoadResult:
    """Run wrk against `url` with the request-building `lua` (plus the shared reporting part)."""
    ensure_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + _LUA_COMMON)
    try:
        completed = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",
             "--timeout", "10s", "-s", script.name, url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(script.name).unlink()
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRK_JSON "))
    figures = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        requests=figures["requests"],
        per_second=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        failures=figures["failures"] + figures["socket_errors"],
    )


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII
