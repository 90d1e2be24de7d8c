"""What operators look at (API.md "Admin reads"): every storefront's orders, the review queue
(`status=on_hold`), locations, products, a location's whole stock, and the dead-letter queues."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api import admin_schemas as views
from functions.api.caller import admin
from functions.api.pages import page
from functions.api.routes import new_router, route
from functions.api.routes.orders import CREATED_AFTER_PATTERN, real_time
from oms.domain.errors import NotFound
from oms.domain.models import Id, Sku
from oms.domain.orders import OrderStatus
from oms.domain.partners import REFUSED
from oms.store import config as config_store
from oms.store import dead_letters, order_search
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store
from oms.store.dynamo import decode_key, encode_key

router = new_router()
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]
When = Annotated[
    str | None,
    Query(max_length=40, pattern=CREATED_AFTER_PATTERN, description="a date (2026-01-31) or RFC 3339 UTC time"),
]
PAGED = {400: ["invalid_cursor"]}


@route(
    router,
    "admin_list_orders",
    summary="Every storefront's orders, newest first: search and filters (status=on_hold is the review queue)",
    tags=["admin"],
    ok={200: ("A page of orders", views.AdminOrderList)},
    problems=PAGED,
)
def list_orders(
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    storefront_id: Annotated[Id | None, Query()] = None,
    sku: Annotated[Sku | None, Query()] = None,
    location_id: Annotated[Id | None, Query()] = None,
    created_after: When = None,
    created_before: When = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=254, description="an order id, or part of an email or PO number")
    ] = None,
) -> dict[str, Any]:
    admin(router)
    for name, value in (("created_after", created_after), ("created_before", created_before)):
        if value:
            real_time(name, value)
    storefronts = [storefront_id] if storefront_id else [s.storefront_id for s in config_store.list_storefronts()]
    filters = order_search.Filters(status, sku, location_id, created_after, created_before, q)
    orders, next_cursor = order_search.search(storefronts, filters, limit, cursor)
    return {"orders": [order.public() for order in orders], "next_cursor": next_cursor}


@route(
    router,
    "admin_get_order",
    summary="An order with its routing explanation and every partner event applied or refused",
    tags=["admin"],
    ok={200: views.AdminOrder},
    problems={404: ["order_not_found"]},
)
def get_order(order_id: Id) -> dict[str, Any]:
    admin(router)
    order = orders_store.get_order(order_id, explained=True)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    refused = [entry.detail | {"at": entry.at} for entry in order.timeline if entry.type == REFUSED]
    return order.public() | {"partner_events_seen": {"applied": order.partner_events, "refused": refused}}


@route(router, "list_locations", summary="Every location", tags=["admin"], ok={200: views.LocationList}, problems=PAGED)
def list_locations(limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    admin(router)
    locations, next_cursor = page(config_store.list_locations(), lambda loc: loc.location_id, limit, cursor)
    return {"locations": [loc.model_dump(mode="json") for loc in locations], "next_cursor": next_cursor}


@route(
    router, "list_products", summary="Every product record", tags=["admin"], ok={200: views.ProductList}, problems=PAGED
)
def list_products(limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    admin(router)
    products, next_cursor = page(config_store.list_products(), lambda product: product.sku, limit, cursor)
    return {"products": [product.model_dump(mode="json") for product in products], "next_cursor": next_cursor}


@route(
    router,
    "list_inventory",
    summary="One location's whole stock, by sku",
    tags=["admin"],
    ok={200: views.LocationStock},
    problems={**PAGED, 404: ["location_not_found"]},
)
def list_inventory(location_id: Annotated[Id, Query()], limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    admin(router)
    if config_store.get_location(location_id) is None:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    start = decode_key(cursor, location_id, inventory_store.BY_LOCATION_KEY) if cursor else None
    levels, last = inventory_store.levels_at(location_id, limit, start)
    return {
        "location_id": location_id,
        "levels": [
            level.model_dump(include={"sku", "location_id", "on_hand", "reserved", "safety_stock"})
            | {"available": level.available}
            for level in levels
        ],
        "next_cursor": encode_key(last, scope=location_id) if last else None,
    }


@route(
    router,
    "list_dead_letters",
    summary="Partner events and storefront notifications that kept failing, as queued",
    tags=["admin"],
    ok={200: views.DeadLetterQueues},
)
def list_dead_letters() -> dict[str, Any]:
    admin(router)
    return {"queues": [dead_letters.peek(queue) for queue in dead_letters.QUEUES]}


@route(
    router,
    "redrive_dead_letters",
    summary="Send a dead-letter queue's messages back to be processed again (up to 100 per call)",
    tags=["admin"],
    ok={200: views.Redriven},
    problems={404: ["queue_not_found"]},
)
def redrive_dead_letters(queue: str) -> dict[str, Any]:
    admin(router)
    known = next((name for name in dead_letters.QUEUES if name == queue), None)
    if known is None:
        raise NotFound(
            f"no dead-letter queue {queue[:40]!r}; queues: {', '.join(dead_letters.QUEUES)}", code="queue_not_found"
        )
    return {"queue": known, "moved": dead_letters.redrive(known)}
