"""A storefront's routing policy: which locations may ship its orders, and how candidate plans are ranked.

In the spirit of Shopify's order routing rules and Fluent's sourcing strategies, the policy is an
ordered list of rules. `eligibility` is a filter and always applies (paused, no capacity left today,
a location type the storefront does not allow, a store or showroom that may not ship, an excluded
location); naming it is allowed, first only. Every other rule ranks whole plans, lexicographically in
the order given, and each is a sum over the plan's shipments:

- `fewest_shipments`: one per shipment;
- `nearest`: haversine distance from the shipping location to the destination (shortest distance);
- `lowest_quote`: the carrier's quote for one shipment from that location (a distance estimate when
  the request carries no quote for it);
- `priority`: the location's `priority` (lower is preferred, like a rank);
- `prefer_locations`: one per shipment from a location not in `prefer_locations`.

Ties left by the storefront's rules are broken by location priority, then by location id, so a plan
never depends on the order of the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from oms.domain.errors import Unprocessable

ELIGIBILITY: Final = "eligibility"
RANKING_RULES: Final = ("fewest_shipments", "nearest", "lowest_quote", "priority", "prefer_locations")
RULES: Final = (ELIGIBILITY, *RANKING_RULES)
LOCATION_TYPES: Final = frozenset({"warehouse", "store", "showroom", "3pl", "workshop"})
# Types that are shops first: they ship only when the storefront allows ship-from-store and the
# location itself has the capability.
STORE_TYPES: Final = frozenset({"store", "showroom"})
DEFAULT_RULES: Final = (ELIGIBILITY, "fewest_shipments", "nearest")
_CONFIG_KEYS: Final = frozenset(
    {"rules", "allowed_location_types", "ship_from_store", "max_shipments", "prefer_locations", "exclude_locations"}
)


def _invalid(detail: str, **extra: Any) -> Unprocessable:
    return Unprocessable(detail, code="invalid_routing_policy", **extra)


@dataclass(frozen=True)
class RoutingPolicy:
    """One storefront's routing rules; the defaults are the OMS's default policy.

    `ship_from_store` is the storefront's switch: True lets a store or showroom ship when the location
    has `capabilities.ship_from_store`; False keeps every store and showroom out. `max_shipments`
    caps the shipments of one order (None: no cap; a request's `ship_complete` means one).
    """

    rules: tuple[str, ...] = DEFAULT_RULES
    allowed_location_types: frozenset[str] = LOCATION_TYPES
    ship_from_store: bool = True
    max_shipments: int | None = None
    prefer_locations: tuple[str, ...] = ()
    exclude_locations: tuple[str, ...] = ()
    ranking: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [rule for rule in self.rules if rule not in RULES]
        if unknown:
            raise Unprocessable(
                f"unknown routing rule(s) {', '.join(map(repr, unknown))}; known: {', '.join(RULES)}",
                code="unknown_routing_rule",
                rules=unknown,
                known_rules=list(RULES),
            )
        if len(set(self.rules)) != len(self.rules):
            raise _invalid("a routing rule is named twice", rules=list(self.rules))
        if ELIGIBILITY in self.rules[1:]:
            raise _invalid("eligibility filters the candidates, so it can only be the first rule")
        types = frozenset(self.allowed_location_types)
        if not types or not types <= LOCATION_TYPES:
            raise _invalid(
                f"allowed_location_types must name some of {', '.join(sorted(LOCATION_TYPES))}",
                allowed_location_types=sorted(types),
            )
        object.__setattr__(self, "allowed_location_types", types)
        if self.max_shipments is not None and self.max_shipments < 1:
            raise _invalid(f"max_shipments must be at least 1, got {self.max_shipments}")
        if self.prefer_locations and "prefer_locations" not in self.rules:
            raise _invalid("prefer_locations is set but the rule 'prefer_locations' is not in rules")
        ranking = [rule for rule in self.rules if rule != ELIGIBILITY]
        # Tie-breakers after the storefront's own rules; location id comes last, in the engine.
        if "priority" not in ranking:
            ranking.append("priority")
        object.__setattr__(self, "ranking", tuple(ranking))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RoutingPolicy:
        """The policy of a storefront's `config["routing"]` (None or {}: the default policy)."""
        if not config:
            return DEFAULT_POLICY
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise _invalid(f"unknown routing setting(s) {', '.join(unknown)}", settings=unknown)
        try:
            rules = tuple(_strings(config.get("rules", DEFAULT_RULES), "rules"))
            types = frozenset(_strings(config.get("allowed_location_types", LOCATION_TYPES), "allowed_location_types"))
            prefer = tuple(_strings(config.get("prefer_locations", ()), "prefer_locations"))
            exclude = tuple(_strings(config.get("exclude_locations", ()), "exclude_locations"))
        except TypeError as error:
            raise _invalid(str(error)) from error
        ship_from_store = config.get("ship_from_store", True)
        if not isinstance(ship_from_store, bool):
            raise _invalid("ship_from_store must be true or false")
        max_shipments = config.get("max_shipments")
        if max_shipments is not None and (isinstance(max_shipments, bool) or not isinstance(max_shipments, int)):
            raise _invalid("max_shipments must be a whole number or null")
        return cls(rules, types, ship_from_store, max_shipments, prefer, exclude)

    def check_locations(self, known: Iterable[str]) -> None:
        """Refuse a policy that names a location the OMS does not know (a typo would silently do nothing)."""
        ids = set(known)
        unknown = list(
            dict.fromkeys(loc for loc in (*self.prefer_locations, *self.exclude_locations) if loc not in ids)
        )
        if unknown:
            raise Unprocessable(
                f"the routing rules name unknown location(s) {', '.join(unknown)}",
                code="unknown_location_in_rules",
                locations=unknown,
            )

    def describe(self) -> dict[str, Any]:
        """The policy as JSON, for the plan's explanation."""
        return {
            "rules": list(self.rules),
            "tie_breakers": [rule for rule in self.ranking if rule not in self.rules] + ["location_id"],
            "allowed_location_types": sorted(self.allowed_location_types),
            "ship_from_store": self.ship_from_store,
            "max_shipments": self.max_shipments,
            "prefer_locations": list(self.prefer_locations),
            "exclude_locations": list(self.exclude_locations),
        }


def _strings(value: Any, name: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of strings")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise TypeError(f"{name} must be a list of strings")
    return items


DEFAULT_POLICY: Final = RoutingPolicy()
