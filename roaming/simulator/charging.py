"""The simulated charge points: commands, live charging sessions and their CDRs.

START_SESSION is answered at once (CommandResponse ACCEPTED with a timeout); a moment later the
CommandResult goes to the eMSP's response_url, the Session is PUT to its receiver, the EVSE
status PATCHed to CHARGING, and every tick the Session is PATCHed with kWh and a new charging
period. STOP_SESSION completes the Session, frees the EVSE and POSTs the CDR, priced by the
connector's tariff. What the charge point answers can be overridden for tests.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from roaming.ocpi.commands import StartSession, StopSession, UnlockConnector
from roaming.ocpi.errors import validation_message
from roaming.ocpi.types import format_datetime as iso
from roaming.simulator.pricing import session_cost
from roaming.simulator.store import now

if TYPE_CHECKING:
    from roaming.simulator.app import CpoSimulator
    from roaming.simulator.peers import Peer

ModelT = TypeVar("ModelT", bound=BaseModel)
COMMANDS = ("START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR")
OCCUPIED = frozenset({"CHARGING", "BLOCKED", "RESERVED"})


@dataclass
class CommandAnswer:
    http_status: int
    ocpi_status: int
    data: Any = None
    message: str = "Success"


def command_response(result: str, timeout: int, text: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"result": result, "timeout": timeout}
    if text:
        response["message"] = [{"language": "en", "text": text}]
    return response


def _parse(model: type[ModelT], body: Any) -> ModelT:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise ValueError(validation_message(error)) from None


def _cdr_token(command: StartSession, peer: Peer) -> dict[str, Any]:
    token = command.token
    if (token.country_code.upper(), token.party_id.upper()) not in peer.parties:
        raise PermissionError("token: an eMSP may only use its own tokens")
    return {
        "country_code": token.country_code.upper(),
        "party_id": token.party_id.upper(),
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
    }


def _dimension(kind: str, volume: float) -> dict[str, Any]:
    return {"type": kind, "volume": round(volume, 6)}


@dataclass
class LiveSession:
    id: str
    owner: tuple[str, str]
    cdr_token: dict[str, Any]
    location_id: str
    evse_uid: str
    connector_id: str
    tariff: dict[str, Any] | None
    cdr_location: dict[str, Any]
    currency: str
    time_zone: str
    started: dt.datetime
    power_kw: float
    target_kwh: float
    authorization_reference: str | None = None
    auth_method: str = "COMMAND"
    kwh: float = 0.0
    periods: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ACTIVE"
    ended: dt.datetime | None = None
    last_tick: dt.datetime | None = None

    @classmethod
    def at(
        cls,
        place: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
        tariff: dict[str, Any] | None,
        *,
        power_share: float = 1.0,
        **fields: Any,
    ) -> LiveSession:
        """A session at (location, evse, connector), charging at a share of its power."""
        location, evse, connector = place
        power_kw = min((connector.get("max_electric_power") or 11000) / 1000, 150)
        return cls(
            location_id=location["id"],
            evse_uid=evse["uid"],
            connector_id=connector["id"],
            tariff=tariff,
            cdr_location=cdr_location(location, evse, connector),
            currency=tariff["currency"] if tariff else "EUR",
            time_zone=location["time_zone"],
            power_kw=power_kw * power_share,
            **fields,
        )

    def advance(self, moment: dt.datetime, energy_speed: float) -> dict[str, Any] | None:
        """Charge (or park, once full) from the last tick until `moment`: a new period."""
        since = self.last_tick or self.started
        hours = (moment - since).total_seconds() / 3600
        if hours <= 0:
            return None
        if self.kwh < self.target_kwh:
            energy = min(self.power_kw * hours * energy_speed, self.target_kwh - self.kwh)
            # The power as a charge point measures it: ENERGY over TIME is energy_speed times
            # that when the clock is compressed, so the readings are sent (and priced) too.
            dimensions = [
                _dimension("ENERGY", energy),
                _dimension("TIME", hours),
                _dimension("MIN_POWER", self.power_kw),
                _dimension("MAX_POWER", self.power_kw),
            ]
            self.kwh += energy
        else:
            dimensions = [_dimension("PARKING_TIME", hours)]
        period: dict[str, Any] = {"start_date_time": iso(since), "dimensions": dimensions}
        if self.tariff:
            period["tariff_id"] = self.tariff["id"]
        self.periods.append(period)
        self.last_tick = moment
        return period

    def cost(self) -> dict[str, Any]:
        """The cost so far (to the last tick), or of the whole session once it ended."""
        end = self.ended or self.last_tick or self.started
        return session_cost(
            tariff=self.tariff,
            periods=self.periods,
            start=self.started,
            end=end,
            time_zone=self.time_zone,
        )

    def ocpi(self, party: tuple[str, str], moment: dt.datetime) -> dict[str, Any]:
        session: dict[str, Any] = {
            "country_code": party[0],
            "party_id": party[1],
            "id": self.id,
            "start_date_time": iso(self.started),
            "kwh": round(self.kwh, 4),
            "cdr_token": self.cdr_token,
            "auth_method": self.auth_method,
            "location_id": self.location_id,
            "evse_uid": self.evse_uid,
            "connector_id": self.connector_id,
            "currency": self.currency,
            "charging_periods": self.periods,
            "total_cost": self.cost()["total_cost"],
            "status": self.status,
            "last_updated": iso(moment),
        }
        if self.ended:
            session["end_date_time"] = iso(self.ended)
        if self.authorization_reference:
            session["authorization_reference"] = self.authorization_reference
        return session

    def cdr(self, party: tuple[str, str], moment: dt.datetime) -> dict[str, Any]:
        periods = self.periods or [
            {"start_date_time": iso(self.started), "dimensions": [_dimension("TIME", 0)]}
        ]
        totals = {"ENERGY": 0.0, "TIME": 0.0, "PARKING_TIME": 0.0}
        for period in periods:
            for dimension in period["dimensions"]:
                totals[dimension["type"]] = totals.get(dimension["type"], 0) + dimension["volume"]
        cdr: dict[str, Any] = {
            "country_code": party[0],
            "party_id": party[1],
            "id": f"CDR-{self.id}",
            "start_date_time": iso(self.started),
            "end_date_time": iso(self.ended or moment),
            "session_id": self.id,
            "cdr_token": self.cdr_token,
            "auth_method": self.auth_method,
            "cdr_location": self.cdr_location,
            "currency": self.currency,
            "tariffs": [self.tariff] if self.tariff else [],
            "charging_periods": periods,
            **self.cost(),
            "total_energy": round(self.kwh, 4),
            "total_time": round(totals["TIME"] + totals["PARKING_TIME"], 6),
            "total_parking_time": round(totals["PARKING_TIME"], 6),
            "last_updated": iso(moment),
        }
        if self.authorization_reference:
            cdr["authorization_reference"] = self.authorization_reference
        return cdr


class ChargingEngine:
    """Live sessions of the simulated charge points. Callers hold `sim.lock` where noted."""

    def __init__(self, sim: CpoSimulator) -> None:
        self.sim = sim
        self.live: dict[str, LiveSession] = {}
        self.rng = random.Random(sim.config.seed)

    # -- commands ---------------------------------------------------------------------------

    def command(self, peer: Peer, command: str, body: Any) -> CommandAnswer:
        if command not in COMMANDS:
            timeout = self.sim.config.command_timeout
            return CommandAnswer(200, 1000, command_response("NOT_SUPPORTED", timeout))
        if not isinstance(body, dict):
            return CommandAnswer(400, 2001, message="the body must be a JSON object")
        handler = {
            "START_SESSION": self._start_session,
            "STOP_SESSION": self._stop_session,
            "UNLOCK_CONNECTOR": self._unlock_connector,
        }[command]
        try:
            return handler(peer, body)
        except ValueError as error:
            return CommandAnswer(400, 2001, message=str(error))
        except PermissionError as error:
            timeout = self.sim.config.command_timeout
            return CommandAnswer(200, 1000, command_response("REJECTED", timeout, str(error)))

    def _start_session(self, peer: Peer, body: dict[str, Any]) -> CommandAnswer:
        command = _parse(StartSession, body)
        url, cdr_token = command.response_url, _cdr_token(command, peer)
        location_id, evse_uid = command.location_id, command.evse_uid
        connector_id, reference = command.connector_id, command.authorization_reference
        if connector_id and not evse_uid:
            raise ValueError("evse_uid: required when connector_id is set")
        timeout = self.sim.config.command_timeout
        with self.sim.lock:
            found = self.sim.find_connector(location_id, evse_uid, connector_id)
            if found is None:
                return CommandAnswer(
                    200, 2003, command_response("REJECTED", timeout, "unknown location or EVSE")
                )
            location, evse, connector = found
            if "START_SESSION_CONNECTOR_REQUIRED" in evse.get("capabilities", []) and not (
                connector_id
            ):
                text = "this EVSE needs connector_id"
                return CommandAnswer(200, 1000, command_response("REJECTED", timeout, text))
            outcome = self._outcome(evse["status"])
        self.sim.record_command("START_SESSION", peer, body, outcome)

        def deliver() -> None:
            if outcome != "NONE":
                self.sim.post_result(peer, url, outcome)
            unanswered = outcome == "NONE" and self.sim.config.start_without_result
            if outcome == "ACCEPTED" or unanswered:
                self.start(peer, cdr_token, location["id"], evse["uid"], connector["id"], reference)

        self.sim.later(self.sim.config.command_result_delay, deliver)
        return CommandAnswer(200, 1000, command_response("ACCEPTED", timeout))

    def _outcome(self, evse_status: str) -> str:
        forced = self.sim.config.command_result
        if forced != "AUTO":
            return forced
        if evse_status == "AVAILABLE":
            return "ACCEPTED"
        return "EVSE_OCCUPIED" if evse_status in OCCUPIED else "EVSE_INOPERATIVE"

    def _stop_session(self, peer: Peer, body: dict[str, Any]) -> CommandAnswer:
        command = _parse(StopSession, body)
        url, session_id = command.response_url, command.session_id
        timeout = self.sim.config.command_timeout
        with self.sim.lock:
            session = self.live.get(session_id)
            if session is None:
                return CommandAnswer(200, 1000, command_response("UNKNOWN_SESSION", timeout))
            if session.owner not in peer.parties:
                text = "not a session of this eMSP"
                return CommandAnswer(200, 1000, command_response("REJECTED", timeout, text))
            if session.status != "ACTIVE":
                text = "the session has ended"
                return CommandAnswer(200, 1000, command_response("REJECTED", timeout, text))
        outcome = self._outcome("AVAILABLE")
        self.sim.record_command("STOP_SESSION", peer, body, outcome)

        def deliver() -> None:
            if outcome != "NONE":
                self.sim.post_result(peer, url, outcome)
            if outcome == "ACCEPTED" or outcome == "NONE":
                self.finish(session_id)

        self.sim.later(self.sim.config.command_result_delay, deliver)
        return CommandAnswer(200, 1000, command_response("ACCEPTED", timeout))

    def _unlock_connector(self, peer: Peer, body: dict[str, Any]) -> CommandAnswer:
        command = _parse(UnlockConnector, body)
        url, location_id = command.response_url, command.location_id
        evse_uid, connector_id = command.evse_uid, command.connector_id
        timeout = self.sim.config.command_timeout
        with self.sim.lock:
            found = self.sim.find_connector(location_id, evse_uid, connector_id)
        if found is None:
            text = "unknown location, EVSE or connector"
            return CommandAnswer(200, 2003, command_response("REJECTED", timeout, text))
        capable = "UNLOCK_CAPABLE" in found[1].get("capabilities", [])
        outcome = self._outcome("AVAILABLE") if capable else "NOT_SUPPORTED"
        self.sim.record_command("UNLOCK_CONNECTOR", peer, body, outcome)
        if outcome != "NONE":
            self.sim.later(
                self.sim.config.command_result_delay,
                lambda: self.sim.post_result(peer, url, outcome),
            )
        return CommandAnswer(200, 1000, command_response("ACCEPTED", timeout))

    # -- sessions ---------------------------------------------------------------------------

    def start(
        self,
        peer: Peer,
        cdr_token: dict[str, Any],
        location_id: str,
        evse_uid: str,
        connector_id: str,
        reference: str | None,
    ) -> LiveSession | None:
        moment = now()
        with self.sim.lock:
            found = self.sim.find_connector(location_id, evse_uid, connector_id)
            if found is None:
                return None
            location, evse, connector = found
            session = LiveSession.at(
                (location, evse, connector),
                self.sim.tariff_for(connector),
                id=f"SIM-{uuid.uuid4().hex[:24]}",
                owner=(cdr_token["country_code"].upper(), cdr_token["party_id"].upper()),
                cdr_token=cdr_token,
                started=moment,
                power_share=self.rng.uniform(0.7, 0.95),
                target_kwh=self.rng.uniform(15, 60),
                authorization_reference=reference,
            )
            self.live[session.id] = session
            data = session.ocpi(self.sim.party_tuple, moment)
            self.sim.sessions.put(session.id, data, owner=session.owner)
            status_change = self.sim.set_evse_status(location["id"], evse["uid"], "CHARGING")
        self.sim.push_session(peer, "PUT", session.id, data)
        self.sim.push_evse_status(*status_change)
        return session

    def tick(self) -> None:
        moment = now()
        patches, due = [], []
        auto_stop = self.sim.config.auto_stop_after
        with self.sim.lock:
            for session in list(self.live.values()):
                if session.status != "ACTIVE":
                    continue
                period = session.advance(moment, self.sim.config.energy_speed)
                if period is None:
                    continue
                data = session.ocpi(self.sim.party_tuple, moment)
                self.sim.sessions.put(session.id, data, owner=session.owner)
                patch = {
                    "kwh": data["kwh"],
                    "charging_periods": [period],
                    "total_cost": data["total_cost"],
                    "last_updated": data["last_updated"],
                }
                patches.append((session, patch))
                if auto_stop and (moment - session.started).total_seconds() >= auto_stop:
                    due.append(session.id)
        for session, patch in patches:
            self.sim.push_session(self.sim.peer_for(session.owner), "PATCH", session.id, patch)
        for session_id in due:
            self.finish(session_id)

    def finish(self, session_id: str) -> dict[str, Any] | None:
        """Complete the session: last period, status COMPLETED, EVSE free, CDR posted."""
        moment = now()
        with self.sim.lock:
            session = self.live.get(session_id)
            if session is None or session.status != "ACTIVE":
                return None
            period = session.advance(moment, self.sim.config.energy_speed)
            session.status = "COMPLETED"
            session.ended = moment
            data = session.ocpi(self.sim.party_tuple, moment)
            self.sim.sessions.put(session.id, data, owner=session.owner)
            cdr = session.cdr(self.sim.party_tuple, moment)
            self.sim.cdrs.put(cdr["id"], cdr, owner=session.owner)
            status_change = self.sim.set_evse_status(
                session.location_id, session.evse_uid, "AVAILABLE"
            )
        patch = {
            "status": "COMPLETED",
            "end_date_time": data["end_date_time"],
            "kwh": data["kwh"],
            "total_cost": data["total_cost"],
            "last_updated": data["last_updated"],
        }
        if period:
            patch["charging_periods"] = [period]
        peer = self.sim.peer_for(session.owner)
        self.sim.push_session(peer, "PATCH", session.id, patch)
        self.sim.push_evse_status(*status_change)
        for _ in range(2 if self.sim.config.duplicate_cdr_posts else 1):
            self.sim.push_cdr(peer, cdr)
        return cdr

    # -- history for pulls ------------------------------------------------------------------

    def history(self, owner: tuple[str, str], count: int) -> None:
        """Completed sessions and their CDRs of the past week, for an eMSP to pull."""
        rng = random.Random(f"{self.sim.config.seed}:history:{owner}")
        with self.sim.lock:
            locations = [r.data for r in list(self.sim.locations)[:500]]
            for n in range(count):
                location = rng.choice(locations)
                evse = rng.choice(location["evses"])
                connector = rng.choice(evse["connectors"])
                started = now() - dt.timedelta(days=7) + dt.timedelta(minutes=n * 37 % 9000)
                session = LiveSession.at(
                    (location, evse, connector),
                    self.sim.tariff_for(connector),
                    id=f"HIST-{owner[0]}{owner[1]}-{self.sim.config.seed}-{n:06d}",
                    owner=owner,
                    cdr_token={
                        "country_code": owner[0],
                        "party_id": owner[1],
                        "uid": f"HIST{n % 50:04d}",
                        "type": "RFID",
                        "contract_id": f"{owner[0]}-{owner[1]}-C{n % 50:08d}",
                    },
                    started=started,
                    target_kwh=rng.uniform(8, 50),
                    auth_method="WHITELIST",
                )
                ended = started + dt.timedelta(minutes=rng.randint(20, 240))
                session.advance(ended, 1.0)
                session.status, session.ended = "COMPLETED", ended
                data = session.ocpi(self.sim.party_tuple, ended)
                self.sim.sessions.put(session.id, data, owner=owner)
                cdr = session.cdr(self.sim.party_tuple, ended + dt.timedelta(minutes=5))
                self.sim.cdrs.put(cdr["id"], cdr, owner=owner)


def cdr_location(
    location: dict[str, Any], evse: dict[str, Any], connector: dict[str, Any]
) -> dict[str, Any]:
    """The CDR's snapshot of where it happened, as it was at the start."""
    snapshot = {
        key: location[key]
        for key in ("id", "name", "address", "city", "postal_code", "country", "coordinates")
        if key in location
    }
    snapshot.update(
        evse_uid=evse["uid"],
        evse_id=evse.get("evse_id") or "#NA",
        connector_id=connector["id"],
        connector_standard=connector["standard"],
        connector_format=connector["format"],
        connector_power_type=connector["power_type"],
    )
    return snapshot
