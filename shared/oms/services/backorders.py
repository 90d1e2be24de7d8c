"""Backorders after checkout: a receipt's served promises handed to their shipments (which are then
booked and released), promises a closed inbound never served reported, a slipped inbound's promises
moved. The rules are oms.domain.backorder's; this is the order side, one order commit per promise.

Crash safety: a served promise stays recorded until its shipment has taken it and its phase started,
and each step here is safe to run again, so the receipt's redelivery (or the same PUT again) finishes
what a first run left undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.domain import backorder, lifecycle
from oms.domain.backorder import Promised
from oms.domain.geo import locate
from oms.domain.orders import Order
from oms.domain.supply import Inbound
from oms.observability import logger
from oms.ports import phases
from oms.ports.unit_of_work import CommitRefused, DropPromise, ReceiveUnits, SaveInbound, ServePromise, Write
from oms.services.deps import Deps
from oms.services.steps import Decide, Step, begin, update

TRANSACTION_LIMIT = 100


def hand_over(deps: Deps, inbound: Inbound) -> int:
    """Served promises go to their shipments; on a closed inbound, the unserved ones are short.
    Answers how many promises were handed over."""
    closed = inbound.status in ("received", "cancelled")
    handed = 0
    for lot in _every_lot(deps, inbound):
        for promised in deps.uow.supply.promises(lot):
            if promised.served:
                _take(deps, promised)
                handed += 1
            elif closed and lot.quantity == 0 and lot.held == 0:
                update(deps, promised.order_id, _short(deps, promised))
    return handed


def _every_lot(deps: Deps, inbound: Inbound) -> list[backorder.Lot]:
    """A lot per line, those whose record is gone (nothing left expected, promised or held) included:
    their served promises may still wait to be handed over."""
    found = deps.uow.supply.lots(inbound)
    return [
        found.get(line.sku) or backorder.Lot(line.sku, inbound.location_id, inbound.inbound_id, inbound.expected_at, 0)
        for line in inbound.lines
    ]


def _take(deps: Deps, promised: Promised) -> None:
    """The shipment takes the units (reserved by the receipt); with nothing else to wait for, and the
    order authorized, its booking and release start; then the promise goes."""

    def decide(order: Order) -> Step:
        if order.status in lifecycle.CLOSED:  # cancelled meanwhile: its closing gave the units back
            return Step()
        return Step(
            change=backorder.arrived(order, promised.shipment_id, promised.inbound_id, promised.sku, deps.now())
        )

    order, _ = update(deps, promised.order_id, decide)
    shipment = lifecycle.shipment_of(order, promised.shipment_id)
    ready = not shipment.awaiting and shipment.status in ("allocated", "booked")
    # Not yet authorized (or held for review): the fulfil phase's authorization step picks it up.
    if ready and order.status not in lifecycle.CLOSED | {"on_hold"} and order.payment.authorization_id:
        phase = phases.fulfil(
            order.order_id, order.storefront_id, "reroute", [shipment.shipment_id], f"{shipment.shipment_id}-stocked"
        )
        begin(deps, order.order_id, phase)
    deps.uow.add(DropPromise(promised))
    try:
        deps.uow.commit()
    except CommitRefused:
        logger.info("promise already dropped", extra={"order_id": promised.order_id, "code": "promise_dropped"})


def _short(deps: Deps, promised: Promised) -> Decide:
    def decide(order: Order) -> Step:
        if order.status in lifecycle.CLOSED:
            return Step()
        return Step(
            change=backorder.short(
                order, promised.shipment_id, promised.inbound_id, promised.sku, promised.quantity, deps.now()
            )
        )

    return decide


def serve_held(deps: Deps, inbound_id: str) -> None:
    """Promises a receipt's commit had no room to serve, served from the units held for them."""
    for _ in range(TRANSACTION_LIMIT):  # each round serves at least one promise, or stops
        inbound = deps.uow.supply.inbound(inbound_id)
        if inbound is None:
            return
        lots = deps.uow.supply.lots(inbound)
        settled = settle(deps, inbound, lots, {}, room=TRANSACTION_LIMIT - 1 - len(inbound.lines))
        if not settled.served:
            return
        writes = settled.writes(inbound, {}, "oms", deps.now())
        deps.uow.add(SaveInbound(inbound, inbound.version, lots, settled.lots), *writes)
        try:
            deps.uow.commit()
        except CommitRefused as refused:
            if not (refused.conflict or refused.only(SaveInbound)):
                raise


@dataclass
class Settled:
    """A receipt's effect on the inbound's lots: each lot after, the promises served, and how far each
    sku's `reserved` moves at the location (promises served and units held, less those held before)."""

    lots: dict[str, backorder.Lot] = field(default_factory=dict)
    served: list[Promised] = field(default_factory=list)
    reserve: dict[str, int] = field(default_factory=dict)

    def writes(self, inbound: Inbound, arrived: dict[str, int], actor: str, at: str) -> list[Write]:
        """The promises served, and per sku the units that arrived with what they reserve at once."""
        stock: list[Write] = []
        for sku in sorted(set(arrived) | {sku for sku, units in self.reserve.items() if units}):
            qty, reserve = arrived.get(sku, 0), self.reserve.get(sku, 0)
            audit = {
                "reason": "received" if qty else "backorder settled",
                "delta": qty,
                "inbound_id": inbound.inbound_id,
            }
            if reserve:
                audit["reserved_for_backorders"] = reserve
            stock.append(ReceiveUnits(sku, inbound.location_id, qty, audit, actor, at, reserve=reserve))
        return [ServePromise(p) for p in self.served] + stock


def settle(deps: Deps, inbound: Inbound, lots: dict[str, backorder.Lot], arrived: dict[str, int], room: int) -> Settled:
    """Settle the inbound's lots (the inbound as the receipt changed it) with what arrived, serving no
    more promises than `room` items allow once each sku's stock write and audit entry are counted."""
    closed = inbound.status in ("received", "cancelled")
    expected = inbound.incoming()
    busy = [sku for sku, lot in lots.items() if lot.promised or lot.held]
    room -= 2 * len(set(busy) | set(arrived))
    settled = Settled()
    for sku in busy:
        lot = lots[sku]
        result = backorder.settle(
            lot, deps.uow.supply.promises(lot), arrived.get(sku, 0), expected.get(sku, 0), closed, max(room, 0)
        )
        room -= len(result.served)
        settled.lots[sku] = result.lot
        settled.served += result.served
        settled.reserve[sku] = result.reserve
    return settled


def reschedule(deps: Deps, inbound: Inbound) -> int:
    """The inbound's date moved: every shipment waiting for it gets the new date and a new promise,
    and its storefront is told (shipment.promise_moved). Answers how many shipments moved."""
    moved = 0
    for lot in _every_lot(deps, inbound):
        for promised in deps.uow.supply.promises(lot):
            if promised.served:
                continue

            def decide(order: Order, promised: Promised = promised) -> Step:
                if order.status in lifecycle.CLOSED:
                    return Step()
                shipment = lifecycle.shipment_of(order, promised.shipment_id)
                after = [u.model_copy(update={"expected_at": inbound.expected_at}) for u in shipment.awaiting]
                location = deps.uow.config.location(shipment.location_id)
                at = None
                if location is not None:
                    destination = locate(order.shipping_address)
                    at = backorder.promised_by(location, shipment.service_level, destination, deps.clock.now(), after)
                change = backorder.rescheduled(
                    order, promised.shipment_id, promised.inbound_id, inbound.expected_at, at, deps.now()
                )
                return Step(change=change)

            _, step = update(deps, promised.order_id, decide)
            moved += bool(step.change)
    return moved
