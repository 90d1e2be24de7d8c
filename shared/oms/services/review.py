"""An admin's fraud review: approve resumes the fulfil phase, reject closes the order."""

from __future__ import annotations

from oms.domain import lifecycle
from oms.domain.orders import Order
from oms.ports import phases
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.steps import begin, change, load, update


def review(deps: Deps, order_id: str, decision: str, by: str) -> Order:
    if decision == "reject":
        order = load(deps, order_id)
        if order.status != "on_hold":
            raise lifecycle.NotOnHold(f"order {order_id} is {order.status}, not on hold for review")
        return close(deps, order_id, "rejected", f"rejected at fraud review by {by}")
    order = load(deps, order_id)
    if not _approved_and_waiting(order):  # else approved before, and its phase may not have started
        order, _ = update(deps, order_id, change(lambda o: lifecycle.approve_review(o, deps.now(), by)), order)
    begin(deps, order_id, phases.fulfil(order_id, order.storefront_id, resume="after_review"))
    return order


def _approved_and_waiting(order: Order) -> bool:
    approved = any(e.type == "review.approved" for e in order.timeline)
    return approved and order.status == "accepted" and order.payment.authorization_id is None
