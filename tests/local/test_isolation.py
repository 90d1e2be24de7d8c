"""Concurrent in-process invocations each see their own request, as separate Lambda environments do."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from local import isolation


def event(storefront_id: str) -> dict[str, Any]:
    return {
        "resource": "/whoami",
        "path": "/whoami",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"authorizer": {"storefront_id": storefront_id}, "resourcePath": "/whoami"},
        "body": None,
        "isBase64Encoded": False,
    }


def test_two_concurrent_requests_each_read_their_own_event_and_context() -> None:
    isolation.install()
    app = APIGatewayRestResolver(enable_validation=True)
    both_inside = threading.Barrier(2, timeout=10)
    seen: dict[str, tuple[str, str]] = {}

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        before = app.current_event.request_context.authorizer["storefront_id"]
        both_inside.wait()  # the other request has set its event and context by now
        after = app.current_event.request_context.authorizer["storefront_id"]
        assert "_route" in app.context  # the validation middleware's own state survived the other request
        seen[before] = (before, after)
        return {"storefront_id": after}

    replies: dict[str, Any] = {}

    def call(storefront_id: str) -> None:
        replies[storefront_id] = app.resolve(event(storefront_id), None)  # type: ignore[arg-type]

    threads = [threading.Thread(target=call, args=(sf,)) for sf in ("sf-a", "sf-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert seen == {"sf-a": ("sf-a", "sf-a"), "sf-b": ("sf-b", "sf-b")}
    assert {sf: reply["statusCode"] for sf, reply in replies.items()} == {"sf-a": 200, "sf-b": 200}


def test_concurrent_invocations_flush_only_their_own_metrics(capsys: Any) -> None:
    from aws_lambda_powertools import Metrics

    isolation.install()
    metrics = Metrics(namespace="IsolationTest", service="iso")
    both_added = threading.Barrier(2, timeout=10)

    @metrics.log_metrics(raise_on_empty_metrics=True)
    def invocation(event: dict[str, str], context: Any) -> None:
        metrics.add_metric(name=event["name"], unit="Count", value=1)
        both_added.wait()  # each flushes after the other added its metric

    threads = [threading.Thread(target=invocation, args=({"name": n}, None)) for n in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = [line for line in capsys.readouterr().out.splitlines() if "IsolationTest" in line]
    assert sorted(name for line in lines for name in ("A", "B") if f'"{name}":[1.0]' in line) == ["A", "B"]
    assert len(lines) == 2
