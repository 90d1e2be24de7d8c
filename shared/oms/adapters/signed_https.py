"""The generic partner adapter: each operation is one signed JSON POST; the partner answers later by webhook.

The request body is an envelope like the webhooks partners send us:
    {"id": "<our reference>", "type": "payment.capture", "occurred_at": "...",
     "idempotency_key": "...", "data": {...the port's request...}}
signed with the partner's current secret in `OMS-Signature` (oms.signing), with the key repeated in
an `Idempotency-Key` header. `id` is the reference the port returns (authorization_id, booking_id,
...) and the one the partner's webhook quotes back. The same key always sends the same id.

Answers: 2xx -> accepted: status "pending" where the partner's answer follows by webhook (payment,
fraud, quotes, bookings, recalls), "acknowledged"/"recorded" where the 2xx is the answer (a location's
release, an ERP event); 408, 425, 429, 5xx, timeouts and connection errors ->
TransientPartnerError (the workflow retries); any other status -> PartnerRefused. Redirects are not
followed: a signed request goes to the configured endpoint or nowhere.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

import oms.clock
from oms.clock import rfc3339
from oms.ports.carrier import (
    Booking,
    BookingCancellation,
    BookingRequest,
    CancelBookingRequest,
    QuoteRequest,
    Quotes,
    ReturnLabelRequest,
)
from oms.ports.erp import ErpEvent, ErpReceipt
from oms.ports.fraud import FraudCheck, FraudDecision
from oms.ports.location import RecallAck, RecallRequest, ReleaseAck, ReleaseRequest
from oms.ports.marketplace import OrderRefusal, StockAck, StockPublication
from oms.ports.payment import (
    Authorization,
    AuthorizationRequest,
    Capture,
    CaptureRequest,
    PartnerRefused,
    Refund,
    RefundRequest,
    TransientPartnerError,
    Void,
    VoidRequest,
    reference,
)
from oms.signing import SIGNATURE_HEADER, sign

DEFAULT_TIMEOUT_SECONDS = 5.0
TRANSIENT_STATUSES = frozenset({408, 425, 429})
_MAX_REPLY_BYTES = 65_536
_LOOPBACK_HOSTS = frozenset({"localhost"})


@dataclass(frozen=True)
class Accepted:
    """The partner took the request (2xx); `body` is its JSON answer when it sent one."""

    reference: str
    status_code: int
    body: Mapping[str, Any]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError, which we refuse


_opener = urllib.request.build_opener(_NoRedirect)


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def jsonable(value: Any) -> Any:
    """A port request as plain JSON: dataclasses and pydantic models become objects, tuples lists."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class SignedJsonClient:
    """Sends signed JSON envelopes to one partner's endpoint (https; plain http only to a loopback host)."""

    def __init__(
        self, partner_id: str, endpoint_url: str, secret: str, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        parts = urlsplit(endpoint_url)
        scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname or ""))
        if not scheme_ok or not parts.hostname:
            raise ValueError(f"partner {partner_id}: endpoint must be an https URL, got {endpoint_url!r}")
        if not secret:
            raise ValueError(f"partner {partner_id}: a signing secret is required")
        self.partner_id = partner_id
        self.endpoint_url = endpoint_url
        self._secret = secret
        self.timeout = timeout

    def send(self, type_: str, reference_id: str, idempotency_key: str, data: Any) -> Accepted:
        now = oms.clock.clock.now()  # looked up per call, so a test's clock applies
        envelope = {
            "id": reference_id,
            "type": type_,
            "occurred_at": rfc3339(now),
            "idempotency_key": idempotency_key,
            "data": jsonable(data),
        }
        body = json.dumps(envelope, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.endpoint_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "oms-partner-adapter/1",
                SIGNATURE_HEADER: sign(body, self._secret, int(now.timestamp())),
                "Idempotency-Key": idempotency_key,
            },
        )
        where = {"partner": self.partner_id, "operation": type_}
        try:
            with _opener.open(request, timeout=self.timeout) as reply:
                status, raw = reply.status, reply.read(_MAX_REPLY_BYTES)
        except urllib.error.HTTPError as error:
            with error:
                raise self._refusal(error.code, error.read(1024), where) from None
        except (OSError, http.client.HTTPException) as error:
            # URLError (refused, DNS), TimeoutError, a reset or a garbled reply: all may pass.
            raise TransientPartnerError(
                f"partner {self.partner_id} did not answer {type_}: {error}", **where
            ) from error
        return Accepted(reference_id, status, _json_object(raw))

    def _refusal(self, status: int, raw: bytes, where: dict[str, str]) -> Exception:
        said = raw.decode("utf-8", errors="replace").strip()[:300]
        detail = f"partner {self.partner_id} answered {where['operation']} with HTTP {status}: {said or '(no body)'}"
        if status in TRANSIENT_STATUSES or status >= 500:
            return TransientPartnerError(detail, partner_status=status, **where)
        return PartnerRefused(detail, partner_status=status, **where)


