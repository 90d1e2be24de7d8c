"""Stock that is coming: purchase orders / ASNs (inbound) and transfers between locations.

Units are conserved: an inbound adds to on_hand only what a receipt says arrived; a transfer takes units
out of `available` at its source when created (reserved), out of `on_hand` there when shipped (in
transit), and into `on_hand` at its destination when received. What went missing on the way, or came
over what was ordered, is recorded on the document, never silently absorbed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from oms.domain.errors import Conflict, Unprocessable
from oms.domain.lifecycle import NotYet

# A receipt is one transaction (100 items at most): the document, a lot per line, and per sku that
# arrived its stock record and audit entry (1 + 30 + 60), with room left to serve backorders.
MAX_INBOUND_LINES = 30

InboundStatus = Literal["open", "partially_received", "received", "cancelled"]
TransferStatus = Literal["requested", "shipped", "received", "cancelled"]


class AlreadyApplied(Exception):
    """This document already took this event: a redelivery, with no second effect."""


class InboundLine(BaseModel):
    sku: str
    quantity: int  # ordered
    received: int = 0

    @property
    def outstanding(self) -> int:
        return max(0, self.quantity - self.received)


class Inbound(BaseModel):
    """A purchase order or advance shipping notice: what a supplier is sending to one location, and when."""

    inbound_id: str
    location_id: str
    supplier: str | None = None
    expected_at: str
    lines: list[InboundLine]
    status: InboundStatus = "open"
    receipts: list[str] = Field(default_factory=list)  # "<partner>:<event id>" of each receipt taken
    discrepancies: list[dict[str, object]] = Field(default_factory=list)
    created_at: str
    updated_at: str
    version: int = 0

    def incoming(self) -> dict[str, int]:
        """Units still expected, per sku (nothing once closed)."""
        if self.status in ("received", "cancelled"):
            return {}
        return {line.sku: line.outstanding for line in self.lines if line.outstanding}


def received(
    inbound: Inbound, arrived: dict[str, int], receipt: str, at: str, complete: bool = False
) -> dict[str, int]:
    """Take a receipt: answers the units to add to on_hand per sku (everything that arrived).

    Over-receipt (more than ordered, or a sku not on the order) is accepted, goods did arrive, and
    recorded; a receipt marked `complete` (or one that fills every line) closes the inbound, recording
    what never came. A closed inbound takes no more receipts."""
    if receipt in inbound.receipts:
        raise AlreadyApplied(receipt)
    if inbound.status in ("received", "cancelled"):
        raise Conflict(f"inbound {inbound.inbound_id} is {inbound.status}", code="inbound_closed")
    lines = {line.sku: line for line in inbound.lines}
    for sku, units in arrived.items():
        line = lines.get(sku)
        if line is None:
            inbound.discrepancies.append({"at": at, "sku": sku, "kind": "not_ordered", "quantity": units})
            inbound.lines.append(line := InboundLine(sku=sku, quantity=0))
            lines[sku] = line
        over = line.received + units - line.quantity
        if over > 0:
            inbound.discrepancies.append({"at": at, "sku": sku, "kind": "over_received", "quantity": min(over, units)})
        line.received += units
    inbound.receipts.append(receipt)
    if complete or all(line.received >= line.quantity for line in inbound.lines):
        for line in inbound.lines:
            if line.outstanding:
                inbound.discrepancies.append(
                    {"at": at, "sku": line.sku, "kind": "under_received", "quantity": line.outstanding}
                )
        inbound.status = "received"
    else:
        inbound.status = "partially_received"
    inbound.updated_at = at
    return dict(arrived)


class TransferLine(BaseModel):
    sku: str
    quantity: int  # requested, reserved at the source
    shipped: int = 0
    received: int = 0


class Transfer(BaseModel):
    transfer_id: str
    from_location_id: str
    to_location_id: str
    lines: list[TransferLine]
    status: TransferStatus = "requested"
    reason: str | None = None
    events: list[str] = Field(default_factory=list)
    discrepancies: list[dict[str, object]] = Field(default_factory=list)
    created_at: str
    updated_at: str
    shipped_at: str | None = None
    received_at: str | None = None
    version: int = 0

    def in_transit(self) -> dict[str, int]:
        if self.status != "shipped":
            return {}
        return {line.sku: line.shipped - line.received for line in self.lines if line.shipped > line.received}


def check_transfer(from_location_id: str, to_location_id: str, lines: dict[str, int]) -> None:
    if from_location_id == to_location_id:
        raise Unprocessable("a transfer moves stock between two different locations", code="transfer_to_itself")
    if not lines or any(quantity <= 0 for quantity in lines.values()):
        raise Unprocessable("a transfer moves at least one unit of each sku it names", code="invalid_quantity")


def shipped(
    transfer: Transfer, sent: dict[str, int] | None, event: str, at: str
) -> tuple[dict[str, int], dict[str, int]]:
    """The source sent the goods: answers (units leaving on_hand there, reserved units given back because
    they were not sent) per sku. Sending more than was reserved for a sku is refused (they are not ours
    to move); a sku not on the transfer likewise."""
    if event in transfer.events:
        raise AlreadyApplied(event)
    if transfer.status != "requested":
        raise Conflict(f"transfer {transfer.transfer_id} is {transfer.status}", code="transfer_not_requested")
    lines = {line.sku: line for line in transfer.lines}
    sent = {line.sku: line.quantity for line in transfer.lines} if sent is None else sent
    unknown = sorted(set(sent) - set(lines))
    if unknown:
        raise Unprocessable(f"transfer {transfer.transfer_id} has no {', '.join(unknown)}", code="sku_not_on_transfer")
    too_many = sorted(sku for sku, units in sent.items() if units > lines[sku].quantity)
    if too_many:
        raise Unprocessable(f"more {', '.join(too_many)} sent than reserved", code="more_than_reserved")
    leaving, released = {}, {}
    for sku, line in lines.items():
        line.shipped = sent.get(sku, 0)
        if line.shipped:
            leaving[sku] = line.shipped
        if line.quantity > line.shipped:
            released[sku] = line.quantity - line.shipped
            transfer.discrepancies.append(
                {"at": at, "sku": sku, "kind": "short_shipped", "quantity": line.quantity - line.shipped}
            )
    transfer.status, transfer.shipped_at, transfer.updated_at = "shipped", at, at
    transfer.events.append(event)
    return leaving, released


def arrived(transfer: Transfer, came: dict[str, int] | None, event: str, at: str) -> dict[str, int]:
    """The destination took the goods in: answers the units to add to its on_hand per sku. What was
    shipped and did not arrive is recorded as lost in transit; more than was shipped is recorded too."""
    if event in transfer.events:
        raise AlreadyApplied(event)
    if transfer.status == "requested":
        raise NotYet(f"transfer {transfer.transfer_id} is not shipped yet; it is received after it is shipped")
    if transfer.status != "shipped":
        raise Conflict(f"transfer {transfer.transfer_id} is {transfer.status}", code="transfer_not_in_transit")
    lines = {line.sku: line for line in transfer.lines}
    came = {sku: line.shipped for sku, line in lines.items() if line.shipped} if came is None else came
    unknown = sorted(set(came) - set(lines))
    if unknown:
        raise Unprocessable(f"transfer {transfer.transfer_id} has no {', '.join(unknown)}", code="sku_not_on_transfer")
    for sku, line in lines.items():
        line.received = came.get(sku, 0)
        difference = line.received - line.shipped
        if difference:
            kind = "over_received" if difference > 0 else "lost_in_transit"
            transfer.discrepancies.append({"at": at, "sku": sku, "kind": kind, "quantity": abs(difference)})
    transfer.status, transfer.received_at, transfer.updated_at = "received", at, at
    transfer.events.append(event)
    return {sku: units for sku, units in came.items() if units}
