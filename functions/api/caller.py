"""Who is calling: the tenant context the authorizer put on the request."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from oms.domain.errors import Forbidden


@dataclass(frozen=True)
class Caller:
    role: str
    storefront_id: str
    key_id: str


def caller(app: BaseRouter) -> Caller:
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    return Caller(
        role=str(context.get("role", "")),
        storefront_id=str(context.get("storefront_id", "")),
        key_id=str(context.get("key_id", "")),
    )


def storefront(app: BaseRouter) -> str:
    """The calling storefront's id; every storefront read and write is keyed by it."""
    who = caller(app)
    if who.role != "storefront" or not who.storefront_id:
        raise Forbidden(
            "this endpoint acts for a storefront: call it with a storefront key",
            code="storefront_key_required",
        )
    return who.storefront_id


def admin(app: BaseRouter) -> Caller:
    """The admin caller (API Gateway already denies storefront keys here; this is the second lock)."""
    who = caller(app)
    if who.role != "admin":
        raise Forbidden("this endpoint needs an admin key", code="admin_key_required")
    return who
