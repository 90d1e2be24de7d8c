"""An order's payment after checkout: a lapsing authorization renewed, an asynchronous one confirmed,
refused or timed out, cash on delivery remitted (rules: oms.domain.authorization)."""

from __future__ import annotations

from oms.clock import parse_rfc3339
from oms.domain import authorization, lifecycle
from oms.ports.payment import AuthorizationRequest, CreditLimitExceeded, PartnerRefused, PaymentDeclined, VoidRequest
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.steps import change, idempotency_key, load, update


def on_due(deps: Deps, order_id: str) -> str | None:
    """The sweeper's look at an order's payment: an asynchronous authorization past its wait is rejected,
    an authorization about to lapse is renewed. Answers what it did (None: nothing was due)."""
    order = load(deps, order_id)
    if order.status in lifecycle.CLOSED:
        return None
    now = deps.clock.now()
    if order.payment.pending_until and parse_rfc3339(order.payment.pending_until) <= now:
        close(deps, order_id, "rejected", "the payment provider did not confirm the authorization in time")
        return "rejected: authorization not confirmed"
    renew_at = order.renew_at()
    if renew_at and parse_rfc3339(renew_at) <= now:
        return renew(deps, order_id)
    return None


def renew(deps: Deps, order_id: str) -> str:
    """A new authorization for what is left to capture; the old one is voided once the new one is saved.
    Refused, the shipments still to be paid are marked, and their capture will hold them."""
    order = load(deps, order_id)
    amount = authorization.still_to_capture(order)
    if order.status in lifecycle.CLOSED or amount <= 0 or order.payment.method != "card":
        return "nothing to renew"
    previous = order.payment.authorization_id
    nth = str(sum(1 for e in order.timeline if e.type == "payment.reauthorized") + 1)
    payment = deps.partners(order.storefront_id).payment
    try:
        answer = payment.authorize(
            AuthorizationRequest(
                order_id=order.order_id,
                storefront_id=order.storefront_id,
                customer_id=order.customer.id,
                method=order.payment.method,
                amount=amount,
                currency=order.currency,
                idempotency_key=idempotency_key(order, "reauthorize", nth),
                token=order.payment.token,
            )
        )
    except (PaymentDeclined, CreditLimitExceeded, PartnerRefused) as refused:
        why = refused.detail
        update(deps, order_id, change(lambda o: authorization.renewal_refused(o, why, deps.clock.now())))
        return f"renewal refused: {why}"
    renewed = change(
        lambda o: authorization.renewed(o, answer.authorization_id, amount, deps.clock.now(), answer.expires_at)
    )
    update(deps, order_id, renewed)
    if previous and previous != answer.authorization_id:
        payment.void(
            VoidRequest(
                order_id=order.order_id,
                authorization_id=previous,
                method=order.payment.method,
                idempotency_key=idempotency_key(order, "void", previous),
            )
        )
    return f"renewed {amount}"


def failed(deps: Deps, order_id: str, detail: str | None) -> None:
    """`payment.failed`: the pending authorization was refused; the order is rejected, its stock freed."""
    order = load(deps, order_id)
    if order.status in lifecycle.CLOSED or order.payment.status != "pending":
        return
    reason = detail or "the payment provider refused the authorization"
    close(deps, order_id, "rejected", f"payment declined: {reason}", payment_failure=reason)
