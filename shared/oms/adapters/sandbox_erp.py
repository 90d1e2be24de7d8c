"""An ERP that records every event it is sent (in the receipt only: the sandbox keeps nothing)."""

from __future__ import annotations

from oms.ports.erp import ErpEvent, ErpReceipt
from oms.ports.payment import reference


class SandboxErp:
    """ErpSink for tests and local runs; the receipt id derives from the idempotency key."""

    def publish(self, event: ErpEvent) -> ErpReceipt:
        return ErpReceipt(receipt_id=reference("erp", event.idempotency_key), status="recorded")
