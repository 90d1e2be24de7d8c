"""The order: what was bought, where it ships from, what it costs, and where it stands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from oms.clock import parse_rfc3339, rfc3339
from oms.domain.models import Address, Customer, ServiceLevel

RENEW_BEFORE = timedelta(days=1)  # a lapsing card authorization is renewed this long before it lapses
OrderStatus = Literal[
    "accepted", "on_hold", "processing", "partially_shipped", "shipped", "delivered", "cancelled", "rejected"
]
ShipmentStatus = Literal["allocated", "booked", "released", "packed", "shipped", "delivered", "rejected", "cancelled"]
# "pending" is the state before authorization (added to API.md's list, which starts at "authorized").
PaymentStatus = Literal["pending", "authorized", "partially_captured", "captured", "voided", "refunded", "failed"]


class OrderLine(BaseModel):
    sku: str
    quantity: int
    unit_price: int
    line_total: int
    tax: int = 0
    note: str | None = None


class ShipmentLine(BaseModel):
    sku: str
    quantity: int
    # False for made-to-order units at a workshop without a stock record: built, not taken from stock.
    reserved: bool = True


class AwaitedUnits(BaseModel):
    """Backordered units a shipment waits for: promised against an inbound, expected at its location."""

    inbound_id: str
    sku: str
    quantity: int
    expected_at: str


class Shipment(BaseModel):
    shipment_id: str
    location_id: str
    status: ShipmentStatus = "allocated"
    lines: list[ShipmentLine]
    service_level: ServiceLevel
    carrier: str | None = None
    tracking_number: str | None = None
    promised_by: str | None = None
    build_instructions: str | None = None
    made_to_order: bool = False  # its workshop builds it: packed only after build.completed
    label_ref: str | None = None
    booking_id: str | None = None
    value: int = 0  # what capturing this shipment charges: its goods, their tax, and its share of shipping
    captured: int = 0
    capture_id: str | None = None
    released_at: str | None = None
    pack_by: str | None = None  # the location's SLA: packed by then, or the sweeper escalates it
    sla_missed: bool = False
    built_at: str | None = None
    packed_at: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    issue: str | None = None  # why the shipment is held or late, shown to the storefront
    release_id: str | None = None
    rejected_by: list[str] = Field(default_factory=list)  # locations that refused this shipment
    # Backordered units not in stock yet (oms.domain.backorder): booked and released once none are left.
    awaiting: list[AwaitedUnits] = Field(default_factory=list)


class Totals(BaseModel):
    subtotal: int
    tax: int
    shipping: int
    total: int


class PaymentState(BaseModel):
    method: Literal["card", "invoice", "cod", "marketplace"]  # marketplace: paid to the channel
    status: PaymentStatus = "pending"
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    settled: int = 0  # net terms: what the customer has paid of what was invoiced
    authorization_id: str | None = None
    # A card authorization lapses: renewed a day before (oms.domain.authorization); an asynchronous one
    # must be confirmed by `pending_until`, or the order is rejected and its stock released.
    authorization_expires_at: str | None = None
    pending_until: str | None = None
    failure: str | None = None
    # The provider's token is kept for authorization and never shown back.
    token: str | None = Field(default=None, exclude=True)


class TimelineEntry(BaseModel):
    at: str
    type: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Order(BaseModel):
    order_id: str
    storefront_id: str
    status: OrderStatus = "accepted"
    reason: str | None = None
    customer: Customer
    lines: list[OrderLine]
    currency: str
    totals: Totals
    shipments: list[Shipment]
    payment: PaymentState
    shipping_address: Address
    service_level: ServiceLevel
    po_number: str | None = None
    # Where a channel's order came from: {channel_id, partner_id, marketplace_order_id} (None: the storefront).
    source: dict[str, str] | None = None
    ship_complete: bool = False
    hold_id: str | None = None
    routing: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    version: int = 1
    timeline: list[TimelineEntry] = Field(default_factory=list)
    # "<partner>:<event id>" of every partner event applied to this order: a redelivered event finds
    # itself here and changes nothing (the check and the effect are one conditional write).
    partner_events: list[str] = Field(default_factory=list)
    # Phases that could not start (Step Functions refused or was unreachable): the sweeper starts them.
    # Each is {"machine", "name", "payload", "since"}.
    unstarted_phases: list[dict[str, Any]] = Field(default_factory=list)

    def stored(self) -> dict[str, Any]:
        """The document as stored: the token kept, the routing explanation apart (written once, it need
        not be rewritten, and paid for, on every lifecycle step), absent values left out."""
        doc = self.model_dump(mode="json", exclude={"routing", "status", "version"}, exclude_none=True)
        for shipment in doc["shipments"]:  # almost always empty: not worth its bytes on every write
            if not shipment.get("awaiting"):
                shipment.pop("awaiting", None)
        if self.payment.token:
            doc["payment"]["token"] = self.payment.token
        return doc

    def public(self) -> dict[str, Any]:
        """The order as the API shows it."""
        return self.model_dump(mode="json", exclude={"version", "partner_events", "unstarted_phases"})

    def next_deadline(self) -> str | None:
        """When the sweeper should next look at the order: a phase to start again (at once), or the
        earliest pack-by time of a released shipment not yet escalated."""
        due = [s.pack_by for s in self.shipments if s.status == "released" and s.pack_by and not s.sla_missed]
        due += [phase["since"] for phase in self.unstarted_phases]
        if self.status not in ("cancelled", "rejected") and self.payment.pending_until:
            due.append(self.payment.pending_until)
        return min(due) if due else None

    def renew_at(self) -> str | None:
        """When the authorization must be renewed: a day before it lapses, while shipments wait to be paid
        and the order is slow (held, or a shipment waiting for backordered units, late, or held). An order
        on its usual way is paid within hours and never needs it; a slow one was written when it became
        slow, which is when it enters the sweeper's index (so the usual order pays no index writes)."""
        expires = self.payment.authorization_expires_at
        live = [s for s in self.shipments if s.status not in ("cancelled", "rejected")]
        waiting = any(s.captured < s.value for s in live)
        slow = self.status == "on_hold" or any(s.awaiting or s.sla_missed or s.issue for s in live)
        if not expires or not waiting or not slow or self.payment.pending_until:
            return None
        return rfc3339(parse_rfc3339(expires) - RENEW_BEFORE)
