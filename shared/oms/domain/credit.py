"""Net terms for B2B buyers: what each order puts on its customer's open balance, and the limit.

The open balance is one counter per (storefront, customer), moved in the same commit as the order
change that moves it (services.steps.update), and only within the limit: so concurrent invoice orders
can never together exceed it, and a cancel, a void or a payment gives the room back exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oms.domain.change import Change
from oms.domain.errors import Unprocessable
from oms.domain.orders import Order

# Net-terms credit limit when the storefront names none for the customer: PHP 50,000.00 in minor units.
DEFAULT_CREDIT_LIMIT = 5_000_000


def owed(order: Order) -> int:
    """What a net-terms order holds of its customer's credit: what is authorized (to be invoiced, or
    invoiced), less what was credited back (refunds) and what the customer has paid."""
    if order.payment.method != "invoice":
        return 0
    payment = order.payment
    return max(0, payment.authorized - payment.refunded - payment.settled)


def invoice_paid(order: Order, amount: int, reference: str | None, at: str) -> Change:
    """The customer paid `amount` of the order's invoice; more than it owes is recorded as owed 0."""
    paid = Change()
    if order.payment.method != "invoice":
        raise NotInvoiced(f"order {order.order_id} is paid by {order.payment.method}, not on account")
    applied = min(amount, owed(order))
    order.payment.settled += applied
    paid.note(
        at,
        "payment.invoice_paid",
        publish=True,
        order_id=order.order_id,
        amount=amount,
        applied=applied,
        reference=reference,
    )
    return paid


class NotInvoiced(Unprocessable):
    code = "not_invoiced"


def credit_limit(storefront_config: Mapping[str, Any], customer_id: str) -> int:
    """The customer's limit from the storefront's configuration, else its default, else ours."""
    limits = storefront_config.get("credit_limits") or {}
    limit = limits.get(customer_id) if isinstance(limits, Mapping) else None
    if limit is None:
        limit = storefront_config.get("default_credit_limit", DEFAULT_CREDIT_LIMIT)
    return int(limit)
