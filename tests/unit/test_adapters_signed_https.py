"""The generic signed-HTTPS adapter against a real HTTP server on 127.0.0.1 that checks OMS-Signature.

2xx is an acceptance (the partner answers later by webhook); 408/429/5xx, timeouts and refused
connections are transient (retried); any other 4xx, and a redirect, are a permanent refusal.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import oms.clock
from oms.adapters.signed_https import (
    HttpsCarrier,
    HttpsErp,
    HttpsFraud,
    HttpsLocation,
    HttpsPayment,
    SignedJsonClient,
)
from oms.clock import FrozenClock
from oms.domain.models import Address, Customer
from oms.ports.carrier import BookingRequest, CancelBookingRequest, CarrierGateway, Origin, QuoteRequest
from oms.ports.erp import ErpEvent, ErpSink
from oms.ports.fraud import FraudCheck, FraudScreen
from oms.ports.location import LocationGateway, RecallRequest, ReleaseLine, ReleaseRequest
from oms.ports.payment import (
    AuthorizationRequest,
    CaptureRequest,
    PartnerRefused,
    PaymentGateway,
    RefundRequest,
    TransientPartnerError,
    VoidRequest,
    reference,
)
from oms.signing import SIGNATURE_HEADER, SignatureInvalid, verify

NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
SECRET = "whsec_partner"
ADDRESS = Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH")
MANILA = Origin("mnl-wh-1", 14.5995, 120.9842, "PH", "1018")


@dataclass
class Partner:
    """What the fake partner answers, and what it received."""

    secret: str = SECRET
    status: int = 202
    reply: bytes = b'{"received": true}'
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    @property
    def last(self) -> dict[str, Any]:
        envelope: dict[str, Any] = json.loads(self.received[-1][1])
        return envelope


def handler_for(partner: Partner) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            partner.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            try:
                verify(self.headers.get(SIGNATURE_HEADER), body, [partner.secret], int(NOW.timestamp()))
            except SignatureInvalid as error:
                self._answer(401, json.dumps({"error": error.reason}).encode())
                return
            time.sleep(partner.delay)
            self._answer(partner.status, partner.reply)

        def _answer(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in partner.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def partner(monkeypatch: pytest.MonkeyPatch) -> Iterator[Partner]:
    monkeypatch.setattr(oms.clock, "clock", FrozenClock(NOW))
    state = Partner()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/oms/requests"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def client(partner: Partner, secret: str = SECRET, timeout: float = 2.0) -> SignedJsonClient:
    return SignedJsonClient("payments", partner.url, secret, timeout=timeout)


def authorization(key: str = "ord_1:authorize") -> AuthorizationRequest:
    return AuthorizationRequest("ord_1", "sf-1", "c-1", "card", 119800, "PHP", key, token="tok_visa")


def test_a_request_is_signed_json_the_partner_can_verify(partner: Partner) -> None:
    accepted = client(partner).send("payment.authorize", "auth_1", "ord_1:authorize", {"amount": 119800})
    assert (accepted.reference, accepted.status_code, dict(accepted.body)) == ("auth_1", 202, {"received": True})
    headers, body = partner.received[-1]
    verify(headers[SIGNATURE_HEADER.lower()], body, [SECRET], int(NOW.timestamp()))  # the partner's check, again
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == "ord_1:authorize"
    assert partner.last == {
        "id": "auth_1",
        "type": "payment.authorize",
        "occurred_at": "2026-01-31T09:30:00Z",
        "idempotency_key": "ord_1:authorize",
        "data": {"amount": 119800},
    }


def test_payment_operations_are_accepted_as_pending_with_ids_from_their_keys(partner: Partner) -> None:
    payment: PaymentGateway = HttpsPayment(client(partner))
    auth = payment.authorize(authorization())
    assert (auth.status, auth.pending, auth.authorization_id) == ("pending", True, reference("auth", "ord_1:authorize"))
    assert partner.last["data"]["token"] == "tok_visa"
    cap = payment.capture(CaptureRequest("ord_1", auth.authorization_id, "card", 59900, "PHP", 119800, "c:1"))
    assert (cap.status, cap.capture_id, partner.last["type"]) == ("pending", reference("cap", "c:1"), "payment.capture")
    assert payment.void(VoidRequest("ord_1", auth.authorization_id, "card", "v:1")).status == "pending"
    assert payment.refund(RefundRequest("ord_1", auth.authorization_id, "card", 100, "PHP", 59900, "r:1")).pending
    assert [json.loads(body)["type"] for _, body in partner.received] == [
        "payment.authorize",
        "payment.capture",
        "payment.void",
        "payment.refund",
    ]


def test_a_retry_sends_the_same_reference_so_the_partner_can_deduplicate(partner: Partner) -> None:
    payment = HttpsPayment(client(partner))
    payment.authorize(authorization("k1"))
    payment.authorize(authorization("k1"))
    first, second = (json.loads(body) for _, body in partner.received)
    assert first["id"] == second["id"] == reference("auth", "k1")
    assert first["data"] == second["data"]


def test_fraud_carrier_location_and_erp_send_their_requests_as_json(partner: Partner) -> None:
    fraud: FraudScreen = HttpsFraud(client(partner))
    check = FraudCheck("ord_1", "sf-1", Customer(id="c-1", email="a@review.test"), ADDRESS, 119800, "PHP", "f:1")
    assert fraud.screen(check).outcome == "pending"
    assert partner.last["data"]["customer"] == {"id": "c-1", "email": "a@review.test", "type": "b2c"}

    carrier: CarrierGateway = HttpsCarrier(client(partner))
    quotes = carrier.quote(QuoteRequest("ord_1", "shp_1", MANILA, ADDRESS, "PHP", "q:1"))
    assert (quotes.status, quotes.options) == ("pending", ())
    assert partner.last["data"]["service_levels"] == ["same_day", "express", "standard"]
    booked = carrier.book(BookingRequest("ord_1", "shp_1", MANILA, ADDRESS, "express", "PHP", "b:1"))
    assert (booked.status, booked.carrier, booked.tracking_number) == ("pending", None, None)
    assert partner.last["data"]["origin"]["location_id"] == "mnl-wh-1"
    assert carrier.cancel(CancelBookingRequest("ord_1", "shp_1", booked.booking_id, "x:1")).pending

    location: LocationGateway = HttpsLocation(client(partner))
    release = ReleaseRequest(
        "ord_1",
        "shp_1",
        "ceb-workshop",
        (ReleaseLine("CUSTOM-SOFA", 1),),
        ADDRESS,
        "standard",
        "rel:1",
        made_to_order=True,
        build_instructions="Frame in oak",
    )
    ack = location.release(release)
    assert (ack.status, ack.work) == ("acknowledged", "build")
    assert (partner.last["type"], partner.last["data"]["build_instructions"]) == ("shipment.release", "Frame in oak")
    assert location.recall(RecallRequest("ord_1", "shp_1", "ceb-workshop", ack.release_id, "rcl:1")).pending

    erp: ErpSink = HttpsErp(client(partner))
    receipt = erp.publish(ErpEvent("shipment.shipped", "2026-01-31T09:30:00Z", "e:1", "ord_1", {"shipment_id": "s"}))
    assert receipt.status == "recorded"
    assert (partner.last["type"], partner.last["data"]["data"]) == ("shipment.shipped", {"shipment_id": "s"})


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_throttling_and_request_timeouts_are_transient(partner: Partner, status: int) -> None:
    partner.status, partner.reply = status, b"try later"
    with pytest.raises(TransientPartnerError) as caught:
        HttpsPayment(client(partner)).authorize(authorization())
    assert caught.value.code == "partner_unavailable"
    assert caught.value.extra == {"partner_status": status, "partner": "payments", "operation": "payment.authorize"}
    assert "try later" in caught.value.detail


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_client_errors_are_permanent(partner: Partner, status: int) -> None:
    partner.status, partner.reply = status, b'{"error": "unknown order"}'
    with pytest.raises(PartnerRefused) as caught:
        HttpsPayment(client(partner)).authorize(authorization())
    assert caught.value.code == "partner_refused_request"
    assert caught.value.extra["partner_status"] == status
    assert not isinstance(caught.value, TransientPartnerError)


def test_a_request_signed_with_the_wrong_secret_is_refused_by_the_partner(partner: Partner) -> None:
    with pytest.raises(PartnerRefused) as caught:
        HttpsPayment(client(partner, secret="whsec_wrong")).authorize(authorization())
    assert caught.value.extra["partner_status"] == 401
    assert "mismatch" in caught.value.detail


def test_a_partner_slower_than_the_timeout_is_transient(partner: Partner) -> None:
    partner.delay = 1.0
    started = time.monotonic()
    with pytest.raises(TransientPartnerError, match="did not answer"):
        HttpsPayment(client(partner, timeout=0.2)).authorize(authorization())
    assert time.monotonic() - started < 0.9


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    with pytest.raises(TransientPartnerError):
        SignedJsonClient("payments", f"http://127.0.0.1:{port}/", SECRET, timeout=1).send("t", "r", "k", {})


def test_a_redirect_is_not_followed(partner: Partner) -> None:
    partner.status, partner.headers = 307, {"Location": "http://127.0.0.1:9/elsewhere"}
    with pytest.raises(PartnerRefused) as caught:
        HttpsPayment(client(partner)).authorize(authorization())
    assert caught.value.extra["partner_status"] == 307
    assert len(partner.received) == 1


def test_a_2xx_without_a_json_body_is_still_accepted(partner: Partner) -> None:
    partner.status, partner.reply = 200, b"OK"
    assert client(partner).send("t", "r", "k", {}).body == {}


@pytest.mark.parametrize(
    "url",
    ["http://partner.example.com/hook", "file:///etc/passwd", "ftp://127.0.0.1/x", "https://", "not a url"],
)
def test_an_endpoint_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        SignedJsonClient("payments", url, SECRET)


def test_https_and_loopback_endpoints_are_accepted() -> None:
    for url in ("https://partner.example.com/hook", "http://localhost:3000/x", "http://[::1]:8080/x"):
        assert SignedJsonClient("p", url, SECRET).endpoint_url == url


def test_a_client_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        SignedJsonClient("payments", "https://partner.example.com/hook", "")
