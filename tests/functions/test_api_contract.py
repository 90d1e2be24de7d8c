"""The api function answers what its OpenAPI document says, for the defects the document's contract test found."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.api.handler import app
from functions.api.handler import handler as api
from tests.functions.conftest import build_proxy_event
from tests.network import body

STOREFRONT = {"role": "storefront", "storefront_id": "sf-1", "key_id": "k-sf-1"}


def call(context: Any, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    event = build_proxy_event(method, path, authorizer=STOREFRONT, **kwargs)
    answer = api(event, context)
    return answer["statusCode"], json.loads(answer["body"])


def document() -> dict[str, Any]:
    return app.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)


@pytest.mark.usefixtures("network")
def test_availability_reads_quantity_from_the_query_string(lambda_context: Any) -> None:
    status, answer = call(lambda_context, "GET", "/v1/availability", query={"sku": ["A"], "quantity": "1"})
    assert status == 200, answer
    assert [sku["sku"] for sku in answer["skus"]] == ["A"]


@pytest.mark.usefixtures("aws_stack")
def test_availability_still_refuses_a_quantity_out_of_range(lambda_context: Any) -> None:
    status, answer = call(lambda_context, "GET", "/v1/availability", query={"sku": ["A"], "quantity": "0"})
    assert (status, answer["code"]) == (422, "validation_error")


@pytest.mark.usefixtures("aws_stack")
@pytest.mark.parametrize("created_after", ["2026-13-45", "2026-02-30", "2026-01-31T25:99:00Z"])
def test_orders_created_after_a_date_that_does_not_exist_is_a_validation_error(
    lambda_context: Any, created_after: str
) -> None:
    status, answer = call(lambda_context, "GET", "/v1/orders", query={"created_after": created_after})
    assert (status, answer["code"]) == (422, "validation_error")
    assert [error["field"] for error in answer["errors"]] == ["query.created_after"]


@pytest.mark.usefixtures("aws_stack")
@pytest.mark.parametrize("created_after", ["2026-01-31", "2026-01-31T09:30:00Z", "2026-01-31T09:30:00.123Z"])
def test_orders_created_after_a_real_date_or_time_are_listed(lambda_context: Any, created_after: str) -> None:
    status, answer = call(lambda_context, "GET", "/v1/orders", query={"created_after": created_after})
    assert status == 200, answer
    assert answer == {"orders": [], "next_cursor": None}


@pytest.mark.usefixtures("network")
def test_placing_a_hold_answers_the_status_the_document_gives_it(lambda_context: Any) -> None:
    documented = set(document()["paths"]["/v1/holds"]["post"]["responses"])
    status, answer = call(
        lambda_context,
        "POST",
        "/v1/holds",
        body={"lines": [{"sku": "A", "quantity": 1}]},
        headers={"Content-Type": "application/json"},
    )
    assert status == 201, answer
    assert {s for s in documented if s.startswith("2")} == {"201"}


@pytest.mark.usefixtures("aws_stack")
@pytest.mark.parametrize(
    ("key", "code", "title"),
    [
        (None, "idempotency_key_missing", "Idempotency-Key required"),
        ("two words", "idempotency_key_invalid", "Invalid Idempotency-Key"),
        ("k" * 256, "idempotency_key_invalid", "Invalid Idempotency-Key"),
    ],
)
def test_a_missing_or_malformed_idempotency_key_is_a_problem_with_its_own_title(
    lambda_context: Any, key: str | None, code: str, title: str
) -> None:
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key is not None else {})}
    status, answer = call(
        lambda_context,
        "POST",
        "/v1/orders",
        body=body({"A": 1}).model_dump(mode="json", exclude_none=True),
        headers=headers,
    )
    assert (status, answer["code"], answer["title"]) == (400, code, title)
