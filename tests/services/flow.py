"""The phases as their state machines run them (retries, catches, compensation), over services in memory.

Mirrors infra/constructs/workflow.py: a transient error is retried three times; OrderClosed ends the
phase quietly; any other error of the fulfil phase compensates, of the ship phase holds the shipment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from oms.domain import lifecycle
from oms.domain.lifecycle import OrderClosed
from oms.ports.payment import TransientPartnerError
from oms.ports.unit_of_work import CommitRefused
from oms.services import fulfil, ship
from oms.services.compensate import compensate
from oms.services.deps import Deps

T = TypeVar("T")
TRANSIENT = (TransientPartnerError, lifecycle.NotYet, CommitRefused, TimeoutError)
RETRIES = 3


class Failed(Exception):
    """A task failed past its retries: what the state machine's Catch receives."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = {"Error": type(error).__name__, "Cause": str(error)}


def task(call: Callable[[], T]) -> T:
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except OrderClosed:
            raise
        except TRANSIENT as error:
            if attempt == RETRIES:
                raise Failed(error) from error
        except Exception as error:
            raise Failed(error) from error
    raise AssertionError("unreachable")


def run_fulfil(deps: Deps, order_id: str, shipment_ids: list[str] | None = None) -> str:
    """The fulfil phase (from the start, or for re-routed `shipment_ids`); answers how it ended."""
    try:
        if shipment_ids is None:
            verdict: dict[str, Any] = task(lambda: fulfil.screen_and_authorize(deps, order_id))
            if verdict["decision"] in ("review", "pending"):
                return str(verdict["decision"])
            if verdict["decision"] == "reject":
                compensate(deps, order_id, {"Error": "FraudRejected", "Cause": verdict["summary"]})
                return "rejected"
            shipment_ids = verdict["shipment_ids"]
        for shipment_id in shipment_ids:
            task(lambda shipment_id=shipment_id: fulfil.book_and_release(deps, order_id, shipment_id))
    except OrderClosed:
        return "closed"
    except Failed as failed:
        compensate(deps, order_id, failed.error)
        return "rejected"
    return "released"


def run_ship(deps: Deps, order_id: str, shipment_id: str) -> str:
    try:
        task(lambda: ship.capture_and_ship(deps, order_id, shipment_id))
    except OrderClosed:
        return "closed"
    except Failed as failed:
        ship.hold_shipment(deps, order_id, shipment_id, failed.error)
        return "held"
    return "shipped"
