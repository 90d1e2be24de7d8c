"""The served OpenAPI document, completed: what Powertools generates from the routes, plus the bearer scheme,
the problem schemas, the partner webhook (served by the webhooks function) and the events the OMS sends
to storefronts (top-level `webhooks`). Loaded only for /openapi.json and /docs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from functions.api.route_table import BY_NAME
from functions.api.schemas import BEARER, VALIDATION, FieldError, Problem, ValidationProblem, problem_response
from oms.domain.messages import PartnerEventType, StockFigure, StockSnapshot, payload_model
from oms.domain.models import Id
from oms.domain.orders import OrderStatus
from oms.signing import SIGNATURE_HEADER

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

TITLE = "OMS API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Orders, stock and holds for storefronts; admin routes for operators. Authorize with an API key "
    "(`Authorization: Bearer <key>`). Errors are RFC 9457 problem details (`application/problem+json`) "
    "with a stable `code`."
)
_REF = "#/components/schemas/{model}"
_SIGNATURE_PATTERN = r"^t=\d+,v1=[0-9a-f]{64}(,v1=[0-9a-f]{64})*$"


def settings() -> dict[str, Any]:
    """`get_openapi_schema` arguments the routes cannot give: the title and the bearer scheme."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": TITLE,
        "version": VERSION,
        "description": DESCRIPTION,
        "security_schemes": {
            BEARER: HTTPBearer(
                bearerFormat="API key",
                description="An OMS API key (storefront or admin): `Authorization: Bearer <key>`.",
            )
        },
    }


def complete(document: OpenAPI) -> OpenAPI:
    """The generated document with what lives outside the api function's routes (see the module doc)."""
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

    spec = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    schemas: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    _add_schemas(schemas, [Problem, ValidationProblem, FieldError, PartnerEventAccepted, *_PARTNER_EVENTS.values()])
    _add_schemas(schemas, list(_STOREFRONT_EVENTS.values()))
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            _required_headers(operation)
            _validation_problem(operation)
    _drop_unused(spec, ("HTTPValidationError", "ValidationError", "ResponseValidationError"))
    partner = BY_NAME["partner_event"]
    spec["paths"][partner.path] = {partner.method.lower(): _partner_webhook()}
    spec["tags"] = [*spec.get("tags", []), *_TAGS]
    spec["webhooks"] = {kind: {"post": _storefront_webhook(kind, model)} for kind, model in _STOREFRONT_EVENTS.items()}
    return OpenAPI.model_validate(spec)


def _add_schemas(schemas: dict[str, Any], models: list[type[BaseModel]]) -> None:
    _, top = models_json_schema([(model, "serialization") for model in models], ref_template=_REF)
    for name, schema in top.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"two different schemas are named {name}: rename one model")
        schemas[name] = schema


def _required_headers(operation: dict[str, Any]) -> None:
    """A header a route checks itself (to answer its own problem code) is declared optional to the
    validator; its schema's `x-required` makes it required in the document."""
    for parameter in operation.get("parameters", []):
        if parameter.get("schema", {}).pop("x-required", False):
            parameter["required"] = True


def _validation_problem(operation: dict[str, Any]) -> None:
    """Powertools describes a 422 on every route, as its own error shape: functions.api.problems answers
    it as a `validation_error` problem, and only a route with parameters or a body can answer it."""
    answer = operation.get("responses", {}).get("422")
    if answer is None or "HTTPValidationError" not in _json(answer):
        return
    if operation.get("parameters") or operation.get("requestBody"):
        operation["responses"]["422"] = problem_response(422, [VALIDATION[1]])
    else:
        del operation["responses"]["422"]


def _drop_unused(spec: dict[str, Any], names: tuple[str, ...]) -> None:
    """Drop Powertools' own validation error schemas, unused once every 422 is a problem+json."""
    schemas = spec["components"]["schemas"]
    for name in names:
        others = {key: value for key, value in schemas.items() if key not in names}
        if f'"{_REF.format(model=name)}"' not in _json({**spec, "components": {"schemas": others}}):
            schemas.pop(name, None)


def _json(value: Any) -> str:
    return json.dumps(value)


# -- The partner webhook (functions/webhooks) ------------------------------------------------------------

_TAGS = [
    {"name": "partners", "description": "Signed events from warehouses, stores, carriers, payments and ERP"},
]


