"""Routes that move an order along its lifecycle: a storefront's cancellation, an admin's fraud review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import Field

from functions.api import schemas
from functions.api.caller import admin, storefront
from functions.api.routes import new_router, reply, route
from oms import bootstrap
from oms.domain.errors import NotFound
from oms.domain.models import ADMIN_ONLY, HoldLine, Strict
from oms.store import orders as orders_store

if TYPE_CHECKING:
    from oms.domain.orders import Order

router = new_router()


class LinesCancel(Strict):
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=100)]


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
    "cancel_lines",
    summary="Cancel units not yet packed: their stock goes back, the shipment shrinks (or is cancelled) and is "
    "booked again, and the authorization gives back their goods and tax",
    tags=["orders"],
    ok={200: ("The order with the units cancelled", schemas.Order)},
    problems={
        403: ["storefront_key_required"],
        404: ["order_not_found"],
        409: ["units_not_cancellable", "order_closed", "not_cancellable"],
        422: ["sku_not_on_order"],
    },
)
def cancel_lines(order_id: str, body: LinesCancel) -> Response[str]:
    storefront_id = storefront(router)
    from oms.services.cancel_lines import cancel_lines as cancel  # only this route: off the cold start

    wanted: dict[str, int] = {}
    for line in body.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    order = cancel(bootstrap.aws(), order_id, wanted, storefront_id)
    return _order(200, order)


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
