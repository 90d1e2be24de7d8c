"""Routes of the contract whose behaviour lands with the order lifecycle issue: 501 until then."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from functions.api.caller import admin, storefront
from functions.api.problems import respond
from functions.api.routes import new_router

router = new_router()


def _not_implemented(what: str) -> Response[str]:
    return respond(501, "not_implemented", "Not implemented yet", f"{what} lands with the order lifecycle")


@router.post("/v1/orders/<order_id>/cancel", summary="Cancel before shipment (not yet implemented)", tags=["orders"])
def cancel_order(order_id: str) -> Response[str]:
    storefront(router)
    return _not_implemented("cancellation")


@router.post(
    "/v1/admin/orders/<order_id>/review",
    summary="Fraud review decision (not yet implemented)",
    tags=["admin"],
)
def review_order(order_id: str) -> Response[str]:
    admin(router)
    return _not_implemented("fraud review")
