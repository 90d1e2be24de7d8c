"""What each route answers, for the OpenAPI document: response models, problem details, and `responses()`.

Imported on the api function's cold start (the routes name these models), so everything here is plain
pydantic with `defer_build`: a model is built the first time /openapi.json or /docs describes it, never
for a storefront's request. The document's assembly (security scheme, problem schemas, webhooks) is in
functions.api.openapi, loaded only for those two routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.api.route_table import Route
from oms.domain import orders
from oms.domain.models import HoldLine, ServiceLevel

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
BEARER = "bearerAuth"  # the security scheme's name in components.securitySchemes
# Problem schemas (functions.api.openapi adds them to components.schemas).
PROBLEM_REF = "#/components/schemas/Problem"
VALIDATION_PROBLEM_REF = "#/components/schemas/ValidationProblem"

_VIEW = ConfigDict(defer_build=True)


# -- Answers of the storefront and admin routes -------------------------------------------------------


class Health(BaseModel):
    model_config = _VIEW

    status: Literal["ok"]


class OrderPayment(orders.PaymentState):
    """The order's payment: what is authorized, captured and refunded (the provider's token never shows)."""

    model_config = _VIEW


class Order(orders.Order):
    """An order as the API shows it: shipments, payment, timeline and the routing explanation."""

    model_config = _VIEW

    payment: OrderPayment
    # Kept by the OMS for itself (oms.domain.orders.Order.public leaves them out).
    version: int = Field(default=1, exclude=True)
    partner_events: list[str] = Field(default_factory=list, exclude=True)
    unstarted_phases: list[dict[str, Any]] = Field(default_factory=list, exclude=True)


class OrderList(BaseModel):
    model_config = _VIEW

    orders: list[Order]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class HeldUnits(BaseModel):
    model_config = _VIEW

    sku: str
    location_id: str
    quantity: int


class Hold(BaseModel):
    """A cart reservation: the units stay reserved until `expires_at`, an order naming it, or its release."""

    model_config = _VIEW

    hold_id: str
    status: Literal["active", "released", "converted", "expired"]
    lines: list[HoldLine]
    allocations: list[HeldUnits]
    created_at: str
    expires_at: str


class LocationAvailable(BaseModel):
    model_config = _VIEW

    location_id: str
    available: int


class SkuAvailability(BaseModel):
    model_config = _VIEW

    sku: str
    available: int = Field(description="units that can still be promised, over every location this storefront sells")
    locations: list[LocationAvailable]
    incoming: list[Incoming] = Field(description="what open purchase orders still expect, soonest first")
    backorder: bool = Field(
        default=False, description="sold against `incoming` units nobody was promised yet when none are on hand"
    )


class Incoming(BaseModel):
    model_config = _VIEW

    location_id: str
    quantity: int = Field(description="units still expected")
    promised: int = Field(default=0, description="of those, units already sold to backorders")
    expected_at: str


class Destination(BaseModel):
    model_config = _VIEW

    lat: float
    lon: float
    precision: str = Field(description="how the destination was located (postal code, region or country centre)")


class DeliveryOption(BaseModel):
    model_config = _VIEW

    service_level: ServiceLevel
    price: int = Field(description="shipping fee in minor units of `currency`")
    currency: str
    promised_by: str = Field(description="RFC 3339 time the delivery is promised by")
    shipments: int


class Availability(BaseModel):
    model_config = _VIEW

    skus: list[SkuAvailability]
    destination: Destination | None = Field(default=None, description="with `country` or `postal_code` only")
    delivery_options: list[DeliveryOption] | None = Field(
        default=None, description="with `country` or `postal_code` only; an empty list when nothing can be promised"
    )


# -- Problem details (RFC 9457) ------------------------------------------------------------------------


class Problem(BaseModel):
    """RFC 9457 problem details with the OMS's machine-readable `code`; some problems add fields."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str = Field(description="a URI naming the problem: https://oms.dev/problems/<code with hyphens>")
    title: str = Field(description="a short summary of the problem type")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="what went wrong with this request")
    code: str = Field(description="machine-readable, stable: branch on this")


