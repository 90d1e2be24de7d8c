"""One module per group of routes; each declares its routes on a Powertools Router made by `new_router`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.route_table import BY_NAME


def new_router() -> Router:
    """A Powertools Router, typed: `Router.__init__` carries no annotations, so strict mypy refuses to call it."""
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated


def route(router: Router, name: str, **openapi: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the table's route `name` (functions.api.route_table) on `router`, with its OpenAPI details."""
    spec = BY_NAME[name]
    return router.route(spec.resolver_path, spec.method, **openapi)