class PartnerEventAccepted(BaseModel):
    accepted: Literal[True]
    id: str = Field(description="the event's id; a duplicate id is accepted again and has no second effect")


def _partner_data(kind: str) -> Any:
    """An event type's `data` as the webhook validates it (oms.domain.messages.payload_model); a snapshot
    may also be one figure on its own."""
    model = payload_model(kind)
    return model | StockFigure if model is StockSnapshot else model


def _model_name(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.replace("_", ".").split("."))


def _literal(value: str) -> Any:
    return Literal[value]  # a type built at run time: one per event type


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=128, description="the partner's event id: a retry sends the same")
    occurred_at: str = Field(
        json_schema_extra={"format": "date-time"}, description="RFC 3339 with an offset: 2026-01-31T09:30:00Z"
    )


# One envelope per event type, `type` fixed and `data` its payload (an unknown type gets a free-form data).
_PARTNER_EVENTS: dict[str, type[BaseModel]] = {
    kind: create_model(
        _model_name(kind) + "Event",
        __base__=_Envelope,
        type=(_literal(kind), ...),
        data=(_partner_data(kind), ...),
    )
    for kind in get_args(PartnerEventType)
}


def _partner_webhook() -> dict[str, Any]:
    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": _REF.format(model=model.__name__)}

    events = _PARTNER_EVENTS
    return {
        "tags": ["partners"],
        "summary": "A partner event: signed, queued, applied once",
        "description": (
            "Served by the webhooks function, not with an API key: the body is signed with the partner's "
            f"secret in `{SIGNATURE_HEADER}`. `202` once queued (also for a duplicate id, which has no second "
            "effect); the event is applied asynchronously. An event outside the partner's scope changes "
            "nothing: `403` `partner_out_of_scope` when the webhook can tell at once, else it is recorded "
            "on the order's timeline as refused."
        ),
        "operationId": "partner_event",
        "parameters": [
            {
                "name": "partner_id",
                "in": "path",
                "required": True,
                "schema": _id_schema(),
                "description": "the partner's id, as registered with PUT /v1/admin/partners/{partner_id}",
            },
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": _SIGNATURE_PATTERN},
                "description": '`t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; '
                "valid for 5 minutes; during a rotation both secrets' v1 may be sent",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [ref(model) for model in events.values()],
                        "discriminator": {
                            "propertyName": "type",
                            "mapping": {kind: _REF.format(model=model.__name__) for kind, model in events.items()},
                        },
                    }
                }
            },
        },
        "responses": {
            "202": {
                "description": "Queued (or a duplicate id, accepted again)",
                "content": {"application/json": {"schema": ref(PartnerEventAccepted)}},
            },
            "400": _problem(400, ["invalid_event"], "Malformed: not JSON, or the envelope is invalid (`errors`)"),
            "401": _problem(
                401, ["unknown_partner", "signature_invalid"], "Unknown partner, or a bad or stale signature"
            ),
            "403": _problem(403, ["partner_out_of_scope"], "The event is outside the partner's scope"),
            "413": _problem(413, ["payload_too_large"], "Body too large"),
        },
        "security": [],
    }


def _id_schema() -> dict[str, Any]:
    return create_model("IdHolder", id=(Id, ...)).model_json_schema()["properties"]["id"]  # type: ignore[no-any-return]


def _problem(status: int, codes: list[str], description: str) -> dict[str, Any]:
    answer = problem_response(status, codes)
    answer["description"] = f"{description}: " + ", ".join(f"`{code}`" for code in codes)
    return answer


# -- What the OMS sends to a storefront's webhook_url (functions/notifier) -------------------------------


class StorefrontEventData(BaseModel):
    """What every event to a storefront carries about its order (oms.adapters.eventbridge)."""

    order_id: str
    storefront_id: str
    status: OrderStatus = Field(description="the order's status once the event happened")
    storefront_subscribed: bool


