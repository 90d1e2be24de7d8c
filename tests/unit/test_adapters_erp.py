"""The sandbox ERP: records any event, with a receipt id stable per idempotency key."""

from __future__ import annotations

import pytest

from oms.adapters.sandbox_erp import SandboxErp
from oms.ports.erp import ErpEvent, ErpSink

erp: ErpSink = SandboxErp()


def event(key: str = "ord_1:erp:order.accepted") -> ErpEvent:
    return ErpEvent("order.accepted", "2026-01-31T09:30:00Z", key, order_id="ord_1", data={"total": 119800})


def test_an_event_is_recorded_once_per_key() -> None:
    receipt = erp.publish(event())
    assert (receipt.status, receipt.pending) == ("recorded", False)
    assert erp.publish(event()) == receipt
    assert erp.publish(event("other")).receipt_id != receipt.receipt_id


def test_an_event_needs_a_type_and_a_key() -> None:
    with pytest.raises(ValueError, match="type"):
        ErpEvent("", "2026-01-31T09:30:00Z", "k")
    with pytest.raises(ValueError, match="idempotency"):
        ErpEvent("order.accepted", "2026-01-31T09:30:00Z", "")
