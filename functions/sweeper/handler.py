"""Scheduled: releases expired holds, starts phases that did not start, escalates shipments not packed in time,
merges back the stock buckets of sales that ended."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.coldstart import loading

with loading():
    from oms import bootstrap
    from oms.observability import logger, metrics, tracer
    from oms.services.holds import expire_due_holds
    from oms.services.stock_buckets import end_sales
    from oms.services.sweep import sweep_due_orders


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = bootstrap.aws()
    expired = expire_due_holds(deps)
    if expired:
        metrics.add_metric(name="HoldsExpired", unit="Count", value=len(expired))
        logger.info("holds expired", extra={"hold_ids": expired})
    due = sweep_due_orders(deps)
    if due["started"]:
        logger.info("phases started late", extra={"executions": due["started"]})
    sales = end_sales(deps)
    if sales:
        logger.info("sales ended: buckets merged back", extra={"sales": sales})
    return {
        "holds_expired": len(expired),
        "sales_ended": len(sales),
        "shipments_escalated": len(due["escalated"]),
        "phases_started": len(due["started"]),
    }
