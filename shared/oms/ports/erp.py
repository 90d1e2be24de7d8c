"""The ERP port: order and stock events the back office books (sales, shipments, captures, refunds, stock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ErpEvent:
    """One fact for the ERP, e.g. type "order.accepted", "shipment.shipped", "payment.captured",
    "payment.refunded", "order.cancelled" or "inventory.adjusted"; `data` is plain JSON."""

    type: str
    occurred_at: str  # RFC 3339
    idempotency_key: str
    order_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.type:
            raise ValueError("an ERP event has a type")
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class ErpReceipt:
    receipt_id: str
    status: Literal["recorded", "pending"]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class ErpSink(Protocol):
    """Raises TransientPartnerError (retry) or PartnerRefused."""

    def publish(self, event: ErpEvent) -> ErpReceipt: ...
