"""What partners send: the webhook envelope and the payload of each event type, validated at the edge."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from oms.clock import parse_rfc3339
from oms.domain.models import Address, Customer, Line, ServiceLevel

PartnerEventType = Literal[
    "shipment.packed",
    "shipment.rejected",
    "shipment.shipped",
    "shipment.delivered",
    "shipment.exception",
    "build.completed",
    "inventory.snapshot",
    "inventory.adjusted",
    "payment.authorization_expired",
    "payment.chargeback",
    "payment.invoice_paid",
    "inbound.received",
    "transfer.shipped",
    "transfer.received",
    "inventory.counted",
    "return.received",
    "payment.authorized",
    "payment.pending",
    "payment.failed",
    "payment.cod_remitted",
    "marketplace.order_created",
    "marketplace.order_cancelled",
    "fraud.decided",
]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


class PartnerEvent(BaseModel):
    """The envelope every partner event shares; `data` is read per type when the event is applied."""

    model_config = ConfigDict(extra="allow", strict=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: PartnerEventType
    occurred_at: str
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        if not _RFC3339.match(value):
            raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T09:30:00Z")
        parse_rfc3339(value)  # and a real date: month 13 or hour 25 raise ValueError
        return value


class StockFigure(BaseModel):
    location_id: str
    sku: str
    on_hand: int = Field(ge=0)
    safety_stock: int = Field(default=0, ge=0)


class StockSnapshot(BaseModel):
    """Absolute counts: `{"items": [figure, ...]}`, or one figure on its own."""

    items: Annotated[list[StockFigure], Field(min_length=1, max_length=500)]

    @model_validator(mode="before")
    @classmethod
    def _one_figure(cls, data: Any) -> Any:
        return data if not isinstance(data, dict) or "items" in data else {"items": [data]}


class StockDelta(BaseModel):
    location_id: str
    sku: str
    delta: int
    reason: str = Field(default="adjusted by partner", min_length=1, max_length=200)


class ShipmentRef(BaseModel):
    """What location and carrier events say about a shipment."""

    order_id: str
    shipment_id: str
    location_id: str | None = None
    reason: str | None = Field(default=None, max_length=500)
    detail: str | None = Field(default=None, max_length=500)


class InvoicePayment(BaseModel):
    """A net-terms customer paid (part of) an order's invoice: its credit is free again."""

    order_id: str
    amount: int = Field(gt=0, le=10_000_000_000)
    reference: str | None = Field(default=None, max_length=200)


class Units(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=0, le=100_000_000)


class InboundReceipt(BaseModel):
    """Goods of an inbound arrived at its location; `complete` closes it (what never came is recorded)."""

    inbound_id: str = Field(min_length=1, max_length=64)
    location_id: str = Field(min_length=1, max_length=64)
    lines: Annotated[list[Units], Field(min_length=1, max_length=500)]
    complete: bool = False


class TransferNotice(BaseModel):
    """A transfer left its source (`transfer.shipped`) or reached its destination (`transfer.received`);
    without `lines`, everything on it."""

    transfer_id: str = Field(min_length=1, max_length=64)
    lines: Annotated[list[Units], Field(max_length=500)] | None = None


class ReturnedUnits(Units):
    condition: Literal["resellable", "damaged"]


class ReturnReceipt(BaseModel):
    """A return's parcel taken in at a location, each unit resellable (back on hand) or damaged."""

    return_id: str = Field(min_length=1, max_length=80)
    location_id: str = Field(min_length=1, max_length=64)
    lines: Annotated[list[ReturnedUnits], Field(min_length=1, max_length=500)]


class PaymentNotice(BaseModel):
    """A payments partner's answer to an asynchronous authorization (`payment.authorized`, `.pending`,
    `.failed`)."""

    order_id: str = Field(min_length=1, max_length=64)
    authorization_id: str | None = Field(default=None, max_length=128)
    amount: int | None = Field(default=None, ge=0, le=10**12)
    expires_at: str | None = Field(default=None, max_length=40)
    detail: str | None = Field(default=None, max_length=500)


class CodRemittance(BaseModel):
    """Cash collected at the door for one shipment, handed over by the carrier (or a payments partner)."""

    order_id: str = Field(min_length=1, max_length=64)
    shipment_id: str = Field(min_length=1, max_length=64)
    amount: int = Field(ge=1, le=10**12)


class MarketplacePayment(BaseModel):
    method: Literal["marketplace", "cod"]  # paid to the marketplace already, or cash on delivery


# The checkout's shapes, named apart: the document describes a partner payload in its serialization form.
class MarketplaceCustomer(Customer):
    pass


class MarketplaceLine(Line):
    pass


class MarketplaceAddress(Address):
    pass


class MarketplaceOrder(BaseModel):
    """An order a channel's marketplace took: checked out as the storefront's checkout would."""

    channel_id: str = Field(min_length=1, max_length=64)
    marketplace_order_id: str = Field(min_length=1, max_length=128)
    customer: MarketplaceCustomer
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: Annotated[list[MarketplaceLine], Field(min_length=1, max_length=100)]
    shipping_address: MarketplaceAddress
    service_level: ServiceLevel = "standard"
    payment: MarketplacePayment


class MarketplaceCancellation(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    marketplace_order_id: str = Field(min_length=1, max_length=128)
    reason: str | None = Field(default=None, max_length=500)


class FraudDecided(BaseModel):
    """A fraud screen's later decision on an order it held for review (its first answer was "pending")."""

    order_id: str = Field(min_length=1, max_length=64)
    decision: Literal["approve", "reject"]
    detail: str | None = Field(default=None, max_length=500)


class OrderRef(BaseModel):
    order_id: str
    detail: str | None = Field(default=None, max_length=500)


def payload_model(event_type: str) -> type[BaseModel]:
    """The model of an event type's `data`: the webhook checks it before queueing, so a payload no
    retry could apply is a 400 to the partner, never a message looping into the dead-letter queue."""
    if event_type.startswith(("shipment.", "build.")):
        return ShipmentRef
    models: dict[str, type[BaseModel]] = {
        "inventory.snapshot": StockSnapshot,
        "inventory.counted": StockSnapshot,
        "inventory.adjusted": StockDelta,
        "payment.invoice_paid": InvoicePayment,
        "inbound.received": InboundReceipt,
        "transfer.shipped": TransferNotice,
        "transfer.received": TransferNotice,
        "return.received": ReturnReceipt,
        "payment.authorized": PaymentNotice,
        "payment.pending": PaymentNotice,
        "payment.failed": PaymentNotice,
        "payment.cod_remitted": CodRemittance,
        "marketplace.order_created": MarketplaceOrder,
        "marketplace.order_cancelled": MarketplaceCancellation,
        "fraud.decided": FraudDecided,
    }
    return models.get(event_type, OrderRef)


def locations_named(event: PartnerEvent) -> list[str]:
    """The locations an event names in its own data (its stock figures', or a shipment's when the
    sender says where it is): what the webhook can check against the partner's scope at once."""
    items = event.data.get("items") if event.type in ("inventory.snapshot", "inventory.counted") else None
    records = items if isinstance(items, list) else [event.data]
    return [str(r["location_id"]) for r in records if isinstance(r, dict) and isinstance(r.get("location_id"), str)]
