"""Backorders: a product marked `backorder` sold against units an open inbound still expects.

Only when the stock on hand cannot serve an order does checkout count, for backorder products, the
units each open inbound still expects and nobody was promised yet (a lot's `unpromised`) as available
at the inbound's location. The plan's shipments then take what stock there is first, and the rest
from that location's lots, soonest first: those units are *promised* (they leave the lot's
`unpromised`, one guarded write), not reserved, and the shipment waits for them (`awaiting`) before it
is booked and released. Its `promised_by` starts from the latest of those lots' expected dates.

A receipt settles each lot it brings (`settle`): promises are served first come, first served (the
order placed first) and only whole, since a shipment leaves complete; a promise served turns into
reserved stock at the location in the receipt's own commit, so no other order can take those units.
Units left over that the rest of the inbound could no longer cover are *held* (reserved too) for the
promises still waiting, so that `promised <= still expected + held` holds after every receipt and no
promise is left without units to come. When the inbound closes, every promise the units can serve is
served (largest first come, first served that fit), what is held is given back, and the promises left
are short: their orders are told, and an operator decides (cancel, or wait for a count or a transfer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from oms.clock import parse_rfc3339, rfc3339
from oms.domain import promise
from oms.domain.change import Change
from oms.domain.geo import Point
from oms.domain.lifecycle import shipment_of
from oms.domain.models import Location, Product
from oms.domain.orders import AwaitedUnits, Order
from oms.domain.routing import Candidate, Plan


@dataclass(frozen=True)
class Lot:
    """What one inbound still expects of one sku at its location, and how much of it is promised."""

    sku: str
    location_id: str
    inbound_id: str
    expected_at: str
    quantity: int  # still expected
    promised: int = 0  # promised to backorders and not yet served
    held: int = 0  # received and reserved for the promises the rest of the inbound may not cover

    @property
    def unpromised(self) -> int:
        return max(0, self.quantity - self.promised)


@dataclass(frozen=True)
class Promised:
    """One shipment's units of a sku promised against one lot; `placed_at` orders them (first come)."""

    sku: str
    location_id: str
    inbound_id: str
    order_id: str
    shipment_id: str
    quantity: int
    placed_at: str
    served: bool = False  # a receipt turned it into reserved stock; its order is told next

    @property
    def rank(self) -> tuple[str, str, str]:
        return (self.placed_at, self.order_id, self.shipment_id)


def backordered(products: Mapping[str, Product], skus: Iterable[str]) -> set[str]:
    return {sku for sku in skus if sku in products and products[sku].backorder}


def widen(candidates: Sequence[Candidate], lots: Iterable[Lot], skus: set[str]) -> tuple[Candidate, ...]:
    """The candidates with the unpromised incoming units of these (backorder) skus counted as available."""
    extra: dict[tuple[str, str], int] = defaultdict(int)
    for lot in lots:
        if lot.sku in skus:
            extra[(lot.sku, lot.location_id)] += lot.unpromised
    widened = []
    for candidate in candidates:
        available = dict(candidate.available)
        for (sku, location_id), units in extra.items():
            if location_id == candidate.location.location_id and units:
                available[sku] = available.get(sku, 0) + units
        widened.append(Candidate(candidate.location, available))
    return tuple(widened)


def awaited(plan: Plan, in_stock: Mapping[tuple[str, str], int], lots: Iterable[Lot]) -> list[list[AwaitedUnits]]:
    """Per shipment of the plan, the units it waits for: what the location's stock (`in_stock`, this
    order's held units included) cannot give, taken from its lots soonest first."""
    stock = dict(in_stock)
    queue: dict[tuple[str, str], list[Lot]] = defaultdict(list)
    for lot in sorted(lots, key=lambda lot: (lot.expected_at, lot.inbound_id)):
        queue[(lot.sku, lot.location_id)].append(lot)
    free = {(lot.sku, lot.location_id, lot.inbound_id): lot.unpromised for lots_ in queue.values() for lot in lots_}
    waits: list[list[AwaitedUnits]] = []
    for shipment in plan.shipments:
        waiting: list[AwaitedUnits] = []
        for line in shipment.lines:
            key = (line.sku, shipment.location_id)
            from_stock = min(line.quantity, max(0, stock.get(key, 0)))
            stock[key] = stock.get(key, 0) - from_stock
            need = line.quantity - from_stock
            for lot in queue[key]:
                take = min(need, free[(lot.sku, lot.location_id, lot.inbound_id)])
                if take:
                    free[(lot.sku, lot.location_id, lot.inbound_id)] -= take
                    need -= take
                    waiting.append(
                        AwaitedUnits(
                            inbound_id=lot.inbound_id, sku=line.sku, quantity=take, expected_at=lot.expected_at
                        )
                    )
            if need:
                raise ValueError(f"the plan ships {line.sku} from {shipment.location_id} beyond its stock and lots")
        waits.append(waiting)
    return waits


