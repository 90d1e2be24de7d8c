"""Admin routes for stock that is coming: purchase orders / ASNs (inbound) and transfers between locations."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field, StringConstraints, field_validator

from functions.api import admin_schemas as views
from functions.api.caller import admin
from functions.api.routes import new_router, reply, route
from oms import bootstrap
from oms.clock import parse_rfc3339
from oms.domain.errors import NotFound
from oms.domain.models import ADMIN_ONLY, HoldLine, Id, ShortText, Sku, StockStatus, Strict
from oms.domain.supply import MAX_INBOUND_LINES
from oms.services import stock_health as stock_health_service
from oms.services import supply
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import order_search
from oms.store.dynamo import BadCursor, decode_key, encode_key

router = new_router()
KNOWN = {404: ["location_not_found"], 422: ["unknown_sku", "invalid_quantity"]}


class InboundIn(Strict):
    model_config = ADMIN_ONLY

    location_id: Id
    expected_at: Annotated[str, StringConstraints(max_length=40)]
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=MAX_INBOUND_LINES)]
    supplier: ShortText | None = None

    @field_validator("expected_at")
    @classmethod
    def _when(cls, value: str) -> str:
        parse_rfc3339(value)  # ValueError: not an RFC 3339 time
        return value


class TransferIn(Strict):
    model_config = ADMIN_ONLY

    from_location_id: Id
    to_location_id: Id
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=100)]
    reason: ShortText | None = None


def _units(lines: list[HoldLine]) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


@route(
    router,
    "put_inbound",
    summary="Create or change a purchase order / ASN: what a supplier sends to a location, and when",
    tags=["supply"],
    ok={201: ("Created", views.Inbound), 200: ("Changed", views.Inbound)},
    problems={**KNOWN, 422: [*KNOWN[422], "inbound_closed", "inbound_started", "below_received", "below_promised"]},
)
def put_inbound(inbound_id: Id, body: InboundIn) -> Response[str]:
    admin(router)
    inbound, created = supply.put_inbound(
        bootstrap.aws(), inbound_id, body.location_id, body.expected_at, _units(body.lines), body.supplier
    )
    return reply(201 if created else 200, inbound.model_dump(mode="json"))


@route(
    router,
    "get_inbound",
    summary="A purchase order / ASN",
    tags=["supply"],
    ok={200: views.Inbound},
    problems={404: ["inbound_not_found"]},
)
def get_inbound(inbound_id: Id) -> dict[str, Any]:
    admin(router)
    inbound = bootstrap.aws().uow.supply.inbound(inbound_id)
    if inbound is None:
        raise NotFound(f"no inbound {inbound_id}", code="inbound_not_found")
    return inbound.model_dump(mode="json")


@route(
    router,
    "create_transfer",
    summary="Move stock between locations: reserved at the source at once, in transit until received",
    tags=["supply"],
    ok={201: ("Created", views.Transfer)},
    problems={**KNOWN, 409: ["insufficient_stock"], 422: [*KNOWN[422], "transfer_to_itself"]},
)
def create_transfer(body: TransferIn) -> Response[str]:
    admin(router)
    transfer = supply.create_transfer(
        bootstrap.aws(), body.from_location_id, body.to_location_id, _units(body.lines), body.reason
    )
    return reply(201, transfer.model_dump(mode="json"))


@route(
    router,
    "get_transfer",
    summary="A transfer",
    tags=["supply"],
    ok={200: views.Transfer},
    problems={404: ["transfer_not_found"]},
)
def get_transfer(transfer_id: Id) -> dict[str, Any]:
    admin(router)
    transfer = bootstrap.aws().uow.supply.transfer(transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}", code="transfer_not_found")
    return transfer.model_dump(mode="json")


@route(
    router,
    "stock_health",
    summary="Per (sku, location): cover, status (out, low, ok, over) and a suggestion (reorder or transfer)",
    tags=["supply"],
    ok={200: views.StockHealthPage},
    problems={400: ["invalid_cursor"], 404: ["location_not_found"]},
)
def stock_health(
    status: Annotated[StockStatus | None, Query()] = None,
    location_id: Annotated[Id | None, Query()] = None,
    sku: Annotated[Sku | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    """Statuses are computed live from the stock as it is now; a page filtered by `status` may hold fewer
    than `limit` entries (its cursor goes on)."""
    admin(router)
    deps = bootstrap.aws()
    if sku:
        found = stock_health_service.report(deps, sku)
        chosen = [h.view() for h in found if (not location_id or h.location_id == location_id)]
        for row in chosen:
            if row["shortage"]:
                row["orders_short"] = _open_orders(sku, row["location_id"])
        return {"levels": [h for h in chosen if not status or h["status"] == status], "next_cursor": None}
    locations = [loc.location_id for loc in deps.uow.config.locations()]
    if location_id and location_id not in locations:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    where, start = _position(cursor, [location_id] if location_id else locations)
    page, last = inventory_store.levels_at(where, limit, start)
    rows: list[dict[str, Any]] = []
    for level in page:
        here = next(h for h in stock_health_service.report(deps, level.sku) if h.location_id == where)
        if not status or here.status == status:
            rows.append(here.view())
    if last:  # more of this location
        next_cursor: str | None = encode_key(last, scope=f"health:{where}")
    elif not location_id and where != locations[-1]:  # the next location, from its first sku
        next_cursor = encode_key({}, scope=f"health:{locations[locations.index(where) + 1]}")
    else:
        next_cursor = None
    return {"levels": rows, "next_cursor": next_cursor}


def _open_orders(sku: str, location_id: str) -> list[str]:
    """Orders still waiting on units of this sku at this location: those a shortage hits (the newest 20)."""
    storefronts = [s.storefront_id for s in config_store.list_storefronts()]
    filters = order_search.Filters(sku=sku, location_id=location_id)
    orders, _ = order_search.search(storefronts, filters, 50, None)
    waiting = [
        o.order_id
        for o in orders
        if any(
            s.location_id == location_id and s.status in ("allocated", "booked", "released", "packed")
            for s in o.shipments
        )
    ]
    return waiting[:20]


def _position(cursor: str | None, locations: list[str]) -> tuple[str, Any]:
    """Which location a page reads, and from which key (a cursor names both)."""
    if not cursor:
        return locations[0], None
    for location_id in locations:
        try:
            key = decode_key(cursor, f"health:{location_id}", inventory_store.BY_LOCATION_KEY)
        except BadCursor:
            continue
        return location_id, key or None
    raise BadCursor("the cursor is not one this API returned for this listing")
