"""The CPO simulator's state and behaviour (the HTTP layer is in server.py).

Everything lives in memory behind one lock; nothing touches a database. Outbound calls to the
eMSP (pushes, command results) go through one FIFO worker so they arrive in the order they
happened, and are never made while the lock is held (the eMSP may call back meanwhile).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from roaming.ocpi.client import NO_RETRY, OcpiClient, Party
from roaming.ocpi.enums import CommandResultType
from roaming.ocpi.http import OcpiRequestError
from roaming.ocpi.types import format_datetime as iso
from roaming.simulator.charging import ChargingEngine
from roaming.simulator.data import NetworkGenerator
from roaming.simulator.faults import FaultBook
from roaming.simulator.peers import (
    Peer,
    PeerBook,
    RegistrationError,
    fetch_endpoints,
    new_token,
    validate_credentials,
)
from roaming.simulator.store import Collection, now

logger = logging.getLogger("roaming.simulator")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 9000
    locations: int = 200
    seed: int = 1
    token_a: str | None = None
    country_code: str = "NL"
    party_id: str = "SIM"
    max_limit: int = 1000
    default_limit: int = 100
    history: int = 20
    session_tick: float = 5.0
    energy_speed: float = 60.0
    command_timeout: int = 30
    # AUTO: what the charge point would say; or a CommandResultType; NONE: no result at all.
    command_result: str = "AUTO"
    command_result_delay: float = 1.0
    start_without_result: bool = False
    duplicate_cdr_posts: bool = False
    push_evse_status: bool = True
    auto_stop_after: float | None = None
    push_timeout: float = 10.0

    RUNTIME = frozenset(
        {"max_limit", "default_limit", "session_tick", "energy_speed", "command_timeout",
         "command_result", "command_result_delay", "start_without_result",
         "duplicate_cdr_posts", "push_evse_status", "auto_stop_after", "push_timeout"}
    )  # fmt: skip

    def update(self, changes: dict[str, Any]) -> None:
        """Change settings at run time (admin endpoint); ValueError on unknown names."""
        unknown = set(changes) - self.RUNTIME
        if unknown:
            raise ValueError(f"not changeable at run time: {', '.join(sorted(unknown))}")
        if "command_result" in changes:
            result = str(changes["command_result"]).upper()
            if result not in {"AUTO", "NONE"} | {member.value for member in CommandResultType}:
                raise ValueError("command_result: AUTO, NONE or a CommandResultType")
            changes = {**changes, "command_result": result}
        types = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if value is not None and "float" in str(types[name]) and isinstance(value, int):
                value = float(value)
            setattr(self, name, value)


class CpoSimulator:
    def __init__(self, config: SimulatorConfig) -> None:
        if config.host not in LOOPBACK:
            raise ValueError("The simulator listens on loopback only (127.0.0.1).")
        self.config = config
        self.lock = threading.RLock()
        self.party = Party(config.country_code, config.party_id)
        self.party_tuple = (self.party.country_code, self.party.party_id)
        self.peers = PeerBook(config.token_a or new_token())
        self.faults = FaultBook()
        self.requests: deque[dict[str, Any]] = deque(maxlen=5000)
        self.commands: deque[dict[str, Any]] = deque(maxlen=500)
        self.pushes: deque[dict[str, Any]] = deque(maxlen=5000)
        self.engine = ChargingEngine(self)
        self._initial = {**asdict(config), "token_a": self.peers.token_a}
        self._outbox: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._epoch = 0
        self._job_running = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.generate(config.locations, config.seed)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}/ocpi/cpo"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/versions"

    def generate(self, count: int, seed: int) -> None:
        """(Re)build the network: `count` locations and the tariffs, JSON pre-rendered."""
        generator = NetworkGenerator(seed=seed, party=self.party_tuple, now=now())
        locations, tariffs = Collection(), Collection()
        for tariff in generator.tariffs():
            tariffs.put(tariff["id"], tariff).body()
        for n in range(1, count + 1):
            location = generator.location(n)
            locations.put(location["id"], location).body()
        with self.lock:
            self.config.locations, self.config.seed = count, seed
            self.locations, self.tariffs = locations, tariffs
            self.sessions, self.cdrs = Collection(), Collection()
            self.engine.live.clear()
            self.rng = random.Random(seed)

    def reset(
        self, *, locations: int | None = None, seed: int | None = None, token_a: str | None = None
    ) -> None:
        """Back to a fresh start (for tests): settings as started, no peers, no faults, no
        sessions or CDRs, empty logs; a new network and token A when given. Returns once no
        push of the old state is under way: a test that resets after it ends knows that no
        push reaches its server later."""
        self._epoch += 1  # pushes queued for the old peers and sessions are dropped
        with self._job_running:  # and one under way has reached its peer before we answer
            pass
        for peer in self.peers.registered():
            self.peers.remove(peer)
        self.peers = PeerBook(token_a or self._initial["token_a"] or new_token())
        self.config.update({name: self._initial[name] for name in SimulatorConfig.RUNTIME})
        self.faults.replace([])
        for log in (self.requests, self.commands, self.pushes):
            log.clear()
        self.generate(locations or self._initial["locations"], seed or self._initial["seed"])

    def start_background(self) -> None:
        for target in (self._outbox_worker, self._ticker):
            thread = threading.Thread(target=target, daemon=True, name=target.__name__)
            thread.start()
            self._threads.append(thread)

    def stop_background(self) -> None:
        self._stopping.set()
        self._outbox.put(None)
        for peer in self.peers.registered():
            peer.close()

    def later(self, delay: float, job: Callable[[], None]) -> None:
        """Run `job` on the outbound worker after `delay` seconds, unless reset before then."""
        epoch = self._epoch

        def job_of_this_epoch() -> None:
            if epoch == self._epoch:
                job()

        if delay <= 0:
            self._outbox.put(job_of_this_epoch)
            return
        timer = threading.Timer(delay, self._outbox.put, args=(job_of_this_epoch,))
        timer.daemon = True
        timer.start()

    def _outbox_worker(self) -> None:
        while True:
            job = self._outbox.get()
            if job is None:
                return
            try:
                with self._job_running:
                    job()
            except Exception:
                logger.exception("simulator outbound job failed")

    def _ticker(self) -> None:
        while not self._stopping.wait(self.config.session_tick):
            try:
                self.engine.tick()
            except Exception:
                logger.exception("simulator tick failed")

    # -- lookups (hold the lock) ------------------------------------------------------------

    def find_connector(
        self, location_id: str, evse_uid: str | None, connector_id: str | None
    ) -> tuple[dict, dict, dict] | None:
        record = self.locations.get(location_id)
        if record is None:
            return None
        location = record.data
        evses = [
            e
            for e in location["evses"]
            if (evse_uid is None or e["uid"].upper() == evse_uid.upper())
            and e["status"] != "REMOVED"
        ]
        if evse_uid is None:
            evses = [e for e in evses if e["status"] == "AVAILABLE"] or evses
        for evse in evses:
            for connector in evse["connectors"]:
                if connector_id is None or connector["id"].upper() == connector_id.upper():
                    return location, evse, connector
        return None

    def tariff_for(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        for tariff_id in connector.get("tariff_ids") or []:
            record = self.tariffs.get(tariff_id)
            if record is not None:
                return record.data
        return None

    def set_evse_status(
        self, location_id: str, evse_uid: str, status: str
    ) -> tuple[str, str, dict[str, Any]]:
        """Change an EVSE's status (and the parents' last_updated); returns the PATCH."""
        record = self.locations.get(location_id)
        assert record is not None
        stamp = iso(now())
        for evse in record.data["evses"]:
            if evse["uid"] == evse_uid:
                evse["status"] = status
                evse["last_updated"] = stamp
        record.data["last_updated"] = stamp
        record.changed()
        return location_id, evse_uid, {"status": status, "last_updated": stamp}

    def peer_for(self, owner: tuple[str, str]) -> Peer | None:
        for peer in self.peers.registered():
            if owner in peer.parties:
                return peer
        return None

    # -- outbound ---------------------------------------------------------------------------

    def _send(self, peer: Peer, method: str, url: str, module: str, body: Any) -> None:
        started = time.monotonic()
        entry = {"method": method, "url": url, "module": module, "at": iso(now())}
        try:
            result = peer.client(self.party, self.config.push_timeout).request(
                method, url, module=module, json=body
            )
            entry.update(http_status=result.http_status, status_code=result.status_code)
            if "location" in result.headers:
                entry["location"] = result.headers["location"]
        except OcpiRequestError as error:
            entry.update(error=str(error), http_status=error.http_status)
            logger.warning("simulator push failed: %s", error)
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self.pushes.append(entry)

    def push_session(self, peer: Peer | None, method: str, session_id: str, body: dict) -> None:
        url = peer.endpoint("sessions") if peer else None
        if peer and url:
            target = f"{url.rstrip('/')}/{self.party.country_code}/{self.party.party_id}/"
            self.later(0, lambda: self._send(peer, method, target + session_id, "sessions", body))

    def push_cdr(self, peer: Peer | None, cdr: dict[str, Any]) -> None:
        url = peer.endpoint("cdrs") if peer else None
        if peer and url:
            self.later(0, lambda: self._send(peer, "POST", url, "cdrs", cdr))

    def push_evse_status(self, location_id: str, evse_uid: str, body: dict[str, Any]) -> None:
        if not self.config.push_evse_status:
            return
        for peer in self.peers.registered():
            url = peer.endpoint("locations")
            if url:
                target = (
                    f"{url.rstrip('/')}/{self.party.country_code}/{self.party.party_id}/"
                    f"{location_id}/{evse_uid}"
                )
                self.later(0, lambda p=peer, t=target: self._send(p, "PATCH", t, "locations", body))

    def post_result(self, peer: Peer, url: str, result: str) -> None:
        body = {"result": result}
        if result != "ACCEPTED":
            body["message"] = [{"language": "en", "text": f"charge point answered {result}"}]
        self._send(peer, "POST", url, "commands", body)

    def record_command(self, command: str, peer: Peer, body: dict, outcome: str) -> None:
        party = peer.party
        self.commands.append(
            {
                "command": command,
                "from": str(party) if party else None,
                "body": body,
                "outcome": outcome,
                "at": iso(now()),
            }
        )

    # -- credentials ------------------------------------------------------------------------

    def credentials_object(self, token: str) -> dict[str, Any]:
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "CPO",
                    "party_id": self.party.party_id,
                    "country_code": self.party.country_code,
                    "business_details": {
                        "name": "SimCharge",
                        "website": "https://simcharge.example.com",
                    },
                }
            ],
        }

    def accept_registration(self, body: Any, existing: Peer | None) -> dict[str, Any]:
        """POST (existing None, token A) or PUT (existing peer): fetch the peer's endpoints
        with its token, issue a new token for it. Raises ValueError or RegistrationError."""
        credentials = validate_credentials(body)
        version, endpoints = fetch_endpoints(
            credentials["token"], credentials["url"], self.config.push_timeout
        )
        token = new_token()
        if existing is None:
            peer = Peer(token_in=token, token_out=credentials["token"], versions_url="")
            self.peers.spend_token_a()
        else:
            peer = existing
            peer.close()
            self.peers.retoken(peer, token)
            peer.token_out = credentials["token"]
        peer.versions_url = credentials["url"]
        peer.roles = credentials["roles"]
        peer.version, peer.endpoints, peer.registered = version, endpoints, True
        if existing is None:
            self.peers.add(peer)
            if self.config.history and peer.party:
                party = peer.party
                self.engine.history((party.country_code, party.party_id), self.config.history)
        return self.credentials_object(token)

    def register_with(self, versions_url: str, token_a: str) -> Peer:
        """We are the credentials Sender: register with an eMSP that gave us its token A."""
        timeout = self.config.push_timeout
        version, endpoints = fetch_endpoints(token_a, versions_url, timeout)
        token_b = new_token()
        peer = Peer(token_in=token_b, token_out=None, versions_url=versions_url)
        peer.version, peer.endpoints = version, endpoints
        self.peers.add(peer)  # the eMSP calls back with token B before it answers
        url = endpoints.get(("credentials", "SENDER")) or endpoints[("credentials", "RECEIVER")]
        try:
            with OcpiClient(token=token_a, timeout=timeout, retry=NO_RETRY) as client:
                answer = client.post(
                    url, module="credentials", json=self.credentials_object(token_b)
                ).data
            credentials = validate_credentials(answer)
        except (OcpiRequestError, ValueError) as error:
            self.peers.remove(peer)
            raise RegistrationError(f"the eMSP refused our credentials: {error}", 3001) from error
        peer.token_out = credentials["token"]
        peer.roles = credentials["roles"]
        peer.registered = True
        party = peer.party
        if self.config.history and party:
            self.engine.history((party.country_code, party.party_id), self.config.history)
        return peer

    # -- admin ------------------------------------------------------------------------------

    def touch_locations(self, count: int, *, push: bool = False) -> list[str]:
        """Change `count` random locations (an EVSE status flips): for incremental pulls."""
        changes = []
        with self.lock:
            records = list(self.locations)
            for record in self.rng.sample(records, min(count, len(records))):
                evse = record.data["evses"][0]
                status = "CHARGING" if evse["status"] == "AVAILABLE" else "AVAILABLE"
                changes.append(self.set_evse_status(record.key, evse["uid"], status))
        if push:
            for change in changes:
                self.push_evse_status(*change)
        return [location_id for location_id, _, _ in changes]

    def shift_window(self, module: str, records: list, offset: int, count: int) -> None:
        """Fault `shift`: objects already served (before `offset`) are updated now, leaving
        a date_to window, so X-Total-Count drops mid-crawl."""
        served = records[:offset]
        for record in self.rng.sample(served, min(count, len(served))):
            if module == "locations":
                evse = record.data["evses"][0]
                self.set_evse_status(record.key, evse["uid"], evse["status"])
            else:
                record.data["last_updated"] = iso(now())
                record.changed()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "party": str(self.party),
                "versions_url": self.versions_url,
                "token_a": self.peers.token_a,
                "config": {k: v for k, v in asdict(self.config).items() if k != "token_a"},
                "counts": {
                    "locations": len(self.locations),
                    "evses": sum(len(r.data["evses"]) for r in self.locations),
                    "connectors": sum(
                        len(e["connectors"]) for r in self.locations for e in r.data["evses"]
                    ),
                    "tariffs": len(self.tariffs),
                    "sessions": len(self.sessions),
                    "cdrs": len(self.cdrs),
                },
                "peers": [
                    {
                        "party": str(peer.party) if peer.party else None,
                        "versions_url": peer.versions_url,
                        "version": peer.version,
                        "endpoints": [
                            {"identifier": i, "role": r, "url": u}
                            for (i, r), u in peer.endpoints.items()
                        ],
                    }
                    for peer in self.peers.registered()
                ],
                "live_sessions": [live_summary(s) for s in self.engine.live.values()],
                "commands": list(self.commands),
                "faults": self.faults.as_json(),
            }


def live_summary(session: Any) -> dict[str, Any]:
    return {
        "id": session.id,
        "status": session.status,
        "kwh": round(session.kwh, 4),
        "authorization_reference": session.authorization_reference,
        "location_id": session.location_id,
        "evse_uid": session.evse_uid,
        "connector_id": session.connector_id,
    }
