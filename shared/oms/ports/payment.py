"""The payment port: authorize, capture (per shipment), void and refund; and the errors every port shares.

Every request carries an idempotency key (e.g. f"{order_id}:{shipment_id}:capture"): a workflow task
runs at least once, and the same key must give the same answer and never move money twice.
An adapter answers either at once (status "authorized", "captured", ...) or "pending", when the
partner answers later by webhook (the generic signed-HTTPS adapter).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, Protocol

from oms.domain.errors import OmsError
from oms.domain.models import PaymentMethod

# -- shared by every port ---------------------------------------------------------------------------
# These live here, in the first port, because oms.ports has no common module of its own yet; the
# other ports import them from here.


class TransientPartnerError(OmsError):
    """The partner did not answer usefully this time (timeout, connection error, 408, 429, 5xx): retry.

    The workflow's Retry matches this class name; everything else a port raises is a final answer.
    """

    status, code, title = 503, "partner_unavailable", "Partner unavailable"


class PartnerRefused(OmsError):
    """The partner refused the request for good (a 4xx other than 408/429): retrying will not help."""

    status, code, title = 502, "partner_refused_request", "Partner refused the request"


def reference(prefix: str, idempotency_key: str) -> str:
    """A stable id for the operation behind `idempotency_key`: the same key always gives the same id,
    so a retried task finds the authorization, capture or booking it made the first time."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_money(amount: int, currency: str, *, positive: bool = True) -> None:
    _require(isinstance(amount, int) and not isinstance(amount, bool), "money is an int in minor units")
    _require(amount > 0 if positive else amount >= 0, f"amount must be {'> 0' if positive else '>= 0'}, got {amount}")
    _require(len(currency) == 3 and currency.isupper(), f"not an ISO 4217 currency code: {currency!r}")


# -- errors --------------------------------------------------------------------------------------


class PaymentDeclined(OmsError):
    """The provider refused to authorize (a declined card; for invoice terms, see CreditLimitExceeded)."""

    status, code, title = 402, "payment_declined", "Payment declined"


class CreditLimitExceeded(PaymentDeclined):
    """Net-terms (invoice) authorization: the order would take the customer beyond its credit limit."""

    code, title = "credit_limit_exceeded", "Credit limit exceeded"


class CaptureFailed(OmsError):
    """The capture did not go through (code capture_failed), or asked for more than remains authorized
    (code capture_exceeds_authorization)."""

    status, code, title = 402, "capture_failed", "Capture failed"


class RefundFailed(OmsError):
    """A refund asked for more than was captured and not yet refunded (code refund_exceeds_captured)."""

    status, code, title = 409, "refund_exceeds_captured", "Refund refused"


# -- requests and results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """Reserve `amount` on the buyer's card, or (method "invoice") check it against its credit limit.

    `customer_balance` is what the customer already owes on open invoices, as the caller knows it:
    a credit-limit check needs it and the sandbox keeps no ledger of its own.
    """

    order_id: str
    storefront_id: str
    customer_id: str
    method: PaymentMethod
    amount: int
    currency: str
    idempotency_key: str
    token: str | None = None
    customer_balance: int = 0

    def __post_init__(self) -> None:
        _check_money(self.amount, self.currency)
        _require(self.customer_balance >= 0, "customer_balance is never negative")
        _require(self.method != "card" or bool(self.token), "a card authorization needs the payment token")
        _require(bool(self.idempotency_key), "an idempotency key is required")


@dataclass(frozen=True)
class Authorization:
    authorization_id: str
    status: Literal["authorized", "pending"]
    method: PaymentMethod
    amount: int
    currency: str
    expires_at: str | None = None  # when it lapses, if the provider says (oms.domain.authorization)

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class CaptureRequest:
    """Capture `amount` (one shipment's value) of an authorization.

    `authorized` is the authorization's amount and `captured_before` what other captures (other keys)
    already took, so `amount` must fit in `authorized - captured_before`. A retry of this capture
    passes the same numbers (its own amount is not in `captured_before`) and gets the same answer.
    `token` is the payment token the authorization used (the sandbox decides on it).
    """

    order_id: str
    authorization_id: str
    method: PaymentMethod
    amount: int
    currency: str
    authorized: int
    idempotency_key: str
    captured_before: int = 0
    shipment_id: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        _check_money(self.amount, self.currency)
        _require(self.authorized >= 0 and self.captured_before >= 0, "authorized and captured are never negative")
        _require(bool(self.idempotency_key), "an idempotency key is required")


@dataclass(frozen=True)
class Capture:
    capture_id: str
    authorization_id: str
    status: Literal["captured", "pending"]
    amount: int
    currency: str

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class VoidRequest:
    """Release what remains authorized and uncaptured (cancellation, fraud reject, no carrier), or only
    `amount` of it (a partial void: units cancelled while the rest of the order goes on)."""

    order_id: str
    authorization_id: str
    method: PaymentMethod
    idempotency_key: str
    amount: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.idempotency_key), "an idempotency key is required")
        _require(self.amount is None or self.amount > 0, "a partial void releases a positive amount")


@dataclass(frozen=True)
class Void:
    void_id: str
    authorization_id: str
    status: Literal["voided", "pending"]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class RefundRequest:
    """Give back `amount` of what was captured; `captured` and `refunded_before` (by other keys) as the caller knows."""

    order_id: str
    authorization_id: str
    method: PaymentMethod
    amount: int
    currency: str
    captured: int
    idempotency_key: str
    refunded_before: int = 0
    reason: str | None = None
    token: str | None = None  # the card's, for a provider that refunds to it

    def __post_init__(self) -> None:
        _check_money(self.amount, self.currency)
        _require(self.captured >= 0 and self.refunded_before >= 0, "captured and refunded are never negative")
        _require(bool(self.idempotency_key), "an idempotency key is required")


@dataclass(frozen=True)
class Refund:
    refund_id: str
    authorization_id: str
    status: Literal["refunded", "pending"]
    amount: int
    currency: str

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class PaymentGateway(Protocol):
    """Raises PaymentDeclined / CreditLimitExceeded, CaptureFailed, RefundFailed (final answers) or
    TransientPartnerError (retry); PartnerRefused when a partner refuses the request itself."""

    def authorize(self, request: AuthorizationRequest) -> Authorization: ...
    def capture(self, request: CaptureRequest) -> Capture: ...
    def void(self, request: VoidRequest) -> Void: ...
    def refund(self, request: RefundRequest) -> Refund: ...
