"""A small fake CPO platform over real HTTP on loopback: its versions and version details.

Enough for the registration a CPO starts with us (we call these back). It checks the
Authorization header like a real CPO would and records what it received.
"""

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeCpo:
    token: str  # the CREDENTIALS_TOKEN_B it expects from us
    raw_token: bool = False
    versions: list[str] = field(default_factory=lambda: ["2.1.1", "2.2.1"])
    modules: list[tuple[str, str]] = field(
        default_factory=lambda: [
            ("credentials", "SENDER"),
            ("locations", "SENDER"),
            ("tariffs", "SENDER"),
            ("sessions", "SENDER"),
            ("cdrs", "SENDER"),
            ("commands", "RECEIVER"),
            ("tokens", "RECEIVER"),
        ]
    )
    fail_with: int | None = None  # an HTTP status to answer with instead
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def expected_header(self) -> str:
        if self.raw_token:
            return f"Token {self.token}"
        return "Token " + base64.b64encode(self.token.encode()).decode()

    def answer(self, path: str) -> tuple[int, Any]:
        if path == "/ocpi/versions":
            return 200, [{"version": v, "url": f"{self.url}/ocpi/{v}"} for v in self.versions]
        if path.startswith("/ocpi/") and path.removeprefix("/ocpi/") in self.versions:
            version = path.removeprefix("/ocpi/")
            endpoints = [
                {
                    "identifier": module,
                    "role": role,
                    "url": f"{self.url}/ocpi/cpo/{version}/{module}",
                }
                for module, role in self.modules
            ]
            return 200, {"version": version, "endpoints": endpoints}
        return 404, None

    def __enter__(self) -> "FakeCpo":
        cpo = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                cpo.requests.append({"path": self.path, "headers": dict(self.headers)})
                time.sleep(cpo.delay)
                if self.headers.get("Authorization") != cpo.expected_header():
                    return self._reply(
                        401,
                        {
                            "status_code": 2000,
                            "status_message": "Unauthorized",
                            "timestamp": "2020-01-01T00:00:00Z",
                        },
                    )
                if cpo.fail_with:
                    return self._reply(
                        cpo.fail_with, {"status_code": 3000, "timestamp": "2020-01-01T00:00:00Z"}
                    )
                status, data = cpo.answer(self.path)
                body = {
                    "data": data,
                    "status_code": 1000 if status == 200 else 2001,
                    "timestamp": "2020-01-01T00:00:00Z",
                }
                return self._reply(status, body)

            def _reply(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
