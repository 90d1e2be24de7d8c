"""The sandbox fraud screen: @review.test is held for review, @fraud.test rejected with reasons, others pass."""

from __future__ import annotations

import pytest

from oms.adapters.sandbox_fraud import SandboxFraud
from oms.domain.models import Address, Customer
from oms.ports.fraud import FraudCheck, FraudScreen
from oms.ports.payment import reference

screen: FraudScreen = SandboxFraud()
ADDRESS = Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH")


def check(email: str, key: str = "ord_1:fraud") -> FraudCheck:
    return FraudCheck(
        order_id="ord_1",
        storefront_id="sf-1",
        customer=Customer(id="c-1", email=email),
        shipping_address=ADDRESS,
        amount=119800,
        currency="PHP",
        idempotency_key=key,
    )


def test_an_ordinary_customer_is_approved_without_reasons() -> None:
    decision = screen.screen(check("ana@example.com"))
    assert (decision.outcome, decision.reasons, decision.pending) == ("approve", (), False)


@pytest.mark.parametrize("email", ["ana@review.test", "ANA@Review.Test"])
def test_an_email_at_review_test_is_held_for_review_with_a_reason(email: str) -> None:
    decision = screen.screen(check(email))
    assert decision.outcome == "review"
    assert [r.code for r in decision.reasons] == ["email_domain_needs_review"]
    assert "review.test" in decision.summary


def test_an_email_at_fraud_test_is_rejected_with_a_reason() -> None:
    decision = screen.screen(check("mallory@fraud.test"))
    assert decision.outcome == "reject"
    assert decision.score > 90
    assert [r.code for r in decision.reasons] == ["email_domain_blocked"]
    assert "fraud.test" in decision.summary


def test_only_the_exact_domain_triggers_the_screen() -> None:
    assert screen.screen(check("ana@notfraud.test")).outcome == "approve"
    assert screen.screen(check("ana@fraud.test.example.com")).outcome == "approve"


def test_the_screening_id_follows_the_idempotency_key() -> None:
    assert screen.screen(check("a@example.com", "k1")) == screen.screen(check("a@example.com", "k1"))
    assert screen.screen(check("a@example.com", "k1")).screening_id == reference("scr", "k1")
    assert screen.screen(check("a@example.com", "k2")).screening_id != reference("scr", "k1")


def test_a_check_needs_an_idempotency_key() -> None:
    with pytest.raises(ValueError, match="idempotency"):
        check("a@example.com", key="")
