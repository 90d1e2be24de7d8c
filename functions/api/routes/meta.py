"""Health and the OpenAPI document (the Swagger UI is enabled on the app)."""

from __future__ import annotations

from typing import Any

from functions.api.routes import new_router, route
from functions.api.schemas import Health

router = new_router()


@route(router, "health", summary="Liveness of the API", tags=["meta"], ok={200: ("The API is up", Health)})
def health() -> dict[str, Any]:
    return {"status": "ok"}
