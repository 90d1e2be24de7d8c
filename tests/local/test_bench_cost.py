"""The cost and cold-start import benchmarks run end to end and report consistent figures.

Only the shape of the results, that every lifecycle reached "delivered" and that the counts agree
with each other are checked here: the cost and import targets are the benchmark's to judge
(`make bench`), not a test's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cost, imports

SERVICES = {
    "api_gateway",
    "lambda",
    "step_functions",
    "dynamodb",
    "sqs",
    "eventbridge",
    "cloudwatch_logs",
    "xray",
    "secrets_manager",
}
PER_ORDER = {
    "api_requests",
    "lambda_invocations",
    "lambda_gb_seconds",
    "sfn_transitions",
    "sfn_executions",
    "dynamodb_wru",
    "dynamodb_rru",
    "sqs_requests",
    "eventbridge_events",
    "log_bytes",
}


@pytest.mark.skipif(not cost.PRICES_PATH.exists(), reason="../shared/aws-prices.json is not beside the repository")
def test_cost_meters_every_lifecycle_to_delivered_with_consistent_counts(cdk_out: Path) -> None:
    result = cost.run(orders=2, cdk_out=cdk_out)

    assert set(result) == {"cost", "dominant", "notes"}
    figures = result["cost"]
    lifecycles = figures["lifecycles"]
    assert figures["orders"] == lifecycles["measured"] == lifecycles["delivered"] == 2
    assert lifecycles["dead_letters"] == 0
    assert lifecycles["phase_statuses"] == {"SUCCEEDED": sum(lifecycles["phases_by_machine"].values())}

    per_order = figures["per_order"]
    assert set(per_order) >= PER_ORDER
    shipments = lifecycles["shipments_per_order"]
    assert shipments >= 1
    # The checkout, then per shipment the location's shipment.packed and the carrier's shipment.delivered.
    assert per_order["api_requests"] == 1 + 2 * shipments
    # The partner webhooks are on the HTTP API, priced at its rate; the checkout on the REST API.
    assert per_order["api_requests_http"] == 2 * shipments
    assert per_order["lambda_invocations"] >= per_order["api_requests"]
    assert per_order["lambda_gb_seconds"] > 0
    # The fulfil phase, and one ship phase per shipment.
    assert per_order["sfn_executions"] >= 2
    assert per_order["sfn_executions"] == 1 + shipments
    assert per_order["sfn_transitions"] > per_order["sfn_executions"]
    assert per_order["dynamodb_wru"] > 0
    assert per_order["dynamodb_rru"] > 0
    # Partner events reach their worker by asynchronous invocation: no SQS request while nothing fails.
    assert per_order["sqs_requests"] == 0
    assert figures["details_per_order"]["lambda_async_events"] == {"partner_events": 2 * shipments}
    assert per_order["eventbridge_events"] > 0
    assert per_order["log_bytes"] > 0
    # X-Ray: the REST request and the executions are the sampled roots (at the rule's rate); no function
    # starts traces of its own, and Lambda's START/END/REPORT lines are not kept (system logs at WARN).
    rate = figures["xray_sampling"]["fixed_rate"]
    assert per_order["xray_traces_own"] == 0
    assert per_order["xray_traces"] == pytest.approx((1 + per_order["sfn_executions"]) * rate, rel=1e-6)
    assert figures["details_per_order"]["log_bytes"]["lambda_platform_lines"] == 0

    details = figures["details_per_order"]
    assert details["api_requests"] == {"POST /v1/orders": 1, "POST /v1/webhooks/{partner_id}": 2 * shipments}
    assert sum(details["lambda_invocations"].values()) == pytest.approx(per_order["lambda_invocations"], abs=0.01)
    assert details["lambda_invocations"]["workflow"] >= per_order["sfn_executions"]
    assert sum(item["wru"] for item in details["dynamodb_writes_by_item"].values()) == pytest.approx(
        per_order["dynamodb_wru"], abs=0.01
    )
    assert figures["polling_excluded"]["get_requests_per_order"] > 0  # metered apart, not in api_requests

    for workflow in ("express", "standard"):
        priced = figures[workflow]
        assert set(priced["by_service"]) == SERVICES
        assert priced["usd_per_1000_orders"] == pytest.approx(sum(priced["by_service"].values()), abs=1e-5)
        assert priced["usd_per_1000_orders"] > 0
        prices = cost.load_prices()
        rest, http = prices["api_gateway_rest_per_million_requests"], prices["api_gateway_http_per_million_requests"]
        assert priced["by_service_usd_per_order"]["api_gateway"] == pytest.approx(
            (rest + 2 * shipments * http) / 1e6, rel=1e-3
        )
    assert figures["standard"]["by_service"]["step_functions"] != figures["express"]["by_service"]["step_functions"]
    assert isinstance(figures["target"]["met"], bool)
    assert result["dominant"].startswith("express: ")
    assert "cost:" in cost.report(result)


def test_item_sizes_follow_dynamodb_rules() -> None:
    assert cost.item_size({"pk": {"S": "ORDER#1"}}) == 2 + 7
    assert cost.item_size({"n": {"N": "12345"}}) == 1 + (3 + 1)
    assert cost.item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 3 + 3
    assert cost.item_size({"m": {"M": {}}}) == 1 + 3
    assert cost.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + 1 + 1 + 2
    assert cost.item_size({"l": {"L": [{"N": "1"}, {"S": "é"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert cost.item_size({"b": {"B": "AAEC"}}) == 1 + 3
    assert cost.item_size(None) == 0


def test_import_times_are_measured_beside_the_baseline() -> None:
    result = imports.run(repeats=1)

    figures = result["import_ms"]
    assert set(figures) == {*imports.function_names(), imports.BASELINE}
    assert "api" in figures
    assert all(ms > 0 for ms in figures.values())
    assert result["ratio_api_to_baseline"] == pytest.approx(figures["api"] / figures[imports.BASELINE], abs=0.01)
    assert isinstance(result["target"]["met"], bool)
    assert result["api_as_bundled_ms"] > 0
    assert "api / baseline" in imports.report(result)


class _Assembly:
    """A resolved template of three functions: one behind the REST API, one a state machine's task, one
    invoked by a queue; `modes` their tracing."""

    def __init__(self, modes: dict[str, str]) -> None:
        self.modes = modes

    def of_type(self, kind: str) -> list[tuple[str, dict[str, object]]]:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:Oms-dev-"
        if kind == "AWS::Lambda::Function":
            return [(name, {"TracingConfig": {"Mode": mode}}) for name, mode in self.modes.items()]
        if kind == "AWS::ApiGateway::Method":
            return [("Get", {"Integration": {"Uri": f"apigateway:lambda:path/functions/{arn}Api/invocations"}})]
        if kind == "AWS::StepFunctions::StateMachine":
            return [("Fulfil", {"DefinitionString": f'{{"Resource": "{arn}Workflow"}}'})]
        return []

    def physical(self, logical_id: str) -> object:
        return type("Physical", (), {"ref": f"Oms-dev-{logical_id}"})()


class _Stack:
    def __init__(self, modes: dict[str, str]) -> None:
        self.assembly = _Assembly(modes)
        self.registry = type("Registry", (), {"functions": []})()


def test_a_function_that_starts_its_own_traces_is_found_and_counted_in_full() -> None:
    active = {"Api": "Active", "Workflow": "Active", "Worker": "Active"}
    assert cost.self_traced(_Stack(active)) == {"Worker"}
    assert cost.self_traced(_Stack({**active, "Worker": "PassThrough"})) == set()

    units = {"api.requests": 3, "api.http_requests": 2, "lambda.invocations.Worker": 4}
    per_order = cost._per_order(units, cost.Phases(executions=2), 1, {"Worker"}, traced=0.01)
    # 1 REST request + 2 executions at the rule's 1%; the worker's 4 invocations recorded in full.
    assert per_order["xray_traces"] == pytest.approx(3 * 0.01 + 4)
    assert per_order["xray_traces_own"] == 4
