"""Cart holds: reserve stock for a while; an order naming the hold converts it."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from functions.api.caller import storefront
from functions.api.routes import new_router, reply, route
from functions.api.schemas import Hold
from oms import bootstrap
from oms.domain.models import HoldRequest
from oms.services.holds import place_hold, release_hold

router = new_router()


def _public(hold: dict[str, object]) -> dict[str, object]:
    keys = ("hold_id", "status", "lines", "allocations", "created_at", "expires_at")
    return {k: hold.get(k) for k in keys}


@route(
    router,
    "create_hold",
    summary="Reserve cart stock until it expires",
    tags=["holds"],
    ok={201: ("The hold: its units stay reserved until expires_at", Hold)},
    problems={
        403: ["storefront_key_required"],
        409: ["insufficient_stock", "stock_contention"],
        422: ["unknown_sku"],
    },
)
def create_hold(body: HoldRequest) -> Response[str]:
    hold = place_hold(bootstrap.aws(), body, storefront(router))
    return reply(201, _public(hold))


@route(
    router,
    "delete_hold",
    summary="Release a hold",
    tags=["holds"],
    ok={200: ("The released hold", Hold)},
    problems={403: ["storefront_key_required"], 404: ["hold_not_found"], 409: ["hold_not_active"]},
)
def delete_hold(hold_id: str) -> Response[str]:
    hold = release_hold(bootstrap.aws(), hold_id, storefront(router))
    return reply(200, _public(hold))
