"""One module per group of routes; each declares its routes on a Powertools Router made by `new_router`."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.route_table import BY_NAME
from functions.api.schemas import BEARER, JSON, Reply, responses

F = Callable[..., Any]


def reply(status: int, body: Any) -> Response[str]:
    """A JSON answer with a status of the route's choosing (a plain return is always 200)."""
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def new_router() -> Router:
    """A Powertools Router, typed: `Router.__init__` carries no annotations, so strict mypy refuses to call it."""
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated


def route(
    router: Router,
    name: str,
    *,
    ok: Mapping[int, Reply] | None = None,
    problems: Mapping[int, Iterable[str]] | None = None,
    **openapi: Any,
) -> Callable[[F], F]:
    """Declare the table's route `name` (functions.api.route_table) on `router`, with its OpenAPI details.

    `ok` maps each success status to its model (or `(description, model)`); without it the answer is 200,
    described by the function's return annotation. `problems` maps a status to the route's own problem
    codes. The gateway's answers (401/403/429) and the bearer key for keyed routes, the body checks
    (400/413/415) for POST and PUT, and 422 `validation_error` are added by `functions.api.schemas.responses`:

        @route(router, "get_order", ok={200: Order}, problems={404: ["order_not_found"]}, tags=["orders"])
    """
    spec = BY_NAME[name]

    def declare(func: F) -> F:
        signature = inspect.signature(func)
        if "responses" not in openapi:
            replies = ok
            if replies is None and _returns_response(signature):
                # Powertools would describe `Response[str]` as a JSON string: say only "a JSON object".
                replies = {200: ("OK (no response model declared yet)", None)}
            openapi["responses"] = responses(
                spec, ok=replies, problems=problems, has_parameters=bool(signature.parameters)
            )
            if replies is not ok:
                openapi["responses"][200]["content"] = {JSON: {"schema": {"type": "object"}}}
        if spec.keyed:
            openapi.setdefault("security", [{BEARER: []}])
        declared: F = router.route(spec.resolver_path, spec.method, **openapi)(func)
        return declared

    return declare


def _returns_response(signature: inspect.Signature) -> bool:
    annotation = signature.return_annotation
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return str(name).split("[")[0].rsplit(".", 1)[-1] == "Response"
