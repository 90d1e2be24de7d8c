"""A location refused a pick: move the shipment to another location the storefront's rules allow, with a
new promise, or cancel its lines (their stock, booking and share of the authorization) when none can."""

from __future__ import annotations

from oms.domain import lifecycle
from oms.domain.errors import InsufficientStock, Unprocessable
from oms.domain.geo import locate
from oms.domain.models import StockLevel
from oms.domain.orders import Order
from oms.domain.routing import SourcingLine, plan
from oms.ports import phases
from oms.services.deps import Deps
from oms.services.routing_inputs import gather, reservations
from oms.services.steps import Step, begin, kept, load, update, waited_too_long
from oms.services.undo import release_stock, reserved_units, undo_partners, void_unused


def reroute(deps: Deps, order_id: str, shipment_id: str, rejected_by: str, reason: str, receipt: str) -> str:
    order = load(deps, order_id)
    shipment = lifecycle.shipment_of(order, shipment_id)
    if receipt in order.partner_events:
        moved_at = max((e.at for e in order.timeline if _moved(e.type, e.detail, shipment_id)), default=None)
        stalled = shipment.status == "allocated" and order.status not in lifecycle.CLOSED
        if stalled and not kept(order, _phase(order, shipment_id)) and waited_too_long(deps, moved_at):
            _resume(deps, order, shipment_id)  # moved, but the first delivery died before it started the phase
        return "duplicate"
    if shipment.location_id != rejected_by or shipment.status in lifecycle.GONE | lifecycle.DEAD_SHIPMENT:
        return "stale"
    if shipment.status == "packed":  # its goods are on their way out: nothing to move, nothing to undo
        return "stale: packed"
    if shipment.awaiting:  # never released: the location was not asked to pick it yet
        return "stale: awaiting incoming stock"
    refused = {*shipment.rejected_by, rejected_by}
    target, promised_by, levels = _new_home(deps, order, shipment_id, refused)
    undo_partners(deps, order, [shipment])

    def decide(current: Order) -> Step:
        moving = lifecycle.shipment_of(current, shipment_id)
        if receipt in current.partner_events or moving.location_id != rejected_by:
            return Step()
        current.partner_events.append(receipt)
        writes = release_stock(deps, current, moving)
        if target is None:
            dropped = lifecycle.drop_shipment(current, shipment_id, f"no location can ship it ({reason})", deps.now())
            if all(s.status in lifecycle.GONE for s in lifecycle.live(current)):
                dropped.entries += void_unused(deps, current).entries
            return Step(change=dropped, writes=list(writes))
        moved = lifecycle.rerouted(current, shipment_id, target, reason, deps.now(), promised_by)
        moving.rejected_by = sorted(refused)
        writes += reservations(levels, {(sku, target): qty for sku, qty in reserved_units(moving).items()})
        return Step(change=moved, writes=list(writes))

    order, _ = update(deps, order_id, decide)
    if target is None:
        return "cancelled"
    _resume(deps, order, shipment_id)
    return f"rerouted to {target}"


def _resume(deps: Deps, order: Order, shipment_id: str) -> None:
    begin(deps, order.order_id, _phase(order, shipment_id))


def _phase(order: Order, shipment_id: str) -> phases.Phase:
    """The fulfil phase for the moved shipment, named after how often it moved (each move runs once)."""
    attempt = f"{shipment_id}-{len(lifecycle.shipment_of(order, shipment_id).rejected_by)}"
    return phases.fulfil(order.order_id, order.storefront_id, "reroute", [shipment_id], attempt)


def _new_home(
    deps: Deps, order: Order, shipment_id: str, refused: set[str]
) -> tuple[str | None, str | None, dict[tuple[str, str], StockLevel]]:
    """The location that takes the whole shipment under the storefront's rules, its new promise, and the
    stock as read (a hot sku's units are reserved from its buckets)."""
    shipment = lifecycle.shipment_of(order, shipment_id)
    inputs = gather(deps, order.storefront_id, {ln.sku for ln in shipment.lines}, exclude=refused)
    request = inputs.request(
        [SourcingLine(ln.sku, ln.quantity) for ln in shipment.lines],
        locate(order.shipping_address),
        shipment.service_level,
        ship_complete=True,
        now=deps.clock.now(),
    )
    try:
        found = plan(request).shipments[0]
    except (InsufficientStock, Unprocessable):
        return None, None, inputs.levels  # nowhere holds it all, or nowhere keeps the shipment's service level
    return found.location_id, found.promised_by, inputs.levels


def _moved(kind: str, detail: dict[str, object], shipment_id: str) -> bool:
    return kind == "shipment.rerouted" and detail.get("shipment_id") == shipment_id
