"""The order's authorization over time: when it lapses, its renewal, an asynchronous answer, cash on delivery.

- A card authorization lapses (the provider's `expires_at`, else AUTHORIZATION_DAYS after it was made):
  a day before (orders.RENEW_BEFORE), while shipments still wait to be captured, the sweeper asks for a
  new one for what is left to capture; a renewal refused marks those shipments, and their capture, which
  would run against a lapsed authorization, is refused and holds them with their stock.
- An authorization answered "pending" (a provider that decides later) keeps the order's stock reserved
  until `payment.authorized` or `payment.failed` arrives, or PENDING_FOR passes: then the order is
  rejected and its stock released.
- Cash on delivery: nothing is authorized; what the carrier will collect is recorded as `authorized`
  (status stays "pending") and each remittance is its shipment's capture (lifecycle.captured).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from oms.clock import parse_rfc3339, rfc3339
from oms.domain.change import Change
from oms.domain.errors import Unprocessable
from oms.domain.lifecycle import GONE, live
from oms.domain.orders import Order

DEFAULT_COD_LIMIT: Final = 5_000_000  # PHP 50,000.00: the most a storefront collects at the door per order
AUTHORIZATION_DAYS: Final = {"card": 7}  # when the provider does not say (invoice and COD never lapse)
PENDING_FOR: Final = timedelta(minutes=30)


def expiry(method: str, at: datetime, provider_expires_at: str | None) -> str | None:
    if provider_expires_at:
        return provider_expires_at
    days = AUTHORIZATION_DAYS.get(method)
    return rfc3339(at + timedelta(days=days)) if days else None


def still_to_capture(order: Order) -> int:
    return sum(max(0, s.value - s.captured) for s in live(order) if s.status not in GONE)


def lapsed(order: Order, now: datetime) -> bool:
    expires = order.payment.authorization_expires_at
    return bool(expires) and parse_rfc3339(expires or "") <= now


def pending(order: Order, authorization_id: str, amount: int, now: datetime) -> Change:
    """The provider will answer later: the order waits for it (and keeps its stock) until PENDING_FOR."""
    change = Change()
    if order.payment.authorization_id == authorization_id:
        return change
    order.payment.authorization_id, order.payment.status = authorization_id, "pending"
    order.payment.pending_until = rfc3339(now + PENDING_FOR)
    change.note(rfc3339(now), "payment.pending", authorization_id=authorization_id, amount=amount)
    return change


def confirmed(order: Order, amount: int | None, now: datetime, expires_at: str | None) -> Change:
    """The provider authorized a pending authorization (`payment.authorized`)."""
    change = Change()
    if order.payment.status != "pending" or not order.payment.pending_until:
        return change
    order.payment.status, order.payment.pending_until = "authorized", None
    order.payment.authorized = amount if amount is not None else order.totals.total
    order.payment.authorization_expires_at = expiry(order.payment.method, now, expires_at)
    change.note(rfc3339(now), "payment.authorized", amount=order.payment.authorized, method=order.payment.method)
    return change


def renewed(order: Order, authorization_id: str, amount: int, now: datetime, expires_at: str | None) -> Change:
    """A new authorization for what is left to capture replaces the lapsing one."""
    change = Change()
    previous = order.payment.authorization_id
    if previous == authorization_id:
        return change
    order.payment.authorization_id = authorization_id
    order.payment.authorized = order.payment.captured + amount
    order.payment.authorization_expires_at = expiry(order.payment.method, now, expires_at)
    order.payment.failure = None
    for shipment in live(order):
        if shipment.issue and shipment.issue.startswith(RENEWAL_REFUSED):
            shipment.issue = None
    change.note(
        rfc3339(now),
        "payment.reauthorized",
        publish=True,
        order_id=order.order_id,
        previous=previous,
        amount=amount,
        expires_at=order.payment.authorization_expires_at,
    )
    return change


RENEWAL_REFUSED = "payment authorization could not be renewed"


def renewal_refused(order: Order, reason: str, now: datetime) -> Change:
    """Say so once on the order and on each shipment still to be paid: their capture will hold them."""
    change = Change()
    issue = f"{RENEWAL_REFUSED}: {reason}"
    if order.payment.failure == issue:
        return change
    order.payment.failure = issue
    for shipment in live(order):
        if shipment.status not in GONE and shipment.captured < shipment.value:
            shipment.issue = issue
    change.note(rfc3339(now), "payment.reauthorization_failed", publish=True, order_id=order.order_id, reason=reason)
    return change


def cash_on_delivery(order: Order, at: str) -> Change:
    """Nothing to authorize: what the carrier collects is recorded as the amount due."""
    change = Change()
    if order.payment.method != "cod" or any(e.type == "payment.cod" for e in order.timeline):
        return change
    order.payment.authorized = order.totals.total
    change.note(at, "payment.cod", amount=order.totals.total)
    return change


def paid_to_marketplace(order: Order, at: str) -> Change:
    """A marketplace order is paid to the marketplace: nothing to authorize or capture with a provider;
    each shipment's value is recorded as captured when it ships (the marketplace settles it)."""
    change = Change()
    if order.payment.method != "marketplace" or order.payment.status == "authorized":
        return change
    order.payment.authorized, order.payment.status = order.totals.total, "authorized"
    change.note(at, "payment.marketplace", amount=order.totals.total)
    return change


def check_cod_limit(config: dict[str, object], total: int, currency: str) -> None:
    """A cash-on-delivery order above the storefront's `cod_limit` (minor units) is refused."""
    raw = config.get("cod_limit")
    limit = raw if isinstance(raw, int) else DEFAULT_COD_LIMIT
    if total > limit:
        raise Unprocessable(
            f"cash on delivery is accepted up to {limit} {currency} minor units; this order is {total}",
            code="cod_limit_exceeded",
            limit=limit,
            total=total,
        )
