"""Our CPO simulator as a real peer process on loopback, driven through its admin endpoint.

`simulator_process` (session scope) starts `python -m roaming.simulator` once; `simulator`
(per test) resets it to a fresh network with a known token A, so tests never see each
other's state.
"""

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import ROOT, free_port, stop, wait_for_port

TOKEN_A = "simulator-token-a-for-tests"


class CpoSimulator:
    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.base = f"http://127.0.0.1:{port}"
        self.versions_url = f"{self.base}/ocpi/cpo/versions"
        self.ocpi = f"{self.base}/ocpi/cpo/2.2.1"
        self.token_a = TOKEN_A
        self.process: subprocess.Popen | None = None

    def start(self, *extra: str) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "roaming.simulator",
                "--port", str(self.port),
                "--locations", "60",
                "--seed", "7",
                "--token-a", TOKEN_A,
                "--history", "12",
                "--session-tick", "0.3",
                "--command-result-delay", "0.2",
                *extra,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def admin(self, method: str, action: str, json: Any = None) -> Any:
        response = httpx.request(method, f"{self.base}/_sim/{action}", json=json, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self, *, locations: int = 60, seed: int = 7) -> None:
        self.admin("POST", "reset", {"locations": locations, "seed": seed, "token_a": TOKEN_A})

    def network(self, *, locations: int, seed: int = 7) -> None:
        """A new network of this size; registered peers stay."""
        self.admin("POST", "network", {"locations": locations, "seed": seed})

    def faults(self, *faults: dict[str, Any]) -> None:
        self.admin("POST", "faults", {"faults": list(faults)})

    def configure(self, **settings: Any) -> None:
        self.admin("POST", "config", settings)

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "state")

    def requests(self, module: str | None = None) -> list[dict[str, Any]]:
        entries = self.admin("GET", "requests")
        return [e for e in entries if module is None or e["module"] == module]

    def pushes(self, module: str | None = None) -> list[dict[str, Any]]:
        entries = self.admin("GET", "pushes")
        return [e for e in entries if module is None or e["module"] == module]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until(check: Callable[[], Any], *, timeout: float = 20, what: str = "") -> Any:
    """Poll until `check()` is truthy; its value. For asynchronous peers (pushes, results)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CpoSimulator]:
    simulator = CpoSimulator(free_port(), tmp_path_factory.mktemp("cpo") / "simulator.log")
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def simulator(simulator_process: CpoSimulator) -> Iterator[CpoSimulator]:
    simulator_process.reset()
    yield simulator_process
    # Quiet after the test: no pushes of its sessions reach the live server once the test's
    # database access has ended.
    simulator_process.reset()


@pytest.fixture
def emsp_live(live_server, settings) -> str:
    """Our server, live on loopback, as partners reach it (EMSP_PUBLIC_URL)."""
    settings.EMSP_PUBLIC_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


@pytest.fixture
def registered(simulator: CpoSimulator, emsp_live: str):
    """The simulator registered as our partner: we started the handshake with its token A."""
    from roaming.services.registration import partner_register

    return partner_register(versions_url=simulator.versions_url, token_a=simulator.token_a).partner


@pytest.fixture
def support(db):
    """A support staff member: may send commands (roaming.add_command)."""
    from django.contrib.auth.models import Permission

    from tests.drivers.factories import DriverFactory

    user = DriverFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_command"))
    return user
