"""The realistic cost scenario drives real signed partner calls and storefront deliveries, and prices them.

What a reader of its table relies on is checked here: the partners were called over the signed-HTTPS
adapters with valid signatures, the storefront's webhook received the order's events, the figures are
priced at every volume, and the fixed costs are counted from the template. The figures themselves are
the benchmark's to report (`make bench`), not a test's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import cost_realistic, imports
from bench.cost import PRICES_PATH, Sampling

ORDERS = 2
PARTNER_REQUESTS = {"fraud.screen", "payment.authorize", "carrier.book", "shipment.release", "payment.capture"}


@pytest.fixture(scope="module")
def result(cdk_out: Path) -> dict[str, object]:
    if not PRICES_PATH.exists():
        pytest.skip("../shared/aws-prices.json is not beside the repository")
    # Import times stand in for a fresh-interpreter measurement (bench.imports is tested on its own).
    init_ms = dict.fromkeys(imports.function_names(), 300.0)
    return cost_realistic.run(orders=ORDERS, warmup=1, partner_latency_ms=20, cdk_out=cdk_out, init_ms=init_ms)


def test_every_partner_request_travels_signed_to_the_partner_server_and_every_order_is_delivered(
    result: dict[str, object],
) -> None:
    realistic = result["realistic"]
    assert isinstance(realistic, dict)
    lifecycles = realistic["lifecycles"]
    assert lifecycles["measured"] == lifecycles["delivered"] == ORDERS
    assert lifecycles["dead_letters"] == 0
    assert lifecycles["phase_statuses"] == {"SUCCEEDED": sum(lifecycles["phases_by_machine"].values())}

    partner = realistic["partner"]
    assert set(partner["requests_per_order"]) >= PARTNER_REQUESTS
    assert all(count >= 1 for count in partner["requests_per_order"].values())
    assert partner["all_signed"] is True and realistic["unsigned_requests"] == 0
    assert partner["seconds_per_order"] > 0  # the partner's wait is inside the measured durations

    # The screen's and the payment provider's later answers are their webhooks; the two status reads are
    # the storefront's requests of the order.
    requests = realistic["api_requests_per_order"]
    assert requests["GET /v1/orders/{order_id}"] == cost_realistic.STATUS_READS
    assert "POST /v1/admin/orders/{order_id}/review" not in requests
    assert requests["POST /v1/webhooks/{partner_id}"] >= 4  # packed, delivered, fraud.decided, payment.authorized


def test_the_storefront_webhook_receives_the_orders_events_signed_with_its_secret(
    result: dict[str, object],
) -> None:
    realistic = result["realistic"]
    assert isinstance(realistic, dict)
    hook = realistic["storefront_webhook"]
    assert hook["all_signed"] is True
    assert {"order.processing", "order.delivered"} <= set(hook["events_per_order"])
    assert realistic["lambda_invocations_per_order"]["notifier"] > 0


def test_each_volume_is_priced_positive_with_its_xray_share_and_the_headline_is_the_100k_row(
    result: dict[str, object],
) -> None:
    realistic = result["realistic"]
    assert isinstance(realistic, dict)
    rows = {row["orders_per_month"]: row for row in realistic["volumes"]}
    assert set(rows) == set(cost_realistic.VOLUMES)
    assert realistic["usd_per_1000_orders"] == rows[cost_realistic.HEADLINE_VOLUME]["usd_per_1000_orders"] > 0
    for row in rows.values():
        assert row["usd_per_1000_orders"] == pytest.approx(sum(row["by_service"].values()), abs=1e-5)
        assert row["by_service"]["lambda_init"] > 0
        assert 0 < row["xray_recorded_share"] <= 1
    # More orders a month: the 1 trace/s reservoir keeps a smaller share of them.
    shares = [rows[v]["xray_recorded_share"] for v in sorted(rows)]
    assert shares == sorted(shares, reverse=True)
    assert json.loads(json.dumps(result))  # merges into results.json as is


def test_the_fixed_costs_count_the_templates_keys_alarms_and_dashboard_and_meet_the_orders_cost(
    result: dict[str, object], cdk_out: Path
) -> None:
    template = json.loads(next(cdk_out.glob("*.template.json")).read_text())
    kinds = [r["Type"] for r in template["Resources"].values()]
    realistic = result["realistic"]
    assert isinstance(realistic, dict)
    fixed = realistic["fixed"]
    assert fixed["kms_customer_keys"]["count"] == kinds.count("AWS::KMS::Key") > 0
    assert fixed["kms_customer_keys"]["usd_per_month"] > 0
    assert fixed["cloudwatch_alarms"]["count"] == kinds.count("AWS::CloudWatch::Alarm")
    assert fixed["cloudwatch_dashboards"]["count"] == kinds.count("AWS::CloudWatch::Dashboard")
    assert fixed["custom_metrics"]["count"] >= 1
    # A secret per partner the scenario talks to, and the storefront webhook's.
    assert fixed["secrets_manager_secrets"]["count"] == len(set(cost_realistic.ADAPTERS.values())) + 1
    total = sum(line["usd_per_month"] for line in fixed.values())
    assert result["fixed_usd_per_month"] == realistic["fixed_usd_per_month"] == pytest.approx(total, abs=0.01)

    # At the break-even volume the orders' own monthly cost equals the fixed costs.
    even = realistic["break_even"]
    assert even["orders_per_month"] == realistic["break_even_orders_per_month"] > 0
    assert even["orders_usd_per_month"] == pytest.approx(realistic["fixed_usd_per_month"], rel=0.01)
    assert "break-even" in cost_realistic.report(result)


def test_the_xray_model_records_the_reservoir_then_the_fixed_rate() -> None:
    rule = Sampling(fixed_rate=0.05, reservoir_per_second=1)
    assert cost_realistic.recorded_share(0.001, rule) == pytest.approx(1.0, abs=0.001)  # all in the reservoir
    assert cost_realistic.recorded_share(1000.0, rule) == pytest.approx(0.05, abs=0.001)  # the fixed rate
    in_reservoir = 1 - math.exp(-3.0)  # E[min(N, 1)] for N ~ Poisson(3)
    assert cost_realistic.recorded_per_second(3.0, 1, 0.05) == pytest.approx(in_reservoir + 0.05 * (3 - in_reservoir))
