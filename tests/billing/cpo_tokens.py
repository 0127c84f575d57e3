"""A CPO's tokens receiver over real HTTP on loopback: records every Token PUT we send, and can
fail the first N with a 503 (a CPO that is down)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from roaming.models import PartnerEndpoint
from tests.roaming.factories import PartnerFactory


@dataclass
class TokensReceiver:
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ocpi/cpo/2.2.1/tokens"

    def __enter__(self) -> "TokensReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    return self._reply(503, {"status_code": 3000})
                receiver.received.append(
                    {"path": self.path, "body": body, "to": self.headers.get("OCPI-to-party-id")}
                )
                return self._reply(200, {"status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"})

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
        self.server.shutdown()
        self.server.server_close()

    def partner(self, parties=("NL/CPO",)):
        partner = PartnerFactory(parties=list(parties))
        PartnerEndpoint.objects.create(
            partner=partner, identifier="tokens", role="RECEIVER", url=self.url
        )
        return partner
