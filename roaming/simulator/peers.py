"""The simulator's OCPI peers (eMSPs) and the credentials handshake, in both directions.

Inbound (an eMSP registers with us): it calls with our CREDENTIALS_TOKEN_A, POSTs its token B
and versions URL; we fetch its versions and endpoints with token B, issue token C and answer
it. Token A is then spent. PUT renews (new token C, endpoints fetched again), DELETE ends it.

Outbound (we register with an eMSP): with its token A we fetch its versions and endpoints,
POST our token B (accepted from the moment we send it, because the eMSP calls back with it
before it answers), and keep the token C it answers for calling it.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from roaming.ocpi.auth import credentials_token_new as new_token
from roaming.ocpi.client import OcpiClient, Party, RetryPolicy
from roaming.ocpi.credentials import Credentials
from roaming.ocpi.errors import validation_message
from roaming.ocpi.http import OcpiRequestError, version_details_get, versions_get
from roaming.ocpi.versions import highest_common_version


class RegistrationError(Exception):
    """A handshake failed; `ocpi_status` is the status code to answer (3001, 3002, 3003)."""

    def __init__(self, message: str, ocpi_status: int) -> None:
        super().__init__(message)
        self.ocpi_status = ocpi_status


@dataclass
class Peer:
    token_in: str  # the token the peer uses to call us
    token_out: str | None  # the token we use to call the peer
    versions_url: str
    roles: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    registered: bool = False
    _client: OcpiClient | None = field(default=None, repr=False)

    @property
    def parties(self) -> set[tuple[str, str]]:
        return {(r["country_code"].upper(), r["party_id"].upper()) for r in self.roles}

    @property
    def party(self) -> Party | None:
        emsp = [r for r in self.roles if r.get("role") == "EMSP"] or self.roles
        return Party(emsp[0]["country_code"], emsp[0]["party_id"]) if emsp else None

    def endpoint(self, identifier: str, role: str = "RECEIVER") -> str | None:
        return self.endpoints.get((identifier, role))

    def client(self, ours: Party, timeout: float) -> OcpiClient:
        if self._client is None or self._client.token != self.token_out:
            self._client = OcpiClient(
                token=self.token_out or "",
                timeout=timeout,
                ours=ours,
                theirs=self.party,
                retry=RetryPolicy(attempts=2, backoff_base=0.2),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def validate_credentials(body: Any) -> dict[str, Any]:
    """The Credentials object from a request body; ValueError naming the bad fields."""
    try:
        return Credentials.model_validate(body).to_json()
    except ValidationError as error:
        raise ValueError(validation_message(error)) from None


def fetch_endpoints(
    token: str, versions_url: str, timeout: float
) -> tuple[str, dict[tuple[str, str], str]]:
    """GET the peer's versions, pick the highest we share, GET its endpoints."""
    try:
        versions = versions_get(versions_url, token=token, timeout=timeout)
    except OcpiRequestError as error:
        message = f"cannot read the versions at {versions_url}: {error}"
        raise RegistrationError(message, 3001) from error
    chosen = highest_common_version(versions)
    if chosen is None:
        offered = sorted(v.version for v in versions)
        raise RegistrationError(f"no common version (offered: {offered})", 3002)
    try:
        details = version_details_get(chosen.url, token=token, timeout=timeout)
    except OcpiRequestError as error:
        raise RegistrationError(f"cannot read the version details: {error}", 3001) from error
    endpoints = {(e.identifier, e.role.value): e.url for e in details.endpoints}
    if not any(identifier == "credentials" for identifier, _ in endpoints):
        raise RegistrationError("the peer has no credentials endpoint", 3003)
    return chosen.version, endpoints


class PeerBook:
    """Peers by the token they call us with, and the single-use token A."""

    def __init__(self, token_a: str) -> None:
        self._lock = threading.Lock()
        self.token_a: str | None = token_a
        self._peers: dict[str, Peer] = {}

    def by_token(self, token: str | None) -> Peer | None:
        if token is None:
            return None
        with self._lock:
            return self._peers.get(token)

    def registered(self) -> list[Peer]:
        with self._lock:
            return [peer for peer in self._peers.values() if peer.registered]

    def add(self, peer: Peer) -> None:
        with self._lock:
            self._peers[peer.token_in] = peer

    def remove(self, peer: Peer) -> None:
        with self._lock:
            self._peers.pop(peer.token_in, None)
        peer.close()

    def retoken(self, peer: Peer, token_in: str) -> None:
        with self._lock:
            self._peers.pop(peer.token_in, None)
            peer.token_in = token_in
            self._peers[token_in] = peer

    def is_token_a(self, token: str | None) -> bool:
        with self._lock:
            return bool(token and self.token_a and hmac.compare_digest(token, self.token_a))

    def spend_token_a(self) -> None:
        """After one successful registration token A may no longer be used."""
        with self._lock:
            self.token_a = None

    def issue_token_a(self, token: str | None = None) -> str:
        with self._lock:
            self.token_a = token or new_token()
            return self.token_a
