"""Checkout: price, plan and reserve an order in one commit; safe to retry with the same key.

Round trips on the happy path: one batched read of the stock, one transaction (locations, products and
the storefront's rules come from a short per-process cache). The Idempotency-Key is claimed inside that
same transaction, so two requests with one key can never both reserve.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from oms.domain import authorization, backorder, promise
from oms.domain.errors import Conflict, InsufficientStock, NotFound, Unprocessable
from oms.domain.geo import Point, locate
from oms.domain.models import CheckoutRequest, Location
from oms.domain.new_order import build_order
from oms.domain.orders import AwaitedUnits, Order, TimelineEntry
from oms.domain.routing import Plan, SourcingLine, SourcingRequest, plan
from oms.ports import phases
from oms.ports.tax import TaxCalculator
from oms.ports.unit_of_work import (
    ClaimIdempotencyKey,
    CommitRefused,
    CountShipment,
    EndHold,
    NewOrder,
    PromiseUnits,
    RoutingExplanation,
    Write,
)
from oms.services.deps import Deps
from oms.services.routing_inputs import Held, RoutingInputs, UnknownSku, gather, read_levels, reservations
from oms.services.steps import begin

MAX_ATTEMPTS = 8  # re-plans after a lost race for the same units; each loss means another order won
TRANSACTION_LIMIT = 100  # DynamoDB's items per transaction


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool  # False: the same Idempotency-Key and body answered before


def body_hash(request: BaseModel) -> str:
    """A fingerprint of what was asked (a checkout, a return), insensitive to key order and whitespace:
    what an Idempotency-Key's second use must repeat."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_out(
    deps: Deps,
    request: CheckoutRequest,
    storefront_id: str,
    idempotency_key: str,
    tax: TaxCalculator | None = None,
    source: dict[str, str] | None = None,
) -> CheckoutResult:
    """Place the order and start its fulfil phase. A retry answered from the key starts the phase again
    while the order is still accepted: its first answer may have been lost between the commit and the
    start (the phase's name is the order's, and its tasks are safe to run twice)."""
    result = place_order(deps, request, storefront_id, idempotency_key, tax, source)
    if result.created or result.order.status == "accepted":
        begin(deps, result.order.order_id, phases.fulfil(result.order.order_id, storefront_id))
    return result


def place_order(
    deps: Deps,
    request: CheckoutRequest,
    storefront_id: str,
    idempotency_key: str,
    tax: TaxCalculator | None = None,
    source: dict[str, str] | None = None,
) -> CheckoutResult:
    """`source`: a channel's order names its channel and the marketplace's order id."""
    fingerprint = body_hash(request)
    destination = locate(request.shipping_address)
    hold = active_hold(deps, request.hold_id, storefront_id) if request.hold_id else None
    held = held_units(hold)
    # A sku on sale is planned from its buckets, its records as read in the last second (oms.store.hot_stock).
    inputs = gather(deps, storefront_id, {line.sku for line in request.lines}, remembered=True)
    try:
        inputs.require_known(line.sku for line in request.lines)
    except UnknownSku:
        if replay := _replay(deps, storefront_id, idempotency_key, fingerprint):
            return replay
        raise
    lines = [SourcingLine(line.sku, line.quantity) for line in request.lines]
    full: set[str] = set()
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            inputs.levels = read_levels(deps, {ln.sku for ln in lines}, inputs.locations, remembered=True)
        sourcing = inputs.request(
            lines,
            destination,
            request.service_level,
            ship_complete=request.ship_complete,
            now=deps.clock.now(),
            held=held,
            full=full,
        )
        waits: list[list[AwaitedUnits]] = []
        try:
            planned = plan(sourcing)
        except (InsufficientStock, Unprocessable) as refused:
            # A retried request whose order already took the stock (or was placed before the cut-off)
            # must get that order, not a refusal.
            if replay := _replay(deps, storefront_id, idempotency_key, fingerprint):
                return replay
            planned, waits = _on_backorder(deps, inputs, sourcing, refused)
        order = build_order(request, storefront_id, planned, tax or deps.tax, deps.now(), inputs.stocked, waits)
        order.source = source
        if order.payment.method == "cod":
            config = deps.uow.config.storefront(storefront_id)
            authorization.check_cod_limit(config.config if config else {}, order.totals.total, order.currency)
        if waits:
            _promise_backorders(deps, order, inputs.locations, destination)
        order.timeline = [_accepted(order, planned)]
        stock = _reservations(planned, held, inputs, waits) + _capacity(deps, planned, inputs.locations)
        stock += [PromiseUnits(p) for p in _promises(order)]
        if len(stock) + sum(isinstance(w, PromiseUnits) for w in stock) + 5 > TRANSACTION_LIMIT:
            raise Unprocessable(
                "this order touches too many stock records to reserve at once; split it", code="order_too_large"
            )
        deps.uow.add(
            *stock,
            NewOrder(order),
            RoutingExplanation(order),
            ClaimIdempotencyKey(storefront_id, idempotency_key, fingerprint, order.order_id, deps.clock.now()),
        )
        if hold:
            deps.uow.add(EndHold(hold["hold_id"], storefront_id, "converted", deps.clock.now(), unexpired=True))
        try:
            deps.uow.commit()
        except CommitRefused as refused:
            if refused.of(ClaimIdempotencyKey):
                if replay := _replay(deps, storefront_id, idempotency_key, fingerprint):
                    return replay
                continue  # the claim expired between the two reads: claim it again
            if refused.of(EndHold):
                active_hold(deps, hold["hold_id"] if hold else "", storefront_id)  # raises the reason
            # A location that ran out of capacity today is left out of the next plan; promised units
            # another order took first are read again (PromiseUnits) by the next plan.
            full |= {counter.location_id for counter in refused.of(CountShipment)}
            # Another order took units of this plan first (or the transaction collided): plan again.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not security
            continue
        return CheckoutResult(order, created=True)
    raise _lost_every_race(deps, request, inputs.locations, held)


