"""The simulator's HTTP layer: OCPI 2.2.1 CPO endpoints and the admin endpoint `/_sim/...`.

A threaded stdlib HTTP/1.1 server with keep-alive on loopback. OCPI endpoints (base
`/ocpi/cpo`): versions, version details, credentials (GET/POST/PUT/DELETE), the sender
interfaces of locations (list and single objects), tariffs, sessions and CDRs (offset, limit,
date_from, date_to; Link, X-Total-Count, X-Limit), and the commands receiver. Admin endpoints
(JSON, loopback only) change behaviour for tests and demos; see `ADMIN` below.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from roaming.ocpi.auth import credentials_token_candidates
from roaming.ocpi.envelope import envelope as ocpi_envelope
from roaming.ocpi.types import format_datetime as iso
from roaming.ocpi.types import parse_datetime as parse
from roaming.simulator.app import CpoSimulator
from roaming.simulator.charging import CommandAnswer
from roaming.simulator.faults import Fault
from roaming.simulator.peers import Peer, RegistrationError
from roaming.simulator.store import Collection, dumps, now

logger = logging.getLogger("roaming.simulator.http")
MAX_BODY = 1_000_000
FUNCTIONAL = frozenset({"locations", "tariffs", "sessions", "cdrs", "commands"})
OWNED_BY_EMSP = frozenset({"sessions", "cdrs"})
ROUTES = [
    (re.compile(r"^/_sim/(?P<action>.+)$"), "admin"),
    (re.compile(r"^/ocpi/cpo/versions$"), "versions"),
    (re.compile(r"^/ocpi/cpo/2\.2\.1$"), "details"),
    (re.compile(r"^/ocpi/cpo/2\.2\.1/credentials$"), "credentials"),
    (re.compile(r"^/ocpi/cpo/2\.2\.1/(?P<module>locations|tariffs|sessions|cdrs)$"), "list"),
    (
        re.compile(
            r"^/ocpi/cpo/2\.2\.1/locations/(?P<location_id>[^/]+)"
            r"(?:/(?P<evse_uid>[^/]+))?(?:/(?P<connector_id>[^/]+))?$"
        ),
        "location",
    ),
    (re.compile(r"^/ocpi/cpo/2\.2\.1/commands/(?P<command>[A-Za-z_]+)$"), "commands"),
]


class HttpProblem(Exception):
    def __init__(self, http_status: int, ocpi_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.ocpi_status = ocpi_status


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def envelope(data: Any = None, status_code: int = 1000, message: str = "Success") -> bytes:
    return dumps(ocpi_envelope(data, status_code=status_code, status_message=message))


def envelope_with_raw_data(data: bytes) -> bytes:
    """A success envelope around an already rendered list (the fast path of paging)."""
    return b'{"data":' + data + b"," + envelope()[1:]


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path.rstrip("/") or "/"
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = handler.headers
        self.body = body

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise HttpProblem(400, 2001, f"invalid JSON: {error}") from error

    def int_param(self, name: str, default: int, minimum: int) -> int:
        value = self.query.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise HttpProblem(400, 2001, f"{name}: an integer is required") from None
        if number < minimum:
            raise HttpProblem(400, 2001, f"{name}: must be at least {minimum}")
        return number

    def date_param(self, name: str):
        value = self.query.get(name)
        if not value:
            return None
        try:
            return parse(value)
        except ValueError:
            raise HttpProblem(400, 2001, f"{name}: an RFC 3339 DateTime is required") from None


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimChargeCPO/1.0"
    sim: CpoSimulator

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(Reply(413, envelope(None, 2001, "request body too large")))
            self.close_connection = True
            return
        request = Request(self, self.rfile.read(length) if length else b"")
        kind, params = self._route(request.path)
        module = params.get("module") or {
            "versions": "versions",
            "details": "versions",
            "credentials": "credentials",
            "location": "locations",
            "commands": "commands",
        }.get(kind or "", "admin")
        entry = {
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "module": module,
            "request_id": self.headers.get("X-Request-ID"),
            "correlation_id": self.headers.get("X-Correlation-ID"),
            "routing": {k: v for k, v in self.headers.items() if k.lower().startswith("ocpi-")},
            "at": iso(now()),
        }
        try:
            if kind is None:
                raise HttpProblem(404, 2000, f"no such endpoint: {request.path}")
            if kind == "admin":
                reply = self._admin(request, params["action"])
            else:
                fault = None
                if module in FUNCTIONAL or module in ("versions", "credentials"):
                    page = self._page_number(request) if kind == "list" else None
                    fault = self.sim.faults.take(module, request.method, page)
                    if fault and not self._apply_fault(fault, request, entry):
                        return
                reply = self._ocpi(request, kind, params, module, fault, entry)
        except HttpProblem as problem:
            reply = Reply(problem.http_status, envelope(None, problem.ocpi_status, str(problem)))
        except Exception as error:  # a simulator bug must still answer in OCPI form
            logger.exception("simulator error")
            reply = Reply(500, envelope(None, 3000, f"simulator error: {error}"))
        entry["status"] = reply.status
        if kind != "admin":
            self.sim.requests.append(entry)
        self._write(reply, functional=module in FUNCTIONAL)

    def _route(self, path: str) -> tuple[str | None, dict[str, str]]:
        for pattern, kind in ROUTES:
            match = pattern.match(path)
            if match:
                return kind, {k: v for k, v in match.groupdict().items() if v is not None}
        return None, {}

    def _page_number(self, request: Request) -> int:
        try:
            limit = self._limit(request)
            return request.int_param("offset", 0, 0) // limit + 1
        except HttpProblem:
            return 1

    def _limit(self, request: Request) -> int:
        config = self.sim.config
        return min(request.int_param("limit", config.default_limit, 1), config.max_limit)

    def _apply_fault(self, fault: Fault, request: Request, entry: dict[str, Any]) -> bool:
        """Misbehave; False when no answer must be written at all."""
        entry["fault"] = fault.kind
        if fault.kind == "drop":
            self.sim.requests.append(entry)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return False
        if fault.kind == "slow":
            time.sleep(fault.delay)
        elif fault.kind == "status":
            raise HttpProblem(fault.status, 3000, "simulated server error")
        elif fault.kind == "invalid_json":
            self.sim.requests.append(entry)
            self._write(Reply(200, b'{"data": [ this is not json'))
            return False
        return True

    def _write(self, reply: Reply, *, functional: bool = False) -> None:
        self.send_response(reply.status)
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(reply.body)),
            "X-Request-ID": self.headers.get("X-Request-ID") or str(uuid.uuid4()),
            "X-Correlation-ID": self.headers.get("X-Correlation-ID") or str(uuid.uuid4()),
            **reply.headers,
        }
        if functional:
            party = self.sim.party
            headers["OCPI-from-country-code"] = party.country_code
            headers["OCPI-from-party-id"] = party.party_id
            for side in ("country-code", "party-id"):
                value = self.headers.get(f"OCPI-from-{side}")
                if value:
                    headers[f"OCPI-to-{side}"] = value
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    # -- OCPI -------------------------------------------------------------------------------

    def _authenticate(self, module: str, entry: dict[str, Any]) -> tuple[Peer | None, bool]:
        """(peer, used token A); raises 401 for a missing or unknown token. Accepts the token
        Base64-encoded (2.2.x) or raw (older partners), and logs which it was."""
        candidates = credentials_token_candidates(self.headers.get("Authorization"))
        peers = self.sim.peers
        for candidate in candidates:
            entry["token_encoding"] = "raw" if candidate.raw else "base64"
            peer = peers.by_token(candidate.token)
            if peer is not None and (peer.registered or module == "versions"):
                return peer, False
            if module in ("versions", "credentials") and peers.is_token_a(candidate.token):
                return None, True
        entry.pop("token_encoding", None)
        raise HttpProblem(401, 2000, "missing or unknown credentials token")

    def _ocpi(
        self,
        request: Request,
        kind: str,
        params: dict[str, str],
        module: str,
        fault: Fault | None,
        entry: dict[str, Any],
    ) -> Reply:
        peer, token_a = self._authenticate(module, entry)
        entry["token"] = "A" if token_a else "peer"
        if kind == "versions" and request.method == "GET":
            data = [{"version": "2.2.1", "url": f"{self.sim.base_url}/2.2.1"}]
            return Reply(200, envelope(data))
        if kind == "details" and request.method == "GET":
            return Reply(200, envelope(self._details()))
        if kind == "credentials":
            return self._credentials(request, peer, token_a)
        if peer is None:
            raise HttpProblem(401, 2000, "register first")
        if kind == "list" and request.method == "GET":
            return self._list(request, peer, params["module"], fault)
        if kind == "location" and request.method == "GET":
            return self._location(params)
        if kind == "commands" and request.method == "POST":
            answer: CommandAnswer = self.sim.engine.command(
                peer, params["command"].upper(), request.json()
            )
            return Reply(
                answer.http_status, envelope(answer.data, answer.ocpi_status, answer.message)
            )
        raise HttpProblem(405, 2000, f"{request.method} is not allowed here")

    def _details(self) -> dict[str, Any]:
        base = f"{self.sim.base_url}/2.2.1"
        endpoints = [{"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"}]
        endpoints += [
            {"identifier": name, "role": "SENDER", "url": f"{base}/{name}"}
            for name in ("locations", "tariffs", "sessions", "cdrs")
        ]
        endpoints.append({"identifier": "commands", "role": "RECEIVER", "url": f"{base}/commands"})
        return {"version": "2.2.1", "endpoints": endpoints}

    def _credentials(self, request: Request, peer: Peer | None, token_a: bool) -> Reply:
        method = request.method
        if method == "GET":
            token = peer.token_in if peer else self.sim.peers.token_a
            return Reply(200, envelope(self.sim.credentials_object(token or "")))
        if method == "POST" and peer is not None:
            raise HttpProblem(405, 2000, "already registered: use PUT to update")
        if method in ("PUT", "DELETE") and peer is None:
            raise HttpProblem(405, 2000, "not registered")
        if method == "DELETE":
            self.sim.peers.remove(peer)
            return Reply(200, envelope(None))
        if method not in ("POST", "PUT"):
            raise HttpProblem(405, 2000, f"{method} is not allowed on credentials")
        try:
            data = self.sim.accept_registration(request.json(), peer)
        except ValueError as error:
            raise HttpProblem(400, 2001, str(error)) from error
        except RegistrationError as error:
            return Reply(200, envelope(None, error.ocpi_status, str(error)))
        return Reply(200, envelope(data))

    def _list(self, request: Request, peer: Peer, module: str, fault: Fault | None) -> Reply:
        offset = request.int_param("offset", 0, 0)
        limit = self._limit(request)
        date_from, date_to = request.date_param("date_from"), request.date_param("date_to")
        if module == "sessions" and date_from is None:
            raise HttpProblem(400, 2001, "date_from is required for sessions")
        collection: Collection = getattr(self.sim, module)
        viewer = peer.parties if module in OWNED_BY_EMSP else None
        with self.sim.lock:
            records = collection.window(date_from, date_to, viewer)
            if fault and fault.kind == "shift":
                self.sim.shift_window(module, records, offset, fault.count)
                records = collection.window(date_from, date_to, viewer)
            total = len(records)
            page = records[offset : offset + limit]
            data = Collection.render(page) if fault is None else _spoiled(page, fault)
        headers = {"X-Total-Count": str(total), "X-Limit": str(limit)}
        if offset + len(page) < total and not (fault and fault.kind == "no_link"):
            query = {**request.query, "offset": str(offset + len(page)), "limit": str(limit)}
            headers["Link"] = f'<{self.sim.base_url}/2.2.1/{module}?{urlencode(query)}>; rel="next"'
        return Reply(200, envelope_with_raw_data(data), headers)

    def _location(self, params: dict[str, str]) -> Reply:
        with self.sim.lock:
            record = self.sim.locations.get(params["location_id"])
            found: Any = record.data if record else None
            if found is not None and "evse_uid" in params:
                found = next(
                    (e for e in found["evses"] if e["uid"].upper() == params["evse_uid"].upper()),
                    None,
                )
            if found is not None and "connector_id" in params:
                found = next(
                    (c for c in found["connectors"] if c["id"] == params["connector_id"]), None
                )
            body = envelope(found) if found is not None else None
        if body is None:
            raise HttpProblem(404, 2003, "unknown location, EVSE or connector")
        return Reply(200, body)

    # -- admin ------------------------------------------------------------------------------

    def _admin(self, request: Request, action: str) -> Reply:
        try:
            return self._admin_action(request, action)
        except (KeyError, TypeError, ValueError) as error:
            raise HttpProblem(400, 2001, f"bad admin request: {error!r}") from error
        except RegistrationError as error:
            raise HttpProblem(502, error.ocpi_status, str(error)) from error

    def _admin_action(self, request: Request, action: str) -> Reply:
        sim, method = self.sim, request.method
        body = request.json() if request.body else {}
        result: Any = {"ok": True}
        if action == "health":
            pass
        elif action == "state":
            result = sim.state()
        elif action in ("requests", "pushes"):
            log = getattr(sim, action)
            if method == "DELETE":
                log.clear()
            else:
                result = list(log)
        elif action == "faults":
            faults = [] if method == "DELETE" else [Fault.from_json(f) for f in body["faults"]]
            sim.faults.replace(faults)
        elif action == "config" and method == "POST":
            sim.config.update(body)
        elif action == "reset" and method == "POST":
            sim.reset(
                locations=body.get("locations"), seed=body.get("seed"), token_a=body.get("token_a")
            )
        elif action == "network" and method == "POST":
            # A new network (peers stay registered; sessions and CDRs start empty).
            count = int(body.get("locations", sim.config.locations))
            sim.generate(count, int(body.get("seed", sim.config.seed)))
        elif action == "locations/touch" and method == "POST":
            touched = sim.touch_locations(int(body["count"]), push=bool(body.get("push")))
            result = {"touched": touched}
        elif action == "register" and method == "POST":
            peer = sim.register_with(body["versions_url"], body["token"])
            result = {"ok": True, "party": str(peer.party), "version": peer.version}
        elif action == "peers" and method == "POST":
            # A pull-only peer without the handshake (tests of the client alone).
            party = {"country_code": body["country_code"], "party_id": body["party_id"]}
            role = {**party, "role": "EMSP", "business_details": {"name": "test"}}
            peer = Peer(token_in=body["token"], token_out=None, versions_url="", roles=[role])
            peer.registered = True
            sim.peers.add(peer)
        elif action == "token-a" and method == "POST":
            result = {"token_a": sim.peers.issue_token_a(body.get("token"))}
        elif action == "tick" and method == "POST":
            sim.engine.tick()
        elif action.startswith("sessions/") and action.endswith("/stop") and method == "POST":
            result = {"cdr": sim.engine.finish(action.split("/")[1])}
        else:
            raise HttpProblem(404, 2000, f"no admin action {method} {action}")
        return Reply(200, dumps(result))


def _spoiled(page: list, fault: Fault) -> bytes:
    """The page with its first objects spoiled by a `corrupt` or `foreign` fault."""
    bodies = [record.body() for record in page]
    for index, record in enumerate(page[: fault.count]):
        if fault.kind == "corrupt":
            broken = {k: v for k, v in record.data.items() if k != "last_updated"}
        elif fault.kind == "foreign":
            broken = {**record.data, "country_code": "XX", "party_id": "OTH"}
        else:
            break
        bodies[index] = dumps(broken)
    return b"[" + b",".join(bodies) + b"]"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(sim: CpoSimulator) -> SimulatorServer:
    handler = type("BoundSimulatorHandler", (SimulatorHandler,), {"sim": sim})
    return SimulatorServer((sim.config.host, sim.config.port), handler)
