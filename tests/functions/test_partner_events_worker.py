"""The partner-events worker on moto: an event that came before its turn goes back to the queue with one
INFO line, never a raised batch (an ERROR with a stack on Lambda)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.partner_events import handler as worker
from oms import bootstrap
from oms.domain.partners import Partner
from oms.services.checkout import place_order
from oms.store import config
from tests.functions.conftest import MORNING, body


def record(message_id: str, partner_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": json.dumps({"partner_id": partner_id, "event": event}),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {"correlation_id": {"stringValue": "req-1", "dataType": "String"}},
        "eventSource": "aws:sqs",
    }


@pytest.mark.usefixtures("network")
def test_an_event_before_its_turn_goes_back_to_the_queue_with_one_info_line(
    lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config.put_partner(Partner("carrier", "Carrier", frozenset({"carrier"})))
    order = place_order(bootstrap.aws(MORNING), body({"A": 1}), "sf-1", "k").order
    delivered = {
        "id": "evt_1",
        "type": "shipment.delivered",  # before it was even packed
        "occurred_at": "2026-03-02T01:00:00Z",
        "data": {"order_id": order.order_id, "shipment_id": order.shipments[0].shipment_id},
    }

    with caplog.at_level(logging.INFO):
        answer = worker.handler({"Records": [record("m-1", "carrier", delivered)]}, lambda_context)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    lines = [r for r in caplog.records if r.getMessage() == "partner event not applied yet"]
    assert [(r.levelname, getattr(r, "code", None), getattr(r, "order_id", None)) for r in lines] == [
        ("INFO", "not_yet", order.order_id)
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
