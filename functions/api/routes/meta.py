"""Health and the OpenAPI document (the Swagger UI is enabled on the app)."""

from __future__ import annotations

from typing import Any

from functions.api.routes import new_router, route

router = new_router()


@route(router, "health", summary="Liveness of the API", tags=["meta"])
def health() -> dict[str, Any]:
    return {"status": "ok"}
