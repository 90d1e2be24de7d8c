"""Returns (RMA): a storefront asks to return units of its own order and follows the return; an operator
decides on returns held for review and asks again for a refund the provider refused. Registered on first
use (functions.api.handler), so a checkout's cold start never loads the refund rules."""

from __future__ import annotations

import re
from typing import Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from functions.api.caller import admin, storefront
from functions.api.routes import new_router, reply, route
from functions.api.routes.orders import (
    KEY_PATTERN,
    STOREFRONT_ONLY,
    IdempotencyKey,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
)
from oms import bootstrap
from oms.domain import returns as domain
from oms.domain.models import ADMIN_ONLY, ShortText, Strict
from oms.domain.returns import ReturnRequest
from oms.services import returns

router = new_router()
_KEY = re.compile(KEY_PATTERN)


class Return(domain.Return):
    """A return: its lines (and, once received, each unit's condition and where), the refund (quoted, then
    final with the provider's id), the carrier's label for the way back, and why it waits if it does."""

    model_config = ConfigDict(defer_build=True)

    # Kept by the OMS for itself (Return.public leaves them out).
    version: int = Field(default=1, exclude=True)
    events: list[str] = Field(default_factory=list, exclude=True)
    idempotency_key: str | None = Field(default=None, exclude=True)
    body_hash: str | None = Field(default=None, exclude=True)


class ReturnList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    returns: list[Return]


class Decision(Strict):
    model_config = ADMIN_ONLY

    decision: Literal["approve", "reject"]
    reason: ShortText | None = None


@route(
    router,
    "create_return",
    summary="Ask to return delivered units: approved at once or held for review by the storefront's policy",
    tags=["returns"],
    ok={201: ("Return created", Return), 200: ("The same key and body again: the return", Return)},
    problems={
        400: ["idempotency_key_missing", "idempotency_key_invalid"],
        **STOREFRONT_ONLY,
        404: ["order_not_found"],
        422: ["not_returnable", "idempotency_key_reused", "invalid_quantity", "invalid_return_policy"],
    },
)
def create_return(order_id: str, body: ReturnRequest, idempotency_key: IdempotencyKey = None) -> Response[str]:
    storefront_id = storefront(router)
    if not idempotency_key:
        raise IdempotencyKeyMissing("send an Idempotency-Key header so a retried return request cannot open two")
    if not _KEY.match(idempotency_key):
        raise IdempotencyKeyInvalid("the Idempotency-Key must be 1 to 255 printable ASCII characters")
    requested = returns.request_return(bootstrap.aws(), storefront_id, order_id, body, idempotency_key)
    return reply(201 if requested.created else 200, requested.ret.public())


@route(
    router,
    "list_order_returns",
    summary="The returns of one of the storefront's orders, oldest first",
    tags=["returns"],
    ok={200: ReturnList},
    problems={**STOREFRONT_ONLY, 404: ["order_not_found"]},
)
def list_order_returns(order_id: str) -> Response[str]:
    storefront_id = storefront(router)
    found = returns.returns_of(bootstrap.aws(), order_id, storefront_id)
    return reply(200, {"returns": [r.public() for r in found]})


@route(
    router,
    "get_return",
    summary="One of the storefront's returns",
    tags=["returns"],
    ok={200: Return},
    problems={**STOREFRONT_ONLY, 404: ["return_not_found"]},
)
def get_return(return_id: str) -> Response[str]:
    storefront_id = storefront(router)
    return reply(200, returns.get_return(bootstrap.aws(), return_id, storefront_id).public())


@route(
    router,
    "decide_return",
    summary="Approve (the label is booked) or reject a return held for review",
    tags=["admin"],
    ok={200: ("The decided return", Return)},
    problems={403: ["admin_key_required"], 404: ["return_not_found"], 409: ["return_closed"]},
)
def decide_return(return_id: str, body: Decision) -> Response[str]:
    who = admin(router)
    decided = returns.decide_return(bootstrap.aws(), return_id, body.decision, f"admin:{who.key_id}", body.reason)
    return reply(200, decided.public())


@route(
    router,
    "refund_return",
    summary="Ask again for the refund of a received return the payment provider refused",
    tags=["admin"],
    ok={200: ("The return, refunded or still waiting with the reason", Return)},
    problems={403: ["admin_key_required"], 404: ["return_not_found"]},
)
def refund_return(return_id: str) -> Response[str]:
    admin(router)
    deps = bootstrap.aws()
    returns.refund_return(deps, return_id)
    return reply(200, returns.get_return(deps, return_id, None).public())


@route(
    router,
    "admin_get_return",
    summary="Any storefront's return",
    tags=["admin"],
    ok={200: Return},
    problems={403: ["admin_key_required"], 404: ["return_not_found"]},
)
def admin_get_return(return_id: str) -> Response[str]:
    admin(router)
    return reply(200, returns.get_return(bootstrap.aws(), return_id, None).public())


@route(
    router,
    "list_returns_to_act_on",
    summary="Returns waiting for an operator: held for review, or received with a refund the provider refused",
    tags=["admin"],
    ok={200: ReturnList},
    problems={403: ["admin_key_required"]},
)
def list_returns_to_act_on() -> Response[str]:
    admin(router)
    return reply(200, {"returns": [r.public() for r in returns.attention(bootstrap.aws())]})
