"""Channel stock: a batch of the inventory table's stream (stock records only, by the mapping's filter)
read as the skus whose `available` changed, each published to the channels that list it; or, from the
six-hourly schedule, every channel told every figure again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.coldstart import loading

with loading():
    from oms import bootstrap
    from oms.observability import logger, metrics, tracer
    from oms.services.channels import publish_changes, resync_all
    from oms.store import inventory as inventory_store


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = bootstrap.aws()
    if "Records" in event:
        skus = {sku for record in event["Records"] if (sku := changed_sku(record))}
        # A batch that moved no sku's `available` (a shipment: on hand and reserved fell together) calls nobody.
        counts = publish_changes(deps, skus) if skus else {"channels": 0, "published": 0}
        outcome = {"records": len(event["Records"]), "skus": len(skus), **counts}
    else:  # the schedule's event: every channel told every figure again
        outcome = dict(resync_all(deps))
    metrics.add_metric(name="ChannelStockPublished", unit="Count", value=outcome.get("published", 0))
    logger.info("channel stock published", extra=outcome)
    return outcome


def changed_sku(record: dict[str, Any]) -> str | None:
    """The sku of a stream record whose stock level's `available` changed (a new level counts), or of a
    hot sku's bucket a sale drew from; None for anything else (a removal, another kind of record, a write
    that left `available` as it was)."""
    images = inventory_store.stock_images(record)
    if images is None:
        return inventory_store.bucket_sku(record)
    new, old = images
    if old and old.get("available") == new.get("available"):
        return None
    return str(new["sku"])