class FieldError(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    field: str = Field(description="the field's dotted path, e.g. lines.0.quantity or query.sku")
    message: str
    type: str | None = None


class ValidationProblem(Problem):
    """A request that failed validation (`validation_error`): every bad field is listed."""

    errors: list[FieldError]


# Answers of API Gateway itself on a keyed route, before the function runs (infra GATEWAY_RESPONSES).
GATEWAY_PROBLEMS: dict[int, tuple[str, ...]] = {
    401: ("unauthorized",),
    403: ("api_access_disabled", "forbidden"),
    429: ("throttled",),
}
# What functions.api.problems refuses before a body route runs, and its validation answer.
BODY_PROBLEMS: dict[int, tuple[str, ...]] = {
    400: ("invalid_json", "invalid_encoding", "json_out_of_bounds"),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
}
VALIDATION = 422, "validation_error"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_STATUS_TEXT = {
    400: "Bad request",
    401: "No or bad API key",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Unprocessable request",
    429: "Throttled",
}

# One success answer: a model, or (description, model). `None` as the model: an answer with no body.
Reply = type[BaseModel] | tuple[str, type[BaseModel] | None]


def responses(
    route: Route,
    *,
    ok: Mapping[int, Reply] | None = None,
    problems: Mapping[int, Iterable[str]] | None = None,
    has_parameters: bool = True,
) -> dict[int, dict[str, Any]]:
    """Powertools' `responses` for `route`: its success answers (`ok`) and every problem it can answer.

    `problems` are the route's own codes by status; the gateway's (keyed routes), the body checks (POST
    and PUT) and `validation_error` (a route with parameters or a body) are added here. Without `ok`,
    the success answer (200) is described by the route function's return annotation.
    """
    answers: dict[int, dict[str, Any]] = {}
    for status, reply in (ok or {200: ("OK", None)}).items():
        description, model = reply if isinstance(reply, tuple) else (_first_line(reply.__doc__) or "OK", reply)
        # No `content`: Powertools describes the answer with the function's return annotation.
        answers[status] = {"description": description}
        if model is not None:
            answers[status]["content"] = {JSON: {"model": model}}
    codes: dict[int, list[str]] = {}

    def add(status: int, names: Iterable[str]) -> None:
        known = codes.setdefault(status, [])
        known.extend(name for name in names if name not in known)

    if route.keyed:
        for status, gateway in GATEWAY_PROBLEMS.items():
            add(status, gateway)
    if route.method in _BODY_METHODS:
        for status, unreadable in BODY_PROBLEMS.items():
            add(status, unreadable)
    if has_parameters or route.method in _BODY_METHODS:
        add(VALIDATION[0], [VALIDATION[1]])
    for status, own in (problems or {}).items():
        add(status, own)
    for status in sorted(codes):
        answers[status] = problem_response(status, codes[status])
    return dict(sorted(answers.items()))


def problem_response(status: int, codes: Sequence[str]) -> dict[str, Any]:
    """A problem+json answer; its codes are listed in the description (a client branches on `code`)."""
    ref = VALIDATION_PROBLEM_REF if VALIDATION[1] in codes else PROBLEM_REF
    schema: dict[str, Any] = {"$ref": ref}
    if VALIDATION[1] in codes and len(codes) > 1:
        # `errors` comes with validation_error only: the route's other 422s are plain problems.
        schema = {"anyOf": [{"$ref": VALIDATION_PROBLEM_REF}, {"$ref": PROBLEM_REF}]}
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{_STATUS_TEXT.get(status, 'Problem')}: {listed}",
        "content": {PROBLEM_JSON: {"schema": schema}},
    }


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


class IssuedKey(BaseModel):
    model_config = _VIEW

    key_id: str
    key: str = Field(description="the secret key: send it as `Authorization: Bearer <key>`; shown only here")
    role: Literal["storefront", "admin"]
    storefront_id: str | None
    status: Literal["active"]


class RevokedKey(BaseModel):
    model_config = _VIEW

    key_id: str
    status: Literal["revoked"]
