"""The sweeper's work on orders: start phases that did not start, escalate shipments past their SLA, renew
authorizations about to lapse and reject orders whose asynchronous authorization never came."""

from __future__ import annotations

from oms.domain import lifecycle
from oms.domain.change import Change
from oms.domain.errors import NotFound
from oms.domain.orders import Order
from oms.observability import metrics
from oms.ports.phases import Phase
from oms.services import authorizations
from oms.services.deps import Deps
from oms.services.steps import Decide, Step, change, update


def sweep_due_orders(deps: Deps) -> dict[str, list[str]]:
    """Orders on the deadlines index whose time has come: phases that did not start are started, and
    released shipments past their location's SLA get an entry on the order and a metric, once."""
    found: dict[str, list[str]] = {"escalated": [], "started": [], "payments": []}
    now = deps.now()
    for order_id in deps.uow.orders.due(deps.clock.now()):
        try:
            order, step = update(deps, order_id, lambda o: Step(change=_escalate(o, now)))
        except NotFound:
            continue
        # After the escalation: a shipment late past its SLA makes the order slow, so its renewal is due.
        paid = authorizations.on_due(deps, order_id)  # a lapsing or unanswered authorization
        if paid:
            found["payments"].append(f"{order_id}: {paid}")
        for entry in step.change.entries:
            found["escalated"].append(f"{order_id}/{entry.detail['shipment_id']}")
            metrics.add_metric(name="ShipmentSlaMissed", unit="Count", value=1)
        for unstarted in list(order.unstarted_phases):
            if order.status in lifecycle.CLOSED or deps.phases.start(Phase.of(unstarted)):
                update(deps, order_id, _started(unstarted["name"], now))
                found["started"].append(unstarted["name"])
    return found


def _started(name: str, at: str) -> Decide:
    return change(lambda order: lifecycle.phase_started(order, name, at))


def _escalate(order: Order, now: str) -> Change:
    escalated = Change()
    for shipment in order.shipments:
        if shipment.status != "released" or shipment.sla_missed or not shipment.pack_by or shipment.pack_by > now:
            continue
        shipment.sla_missed, shipment.issue = True, f"not packed by {shipment.pack_by} (location SLA)"
        escalated.note(
            now,
            "shipment.sla_missed",
            publish=True,
            order_id=order.order_id,
            shipment_id=shipment.shipment_id,
            location_id=shipment.location_id,
            due=shipment.pack_by,
        )
    return escalated
