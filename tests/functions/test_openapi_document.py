"""The served OpenAPI document is the whole contract: answers, problems, the bearer key, both webhook directions."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate

from functions.api.handler import app
from functions.api.route_table import ROUTES
from oms.domain.messages import PartnerEventType

SPEC: dict[str, Any] = app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)
DESCRIBED = [route for route in ROUTES if route.name not in {"openapi", "docs"}]
# The routes whose answers this change gave response models (functions/api/routes/*, admin excepted).
MODELLED = {
    "health",
    "create_order",
    "list_orders",
    "get_order",
    "cancel_order",
    "availability",
    "create_hold",
    "delete_hold",
    "review_order",
    "create_key",
    "revoke_key",
}


def operation(name: str) -> dict[str, Any]:
    route = next(route for route in ROUTES if route.name == name)
    return SPEC["paths"][route.path][route.method.lower()]  # type: ignore[no-any-return]


def test_the_document_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


@pytest.mark.parametrize("route", DESCRIBED, ids=[route.name for route in DESCRIBED])
def test_every_route_is_in_the_document(route: Any) -> None:
    assert route.method.lower() in SPEC["paths"][route.path]


@pytest.mark.parametrize("name", sorted(MODELLED))
def test_every_success_answer_of_a_modelled_route_names_its_schema(name: str) -> None:
    answers = {status: answer for status, answer in operation(name)["responses"].items() if status.startswith("2")}
    assert answers
    for answer in answers.values():
        assert answer["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")


@pytest.mark.parametrize("route", [r for r in DESCRIBED if r.keyed], ids=[r.name for r in DESCRIBED if r.keyed])
def test_keyed_routes_take_the_bearer_key_and_list_the_gateways_answers(route: Any) -> None:
    described = SPEC["paths"][route.path][route.method.lower()]
    assert described["security"] == [{"bearerAuth": []}]
    for status, code in [
        ("401", "unauthorized"),
        ("403", "api_access_disabled"),
        ("403", "forbidden"),
        ("429", "throttled"),
    ]:
        answer = described["responses"][status]
        assert code in answer["description"]
        assert "application/problem+json" in answer["content"]


def test_the_bearer_scheme_is_declared() -> None:
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key",
        "description": "An OMS API key (storefront or admin): `Authorization: Bearer <key>`.",
    }


def test_problems_are_rfc_9457_with_a_code_and_validation_lists_each_field() -> None:
    schemas = SPEC["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    assert schemas["Problem"]["additionalProperties"] is True
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert "HTTPValidationError" not in schemas
    for status in ("400", "413", "415", "422"):
        assert "application/problem+json" in operation("create_order")["responses"][status]["content"]


def test_checkout_declares_its_required_idempotency_key_header() -> None:
    (header,) = [p for p in operation("create_order")["parameters"] if p["in"] == "header"]
    assert header["name"].lower() == "idempotency-key"
    assert header["required"] is True
    assert "x-required" not in header["schema"]
    codes = operation("create_order")["responses"]["400"]["description"]
    assert "idempotency_key_missing" in codes and "idempotency_key_invalid" in codes


def test_the_partner_webhook_is_described_with_its_signature_and_every_event_type() -> None:
    webhook = operation("partner_event")
    assert {(p["in"], p["name"], p["required"]) for p in webhook["parameters"]} == {
        ("path", "partner_id", True),
        ("header", "OMS-Signature", True),
    }
    mapping = webhook["requestBody"]["content"]["application/json"]["schema"]["discriminator"]["mapping"]
    assert set(mapping) == set(get_args(PartnerEventType))
    schemas = SPEC["components"]["schemas"]
    packed = schemas[mapping["shipment.packed"].rsplit("/", 1)[-1]]
    assert set(packed["required"]) == {"id", "type", "occurred_at", "data"}
    assert packed["properties"]["data"] == {"$ref": "#/components/schemas/ShipmentRef"}
    assert {"202", "400", "401", "403", "413"} <= set(webhook["responses"])
    assert "security" in webhook and webhook["security"] == []


def test_the_events_sent_to_storefronts_are_top_level_webhooks() -> None:
    webhooks = SPEC["webhooks"]
    assert {"order.cancelled", "shipment.shipped", "shipment.delivered", "order.on_hold"} <= set(webhooks)
    shipped = webhooks["shipment.shipped"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    model = SPEC["components"]["schemas"][shipped["$ref"].rsplit("/", 1)[-1]]
    assert set(model["required"]) == {"id", "type", "occurred_at", "idempotency_key", "data"}
    assert "OMS-Signature" in json.dumps(webhooks["shipment.shipped"]["post"]["parameters"])