def _accepted(order: Order, planned: Plan) -> TimelineEntry:
    detail = {"shipments": len(order.shipments), "total": order.totals.total, "routing": planned.timeline_detail()}
    backordered = [
        {"shipment_id": s.shipment_id, **unit.model_dump(), "promised_by": s.promised_by}
        for s in order.shipments
        for unit in s.awaiting
    ]
    if backordered:
        detail["backordered"] = backordered
    return TimelineEntry(at=order.created_at, type="order.accepted", detail=detail)


def _on_backorder(
    deps: Deps, inputs: RoutingInputs, sourcing: SourcingRequest, refused: InsufficientStock | Unprocessable
) -> tuple[Plan, list[list[AwaitedUnits]]]:
    """Not enough on hand: plan again counting the unpromised incoming units of backorder products
    (oms.domain.backorder), or answer the first refusal when that cannot help."""
    skus = backorder.backordered(inputs.products, {line.sku for line in sourcing.lines})
    if not skus or type(refused) is not InsufficientStock:
        raise refused
    lots = deps.uow.supply.incoming(skus)
    if not any(lot.unpromised for lot in lots):
        raise refused
    try:
        planned = plan(replace(sourcing, candidates=backorder.widen(sourcing.candidates, lots, skus)))
    except InsufficientStock:
        raise refused from None  # the figures of what is on hand, not of what is coming
    in_stock = {(sku, c.location.location_id): units for c in sourcing.candidates for sku, units in c.available.items()}
    return planned, backorder.awaited(planned, in_stock, lots)


def _promise_backorders(deps: Deps, order: Order, locations: list[Location], destination: Point) -> None:
    """A shipment that waits for incoming units is promised from the date they are expected."""
    by_id = {location.location_id: location for location in locations}
    for shipment in order.shipments:
        if not shipment.awaiting:
            continue
        at = backorder.promised_by(
            by_id[shipment.location_id], shipment.service_level, destination, deps.clock.now(), shipment.awaiting
        )
        if at is None:
            raise Unprocessable(
                f"{shipment.service_level} delivery cannot be promised for backordered units",
                code="service_level_unavailable",
                service_level=shipment.service_level,
                available_service_levels=["standard", "express"],
            )
        shipment.promised_by = at


