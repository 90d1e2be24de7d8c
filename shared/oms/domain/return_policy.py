"""What a storefront takes back: its returns policy, and the check of a return request against an order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, Final

from pydantic import Field

from oms.clock import parse_rfc3339
from oms.domain.errors import Unprocessable
from oms.domain.models import Quantity, ShortText, Sku, Strict
from oms.domain.orders import Order

DEFAULT_WINDOW_DAYS: Final = 30
MAX_WINDOW_DAYS: Final = 3650
_CONFIG_KEYS: Final = frozenset({"window_days", "non_returnable", "auto_approve", "refund_shipping"})


# -- the storefront's policy --------------------------------------------------------------------------


def _invalid(detail: str, **extra: Any) -> Unprocessable:
    return Unprocessable(detail, code="invalid_return_policy", **extra)


@dataclass(frozen=True)
class ReturnPolicy:
    """A storefront's returns: `window_days` after a unit's delivery (0: no returns), skus it never takes
    back, whether a request is approved at once or waits for an operator, and whether a refund gives back
    the returned units' share of shipping."""

    window_days: int = DEFAULT_WINDOW_DAYS
    non_returnable: frozenset[str] = field(default_factory=frozenset)
    auto_approve: bool = True
    refund_shipping: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ReturnPolicy:
        """The policy of a storefront's `config["returns"]` (None or {}: the defaults). Raises
        Unprocessable `invalid_return_policy` naming the setting at fault."""
        if not config:
            return cls()
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise _invalid(f"unknown return setting(s) {', '.join(unknown)}", settings=unknown)
        window = config.get("window_days", DEFAULT_WINDOW_DAYS)
        if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= MAX_WINDOW_DAYS:
            raise _invalid(
                f"window_days must be a whole number of days from 0 to {MAX_WINDOW_DAYS}", setting="window_days"
            )
        skus = config.get("non_returnable", ())
        if isinstance(skus, str | bytes) or not isinstance(skus, Iterable) or not all(isinstance(s, str) for s in skus):
            raise _invalid("non_returnable must be a list of skus", setting="non_returnable")
        flags = {name: config.get(name, getattr(cls, name)) for name in ("auto_approve", "refund_shipping")}
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise _invalid(f"{name} must be true or false", setting=name)
        return cls(window, frozenset(skus), flags["auto_approve"], flags["refund_shipping"])

    def describe(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "non_returnable": sorted(self.non_returnable),
            "auto_approve": self.auto_approve,
            "refund_shipping": self.refund_shipping,
        }


class ReturnRequestLine(Strict):
    sku: Sku
    quantity: Quantity
    reason: ShortText


class ReturnRequest(Strict):
    """The body of `POST /v1/orders/{order_id}/returns`."""

    lines: Annotated[list[ReturnRequestLine], Field(min_length=1, max_length=100)]


# -- the request ----------------------------------------------------------------------------------------


def _refused(detail: str, why: str, **extra: Any) -> Unprocessable:
    return Unprocessable(detail, code="not_returnable", reason=why, **extra)


def check_request(
    order: Order,
    policy: ReturnPolicy,
    lines: Sequence[ReturnRequestLine],
    already_returned: Mapping[str, int],
    now: str,
) -> dict[str, int]:
    """The units asked back per sku (a sku named twice counts once, summed), if the policy allows them.

    Raises Unprocessable `invalid_quantity` for no line or a count below 1, else `not_returnable`, its
    `reason` one of: `sku_not_on_order`, `non_returnable_product`, `never_delivered`, `outside_window`,
    `more_than_delivered` (with `returnable`: delivered, within the window, less already returned)."""
    asked: dict[str, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise Unprocessable(f"return at least one unit of {line.sku}", code="invalid_quantity", sku=line.sku)
        asked[line.sku] = asked.get(line.sku, 0) + line.quantity
    if not asked:
        raise Unprocessable("a return names at least one line", code="invalid_quantity")
    ordered = {line.sku for line in order.lines}
    deadline = parse_rfc3339(now) - timedelta(days=policy.window_days)
    for sku, quantity in asked.items():
        if sku not in ordered:
            raise _refused(f"order {order.order_id} has no {sku}", "sku_not_on_order", sku=sku)
        if sku in policy.non_returnable:
            raise _refused(
                f"{sku} cannot be returned (the store does not take it back)", "non_returnable_product", sku=sku
            )
        delivered = in_window = 0
        for shipment in order.shipments:
            units = sum(ln.quantity for ln in shipment.lines if ln.sku == sku)
            if shipment.status == "delivered" and units:
                delivered += units
                # A delivery with no recorded time is taken as recent: the customer is not blamed for it.
                if shipment.delivered_at is None or parse_rfc3339(shipment.delivered_at) >= deadline:
                    in_window += units
        if not delivered:
            raise _refused(f"{sku} of order {order.order_id} was never delivered", "never_delivered", sku=sku)
        if not in_window:
            raise _refused(
                f"{sku} was delivered more than {policy.window_days} days ago, outside the return window",
                "outside_window",
                sku=sku,
                window_days=policy.window_days,
            )
        returnable = max(0, min(in_window, delivered - already_returned.get(sku, 0)))
        if quantity > returnable:
            raise _refused(
                f"{quantity} unit(s) of {sku} asked back; {returnable} can be returned "
                f"(delivered {delivered}, already returned {already_returned.get(sku, 0)})",
                "more_than_delivered",
                sku=sku,
                returnable=returnable,
            )
    return asked
