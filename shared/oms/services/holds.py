"""Cart holds: stock reserved for a while, released on request or when the sweeper finds them expired."""

from __future__ import annotations

from typing import Any

from oms.clock import Clock, rfc3339
from oms.clock import clock as default_clock
from oms.domain import routing
from oms.domain.errors import Conflict, NotFound
from oms.domain.geo import locate, locate_parts
from oms.domain.models import HoldRequest
from oms.domain.routing import SourcingLine, SourcingRequest
from oms.ids import new_id
from oms.services.checkout import candidates, held_units, hold_expiry, storefront_policy
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store
from oms.store.dynamo import TransactionRefused, Write, transact

# Where a hold without an address is planned from: the centre of the OMS's home market.
DEFAULT_COUNTRY = "PH"
MAX_ATTEMPTS = 8


def place_hold(request: HoldRequest, storefront_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    destination = locate(request.shipping_address) if request.shipping_address else locate_parts(DEFAULT_COUNTRY)
    skus = {line.sku for line in request.lines}
    locations = config_store.list_locations()
    products = config_store.get_products(skus)
    for _ in range(MAX_ATTEMPTS):
        levels = inventory_store.get_levels(skus, [loc.location_id for loc in locations])
        plan = routing.plan(
            SourcingRequest(
                lines=tuple(SourcingLine(ln.sku, ln.quantity) for ln in request.lines),
                destination=destination,
                service_level="standard",
                ship_complete=False,
                candidates=candidates(skus, locations, levels=levels),
                products=products,
                policy=storefront_policy(storefront_id),
            )
        )
        allocations = [
            {"sku": line.sku, "location_id": shipment.location_id, "quantity": line.quantity}
            for shipment in plan.shipments
            for line in shipment.lines
            if (line.sku, shipment.location_id) in levels
        ]
        hold = {
            "hold_id": new_id("hold"),
            "storefront_id": storefront_id,
            "status": "active",
            "lines": [line.model_dump() for line in request.lines],
            "allocations": allocations,
            "created_at": rfc3339(clock.now()),
            "expires_at": hold_expiry(request.ttl_seconds, clock),
        }
        writes = [
            inventory_store.change_reservation(a["sku"], a["location_id"], a["quantity"]) for a in _merged(allocations)
        ]
        try:
            transact([*writes, orders_store.new_hold(hold)])
        except TransactionRefused:
            continue  # another reservation took these units first: plan again
        return hold
    raise Conflict(
        "stock is being reserved by others faster than this hold can be placed; retry",
        code="stock_contention",
    )


def _merged(allocations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    units = held_units({"allocations": allocations})
    return [{"sku": sku, "location_id": loc, "quantity": qty} for (sku, loc), qty in sorted(units.items())]


def _release_writes(hold: dict[str, Any]) -> list[Write]:
    return [inventory_store.change_reservation(sku, loc, -qty) for (sku, loc), qty in sorted(held_units(hold).items())]


def release_hold(hold_id: str, storefront_id: str, clock: Clock = default_clock) -> dict[str, Any]:
    hold = orders_store.get_hold(hold_id)
    if hold is None or hold["storefront_id"] != storefront_id:
        raise NotFound(f"no hold {hold_id}", code="hold_not_found")
    if hold["status"] != "active":
        raise Conflict(f"hold {hold_id} is already {hold['status']}", code="hold_not_active")
    try:
        transact([orders_store.end_hold(hold_id, storefront_id, "released", clock.now()), *_release_writes(hold)])
    except TransactionRefused as refused:
        raise Conflict(f"hold {hold_id} ended meanwhile", code="hold_not_active") from refused
    return {**hold, "status": "released"}


def expire_due_holds(clock: Clock = default_clock) -> list[str]:
    """Release every active hold past its expiry; returns the ids released. Safe to run concurrently."""
    expired = []
    for hold in orders_store.due_holds(clock.now()):
        try:
            transact([orders_store.end_hold(hold["hold_id"], None, "expired", clock.now()), *_release_writes(hold)])
        except TransactionRefused:
            continue  # converted, released or expired by someone else first
        expired.append(hold["hold_id"])
    return expired
