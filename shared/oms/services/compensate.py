"""Closing an order (cancelled by the storefront, rejected by the fulfil phase or a review): its stock,
bookings, releases and unused authorization go back, and it keeps the reason."""

from __future__ import annotations

import json
from typing import Any

from oms.domain import lifecycle
from oms.domain.orders import Order, Shipment
from oms.observability import metrics
from oms.ports.marketplace import OrderRefusal
from oms.services.deps import Deps
from oms.services.steps import Step, load, update
from oms.services.undo import release_stock, undo_partners, void_unused

_REASONS = {
    "PaymentDeclined": "payment declined",
    "CreditLimitExceeded": "credit limit exceeded",
    "NoCarrier": "no carrier serves the address",
    "ServiceLevelNotServed": "no carrier offers the service level",
}


def close(deps: Deps, order_id: str, status: str, reason: str, payment_failure: str | None = None) -> Order:
    """Cancel or reject the order: stock back on the shelf, bookings and releases undone, money released."""
    before = load(deps, order_id)
    if before.status not in lifecycle.CLOSED:
        if status == "cancelled":
            lifecycle.check_cancellable(before)
        gone = lifecycle.GONE | lifecycle.DEAD_SHIPMENT
        undo_partners(deps, before, [s for s in before.shipments if s.status not in gone])
    undone = {(s.shipment_id, s.booking_id, s.release_id) for s in before.shipments}
    closing: list[Shipment] = []

    def decide(order: Order) -> Step:
        if order.status in lifecycle.CLOSED:
            return Step()
        open_shipments = [s for s in order.shipments if s.status not in lifecycle.GONE | lifecycle.DEAD_SHIPMENT]
        closing[:] = [s.model_copy() for s in open_shipments]
        writes = [w for s in open_shipments for w in release_stock(deps, order, s)]
        closed = lifecycle.close(order, status, reason, deps.now())
        if payment_failure:
            closed.entries += lifecycle.payment_failed(order, payment_failure, deps.now()).entries
        closed.entries += void_unused(deps, order).entries
        return Step(change=closed, writes=list(writes))

    order, step = update(deps, order_id, decide, before)
    if step.change:
        metrics.add_metric(name=f"Orders_{status}", unit="Count", value=1)
        # A booking or release a running task saved after our first read: undo it too.
        late = [s for s in closing if (s.shipment_id, s.booking_id, s.release_id) not in undone]
        if late:
            undo_partners(deps, order, late)
    return order


def compensate(deps: Deps, order_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """The fulfil phase failed: reject the order with a reason a person can act on."""
    kind = str(error.get("Error", "")) or "Error"
    detail = cause_message(str(error.get("Cause", "")))
    if kind == "FraudRejected":
        reason = f"rejected by the fraud screen: {detail}"
    else:
        reason = f"{_REASONS.get(kind, 'fulfilment failed')}: {detail}" if detail else _REASONS.get(kind, kind)
    payment_failure = detail if kind in ("PaymentDeclined", "CreditLimitExceeded") else None
    order = close(deps, order_id, "rejected", reason, payment_failure)
    metrics.add_metric(name=f"OrdersRejected_{kind}", unit="Count", value=1)  # rejections by reason
    if order.source:  # a channel's order: its marketplace cancels it there too
        deps.marketplace(order.source["partner_id"]).refuse_order(
            OrderRefusal(
                channel_id=order.source["channel_id"],
                marketplace_order_id=order.source["marketplace_order_id"],
                reason=reason,
                code=kind,
                idempotency_key=f"mkt:{order.source['channel_id']}:{order.source['marketplace_order_id']}:refused",
            )
        )
    return {"status": order.status, "reason": order.reason}


def cause_message(cause: str) -> str:
    """The message of a Step Functions error cause (a Lambda error's JSON), short enough for a reason."""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:300]
    return str(parsed.get("errorMessage", cause))[:300] if isinstance(parsed, dict) else cause[:300]
