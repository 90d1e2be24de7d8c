"""Cart holds: stock reserved for a while, released on request or when the sweeper finds them expired."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oms.clock import rfc3339
from oms.domain.errors import Conflict, NotFound
from oms.domain.geo import locate, locate_parts
from oms.domain.models import HoldRequest
from oms.domain.routing import SourcingLine, plan
from oms.ids import new_id
from oms.ports.unit_of_work import CommitRefused, EndHold, NewHold, Reservation
from oms.services.checkout import held_units
from oms.services.deps import Deps
from oms.services.routing_inputs import gather, read_levels, reservations

# Where a hold without an address is planned from: the centre of the OMS's home market.
DEFAULT_COUNTRY = "PH"
MAX_ATTEMPTS = 8


def place_hold(deps: Deps, request: HoldRequest, storefront_id: str) -> dict[str, Any]:
    destination = locate(request.shipping_address) if request.shipping_address else locate_parts(DEFAULT_COUNTRY)
    lines = [SourcingLine(ln.sku, ln.quantity) for ln in request.lines]
    inputs = gather(deps, storefront_id, {ln.sku for ln in request.lines}, remembered=True)
    inputs.require_known(ln.sku for ln in request.lines)
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            inputs.levels = read_levels(deps, {ln.sku for ln in lines}, inputs.locations, remembered=True)
        planned = plan(inputs.request(lines, destination, "standard"))
        allocations = [
            {"sku": line.sku, "location_id": shipment.location_id, "quantity": line.quantity}
            for shipment in planned.shipments
            for line in shipment.lines
            if (line.sku, shipment.location_id) in inputs.stocked
        ]
        hold = {
            "hold_id": new_id("hold"),
            "storefront_id": storefront_id,
            "status": "active",
            "lines": [line.model_dump() for line in request.lines],
            "allocations": allocations,
            "created_at": deps.now(),
            "expires_at": rfc3339(deps.clock.now() + timedelta(seconds=request.ttl_seconds)),
        }
        units = held_units(hold)
        deps.uow.add(*reservations(inputs.levels, units), NewHold(hold))
        try:
            deps.uow.commit()
        except CommitRefused:
            continue  # another reservation took these units first: plan again
        return hold
    raise Conflict(
        "stock is being reserved by others faster than this hold can be placed; retry", code="stock_contention"
    )


def _release(hold: dict[str, Any]) -> list[Reservation]:
    return [Reservation(sku, loc, -qty) for (sku, loc), qty in sorted(held_units(hold).items())]


def release_hold(deps: Deps, hold_id: str, storefront_id: str) -> dict[str, Any]:
    hold = deps.uow.holds.get(hold_id)
    if hold is None or hold["storefront_id"] != storefront_id:
        raise NotFound(f"no hold {hold_id}", code="hold_not_found")
    if hold["status"] != "active":
        raise Conflict(f"hold {hold_id} is already {hold['status']}", code="hold_not_active")
    deps.uow.add(EndHold(hold_id, storefront_id, "released", deps.clock.now()), *_release(hold))
    try:
        deps.uow.commit()
    except CommitRefused as refused:
        raise Conflict(f"hold {hold_id} ended meanwhile", code="hold_not_active") from refused
    return {**hold, "status": "released"}


def expire_due_holds(deps: Deps) -> list[str]:
    """Release every active hold past its expiry; returns the ids released. Safe to run concurrently."""
    expired = []
    for hold in deps.uow.holds.due(deps.clock.now()):
        deps.uow.add(EndHold(hold["hold_id"], None, "expired", deps.clock.now()), *_release(hold))
        try:
            deps.uow.commit()
        except CommitRefused:
            continue  # converted, released or expired by someone else first
        expired.append(hold["hold_id"])
    return expired
