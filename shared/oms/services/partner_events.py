"""Partner events (webhooks from locations, carriers, payment providers and ERP), applied exactly once.

Each event's receipt is written with its effect: on the order it changes ("<partner>:<event id>" in the
order's own write), or as an item of its own beside stock changes (which touch no order). A redelivery,
or a retry after a crash, finds the receipt and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from oms.domain import lifecycle
from oms.domain.change import Change
from oms.domain.errors import NotFound
from oms.domain.messages import OrderRef, PartnerEvent, ShipmentRef, StockDelta, StockFigure
from oms.domain.orders import Order
from oms.observability import metrics
from oms.ports import phases
from oms.ports.unit_of_work import CommitRefused, MarkEventApplied
from oms.services.deps import Deps
from oms.services.reroute import reroute
from oms.services.steps import Step, begin, kept, load, update, waited_too_long
from oms.services.stock import adjust_stock, set_stock

Apply = Callable[[Deps, str, PartnerEvent, str], str]  # (deps, partner id, event, receipt) -> outcome


def apply(deps: Deps, partner_id: str, event: PartnerEvent) -> str:
    """Apply the event once; answers what happened ("duplicate", "ignored: ...", or the effect)."""
    receipt = f"{partner_id}:{event.id}"
    if event.type.startswith("inventory.") and deps.uow.applied_events.seen(partner_id, event.id):
        return "duplicate"
    try:
        return _APPLY[event.type](deps, partner_id, event, receipt)
    except CommitRefused as refused:
        if refused.of(MarkEventApplied):
            return "duplicate"
        raise
    except NotFound as missing:
        # An event about an order or shipment the OMS does not have can never apply: nothing to keep.
        return f"ignored: {missing.detail}"


def _once(receipt: str, transition: Callable[[Order], Change]) -> Callable[[Order], Step]:
    """A step applying `transition` unless the order already took this event; the receipt is kept when
    the transition changes anything (a no-op stays retryable: it may apply once the order moves on)."""

    def decide(order: Order) -> Step:
        if receipt in order.partner_events:
            return Step(result={"outcome": "duplicate"})
        changed = transition(order)
        if changed:
            order.partner_events.append(receipt)
        return Step(change=changed)

    return decide


def _on_order(deps: Deps, order_id: str, transition: Callable[[Order], Change], receipt: str) -> str:
    _, step = update(deps, order_id, _once(receipt, transition))
    return str(step.result.get("outcome", "applied" if step.change else "no change"))


def _snapshot(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
    """ERP stock counts replace on_hand (absolute figures). The receipt rides with the last write: a
    redelivery after a failure part-way sets the figures already applied again (to the same values)."""
    figures = [StockFigure.model_validate(f) for f in event.data.get("items", [event.data])]
    marker = MarkEventApplied(partner_id, event.id, event.type, deps.now())
    for n, figure in enumerate(figures):
        set_stock(
            deps,
            figure.sku,
            figure.location_id,
            figure.on_hand,
            figure.safety_stock,
            actor=f"partner:{partner_id}",
            with_=[marker] if n == len(figures) - 1 else [],
        )
    return f"{len(figures)} stock figure(s) applied"


def _adjusted(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
    delta = StockDelta.model_validate(event.data)
    marker = MarkEventApplied(partner_id, event.id, event.type, deps.now())
    adjust_stock(
        deps, delta.sku, delta.location_id, delta.delta, delta.reason, actor=f"partner:{partner_id}", with_=[marker]
    )
    return "stock adjusted"


def _packed(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
    ref = ShipmentRef.model_validate(event.data)
    order, step = update(deps, ref.order_id, _once(receipt, lambda o: lifecycle.packed(o, ref.shipment_id, deps.now())))
    waiting = lifecycle.shipment_of(order, ref.shipment_id)
    # A redelivery starts the phase again when the shipment still waits for it long after it was packed:
    # the first delivery died between its commit and the start. (A held shipment has an issue: it waits
    # for a person; a phase kept on the order is the sweeper's.)
    phase = phases.ship(ref.order_id, order.storefront_id, ref.shipment_id)
    stalled = waiting.status == "packed" and not (waiting.issue or waiting.capture_id or kept(order, phase))
    if step.change or (stalled and waited_too_long(deps, waiting.packed_at)):
        begin(deps, ref.order_id, phase)
    return str(step.result.get("outcome", "packed"))


def _rejected(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
    ref = ShipmentRef.model_validate(event.data)
    at_location = ref.location_id or lifecycle.shipment_of(load(deps, ref.order_id), ref.shipment_id).location_id
    return reroute(deps, ref.order_id, ref.shipment_id, at_location, ref.reason or "refused by the location", receipt)


def _on_shipment(transition: Callable[[Order, ShipmentRef, str], Change]) -> Apply:
    def apply_to(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
        ref = ShipmentRef.model_validate(event.data)
        return _on_order(deps, ref.order_id, lambda order: transition(order, ref, deps.now()), receipt)

    return apply_to


def _in_transit(order: Order, ref: ShipmentRef, at: str) -> Change:
    """The carrier has the parcel: our ship phase marked it shipped once paid; this confirms pickup."""
    picked_up = Change()
    shipment = lifecycle.shipment_of(order, ref.shipment_id)
    if shipment.status not in lifecycle.GONE:
        raise lifecycle.NotYet(f"shipment {ref.shipment_id} is {shipment.status}; pickup follows shipping")
    if not any(
        e.type == "shipment.picked_up" and e.detail.get("shipment_id") == ref.shipment_id for e in order.timeline
    ):
        picked_up.note(at, "shipment.picked_up", shipment_id=ref.shipment_id, carrier=shipment.carrier)
    return picked_up


def _payment_notice(kind: str, metric: str | None = None) -> Apply:
    def apply_to(deps: Deps, partner_id: str, event: PartnerEvent, receipt: str) -> str:
        ref = OrderRef.model_validate(event.data)

        def transition(order: Order) -> Change:
            notice = Change()
            notice.note(deps.now(), kind, publish=True, order_id=order.order_id, partner=partner_id, detail=ref.detail)
            if kind == "payment.authorization_expired":
                order.payment.failure = "the authorization expired before every shipment was captured"
            return notice

        if metric:
            metrics.add_metric(name=metric, unit="Count", value=1)
        return _on_order(deps, ref.order_id, transition, receipt)

    return apply_to


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
    "payment.authorization_expired": _payment_notice("payment.authorization_expired"),
    "payment.chargeback": _payment_notice("payment.chargeback", metric="Chargebacks"),
}
