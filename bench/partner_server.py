"""A local partner and storefront server for the realistic cost scenario: signed requests in, valid answers out.

One `ThreadingHTTPServer` on 127.0.0.1 (a free port) plays every outside system the OMS calls:

* `POST /partners/<partner_id>`: the signed-HTTPS adapters' requests (`oms.adapters.signed_https`):
  fraud.screen, payment.authorize, payment.capture, carrier.book, shipment.release, ... The server checks
  the `OMS-Signature` against that partner's secret, waits the configured latency (a partner's answer
  time, TLS handshake included: the adapters may send plain http to a loopback host only), then answers
  200 with the JSON a partner accepting the request sends: `{"id": <the envelope id>, "status": ...}`.
* `POST /storefronts/<storefront_id>`: the notifier's outbound events, checked against the storefront's
  webhook secret, answered 204 after the storefront's latency.

A request whose signature does not verify is answered 401 (the adapter then refuses the step) and counted:
the benchmark and its test read `calls` and `events` to show the OMS really spoke signed HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from oms.signing import SIGNATURE_HEADER, SignatureInvalid, verify

# What a partner answers per request type: accepted, its answer (if any) to follow by webhook.
_STATUS = {"shipment.release": "acknowledged", "erp": "recorded"}


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    owner: str  # partner or storefront id
    type: str  # the envelope's type (partner request) or the event's detail type (storefront event)
    id: str
    signed: bool  # the signature verified against the owner's secret
    body: dict[str, Any]
    at: float = 0.0  # time.perf_counter() when the request had arrived (its body read), before the latency


@dataclass
class PartnerServer:
    """Partners and storefronts in one local server; start() before use, stop() after."""

    partner_latency_s: float = 0.150
    storefront_latency_s: float = 0.100
    partner_secrets: dict[str, str] = field(default_factory=dict)
    storefront_secrets: dict[str, str] = field(default_factory=dict)
    calls: list[Received] = field(default_factory=list)  # partner requests
    events: list[Received] = field(default_factory=list)  # storefront deliveries
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the partner server is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def partner_url(self, partner_id: str) -> str:
        return f"{self.base_url}/partners/{partner_id}"

    def storefront_url(self, storefront_id: str) -> str:
        return f"{self.base_url}/storefronts/{storefront_id}"

    def start(self) -> PartnerServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.perf_counter()
                status, answer = owner._answer(self.path, self.headers.get(SIGNATURE_HEADER), body, arrived)
                raw = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:  # quiet: the benchmark counts, it does not print
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="partner-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(
        self, path: str, header: str | None, body: bytes, arrived: float = 0.0
    ) -> tuple[int, dict[str, Any] | None]:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] not in ("partners", "storefronts"):
            return 404, {"error": f"nothing at {path}"}
        kind, owner = parts
        secrets = self.partner_secrets if kind == "partners" else self.storefront_secrets
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = {}
        envelope = envelope if isinstance(envelope, dict) else {}
        signed = True
        try:
            verify(header, body, [secrets.get(owner, "")], int(time.time()))
        except SignatureInvalid:
            signed = False
        received = Received(
            owner,
            str(envelope.get("type", "")),
            str(envelope.get("id", "")),
            signed,
            envelope,
            arrived or time.perf_counter(),
        )
        with self._lock:
            (self.calls if kind == "partners" else self.events).append(received)
        if not signed:
            return 401, {"error": "signature_invalid"}
        time.sleep(self.partner_latency_s if kind == "partners" else self.storefront_latency_s)
        if kind == "storefronts":
            return 204, None
        status = _STATUS.get(received.type, _STATUS.get(received.type.split(".", 1)[0], "pending"))
        return 200, {"id": received.id, "status": status}

    def snapshot(self) -> tuple[list[Received], list[Received]]:
        with self._lock:
            return list(self.calls), list(self.events)
