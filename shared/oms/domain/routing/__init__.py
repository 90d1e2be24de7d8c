"""Sourcing: which locations ship which lines of an order. The checkout uses only this interface.

The engine behind `plan` is `oms.domain.routing.engine` (eligibility, made-to-order to its workshop, the
cheapest plan by the storefront's `RoutingPolicy`, delivery promises); `oms.domain.routing.search` is the
optimizer it uses (exact branch and bound for small cases, a heuristic beyond).
"""

from __future__ import annotations

from collections.abc import Mapping

from oms.domain.models import Location
from oms.domain.routing import engine
from oms.domain.routing.eligibility import why_ineligible
from oms.domain.routing.model import Candidate, Plan, PlannedShipment, SourcingLine, SourcingRequest
from oms.domain.routing.options import delivery_options
from oms.domain.routing.policy import DEFAULT_POLICY, RULES, RoutingPolicy

__all__ = [
    "DEFAULT_POLICY",
    "RULES",
    "Candidate",
    "Plan",
    "PlannedShipment",
    "RoutingPolicy",
    "SourcingLine",
    "SourcingRequest",
    "delivery_options",
    "eligible",
    "plan",
]


def eligible(
    locations: list[Location], policy: RoutingPolicy, capacity_left: Mapping[str, int] | None = None
) -> list[Location]:
    """The locations that may ship for a storefront with this policy (what its availability counts)."""
    return [loc for loc in locations if why_ineligible(loc, policy, capacity_left or {}) is None]


def plan(request: SourcingRequest) -> Plan:
    """A plan that covers every line exactly within availability, or a refusal with a named code.

    409 (InsufficientStock, `lines=[{sku, requested, available}]` for every line):
      `insufficient_stock` (not enough at eligible locations), `ship_complete_unavailable` (enough,
      but not in one location), `max_shipments_exceeded` (enough, but only as a bigger split than the
      policy allows).
    422 (Unprocessable): `service_level_unavailable` (with `now`: the stock exists, but not where the
      level can be promised; `available_service_levels` lists those that can), `unknown_location_in_rules`,
      `destination_unlocatable`; `unknown_routing_rule` and `invalid_routing_policy` come from
      building the RoutingPolicy.
    """
    return engine.plan(request)