def _promises(order: Order) -> list[backorder.Promised]:
    return [
        backorder.Promised(
            sku=unit.sku,
            location_id=shipment.location_id,
            inbound_id=unit.inbound_id,
            order_id=order.order_id,
            shipment_id=shipment.shipment_id,
            quantity=unit.quantity,
            placed_at=order.created_at,
        )
        for shipment in order.shipments
        for unit in shipment.awaiting
    ]


def _replay(deps: Deps, storefront_id: str, key: str, fingerprint: str) -> CheckoutResult | None:
    record = deps.uow.idempotency.get(storefront_id, key, deps.clock.now())
    if record is None:
        return None
    if record["body_hash"] != fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was used with a different request body; use a new key for a new order",
            code="idempotency_key_reused",
        )
    order = deps.uow.orders.get(record["order_id"], explained=True)
    if order is None:  # the claim and the order are written in one transaction
        raise Conflict("the order of this Idempotency-Key is not readable yet; retry", code="order_in_flight")
    return CheckoutResult(order, created=False)


def active_hold(deps: Deps, hold_id: str, storefront_id: str) -> dict[str, Any]:
    hold = deps.uow.holds.get(hold_id)
    if hold is None or hold["storefront_id"] != storefront_id:
        raise NotFound(f"no hold {hold_id}", code="hold_not_found")
    if hold["status"] != "active":
        raise Conflict(f"hold {hold_id} is {hold['status']}", code="hold_not_active")
    if hold["expires_at"] <= deps.now():
        raise Conflict(f"hold {hold_id} expired at {hold['expires_at']}", code="hold_expired")
    return hold


def held_units(hold: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    units: dict[tuple[str, str], int] = defaultdict(int)
    for allocation in (hold or {}).get("allocations", []):
        units[(allocation["sku"], allocation["location_id"])] += int(allocation["quantity"])
    return dict(units)


def _reservations(planned: Plan, held: Held, inputs: RoutingInputs, waits: list[list[AwaitedUnits]]) -> list[Write]:
    """One reservation per (sku, location) (per bucket of a hot sku): the plan's units less what a hold
    already reserved, and less the backordered units (promised against their inbound instead).

    A commit touches an item once, so deltas are merged per item. Made-to-order units at a workshop
    without a stock record are built, not reserved.
    """
    stocked = inputs.stocked
    delta: dict[tuple[str, str], int] = defaultdict(int)
    for i, shipment in enumerate(planned.shipments):
        for line in shipment.lines:
            if (line.sku, shipment.location_id) in stocked:
                awaited = sum(unit.quantity for unit in (waits[i] if waits else []) if unit.sku == line.sku)
                delta[(line.sku, shipment.location_id)] += line.quantity - awaited
    for pair, qty in held.items():
        delta[pair] -= qty
    return list(reservations(inputs.levels, delta))


def _capacity(deps: Deps, planned: Plan, locations: list[Location]) -> list[Write]:
    """Count each shipment against its location's daily capacity (local date), where it has one."""
    by_id = {loc.location_id: loc for loc in locations}
    counts: list[Write] = []
    for shipment in planned.shipments:
        location = by_id.get(shipment.location_id)
        if location is not None and location.capacity_per_day is not None:
            day = deps.clock.now().astimezone(promise.zone(location.timezone)).date().isoformat()
            counts.append(CountShipment(location.location_id, day, location.capacity_per_day))
    return counts


def _lost_every_race(deps: Deps, request: CheckoutRequest, locations: list[Location], held: Held) -> InsufficientStock:
    """Every attempt lost its race to other orders: answer with what is left now, as the contract says."""
    wanted: dict[str, int] = defaultdict(int)
    for line in request.lines:
        wanted[line.sku] += line.quantity
    levels = read_levels(deps, wanted, locations)

    def left(sku: str) -> int:
        return sum(lv.available for (s, _), lv in levels.items() if s == sku) + sum(
            qty for (s, _), qty in held.items() if s == sku
        )

    return InsufficientStock(
        f"stock for this order was taken by other orders during {MAX_ATTEMPTS} attempts to reserve it",
        lines=[{"sku": sku, "requested": qty, "available": left(sku)} for sku, qty in wanted.items()],
    )
