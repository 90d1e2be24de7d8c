"""Checkout: price, plan and reserve an order in one DynamoDB transaction; safe to retry with the same key.

Round trips on the happy path: one batched read of the stock, one TransactWriteItems (locations and
products come from a short per-process cache). The Idempotency-Key is claimed inside that same
transaction, so two requests with one key can never both reserve.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from oms.adapters.sandbox_tax import SandboxTax
from oms.clock import Clock, rfc3339
from oms.clock import clock as default_clock
from oms.domain import lifecycle, promise, routing
from oms.domain.errors import Conflict, InsufficientStock, NotFound, Unprocessable
from oms.domain.geo import Point, locate
from oms.domain.models import CheckoutRequest, Location, Product, StockLevel
from oms.domain.orders import Order, OrderLine, PaymentState, Shipment, ShipmentLine, TimelineEntry, Totals
from oms.domain.pricing import price
from oms.domain.routing import Candidate, Plan, SourcingLine, SourcingRequest
from oms.ids import new_id
from oms.ports.tax import TaxCalculator
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store
from oms.store.dynamo import TRANSACTION_LIMIT, TransactionRefused, Write, transact

MAX_ATTEMPTS = 8  # re-plans after a lost race for the same units; each loss means another order won


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool  # False: the same Idempotency-Key and body answered before


def capacity_writes(plan: Plan, locations: list[Location], clock: Clock) -> list[Write]:
    """Count each shipment against its location's daily capacity (local date), where it has one."""
    by_id = {loc.location_id: loc for loc in locations}
    writes = []
    for shipment in plan.shipments:
        location = by_id.get(shipment.location_id)
        if location is not None and location.capacity_per_day is not None:
            day = clock.now().astimezone(promise.zone(location.timezone)).date().isoformat()
            writes.append(inventory_store.count_shipment(location.location_id, day, location.capacity_per_day))
    return writes


def storefront_policy(storefront_id: str) -> routing.RoutingPolicy:
    """The storefront's routing rules (its configuration's "routing"), or the OMS's default policy."""
    storefront = config_store.get_storefront(storefront_id)
    return routing.RoutingPolicy.from_config((storefront.config if storefront else {}).get("routing"))


