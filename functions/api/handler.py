"""The storefront and admin REST API: one Powertools resolver, OpenAPI generated from the routes.

A storefront's request never waits for the operators' routes: those (admin, partners, supply, keys, the
console) are registered on the first request that needs one, as /docs is, so a checkout's cold start
imports only what storefronts use."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

from oms.coldstart import loading

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Resolver(APIGatewayRestResolver):
    """The REST resolver whose OpenAPI document (/openapi.json and the one /docs embeds) is the whole
    contract: functions.api.openapi adds the title, the bearer scheme and what other functions serve."""

    def get_openapi_schema(self, **options: Any) -> OpenAPI:
        from functions.api import openapi  # only the two routes that describe the API load it

        enable_operator_routes()  # the document describes every route, the operators' too
        for name, value in openapi.settings().items():
            if options.get(name) is None:  # the Swagger page passes None for what it was not given
                options[name] = value
        return openapi.complete(super().get_openapi_schema(**options))


with loading():
    from functions.api import problems
    from functions.api.route_table import BY_NAME
    from functions.api.routes import availability, holds, lifecycle, meta, orders
    from oms.observability import logger, metrics, tracer

    app = Resolver(enable_validation=True)
    problems.install(app)
    for module in (meta, orders, holds, availability, lifecycle):
        app.include_router(module.router)

# functions.api.routes.<name>: the operators' routes, and the storefronts' returns, registered on first use.
OPERATOR_ROUTES = ("admin", "admin_reads", "partners", "supply", "keys", "console", "returns", "channels")
_OPERATOR_PREFIXES = ("/v1/admin", "/console", "/v1/returns")
_operators_lock = threading.Lock()
_operators_enabled = threading.Event()


def enable_operator_routes() -> None:
    """Register the operators' routes (once): on the first request for one, or for the API's description."""
    with _operators_lock:
        if not _operators_enabled.is_set():
            with loading():
                for name in OPERATOR_ROUTES:
                    app.include_router(importlib.import_module(f"functions.api.routes.{name}").router)
            _operators_enabled.set()


def _wants_operator_routes(event: dict[str, Any]) -> bool:
    resource, path = str(event.get("resource") or ""), str(event.get("path") or "")
    described = {BY_NAME["openapi"].path, BY_NAME["docs"].path}  # the document describes every route
    return (
        resource.startswith(_OPERATOR_PREFIXES)
        or path.startswith(_OPERATOR_PREFIXES)
        or resource.endswith("/returns")  # an order's returns: /v1/orders/{order_id}/returns
        or path.rstrip("/").endswith("/returns")
        or (resource in described or path.rstrip("/") in described)
    )


DOCS_PATH = BY_NAME["docs"].path
_docs_lock = threading.Lock()
_docs_enabled = threading.Event()


def enable_docs() -> None:
    """Register the Swagger UI at /docs (once). Powertools' `enable_swagger` imports its OpenAPI models
    (~40 ms, a tenth of a cold start) that only /docs and /openapi.json use, so the route is added on
    the first request for it rather than at import; the page is Powertools' own, unchanged."""
    with _docs_lock:
        if not _docs_enabled.is_set():
            app.enable_swagger(path=DOCS_PATH, persist_authorization=True)
            _docs_enabled.set()


def _wants_docs(event: dict[str, Any]) -> bool:
    # The REST resolver matches a route's path with trailing slashes allowed (`^/docs/*$`).
    return event.get("resource") == DOCS_PATH or str(event.get("path") or "").rstrip("/") == DOCS_PATH


@app.get(BY_NAME["openapi"].path, include_in_schema=False)
def openapi() -> dict[str, Any]:
    return app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not _operators_enabled.is_set() and _wants_operator_routes(event):
        enable_operator_routes()
    if not _docs_enabled.is_set() and _wants_docs(event):
        enable_docs()
    return problems.refuse_unreadable_body(event) or app.resolve(event, context)