_SHIPMENT = {"shipment_id": (str, ...)}
_REASON = {"reason": (str | None, None)}
_RETURN = {"return_id": (str, ...)}
_BACKORDER = {**_SHIPMENT, "sku": (str, ...), "inbound_id": (str, ...)}
# Event type -> its fields beyond StorefrontEventData (oms.domain.lifecycle, services.partner_events, sweep).
_EVENT_FIELDS: dict[str, dict[str, Any]] = {
    "order.on_hold": {"reasons": (list[str], ...)},
    "order.processing": {},
    "order.partially_shipped": {},
    "order.shipped": {},
    "order.delivered": {},
    "order.cancelled": _REASON,
    "order.lines_cancelled": {
        "lines": (list[dict[str, Any]], ...),
        "amount": (int, ...),
        "shipments": (list[str], ...),
    },
    "order.rejected": _REASON,
    "payment.capture_failed": {**_SHIPMENT, **_REASON},
    "payment.authorization_expired": {"partner": (str, ...), "detail": (str | None, None)},
    "payment.chargeback": {"partner": (str, ...), "detail": (str | None, None)},
    "payment.reauthorized": {
        "previous": (str | None, None),
        "amount": (int, ...),
        "expires_at": (str | None, None),
    },
    "payment.reauthorization_failed": _REASON,
    "payment.invoice_paid": {"amount": (int, ...), "applied": (int, ...), "reference": (str | None, None)},
    "shipment.shipped": {**_SHIPMENT, "carrier": (str | None, None), "tracking_number": (str | None, None)},
    "shipment.ship_failed": {**_SHIPMENT, **_REASON},
    "shipment.delivered": _SHIPMENT,
    "shipment.exception": {**_SHIPMENT, "detail": (str, ...)},
    "shipment.cancelled": {**_SHIPMENT, **_REASON},
    "shipment.sla_missed": {**_SHIPMENT, "location_id": (str, ...), "due": (str, ...)},
    # Backorders (oms.domain.backorder): units arrived, an inbound closed short, a promise moved.
    "shipment.backorder_arrived": {**_BACKORDER, "quantity": (int, ...), "waiting": (int, ...)},
    "shipment.backorder_short": {**_BACKORDER, "quantity": (int, ...)},
    # Returns (oms.domain.returns): each step of a return, with its id.
    "return.requested": {**_RETURN, "lines": (list[dict[str, Any]], ...), "refund": (int, ...)},
    "return.approved": {**_RETURN, "by": (str, ...)},
    "return.rejected": {**_RETURN, "by": (str, ...), **_REASON},
    "return.labelled": {**_RETURN, "carrier": (str, ...), "tracking_number": (str | None, None)},
    "return.in_transit": _RETURN,
    "return.received": {
        **_RETURN,
        "location_id": (str, ...),
        "resellable": (dict[str, int], ...),
        "damaged": (dict[str, int], ...),
    },
    "return.refunded": {**_RETURN, "refund_id": (str | None, None), "amount": (int, ...)},
    "return.refund_failed": {**_RETURN, **_REASON, "attempts": (int, ...)},
    "return.closed": {**_RETURN, **_REASON},
    "shipment.promise_moved": {
        **_SHIPMENT,
        "inbound_id": (str, ...),
        "expected_at": (str, ...),
        "promised_by": (str | None, None),
        "previous": (str | None, None),
    },
}


class _Outbound(BaseModel):
    id: str = Field(description="the event's id: a redelivery sends the same")
    occurred_at: str = Field(json_schema_extra={"format": "date-time"})
    idempotency_key: str = Field(description="equals `id`; also sent as the Idempotency-Key header")


def _outbound(kind: str, fields: dict[str, Any]) -> type[BaseModel]:
    data = create_model(
        _model_name(kind) + "Data", __base__=StorefrontEventData, __doc__=f"The `{kind}` event's data", **fields
    )
    return create_model(
        _model_name(kind) + "Notification", __base__=_Outbound, type=(_literal(kind), ...), data=(data, ...)
    )


_STOREFRONT_EVENTS: dict[str, type[BaseModel]] = {kind: _outbound(kind, f) for kind, f in _EVENT_FIELDS.items()}


def _storefront_webhook(kind: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "tags": ["storefront webhooks"],
        "summary": f"{kind}: sent to the storefront's webhook_url",
        "description": (
            "A signed JSON POST to the `webhook_url` of the storefront's configuration (PUT "
            "/v1/admin/storefronts/{storefront_id}), verified like the partner webhooks: "
            f"`{SIGNATURE_HEADER}` carries HMAC-SHA256 of `<t>.<raw body>` with the storefront's outbound "
            "secret. Any 2xx acknowledges it; otherwise it is retried, then kept in a dead-letter queue."
        ),
        "operationId": f"storefront_event_{kind.replace('.', '_')}",
        "parameters": [
            {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string"}},
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
        },
        "responses": {"200": {"description": "Received (any 2xx does); anything else is retried"}},
    }
