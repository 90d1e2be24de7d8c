"""Storefront order routes: checkout, read, list."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from functions.api.caller import storefront
from functions.api.routes import new_router, reply, route
from functions.api.schemas import Order, OrderList
from oms import bootstrap
from oms.domain.errors import NotFound, OmsError, Unprocessable
from oms.domain.models import CheckoutRequest
from oms.domain.orders import OrderStatus
from oms.observability import logger, metrics
from oms.services.checkout import check_out
from oms.store import orders as orders_store

router = new_router()
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, as the header allows
_KEY = re.compile(KEY_PATTERN)
# A date, or a date and time (UTC when it names no offset): what `created_after` takes.
CREATED_AFTER_PATTERN = r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$"
STOREFRONT_ONLY = {403: ["storefront_key_required"]}  # an admin key on a storefront route


class IdempotencyKeyMissing(OmsError):
    status, code, title = 400, "idempotency_key_missing", "Idempotency-Key required"


class IdempotencyKeyInvalid(OmsError):
    status, code, title = 400, "idempotency_key_invalid", "Invalid Idempotency-Key"


# Declared for the document only: the route checks it itself, so a missing or malformed key keeps its own
# problem code (idempotency_key_missing / _invalid) rather than a generic validation_error.
# functions.api.openapi turns `x-required` into the parameter's `required: true`.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required. A key of your own for this checkout (1 to 255 printable ASCII characters): "
        "the same key again returns the same order; with a different body it is refused.",
        json_schema_extra={"pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255, "x-required": True},
    ),
]


@route(
    router,
    "create_order",
    summary="Check out: reserve stock and create the order",
    tags=["orders"],
    ok={201: ("Order created", Order), 200: ("The same key and body again: the order", Order)},
    problems={
        400: ["idempotency_key_missing", "idempotency_key_invalid"],
        **STOREFRONT_ONLY,
        404: ["hold_not_found"],
        409: ["insufficient_stock", "hold_not_active", "hold_expired", "order_in_flight", "stock_contention"],
        422: [
            "idempotency_key_reused",
            "order_too_large",
            "unknown_sku",
            "cod_limit_exceeded",
            "payment_method_not_allowed",
        ],
    },
)
def create_order(body: CheckoutRequest, idempotency_key: IdempotencyKey = None) -> Response[str]:
    storefront_id = storefront(router)
    key = idempotency_key
    if not key:
        raise IdempotencyKeyMissing("send an Idempotency-Key header so a retried checkout cannot order twice")
    if not _KEY.match(key):
        raise IdempotencyKeyInvalid("the Idempotency-Key must be 1 to 255 printable ASCII characters")
    if body.payment.method == "marketplace":  # only a channel's own orders are paid to a marketplace
        raise Unprocessable(
            "payment method marketplace is for orders a channel's marketplace sends", code="payment_method_not_allowed"
        )
    result = check_out(bootstrap.aws(), body, storefront_id, key)
    if result.created:
        metrics.add_metric(name="OrdersAccepted", unit="Count", value=1)
        logger.info("order accepted", extra={"order_id": result.order.order_id, "storefront_id": storefront_id})
    return reply(201 if result.created else 200, result.order.public())


@route(
    router,
    "get_order",
    summary="An order with shipments, payment and timeline",
    tags=["orders"],
    ok={200: Order},
    problems={**STOREFRONT_ONLY, 404: ["order_not_found"]},
)
def get_order(order_id: str) -> Response[str]:
    storefront_id = storefront(router)
    order = orders_store.get_order(order_id, explained=True)
    # Another storefront's order does not exist for this caller: 404, never 403.
    if order is None or order.storefront_id != storefront_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return reply(200, order.public())


@route(
    router,
    "list_orders",
    summary="The storefront's orders, newest first",
    tags=["orders"],
    ok={200: ("A page of orders", OrderList)},
    problems={400: ["invalid_cursor"], **STOREFRONT_ONLY},
)
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    created_after: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=CREATED_AFTER_PATTERN,
            description="orders created after this date (2026-01-31) or RFC 3339 UTC time (2026-01-31T09:30:00Z)",
        ),
    ] = None,
) -> Response[str]:
    storefront_id = storefront(router)
    if created_after:
        real_time("created_after", created_after)
    orders, next_cursor = orders_store.list_orders(storefront_id, limit, cursor, status, created_after)
    return reply(200, {"orders": [o.public() for o in orders], "next_cursor": next_cursor})


def real_time(name: str, value: str) -> None:
    """The pattern admits 2026-13-45 or 25:99: refuse what is not a real date and time (422 validation_error)."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("query", name), "msg": "not a real date or time", "type": "value_error", "input": value}]
        ) from None
