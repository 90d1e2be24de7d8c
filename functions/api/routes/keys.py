"""API keys through the admin API: issue (shown once), revoke; two live keys at a time make rotation safe."""

from __future__ import annotations

import json
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response

from functions.api.caller import admin
from functions.api.routes import new_router, route
from functions.api.schemas import IssuedKey, RevokedKey
from oms.domain.errors import NotFound, Unprocessable
from oms.domain.models import ADMIN_ONLY, Id, Strict
from oms.store import config as config_store

router = new_router()


class KeyRequest(Strict):
    model_config = ADMIN_ONLY

    role: Literal["storefront", "admin"]
    storefront_id: Id | None = None


@route(
    router,
    "create_key",
    summary="Issue an API key (the key is in this answer only)",
    tags=["admin"],
    ok={201: ("The new key, shown once", IssuedKey)},
    problems={
        403: ["admin_key_required"],
        404: ["storefront_not_found"],
        422: ["storefront_required", "storefront_not_allowed"],
    },
)
def issue_key(body: KeyRequest) -> Response[str]:
    admin(router)
    if body.role == "storefront":
        if not body.storefront_id:
            raise Unprocessable("a storefront key needs storefront_id", code="storefront_required")
        if config_store.get_storefront(body.storefront_id) is None:
            raise NotFound(
                f"no storefront {body.storefront_id}; create it with PUT /v1/admin/storefronts/{body.storefront_id}",
                code="storefront_not_found",
            )
    elif body.storefront_id:
        raise Unprocessable("an admin key belongs to no storefront", code="storefront_not_allowed")
    from oms import api_keys  # admin-only: key issuing stays out of the api's cold start

    issued = api_keys.new_key(body.role)
    config_store.put_api_key(issued.key_id, issued.key_hash, body.role, body.storefront_id)
    reply: dict[str, Any] = {
        "key_id": issued.key_id,
        "key": issued.secret_key,
        "role": body.role,
        "storefront_id": body.storefront_id,
        "status": "active",
    }
    return Response(
        status_code=201, content_type="application/json", body=json.dumps(reply), headers={"Cache-Control": "no-store"}
    )


@route(
    router,
    "revoke_key",
    summary="Revoke an API key (within the authorizer's cache TTL)",
    tags=["admin"],
    ok={200: ("The key, revoked", RevokedKey)},
    problems={403: ["admin_key_required"], 404: ["api_key_not_found"], 422: ["self_revocation"]},
)
def revoke_key(key_id: Id) -> dict[str, Any]:
    who = admin(router)
    if key_id == who.key_id:
        raise Unprocessable("an admin key cannot revoke itself: use another admin key", code="self_revocation")
    config_store.revoke_api_key(key_id)
    return {"key_id": key_id, "status": "revoked"}