def promised_by(
    location: Location, service_level: str, destination: Point, now: datetime, waiting: Sequence[AwaitedUnits]
) -> str | None:
    """The promise of a shipment that waits for incoming units: as if placed when the last of them is
    expected at the location (or now, if that date has passed). None: the level cannot be promised."""
    start = max([now, *(parse_rfc3339(unit.expected_at) for unit in waiting)])
    at = promise.promise(location, service_level, destination, start)
    return rfc3339(at) if at is not None else None


@dataclass(frozen=True)
class Settlement:
    """What a receipt (or the inbound's close) does to one lot and the promises against it."""

    lot: Lot  # as it stands after
    served: list[Promised]  # whole promises turned into reserved stock now
    short: list[Promised]  # promises the closed inbound will never serve
    reserve: int  # how far the location's `reserved` moves (units served and held, less what was held)


def settle(
    lot: Lot,
    promises: Iterable[Promised],
    arrived: int,
    still_expected: int,
    closed: bool,
    limit: int | None = None,
) -> Settlement:
    """Serve the lot's waiting promises from the units that arrived and those held before.

    While more is coming, first come first served, stopping at the first promise the units cannot
    serve whole; the units it would need beyond what is still expected are held for it. Once the
    inbound is closed, every promise that fits is served, in order, and nothing is held. `limit` caps
    the promises served at once (a commit's size): the units of those left are held for the next call."""
    pool = arrived + lot.held
    expected = 0 if closed else still_expected
    waiting = sorted((p for p in promises if not p.served), key=lambda p: p.rank)
    served: list[Promised] = []
    capped = False
    for each in waiting:
        if limit is not None and len(served) >= limit:
            capped = True
            break
        if each.quantity <= pool:
            served.append(replace(each, served=True))
            pool -= each.quantity
        elif not closed:
            break
    promised = lot.promised - sum(p.quantity for p in served)
    final = closed and not capped
    held = 0 if final else min(pool, max(0, promised - expected))
    done = {p.rank for p in served}
    short = [p for p in waiting if p.rank not in done] if final else []
    after = replace(lot, quantity=expected, promised=promised, held=held)
    return Settlement(after, served, short, sum(p.quantity for p in served) + held - lot.held)


# -- the order's side: units arrived, short, or expected later --------------------------------------------


def arrived(order: Order, shipment_id: str, inbound_id: str, sku: str, at: str) -> Change:
    """The shipment's units of `sku` promised against `inbound_id` are reserved stock now."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    came = [u for u in shipment.awaiting if (u.inbound_id, u.sku) == (inbound_id, sku)]
    if not came:
        return change
    shipment.awaiting = [u for u in shipment.awaiting if (u.inbound_id, u.sku) != (inbound_id, sku)]
    if shipment.issue and shipment.issue.startswith(SHORT):
        shipment.issue = None
    change.note(
        at,
        "shipment.backorder_arrived",
        publish=True,
        order_id=order.order_id,
        shipment_id=shipment_id,
        sku=sku,
        quantity=sum(u.quantity for u in came),
        inbound_id=inbound_id,
        waiting=sum(u.quantity for u in shipment.awaiting),
    )
    return change


SHORT = "backordered units short"


def short(order: Order, shipment_id: str, inbound_id: str, sku: str, quantity: int, at: str) -> Change:
    """The inbound closed without the units this shipment waits for: said once, for an operator to act."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    issue = f"{SHORT}: inbound {inbound_id} closed without {quantity} {sku}"
    if shipment.issue == issue or not any(u.inbound_id == inbound_id for u in shipment.awaiting):
        return change
    shipment.issue = issue
    change.note(
        at,
        "shipment.backorder_short",
        publish=True,
        order_id=order.order_id,
        shipment_id=shipment_id,
        sku=sku,
        quantity=quantity,
        inbound_id=inbound_id,
    )
    return change


def rescheduled(
    order: Order, shipment_id: str, inbound_id: str, expected_at: str, promised: str | None, at: str
) -> Change:
    """The inbound is expected at another time: the shipment's units and its promise move with it."""
    change = Change()
    shipment = shipment_of(order, shipment_id)
    moving = [u for u in shipment.awaiting if u.inbound_id == inbound_id and u.expected_at != expected_at]
    if not moving:
        return change
    for unit in moving:
        unit.expected_at = expected_at
    previous, shipment.promised_by = shipment.promised_by, promised
    change.note(
        at,
        "shipment.promise_moved",
        publish=True,
        order_id=order.order_id,
        shipment_id=shipment_id,
        inbound_id=inbound_id,
        expected_at=expected_at,
        promised_by=promised,
        previous=previous,
    )
    return change
