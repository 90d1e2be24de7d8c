"""Storefront order routes: checkout, read, list."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.caller import storefront
from functions.api.routes import new_router, route
from oms import bootstrap
from oms.domain.errors import NotFound, OmsError
from oms.domain.models import CheckoutRequest
from oms.domain.orders import OrderStatus
from oms.observability import logger, metrics
from oms.services.checkout import check_out
from oms.store import orders as orders_store

router = new_router()
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as the header allows


class IdempotencyKeyMissing(OmsError):
    status, code, title = 400, "idempotency_key_missing", "Idempotency-Key required"


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


@route(
    router,
    "create_order",
    summary="Check out: reserve stock and create the order",
    tags=["orders"],
    responses={
        201: {"description": "Order created"},
        200: {"description": "Same key and body: the order"},
        409: {"description": "insufficient_stock"},
        422: {"description": "idempotency_key_reused"},
    },
)
def create_order(body: CheckoutRequest) -> Response[str]:
    storefront_id = storefront(router)
    key = router.current_event.headers.get("idempotency-key") or router.current_event.headers.get("Idempotency-Key")
    if not key:
        raise IdempotencyKeyMissing("send an Idempotency-Key header so a retried checkout cannot order twice")
    if not _KEY.match(key):
        raise IdempotencyKeyMissing(
            "the Idempotency-Key must be 1 to 255 printable ASCII characters", code="idempotency_key_invalid"
        )
    result = check_out(bootstrap.aws(), body, storefront_id, key)
    if result.created:
        metrics.add_metric(name="OrdersAccepted", unit="Count", value=1)
        logger.info("order accepted", extra={"order_id": result.order.order_id, "storefront_id": storefront_id})
    return _json(201 if result.created else 200, result.order.public())


@route(router, "get_order", summary="An order with shipments, payment and timeline", tags=["orders"])
def get_order(order_id: str) -> Response[str]:
    storefront_id = storefront(router)
    order = orders_store.get_order(order_id, explained=True)
    # Another storefront's order does not exist for this caller: 404, never 403.
    if order is None or order.storefront_id != storefront_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return _json(200, order.public())


@route(router, "list_orders", summary="The storefront's orders, newest first", tags=["orders"])
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    created_after: Annotated[str | None, Query(max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$")] = None,
) -> Response[str]:
    storefront_id = storefront(router)
    orders, next_cursor = orders_store.list_orders(storefront_id, limit, cursor, status, created_after)
    return _json(200, {"orders": [o.public() for o in orders], "next_cursor": next_cursor})
