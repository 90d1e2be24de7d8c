"""A fraud screen driven by the customer's email domain (API.md, "Sandbox behaviour").

`...@review.test` is held for review, `...@fraud.test` is rejected, everyone else passes. The same
idempotency key gives the same screening id.
"""

from __future__ import annotations

from oms.ports.fraud import FraudCheck, FraudDecision, FraudReason
from oms.ports.payment import reference

REVIEW_DOMAIN = "review.test"
REJECT_DOMAIN = "fraud.test"


class SandboxFraud:
    """FraudScreen for tests and local runs."""

    def screen(self, check: FraudCheck) -> FraudDecision:
        screening_id = reference("scr", check.idempotency_key)
        domain = check.customer.email.rpartition("@")[2].casefold()
        if domain == REJECT_DOMAIN:
            return FraudDecision(
                screening_id,
                "reject",
                score=95,
                reasons=(
                    FraudReason(
                        "email_domain_blocked",
                        f"the email domain {REJECT_DOMAIN} is on the sandbox's list of known fraud",
                    ),
                ),
            )
        if domain == REVIEW_DOMAIN:
            return FraudDecision(
                screening_id,
                "review",
                score=60,
                reasons=(
                    FraudReason(
                        "email_domain_needs_review",
                        f"orders from the email domain {REVIEW_DOMAIN} are held for a manual review",
                    ),
                ),
            )
        return FraudDecision(screening_id, "approve", score=5)
