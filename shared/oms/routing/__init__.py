"""Sourcing: which locations ship which lines of an order. The checkout uses only this interface.

The engine behind `plan` is replaceable; today it is `oms.routing.nearest` (nearest single location,
greedy split otherwise, made-to-order to its workshop).
"""

from __future__ import annotations

from oms.routing import nearest
from oms.routing.model import Candidate, Plan, PlannedShipment, SourcingLine, SourcingRequest

__all__ = ["Candidate", "Plan", "PlannedShipment", "SourcingLine", "SourcingRequest", "plan"]


def plan(request: SourcingRequest) -> Plan:
    """A plan that covers every line exactly within availability, or InsufficientStock (409).

    Codes: `insufficient_stock` (not enough in total; `lines=[{sku, requested, available}]` for
    every line) and `ship_complete_unavailable` (enough stock, but not in one location).
    """
    return nearest.plan(request)
