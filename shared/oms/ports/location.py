"""The location port: release a shipment to the warehouse, store, 3PL or workshop that packs (or builds) it.

A location acknowledges a release at once; what it does next (packed, rejected, built) comes back
later as partner webhooks. A made-to-order shipment goes to its workshop with build instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from oms.domain.models import Address, ServiceLevel


@dataclass(frozen=True)
class ReleaseLine:
    sku: str
    quantity: int
    note: str | None = None

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"a released line has at least one unit, got {self.quantity}")


@dataclass(frozen=True)
class ReleaseRequest:
    """Everything the location needs to pick, pack (or build) and hand over to the booked carrier."""

    order_id: str
    shipment_id: str
    location_id: str
    lines: tuple[ReleaseLine, ...]
    ship_to: Address
    service_level: ServiceLevel
    idempotency_key: str
    carrier: str | None = None
    tracking_number: str | None = None
    label_ref: str | None = None
    pack_by: str | None = None  # RFC 3339: when the location must have packed it to keep the promise
    made_to_order: bool = False
    build_instructions: str | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a release has at least one line")
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")
        if self.made_to_order and not (self.build_instructions or "").strip():
            raise ValueError("a made-to-order shipment is released with its build instructions")


@dataclass(frozen=True)
class ReleaseAck:
    """The location has the work: "pick" (stocked goods) or "build" (made to order)."""

    release_id: str
    location_id: str
    work: Literal["pick", "build"]
    status: Literal["acknowledged", "pending"]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class RecallRequest:
    """Take a released shipment back before it ships (the order was cancelled or re-routed)."""

    order_id: str
    shipment_id: str
    location_id: str
    release_id: str
    idempotency_key: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class RecallAck:
    release_id: str
    status: Literal["recalled", "pending"]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class LocationGateway(Protocol):
    """Raises TransientPartnerError (retry) or PartnerRefused; pick and pack results come by webhook."""

    def release(self, request: ReleaseRequest) -> ReleaseAck: ...
    def recall(self, request: RecallRequest) -> RecallAck: ...