def body_hash(request: CheckoutRequest) -> str:
    """A fingerprint of what was asked, insensitive to key order and whitespace."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def candidates(
    skus: set[str],
    locations: list[Location],
    held: dict[tuple[str, str], int] | None = None,
    levels: dict[tuple[str, str], StockLevel] | None = None,
) -> tuple[Candidate, ...]:
    """What each location can promise now; units held for this very order count as available to it."""
    held = held or {}
    levels = levels if levels is not None else inventory_store.get_levels(skus, [loc.location_id for loc in locations])
    result = []
    for location in locations:
        available = {
            sku: levels[(sku, location.location_id)].available + held.get((sku, location.location_id), 0)
            for sku in skus
            if (sku, location.location_id) in levels
        }
        result.append(Candidate(location=location, available=available))
    return tuple(result)


def _replay(storefront_id: str, key: str, fingerprint: str, clock: Clock) -> CheckoutResult | None:
    record = orders_store.get_idempotency(storefront_id, key, clock.now())
    if record is None:
        return None
    if record["body_hash"] != fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was used with a different request body; use a new key for a new order",
            code="idempotency_key_reused",
        )
    order = orders_store.get_order(record["order_id"], explained=True)
    if order is None:  # the record and the order are written in one transaction
        raise Conflict("the order of this Idempotency-Key is not readable yet; retry", code="order_in_flight")
    return CheckoutResult(order, created=False)


def _active_hold(hold_id: str, storefront_id: str, clock: Clock) -> dict[str, Any]:
    hold = orders_store.get_hold(hold_id)
    if hold is None or hold["storefront_id"] != storefront_id:
        raise NotFound(f"no hold {hold_id}", code="hold_not_found")
    if hold["status"] != "active":
        raise Conflict(f"hold {hold_id} is {hold['status']}", code="hold_not_active")
    if hold["expires_at"] <= rfc3339(clock.now()):
        raise Conflict(f"hold {hold_id} expired at {hold['expires_at']}", code="hold_expired")
    return hold


def held_units(hold: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    units: dict[tuple[str, str], int] = defaultdict(int)
    for allocation in (hold or {}).get("allocations", []):
        units[(allocation["sku"], allocation["location_id"])] += int(allocation["quantity"])
    return dict(units)


def reservation_writes(plan: Plan, held: dict[tuple[str, str], int], levels_known: set[tuple[str, str]]) -> list[Write]:
    """One conditional update per (sku, location): the plan's units less what a hold already reserved.

    DynamoDB refuses two operations on one item in a transaction, so deltas are merged per item.
    Made-to-order units at a workshop without a stock record are built, not reserved.
    """
    delta: dict[tuple[str, str], int] = defaultdict(int)
    for shipment in plan.shipments:
        for line in shipment.lines:
            if (line.sku, shipment.location_id) in levels_known:
                delta[(line.sku, shipment.location_id)] += line.quantity
    for pair, qty in held.items():
        delta[pair] -= qty
    return [inventory_store.change_reservation(sku, loc, qty) for (sku, loc), qty in sorted(delta.items()) if qty]


def build_order(
    request: CheckoutRequest,
    storefront_id: str,
    plan: Plan,
    tax: TaxCalculator,
    clock: Clock,
    stocked: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> Order:
    """The order for a plan; `stocked` names the (sku, location) pairs that hold stock records (reserved)."""
    totals = price(
        request.lines,
        request.currency,
        request.shipping_address,
        request.customer,
        request.service_level,
        len(plan.shipments),
        tax,
    )
    now = rfc3339(clock.now())
    goods_tax = [t.tax for t in totals.tax_quote.lines if t.kind == "goods"]
    order = Order(
        order_id=new_id("ord"),
        storefront_id=storefront_id,
        customer=request.customer,
        lines=[
            OrderLine(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                line_total=total,
                tax=line_tax,
                note=ln.note,
            )
            for ln, total, line_tax in zip(request.lines, totals.lines, goods_tax, strict=True)
        ],
        currency=request.currency,
        totals=Totals(**totals.as_dict()),
        shipments=[
            Shipment(
                shipment_id=f"{i + 1}",
                location_id=s.location_id,
                service_level=request.service_level,
                lines=[
                    ShipmentLine(sku=ln.sku, quantity=ln.quantity, reserved=(ln.sku, s.location_id) in stocked)
                    for ln in s.lines
                ],
                build_instructions=s.build_instructions,
                promised_by=s.promised_by,
            )
            for i, s in enumerate(plan.shipments)
        ],
        payment=PaymentState(method=request.payment.method, token=request.payment.token),
        shipping_address=request.shipping_address,
        service_level=request.service_level,
        po_number=request.po_number,
        ship_complete=request.ship_complete,
        hold_id=request.hold_id,
        routing=plan.explanation,
        created_at=now,
        updated_at=now,
    )
    lifecycle.allocate_values(order)
    return order


def place_order(
    request: CheckoutRequest,
    storefront_id: str,
    idempotency_key: str,
    tax: TaxCalculator | None = None,
    clock: Clock = default_clock,
) -> CheckoutResult:
    tax = tax or SandboxTax()
    fingerprint = body_hash(request)
    destination: Point = locate(request.shipping_address)
    hold = _active_hold(request.hold_id, storefront_id, clock) if request.hold_id else None
    held = held_units(hold)
    skus = {line.sku for line in request.lines}
    locations = config_store.list_locations()
    products: dict[str, Product] = config_store.get_products(skus)
    policy = storefront_policy(storefront_id)
    full: set[str] = set()
    lines = tuple(SourcingLine(line.sku, line.quantity) for line in request.lines)

    for attempt in range(MAX_ATTEMPTS):
        levels = inventory_store.get_levels(skus, [loc.location_id for loc in locations])
        sourcing = SourcingRequest(
            lines=lines,
            destination=destination,
            service_level=request.service_level,
            ship_complete=request.ship_complete,
            candidates=candidates(skus, locations, held, levels),
            products=products,
            policy=policy,
            now=clock.now(),
            capacity_left=dict.fromkeys(full, 0),
        )
        try:
            plan = routing.plan(sourcing)
        except (InsufficientStock, Unprocessable) as refused:
            # A retried request whose order already took the stock (or was placed before the cut-off)
            # must get that order, not a refusal.
            replay = _replay(storefront_id, idempotency_key, fingerprint, clock)
            if replay:
                return replay
            raise refused
        order = build_order(request, storefront_id, plan, tax, clock, set(levels))
        order.timeline = [
            TimelineEntry(
                at=order.created_at,
                type="order.accepted",
                detail={
                    "shipments": len(order.shipments),
                    "total": order.totals.total,
                    "routing": plan.timeline_detail(),
                },
            )
        ]
        writes = reservation_writes(plan, held, set(levels)) + capacity_writes(plan, locations, clock)
        if len(writes) + 5 > TRANSACTION_LIMIT:
            raise Unprocessable(
                "this order touches too many stock records to reserve at once; split it",
                code="order_too_large",
            )
        writes += [
            orders_store.new_order(order),
            orders_store.routing_explanation(order),
            orders_store.idempotency_record(storefront_id, idempotency_key, fingerprint, order.order_id, clock.now()),
        ]
        if hold:
            writes.append(
                orders_store.end_hold(hold["hold_id"], storefront_id, "converted", clock.now(), unexpired=True)
            )
        try:
            transact(writes)
        except TransactionRefused as refused:
            if "idempotency" in refused.failed:
                replay = _replay(storefront_id, idempotency_key, fingerprint, clock)
                if replay:
                    return replay
                continue  # the record expired between the two reads: claim it again
            if "hold" in refused.failed:
                _active_hold(hold["hold_id"] if hold else "", storefront_id, clock)  # raises the reason
            # A location that ran out of capacity today is left out of the next plan.
            full |= {label.split(":", 1)[1] for label in refused.failed if label.startswith("capacity:")}
            # Another order took units of this plan first (or the transaction collided): plan again.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not security
            continue
        return CheckoutResult(order, created=True)
    # Every attempt lost its race to other orders: answer with what is left now, as the contract says.
    levels = inventory_store.get_levels(skus, [loc.location_id for loc in locations])
    wanted: dict[str, int] = defaultdict(int)
    for line in request.lines:
        wanted[line.sku] += line.quantity
    raise InsufficientStock(
        f"stock for this order was taken by other orders during {MAX_ATTEMPTS} attempts to reserve it",
        lines=[
            {
                "sku": sku,
                "requested": qty,
                "available": sum(lv.available for (s, _), lv in levels.items() if s == sku) + held_total(held, sku),
            }
            for sku, qty in wanted.items()
        ],
    )


def held_total(held: dict[tuple[str, str], int], sku: str) -> int:
    return sum(qty for (s, _), qty in held.items() if s == sku)


def hold_expiry(ttl_seconds: int, clock: Clock) -> str:
    return rfc3339(clock.now() + timedelta(seconds=ttl_seconds))
