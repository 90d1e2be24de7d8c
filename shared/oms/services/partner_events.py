"""Partner events (webhooks from locations, carriers, payment providers and ERP), applied exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from oms.clock import clock, parse_rfc3339, rfc3339
from oms.domain import lifecycle
from oms.domain.errors import NotFound
from oms.domain.lifecycle import Change
from oms.domain.orders import Order
from oms.observability import metrics
from oms.services import fulfilment
from oms.store import inventory as inventory_store
from oms.store import partner_events as processed
from oms.store.dynamo import TransactionRefused, Write

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


class OrderRef(BaseModel):
    order_id: str
    detail: str | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class Receipt:
    """Proof that an event was applied, written with its effect so a redelivery changes nothing: on the
    order it changes ("<partner>:<event id>" in the order's own write), or as an item of its own beside
    stock changes (which touch no order)."""

    partner_id: str
    event_id: str
    event_type: str
    at: str

    @property
    def key(self) -> str:
        return f"{self.partner_id}:{self.event_id}"

    def marker(self) -> Write:
        return processed.marker(self.partner_id, self.event_id, self.event_type, self.at)


Apply = Callable[[str, PartnerEvent, Receipt], str]


def _snapshot(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
    """ERP stock counts replace on_hand (absolute figures); the marker rides with the first write."""
    figures = [StockFigure.model_validate(f) for f in event.data.get("items", [event.data])]
    for n, figure in enumerate(figures):
        inventory_store.set_stock(
            figure.sku,
            figure.location_id,
            figure.on_hand,
            figure.safety_stock,
            actor=f"partner:{partner_id}",
            extra=[receipt.marker()] if n == 0 else [],
        )
    return f"{len(figures)} stock figure(s) applied"


def _adjusted(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
    delta = StockDelta.model_validate(event.data)
    inventory_store.adjust_stock(
        delta.sku, delta.location_id, delta.delta, delta.reason, actor=f"partner:{partner_id}", extra=[receipt.marker()]
    )
    return "stock adjusted"


def _on_shipment(transition: Callable[[Order, ShipmentRef, str], Change]) -> Apply:
    def apply(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
        ref = ShipmentRef.model_validate(event.data)
        return fulfilment.apply_simple(ref.order_id, lambda order: transition(order, ref, _at()), receipt.key)

    return apply


def _packed(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
    ref = ShipmentRef.model_validate(event.data)
    return fulfilment.packed(ref.order_id, ref.shipment_id, receipt.key)


def _rejected(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
    ref = ShipmentRef.model_validate(event.data)
    order = fulfilment.load(ref.order_id)
    at_location = ref.location_id or lifecycle.shipment_of(order, ref.shipment_id).location_id
    return fulfilment.reroute(
        ref.order_id, ref.shipment_id, at_location, ref.reason or "refused by the location", receipt.key
    )


def _in_transit(order: Order, ref: ShipmentRef, at: str) -> Change:
    """The carrier has the parcel: our ship phase marked it shipped once paid; this confirms pickup."""
    change = Change()
    shipment = lifecycle.shipment_of(order, ref.shipment_id)
    if shipment.status not in lifecycle.GONE:
        raise lifecycle.NotYet(f"shipment {ref.shipment_id} is {shipment.status}; pickup follows shipping")
    if not any(
        e.type == "shipment.picked_up" and e.detail.get("shipment_id") == ref.shipment_id for e in order.timeline
    ):
        change.note(at, "shipment.picked_up", shipment_id=ref.shipment_id, carrier=shipment.carrier)
    return change


def _on_order(kind: str, metric: str | None = None) -> Apply:
    def apply(partner_id: str, event: PartnerEvent, receipt: Receipt) -> str:
        ref = OrderRef.model_validate(event.data)

        def transition(order: Order) -> Change:
            change = Change()
            change.note(_at(), kind, publish=True, order_id=order.order_id, partner=partner_id, detail=ref.detail)
            if kind == "payment.authorization_expired":
                order.payment.failure = "the authorization expired before every shipment was captured"
            return change

        if metric:
            metrics.add_metric(name=metric, unit="Count", value=1)
        return fulfilment.apply_simple(ref.order_id, transition, receipt.key)

    return apply


_APPLY: dict[str, Apply] = {
    "inventory.snapshot": _snapshot,
    "inventory.adjusted": _adjusted,
    "shipment.packed": _packed,
    "shipment.rejected": _rejected,
    "build.completed": _on_shipment(lambda o, ref, at: lifecycle.built(o, ref.shipment_id, at)),
    "shipment.shipped": _on_shipment(_in_transit),
    "shipment.delivered": _on_shipment(lambda o, ref, at: lifecycle.delivered(o, ref.shipment_id, at)),
    "shipment.exception": _on_shipment(
        lambda o, ref, at: lifecycle.carrier_exception(o, ref.shipment_id, ref.detail or "carrier exception", at)
    ),
    "payment.authorization_expired": _on_order("payment.authorization_expired"),
    "payment.chargeback": _on_order("payment.chargeback", metric="Chargebacks"),
}


def _at() -> str:
    return rfc3339(clock.now())


def apply(partner_id: str, event: PartnerEvent) -> str:
    """Apply the event once: its receipt is written in the same write as its effect, so a duplicate (or a
    retry after a crash) finds the receipt and changes nothing."""
    receipt = Receipt(partner_id, event.id, event.type, _at())
    stock = event.type.startswith("inventory.")
    if stock and processed.seen(partner_id, event.id):
        return "duplicate"
    try:
        return _APPLY[event.type](partner_id, event, receipt)
    except TransactionRefused as refused:
        if "processed" in refused.failed:
            return "duplicate"
        raise
    except NotFound as missing:
        # An event about an order or shipment the OMS does not have can never apply: nothing to keep.
        return f"ignored: {missing.detail}"
