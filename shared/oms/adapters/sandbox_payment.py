"""A payment provider that behaves like a real one, driven by documented tokens (API.md, "Sandbox behaviour").

- card token `tok_decline`: declined at authorization; `tok_capture_fail`: authorizes, fails at capture;
  `tok_refund_fail`: authorizes and captures, refuses every refund; `tok_pending`: every authorization is
  answered "pending" (the decision comes as a `payment.authorized` or `payment.failed` event);
  `tok_no_renewal`: authorizes once, declines every renewal; any other token authorizes.
- invoice (B2B net terms): authorization is a credit-limit check of the customer's open balance plus
  the order against its limit (per customer from configuration, else the default).
Ids derive from the idempotency key, so a retried call returns the very same authorization or
capture and no state is kept here: what a check needs (authorized, captured) the caller passes.
"""

from __future__ import annotations

from collections.abc import Mapping

from oms.domain.credit import DEFAULT_CREDIT_LIMIT
from oms.ports.payment import (
    Authorization,
    AuthorizationRequest,
    Capture,
    CaptureFailed,
    CaptureRequest,
    CreditLimitExceeded,
    PaymentDeclined,
    Refund,
    RefundFailed,
    RefundRequest,
    Void,
    VoidRequest,
    reference,
)

# Test card tokens documented in API.md, not credentials.
DECLINE_TOKEN = "tok_decline"  # noqa: S105
CAPTURE_FAIL_TOKEN = "tok_capture_fail"  # noqa: S105
REFUND_FAIL_TOKEN = "tok_refund_fail"  # noqa: S105
PENDING_TOKEN = "tok_pending"  # noqa: S105
NO_RENEWAL_TOKEN = "tok_no_renewal"  # noqa: S105


class SandboxPayment:
    """PaymentGateway for tests and local runs; `credit_limits` maps customer id -> limit in minor units."""

    def __init__(
        self,
        credit_limits: Mapping[str, int] | None = None,
        default_credit_limit: int = DEFAULT_CREDIT_LIMIT,
    ) -> None:
        self._credit_limits = dict(credit_limits or {})
        self._default_credit_limit = default_credit_limit
        for who, limit in [*self._credit_limits.items(), ("default", default_credit_limit)]:
            # bool is an int to Python, and a credit limit of True is a configuration mistake.
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise ValueError(f"credit limit of {who} must be an int >= 0 in minor units, got {limit!r}")

    def credit_limit(self, customer_id: str) -> int:
        return self._credit_limits.get(customer_id, self._default_credit_limit)

    def authorize(self, request: AuthorizationRequest) -> Authorization:
        if request.method == "invoice":
            limit = self.credit_limit(request.customer_id)
            if request.customer_balance + request.amount > limit:
                raise CreditLimitExceeded(
                    f"the order of {request.amount} {request.currency} minor units and an open balance of "
                    f"{request.customer_balance} exceed the customer's credit limit of {limit}",
                    limit=limit,
                    balance=request.customer_balance,
                    requested=request.amount,
                )
        elif request.token == DECLINE_TOKEN:
            raise PaymentDeclined("the card was declined by the issuer", decline_code="card_declined")
        elif request.token == NO_RENEWAL_TOKEN and ":reauthorize:" in request.idempotency_key:
            raise PaymentDeclined("the issuer declined the renewal", decline_code="card_declined")
        return Authorization(
            authorization_id=reference("auth", request.idempotency_key),
            status="pending" if request.token == PENDING_TOKEN else "authorized",
            method=request.method,
            amount=request.amount,
            currency=request.currency,
        )

    def capture(self, request: CaptureRequest) -> Capture:
        if request.method == "card" and request.token == CAPTURE_FAIL_TOKEN:
            raise CaptureFailed("the issuer refused the capture", authorization_id=request.authorization_id)
        remaining = request.authorized - request.captured_before
        if request.amount > remaining:
            raise CaptureFailed(
                f"a capture of {request.amount} is more than the {remaining} that remains authorized",
                code="capture_exceeds_authorization",
                authorization_id=request.authorization_id,
                remaining=remaining,
                requested=request.amount,
            )
        return Capture(
            capture_id=reference("cap", request.idempotency_key),
            authorization_id=request.authorization_id,
            status="captured",
            amount=request.amount,
            currency=request.currency,
        )

    def void(self, request: VoidRequest) -> Void:
        return Void(
            void_id=reference("void", request.idempotency_key),
            authorization_id=request.authorization_id,
            status="voided",
        )

    def refund(self, request: RefundRequest) -> Refund:
        if request.token == REFUND_FAIL_TOKEN:
            raise RefundFailed(
                "the card issuer refused the refund (sandbox)", authorization_id=request.authorization_id
            )
        refundable = request.captured - request.refunded_before
        if request.amount > refundable:
            raise RefundFailed(
                f"a refund of {request.amount} is more than the {refundable} captured and not yet refunded",
                authorization_id=request.authorization_id,
                refundable=refundable,
                requested=request.amount,
            )
        return Refund(
            refund_id=reference("rfd", request.idempotency_key),
            authorization_id=request.authorization_id,
            status="refunded",
            amount=request.amount,
            currency=request.currency,
        )