def _json_object(raw: bytes) -> Mapping[str, Any]:
    try:
        parsed = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}  # a 2xx is an acceptance whatever its body says
    return parsed if isinstance(parsed, dict) else {}


class HttpsPayment:
    """PaymentGateway over a SignedJsonClient: every answer is "pending" (payment.* webhooks follow)."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def authorize(self, request: AuthorizationRequest) -> Authorization:
        ref = self._send("payment.authorize", "auth", request.idempotency_key, request)
        return Authorization(ref, "pending", request.method, request.amount, request.currency)

    def capture(self, request: CaptureRequest) -> Capture:
        ref = self._send("payment.capture", "cap", request.idempotency_key, request)
        return Capture(ref, request.authorization_id, "pending", request.amount, request.currency)

    def void(self, request: VoidRequest) -> Void:
        ref = self._send("payment.void", "void", request.idempotency_key, request)
        return Void(ref, request.authorization_id, "pending")

    def refund(self, request: RefundRequest) -> Refund:
        ref = self._send("payment.refund", "rfd", request.idempotency_key, request)
        return Refund(ref, request.authorization_id, "pending", request.amount, request.currency)

    def _send(self, type_: str, prefix: str, key: str, request: Any) -> str:
        return self.client.send(type_, reference(prefix, key), key, request).reference


class HttpsFraud:
    """FraudScreen over a SignedJsonClient: the decision comes later by webhook."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def screen(self, check: FraudCheck) -> FraudDecision:
        ref = reference("scr", check.idempotency_key)
        self.client.send("fraud.screen", ref, check.idempotency_key, check)
        return FraudDecision(ref, "pending")


class HttpsCarrier:
    """CarrierGateway over a SignedJsonClient: rates, tracking number and label come later by webhook."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def quote(self, request: QuoteRequest) -> Quotes:
        ref = reference("quo", request.idempotency_key)
        self.client.send("carrier.quote", ref, request.idempotency_key, request)
        return Quotes(ref, "pending")

    def book(self, request: BookingRequest) -> Booking:
        ref = reference("bkg", request.idempotency_key)
        self.client.send("carrier.book", ref, request.idempotency_key, request)
        return Booking(ref, "pending", request.service_level)

    def cancel(self, request: CancelBookingRequest) -> BookingCancellation:
        self.client.send("carrier.cancel", reference("cnl", request.idempotency_key), request.idempotency_key, request)
        return BookingCancellation(request.booking_id, "pending")

    def return_label(self, request: ReturnLabelRequest) -> Booking:
        ref = reference("rtn", request.idempotency_key)
        self.client.send("carrier.return_label", ref, request.idempotency_key, request)
        return Booking(ref, "pending", "standard")


class HttpsLocation:
    """LocationGateway over a SignedJsonClient: the acknowledgement is the partner's 2xx."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def release(self, request: ReleaseRequest) -> ReleaseAck:
        ref = reference("rel", request.idempotency_key)
        self.client.send("shipment.release", ref, request.idempotency_key, request)
        return ReleaseAck(ref, request.location_id, "build" if request.made_to_order else "pick", "acknowledged")

    def recall(self, request: RecallRequest) -> RecallAck:
        self.client.send("shipment.recall", reference("rcl", request.idempotency_key), request.idempotency_key, request)
        return RecallAck(request.release_id, "pending")


class HttpsErp:
    """ErpSink over a SignedJsonClient: the event type is the envelope's type."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def publish(self, event: ErpEvent) -> ErpReceipt:
        ref = reference("erp", event.idempotency_key)
        self.client.send(event.type, ref, event.idempotency_key, event)
        return ErpReceipt(ref, "recorded")  # the partner's 2xx is the record: no webhook follows


class HttpsMarketplace:
    """MarketplaceGateway over a SignedJsonClient: the partner's 2xx acknowledges the whole batch."""

    def __init__(self, client: SignedJsonClient) -> None:
        self.client = client

    def publish_stock(self, publication: StockPublication) -> StockAck:
        key = publication.idempotency_key
        self.client.send("marketplace.stock", reference("stk", key), key, publication)
        return StockAck(frozenset(publication.quantities))

    def refuse_order(self, refusal: OrderRefusal) -> None:
        key = refusal.idempotency_key
        self.client.send("marketplace.order_refused", reference("mrf", key), key, refusal)
