"""The storefront and admin REST API: one Powertools resolver, OpenAPI generated from the routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api import problems
from functions.api.routes import admin, availability, holds, keys, lifecycle, meta, orders
from oms.observability import logger, metrics, tracer

TITLE = "OMS API"
VERSION = "1.0.0"

app = APIGatewayRestResolver(enable_validation=True)
problems.install(app)
for module in (meta, orders, holds, availability, admin, lifecycle, keys):
    app.include_router(module.router)
app.enable_swagger(path="/docs", title=TITLE, version=VERSION)


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> dict[str, Any]:
    return app.get_openapi_schema(title=TITLE, version=VERSION).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return problems.refuse_unreadable_body(event) or app.resolve(event, context)
