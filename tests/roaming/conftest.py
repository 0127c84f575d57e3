import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from roaming.ocpi.auth import authorization_header
from tests.roaming.cpo import (  # noqa: F401  (fixtures: the CPO simulator)
    emsp_live,
    registered,
    simulator,
    simulator_process,
    support,
)
from tests.roaming.factories import PartnerFactory

EXAMPLES = Path(__file__).resolve().parent / "examples"  # the spec's examples, verbatim

BASE = "/ocpi/emsp/2.2.1"


def example(name: str) -> Any:
    """A spec example payload (read-only; copy before changing it)."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())


class OcpiClient:
    """Django's test client speaking OCPI as a partner: Authorization header, JSON bodies."""

    def __init__(self, token: str, *, raw: bool = False) -> None:
        self.client = Client()
        self.token = token
        self.raw = raw

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        **query: str,
    ):
        all_headers = {
            "Authorization": authorization_header(self.token, raw=self.raw),
            **(headers or {}),
        }
        data = (
            raw_body
            if raw_body is not None
            else (b"" if body is None else json.dumps(body).encode())
        )
        if query:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(query)}"
        return self.client.generic(
            method, path, data=data, content_type="application/json", headers=all_headers
        )

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("PATCH", path, body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("POST", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def cpo(db):
    """A connected CPO platform holding every party of the spec examples (white-label CPOs)."""
    return PartnerFactory(
        name="BeCharged", parties=["BE/BEC", "SE/EVC", "NL/ALF", "NL/ALL", "DE/ALL", "NL/STK"]
    )


@pytest.fixture
def other_cpo(db):
    return PartnerFactory(name="Other CPO", parties=["FR/OTH"])


@pytest.fixture
def ocpi(cpo) -> OcpiClient:
    return OcpiClient(cpo.plain_token)


@pytest.fixture
def other_ocpi(other_cpo) -> OcpiClient:
    return OcpiClient(other_cpo.plain_token)
