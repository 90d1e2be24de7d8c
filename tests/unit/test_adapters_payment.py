"""The sandbox payment provider: documented tokens, net-terms credit limits, idempotent ids, money checks."""

from __future__ import annotations

import pytest

from oms.adapters.sandbox_payment import SandboxPayment
from oms.domain.credit import DEFAULT_CREDIT_LIMIT
from oms.domain.errors import OmsError, error_problem
from oms.ports.payment import (
    AuthorizationRequest,
    CaptureFailed,
    CaptureRequest,
    CreditLimitExceeded,
    PaymentDeclined,
    PaymentGateway,
    RefundFailed,
    RefundRequest,
    TransientPartnerError,
    VoidRequest,
    reference,
)

gateway: PaymentGateway = SandboxPayment()


def authorization(
    token: str | None = "tok_visa",  # noqa: S107 - a sandbox test token
    amount: int = 119800,
    key: str = "ord_1:authorize",
    method: str = "card",
    customer_id: str = "c-1",
    balance: int = 0,
) -> AuthorizationRequest:
    return AuthorizationRequest(
        order_id="ord_1",
        storefront_id="sf-1",
        customer_id=customer_id,
        method="invoice" if method == "invoice" else "card",
        amount=amount,
        currency="PHP",
        idempotency_key=key,
        token=token,
        customer_balance=balance,
    )


def capture(
    amount: int = 59900,
    authorized: int = 119800,
    before: int = 0,
    token: str | None = "tok_visa",  # noqa: S107 - a sandbox test token
    key: str = "ord_1:shp_1:capture",
) -> CaptureRequest:
    return CaptureRequest(
        order_id="ord_1",
        authorization_id="auth_x",
        method="card",
        amount=amount,
        currency="PHP",
        authorized=authorized,
        idempotency_key=key,
        captured_before=before,
        shipment_id="shp_1",
        token=token,
    )


def refund(amount: int, captured: int, before: int = 0, key: str = "ord_1:refund:1") -> RefundRequest:
    return RefundRequest(
        order_id="ord_1",
        authorization_id="auth_x",
        method="card",
        amount=amount,
        currency="PHP",
        captured=captured,
        idempotency_key=key,
        refunded_before=before,
    )


def test_any_other_card_token_authorizes_the_amount() -> None:
    result = gateway.authorize(authorization("tok_visa"))
    assert (result.status, result.amount, result.currency, result.method) == ("authorized", 119800, "PHP", "card")
    assert result.authorization_id.startswith("auth_")
    assert not result.pending


def test_tok_decline_is_declined_at_authorization() -> None:
    with pytest.raises(PaymentDeclined) as caught:
        gateway.authorize(authorization("tok_decline"))
    assert caught.value.code == "payment_declined"
    assert error_problem(caught.value)["decline_code"] == "card_declined"


def test_tok_capture_fail_authorizes_then_fails_at_capture() -> None:
    assert gateway.authorize(authorization("tok_capture_fail")).status == "authorized"
    with pytest.raises(CaptureFailed) as caught:
        gateway.capture(capture(token="tok_capture_fail"))
    assert caught.value.code == "capture_failed"


def test_the_same_idempotency_key_returns_the_same_authorization_and_capture() -> None:
    first, again = gateway.authorize(authorization(key="k1")), gateway.authorize(authorization(key="k1"))
    other = gateway.authorize(authorization(key="k2"))
    assert first == again
    assert first.authorization_id == reference("auth", "k1") != other.authorization_id
    assert gateway.capture(capture(key="c1")).capture_id == gateway.capture(capture(key="c1")).capture_id
    assert gateway.capture(capture(key="c1")).capture_id != gateway.capture(capture(key="c2")).capture_id


