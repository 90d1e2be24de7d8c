"""A location (warehouse, store, 3PL, workshop) that acknowledges releases and recalls at once.

As API.md says, sandbox locations do not pack by themselves: a partner (or `make demo`) sends the
shipment.packed / shipment.rejected / build.completed webhooks.
"""

from __future__ import annotations

from oms.ports.location import RecallAck, RecallRequest, ReleaseAck, ReleaseRequest
from oms.ports.payment import reference


class SandboxLocation:
    """LocationGateway for tests and local runs; the release id derives from the idempotency key."""

    def release(self, request: ReleaseRequest) -> ReleaseAck:
        return ReleaseAck(
            release_id=reference("rel", request.idempotency_key),
            location_id=request.location_id,
            work="build" if request.made_to_order else "pick",
            status="acknowledged",
        )

    def recall(self, request: RecallRequest) -> RecallAck:
        return RecallAck(release_id=request.release_id, status="recalled")
