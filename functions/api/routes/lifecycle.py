"""Routes that move an order along its lifecycle: a storefront's cancellation, an admin's fraud review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from aws_lambda_powertools.event_handler import Response

from functions.api import schemas
from functions.api.caller import admin, storefront
from functions.api.routes import new_router, reply, route
from oms import bootstrap
from oms.domain.errors import NotFound
from oms.domain.models import ADMIN_ONLY, Strict
from oms.store import orders as orders_store

if TYPE_CHECKING:
    from oms.domain.orders import Order

router = new_router()


class Review(Strict):
    model_config = ADMIN_ONLY

    decision: Literal["approve", "reject"]


def _order(status: int, order: Order) -> Response[str]:
    return reply(status, order.public())


@route(
    router,
    "cancel_order",
    summary="Cancel an order before any of it ships: stock, payment and bookings are released",
    tags=["orders"],
    ok={200: ("The cancelled order", schemas.Order)},
    problems={403: ["storefront_key_required"], 404: ["order_not_found"], 409: ["not_cancellable"]},
)
def cancel_order(order_id: str) -> Response[str]:
    storefront_id = storefront(router)
    from oms.services.compensate import close  # cancel and review only: their ports stay out of the cold start

    order = orders_store.get_order(order_id, explained=True)
    if order is None or order.storefront_id != storefront_id:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    cancelled = close(bootstrap.aws(), order_id, "cancelled", "cancelled by the storefront")
    cancelled.routing = order.routing  # the explanation is written once; the answer shows the whole order
    return _order(200, cancelled)


@route(
    router,
    "review_order",
    summary="Fraud review decision: approve resumes fulfilment, reject releases everything",
    tags=["admin"],
    ok={200: ("The reviewed order", schemas.Order)},
    problems={403: ["admin_key_required"], 404: ["order_not_found"], 409: ["not_on_hold"]},
)
def review_order(order_id: str, body: Review) -> Response[str]:
    who = admin(router)
    from oms.services.review import review

    reviewed = review(bootstrap.aws(), order_id, body.decision, by=f"admin:{who.key_id}")
    return _order(200, orders_store.get_order(order_id, explained=True) or reviewed)


@route(
    router,
    "admin_cancel_order",
    summary="An operator cancels an order of any storefront before any of it ships (as the storefront would)",
    tags=["admin"],
    ok={200: ("The cancelled order", schemas.Order)},
    problems={403: ["admin_key_required"], 404: ["order_not_found"], 409: ["not_cancellable"]},
)
def admin_cancel_order(order_id: str) -> Response[str]:
    who = admin(router)
    from oms.services.compensate import close

    order = orders_store.get_order(order_id, explained=True)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    cancelled = close(bootstrap.aws(), order_id, "cancelled", f"cancelled by an operator (admin:{who.key_id})")
    cancelled.routing = order.routing
    return _order(200, cancelled)
