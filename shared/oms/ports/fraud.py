"""The fraud port: approve, hold for review or reject an order before any money moves, with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from oms.domain.models import Address, Customer

# "pending": the screen answers later by webhook (the generic signed-HTTPS adapter).
FraudOutcome = Literal["approve", "review", "reject", "pending"]


@dataclass(frozen=True)
class FraudCheck:
    order_id: str
    storefront_id: str
    customer: Customer
    shipping_address: Address
    amount: int
    currency: str
    idempotency_key: str
    payment_method: str = "card"

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"an order amount is never negative, got {self.amount}")
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class FraudReason:
    """Why the screen decided as it did: a machine-readable code and a sentence for the reviewer."""

    code: str
    detail: str


@dataclass(frozen=True)
class FraudDecision:
    """`score` runs from 0 (clean) to 100 (certain fraud); `reasons` is empty for a plain approval."""

    screening_id: str
    outcome: FraudOutcome
    score: int = 0
    reasons: tuple[FraudReason, ...] = ()

    @property
    def pending(self) -> bool:
        return self.outcome == "pending"

    @property
    def summary(self) -> str:
        """The reasons in one line, for the order's `reason` when it is rejected."""
        return "; ".join(r.detail for r in self.reasons)


class FraudScreen(Protocol):
    """A decision is an answer, not an error; raises only TransientPartnerError or PartnerRefused."""

    def screen(self, check: FraudCheck) -> FraudDecision: ...