def test_partial_captures_per_shipment_fit_within_the_authorization() -> None:
    first = gateway.capture(capture(amount=59900, before=0, key="ord_1:shp_1:capture"))
    second = gateway.capture(capture(amount=59900, before=59900, key="ord_1:shp_2:capture"))
    assert (first.status, second.status) == ("captured", "captured")
    assert first.capture_id != second.capture_id


def test_capturing_more_than_remains_authorized_fails_with_its_own_code() -> None:
    with pytest.raises(CaptureFailed) as caught:
        gateway.capture(capture(amount=60000, authorized=119800, before=59900))
    assert caught.value.code == "capture_exceeds_authorization"
    assert caught.value.extra["remaining"] == 59900


def test_void_and_refund_answer_with_ids_from_their_keys() -> None:
    void = gateway.void(VoidRequest("ord_1", "auth_x", "card", "ord_1:void"))
    assert (void.status, void.void_id) == ("voided", reference("void", "ord_1:void"))
    done = gateway.refund(refund(30000, captured=59900))
    assert (done.status, done.amount, done.refund_id) == ("refunded", 30000, reference("rfd", "ord_1:refund:1"))


def test_a_refund_beyond_what_was_captured_and_not_refunded_is_refused() -> None:
    gateway.refund(refund(29900, captured=59900, before=30000))  # exactly the rest
    with pytest.raises(RefundFailed) as caught:
        gateway.refund(refund(29901, captured=59900, before=30000))
    assert caught.value.code == "refund_exceeds_captured"


def test_invoice_authorization_is_a_credit_limit_check_against_the_default_limit() -> None:
    ok = gateway.authorize(authorization(None, amount=DEFAULT_CREDIT_LIMIT, method="invoice"))
    assert (ok.status, ok.method) == ("authorized", "invoice")
    with pytest.raises(CreditLimitExceeded) as caught:
        gateway.authorize(authorization(None, amount=DEFAULT_CREDIT_LIMIT + 1, method="invoice"))
    assert caught.value.code == "credit_limit_exceeded"
    assert isinstance(caught.value, PaymentDeclined)  # one Catch in the workflow handles both refusals


def test_a_customer_credit_limit_from_config_counts_the_open_balance() -> None:
    sandbox = SandboxPayment({"acme": 1_000_000}, default_credit_limit=0)
    sandbox.authorize(authorization(None, amount=400_000, method="invoice", customer_id="acme", balance=600_000))
    with pytest.raises(CreditLimitExceeded) as caught:
        sandbox.authorize(authorization(None, amount=400_001, method="invoice", customer_id="acme", balance=600_000))
    assert caught.value.extra == {"limit": 1_000_000, "balance": 600_000, "requested": 400_001}
    with pytest.raises(CreditLimitExceeded):
        sandbox.authorize(authorization(None, amount=1, method="invoice", customer_id="someone-else"))


def test_invoice_terms_ignore_card_trigger_tokens() -> None:
    assert gateway.authorize(authorization("tok_decline", method="invoice")).status == "authorized"


@pytest.mark.parametrize("limit", [-1, True, 1.5, "100"])
def test_a_credit_limit_must_be_whole_minor_units(limit: object) -> None:
    with pytest.raises(ValueError, match="credit limit"):
        SandboxPayment({"acme": limit})  # type: ignore[dict-item]


def test_requests_refuse_bad_money_and_missing_keys() -> None:
    with pytest.raises(ValueError, match="amount"):
        authorization(amount=0)
    with pytest.raises(ValueError, match="token"):
        authorization(token=None)
    with pytest.raises(ValueError, match="idempotency"):
        authorization(key="")
    with pytest.raises(ValueError, match="ISO 4217"):
        CaptureRequest("o", "a", "card", 1, "php", 1, "k")


def test_port_errors_are_oms_errors_with_named_codes() -> None:
    assert issubclass(TransientPartnerError, OmsError)
    assert TransientPartnerError("x").code == "partner_unavailable"
    assert not issubclass(TransientPartnerError, PaymentDeclined | CaptureFailed | RefundFailed)
