"""Partner events (webhooks from locations, carriers, payment providers and ERP), applied exactly once.

Each event's receipt is written with its effect: on the order it changes ("<partner>:<event id>" in the
order's own write), or as an item of its own beside stock changes (which touch no order). A redelivery,
or a retry after a crash, finds the receipt and changes nothing.

Only events within the partner's scope apply (oms.domain.partners): the webhook refuses what the
partner's record decides at once; what needs the order (which location a shipment ships from) is
checked here, and an event outside the scope is recorded on that order's timeline as refused.
"""

from __future__ import annotations

from collections.abc import Callable

from oms.domain import authorization, credit, lifecycle, partners
from oms.domain.change import Change
from oms.domain.errors import Conflict, NotFound
from oms.domain.messages import (
    CodRemittance,
    FraudDecided,
    InboundReceipt,
    InvoicePayment,
    MarketplaceCancellation,
    MarketplaceOrder,
    OrderRef,
    PartnerEvent,
    PaymentNotice,
    ReturnReceipt,
    ShipmentRef,
    StockDelta,
    StockSnapshot,
    TransferNotice,
    locations_named,
)
from oms.domain.orders import Order
from oms.domain.partners import Partner
from oms.observability import metrics
from oms.ports import phases
from oms.ports.unit_of_work import CommitRefused, MarkEventApplied
from oms.services import authorizations, stock_health, supply
from oms.services.deps import Deps
from oms.services.reroute import reroute
from oms.services.steps import Step, begin, kept, load, update, waited_too_long
from oms.services.stock import adjust_stock, count_stock

Apply = Callable[[Deps, Partner, PartnerEvent], str]  # (deps, sender, event) -> outcome


class NotCod(Conflict):
    code, title = "not_cash_on_delivery", "Not cash on delivery"


Guard = Callable[[Order], "str | None"]  # why the sender may not act on this order, or None
REFUSED = partners.REFUSED


def apply(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """Apply the event once; answers what happened ("duplicate", "ignored: ...", "refused: ...", or the
    effect)."""
    if event.type.startswith("inventory.") and deps.uow.applied_events.seen(partner.partner_id, event.id):
        return "duplicate"
    try:
        reason = partner.refusal(event.type, locations_named(event))
        if reason:
            return _refuse(deps, partner, event, reason)
        return _APPLY[event.type](deps, partner, event)
    except CommitRefused as refused:
        if refused.of(MarkEventApplied):
            return "duplicate"
        raise
    except NotFound as missing:
        # An event about an order or shipment the OMS does not have can never apply: nothing to keep.
        return f"ignored: {missing.detail}"


def _receipt(partner: Partner, event: PartnerEvent) -> str:
    return f"{partner.partner_id}:{event.id}"


def _refuse(deps: Deps, partner: Partner, event: PartnerEvent, reason: str) -> str:
    """Change nothing, but say so on the order the event names (where an operator looks), else only in
    the outcome and a metric."""
    metrics.add_metric(name="PartnerEventOutOfScope", unit="Count", value=1)
    order_id = event.data.get("order_id")
    if isinstance(order_id, str) and order_id:
        _on_order(deps, partner, event, lambda _: Change(), guard=lambda _: reason)
    return f"refused: {reason}"


def _shipment_guard(partner: Partner, event: PartnerEvent, shipment_id: str) -> Guard:
    """The partner must speak for the location the shipment ships from (only the order knows it)."""
    return lambda order: partner.refusal(event.type, [lifecycle.shipment_of(order, shipment_id).location_id])


def _once(
    deps: Deps, partner: Partner, event: PartnerEvent, transition: Callable[[Order], Change], guard: Guard | None
) -> Callable[[Order], Step]:
    """A step applying `transition` unless the order already took this event; the receipt is kept when
    the transition changes anything (a no-op stays retryable: it may apply once the order moves on).
    A `guard` that objects turns the event down instead: recorded on the timeline, receipt and all."""
    receipt = _receipt(partner, event)

    def decide(order: Order) -> Step:
        if receipt in order.partner_events:
            return Step(result={"outcome": "duplicate"})
        reason = guard(order) if guard else None
        if reason:
            order.partner_events.append(receipt)
            refused = Change()
            refused.note(
                deps.now(), REFUSED, partner_id=partner.partner_id, event_id=event.id, type=event.type, reason=reason
            )
            return Step(change=refused, result={"outcome": f"refused: {reason}"})
        changed = transition(order)
        if changed:
            order.partner_events.append(receipt)
        return Step(change=changed)

    return decide


def _on_order(
    deps: Deps,
    partner: Partner,
    event: PartnerEvent,
    transition: Callable[[Order], Change],
    guard: Guard | None = None,
) -> tuple[Order, Step]:
    return update(deps, str(event.data.get("order_id", "")), _once(deps, partner, event, transition, guard))


def _outcome(step: Step, done: str = "applied") -> str:
    return str(step.result.get("outcome", done if step.change else "no change"))


def _snapshot(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """ERP stock counts replace on_hand (absolute figures). The receipt rides with the last write: a
    redelivery after a failure part-way sets the figures already applied again (to the same values)."""
    figures = StockSnapshot.model_validate(event.data).items
    marker = MarkEventApplied(partner.partner_id, event.id, event.type, deps.now())
    short = []
    for n, figure in enumerate(figures):
        _, shortage = count_stock(
            deps,
            figure.sku,
            figure.location_id,
            figure.on_hand,
            figure.safety_stock,
            actor=f"partner:{partner.partner_id}",
            with_=[marker] if n == len(figures) - 1 else [],
        )
        stock_health.note_count(deps, figure.sku, figure.location_id, shortage)
        if shortage:
            short.append(f"{figure.sku} at {figure.location_id} short by {shortage}")
    if short:
        metrics.add_metric(name="StockShortage", unit="Count", value=len(short))
        return f"{len(figures)} stock figure(s) applied; counted below reserved: {'; '.join(short)}"
    return f"{len(figures)} stock figure(s) applied"


def _adjusted(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    delta = StockDelta.model_validate(event.data)
    marker = MarkEventApplied(partner.partner_id, event.id, event.type, deps.now())
    adjust_stock(
        deps,
        delta.sku,
        delta.location_id,
        delta.delta,
        delta.reason,
        actor=f"partner:{partner.partner_id}",
        with_=[marker],
    )
    return "stock adjusted"


def _packed(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    ref = ShipmentRef.model_validate(event.data)
    order, step = _on_order(
        deps,
        partner,
        event,
        lambda o: lifecycle.packed(o, ref.shipment_id, deps.now()),
        _shipment_guard(partner, event, ref.shipment_id),
    )
    waiting = lifecycle.shipment_of(order, ref.shipment_id)
    # A redelivery starts the phase again when the shipment still waits for it long after it was packed:
    # the first delivery died between its commit and the start. (A held shipment has an issue: it waits
    # for a person; a phase kept on the order is the sweeper's.)
    phase = phases.ship(ref.order_id, order.storefront_id, ref.shipment_id)
    stalled = waiting.status == "packed" and not (waiting.issue or waiting.capture_id or kept(order, phase))
    refused = str(step.result.get("outcome", "")).startswith("refused")
    if (step.change and not refused) or (stalled and waited_too_long(deps, waiting.packed_at)):
        begin(deps, ref.order_id, phase)
    return _outcome(step, "packed")


def _rejected(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    ref = ShipmentRef.model_validate(event.data)
    order = load(deps, ref.order_id)
    at_location = lifecycle.shipment_of(order, ref.shipment_id).location_id
    guard = _shipment_guard(partner, event, ref.shipment_id)
    if guard(order):
        return _outcome(_on_order(deps, partner, event, lambda _: Change(), guard)[1])
    reason = ref.reason or "refused by the location"
    return reroute(
        deps, ref.order_id, ref.shipment_id, ref.location_id or at_location, reason, _receipt(partner, event)
    )


def _on_shipment(transition: Callable[[Order, ShipmentRef, str], Change]) -> Apply:
    def apply_to(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
        ref = ShipmentRef.model_validate(event.data)
        guard = _shipment_guard(partner, event, ref.shipment_id)
        _, step = _on_order(deps, partner, event, lambda order: transition(order, ref, deps.now()), guard)
        return _outcome(step)

    return apply_to


def _in_transit(order: Order, ref: ShipmentRef, at: str) -> Change:
    """The carrier has the parcel: our ship phase marked it shipped once paid; this confirms pickup."""
    picked_up = Change()
    shipment = lifecycle.shipment_of(order, ref.shipment_id)
    if shipment.status not in lifecycle.GONE:
        raise lifecycle.NotYet(f"shipment {ref.shipment_id} is {shipment.status}; pickup follows shipping")
    if not any(
        e.type == "shipment.picked_up" and e.detail.get("shipment_id") == ref.shipment_id for e in order.timeline
    ):
        picked_up.note(at, "shipment.picked_up", shipment_id=ref.shipment_id, carrier=shipment.carrier)
    return picked_up


def _payment_notice(kind: str, metric: str | None = None) -> Apply:
    def apply_to(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
        ref = OrderRef.model_validate(event.data)

        def transition(order: Order) -> Change:
            notice = Change()
            notice.note(
                deps.now(), kind, publish=True, order_id=order.order_id, partner=partner.partner_id, detail=ref.detail
            )
            if kind == "payment.authorization_expired":
                order.payment.failure = "the authorization expired before every shipment was captured"
            return notice

        if metric:
            metrics.add_metric(name=metric, unit="Count", value=1)
        return _outcome(_on_order(deps, partner, event, transition)[1])

    return apply_to


def _expired(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """The provider says the authorization lapsed: noted, then renewed at once (or the shipments marked)."""
    noted = _payment_notice("payment.authorization_expired")(deps, partner, event)
    renewed = authorizations.renew(deps, OrderRef.model_validate(event.data).order_id)
    return f"{noted}; {renewed}"


def _payment_answer(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """A payments partner answers an asynchronous authorization: authorized (fulfilment goes on where it
    waited), still pending (noted), or failed (the order is rejected and its stock released)."""
    notice = PaymentNotice.model_validate(event.data)
    if event.type == "payment.failed":
        authorizations.failed(deps, notice.order_id, notice.detail)
        return "applied"
    if event.type == "payment.pending":
        return _outcome(_on_order(deps, partner, event, lambda o: _still_pending(o, notice, deps.now()))[1])
    now = deps.clock.now()
    order, step = _on_order(
        deps, partner, event, lambda o: authorization.confirmed(o, notice.amount, now, notice.expires_at)
    )
    waiting = any(s.status == "allocated" and not s.awaiting for s in lifecycle.live(order))
    if order.payment.status == "authorized" and order.status not in lifecycle.CLOSED | {"on_hold"} and waiting:
        # Started again on a redelivery too: the phase's name is unique to it, so it runs once.
        begin(deps, order.order_id, phases.fulfil(order.order_id, order.storefront_id, "after_payment"))
    return _outcome(step)


def _still_pending(order: Order, notice: PaymentNotice, at: str) -> Change:
    noted = Change()
    if order.payment.pending_until:
        noted.note(at, "payment.still_pending", detail=notice.detail)
    return noted


def _cod_remitted(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    cash = CodRemittance.model_validate(event.data)

    def transition(order: Order) -> Change:
        if order.payment.method != "cod":
            raise NotCod(f"order {order.order_id} is paid by {order.payment.method}, not cash on delivery")
        shipment = lifecycle.shipment_of(order, cash.shipment_id)
        if shipment.status not in lifecycle.GONE:
            raise lifecycle.NotYet(f"shipment {cash.shipment_id} is {shipment.status}; cash is collected at delivery")
        return lifecycle.captured(order, cash.shipment_id, _receipt(partner, event), cash.amount, deps.now())

    try:
        return _outcome(_on_order(deps, partner, event, transition)[1])
    except NotCod as wrong:
        return f"refused: {wrong.detail}"


def _exception(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """A carrier exception on the timeline; a cash-on-delivery parcel refused at the door comes back as a
    return that refunds nothing (nothing was paid)."""
    ref = ShipmentRef.model_validate(event.data)
    detail = ref.detail or "carrier exception"
    at = deps.now()
    outcome = _on_shipment(lambda o, r, _: lifecycle.carrier_exception(o, r.shipment_id, detail, at))(
        deps, partner, event
    )
    order = load(deps, ref.order_id)
    if order.payment.method == "cod" and "refused" in detail.lower():
        from oms.services.returns import refused_at_door

        refused_at_door(deps, ref.order_id, ref.shipment_id)
    return outcome


def _marketplace(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    from oms.services import channels  # marketplace events only: checkout's imports stay off the others

    if event.type == "marketplace.order_created":
        return channels.marketplace_order(deps, partner, MarketplaceOrder.model_validate(event.data))
    return channels.marketplace_cancelled(deps, partner, MarketplaceCancellation.model_validate(event.data))


def _fraud_decided(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    """The screen decides an order it held: approve resumes fulfilment, reject closes it (as a review)."""
    from oms.services.review import review

    decided = FraudDecided.model_validate(event.data)
    order = load(deps, decided.order_id)
    storefront = deps.uow.config.storefront(order.storefront_id)
    screen = ((storefront.config if storefront else {}).get("adapters") or {}).get("fraud")
    if screen != f"https:{partner.partner_id}":  # only the storefront's own screen decides its orders
        return _refuse(deps, partner, event, f"partner {partner.partner_id} does not screen this storefront's orders")
    try:
        review(deps, decided.order_id, decided.decision, by=f"partner:{partner.partner_id}")
    except lifecycle.NotOnHold:
        return "stale: the order is not on hold for review"
    return f"{decided.decision}d"


def _invoice_paid(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    payment = InvoicePayment.model_validate(event.data)
    transition = lambda order: credit.invoice_paid(order, payment.amount, payment.reference, deps.now())  # noqa: E731
    return _outcome(_on_order(deps, partner, event, transition)[1])


def _inbound_received(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    return supply.receive_inbound(deps, partner, InboundReceipt.model_validate(event.data), event.id)


def _return_received(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    from oms.services.returns import receive_return  # returns only: the refund ports stay off other events

    return receive_return(deps, partner, ReturnReceipt.model_validate(event.data), event.id)


def _transfer_shipped(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    return supply.transfer_shipped(deps, partner, TransferNotice.model_validate(event.data), event.id)


def _transfer_received(deps: Deps, partner: Partner, event: PartnerEvent) -> str:
    return supply.transfer_received(deps, partner, TransferNotice.model_validate(event.data), event.id)


_APPLY: dict[str, Apply] = {
    "inventory.snapshot": _snapshot,
    "inventory.counted": _snapshot,  # a cycle count: the same absolute figures, the variance audited
    "inbound.received": _inbound_received,
    "transfer.shipped": _transfer_shipped,
    "transfer.received": _transfer_received,
    "return.received": _return_received,
    "inventory.adjusted": _adjusted,
    "shipment.packed": _packed,
    "shipment.rejected": _rejected,
    "build.completed": _on_shipment(lambda o, ref, at: lifecycle.built(o, ref.shipment_id, at)),
    "shipment.shipped": _on_shipment(_in_transit),
    "shipment.delivered": _on_shipment(lambda o, ref, at: lifecycle.delivered(o, ref.shipment_id, at)),
    "shipment.exception": _exception,
    "payment.authorization_expired": _expired,
    "payment.authorized": _payment_answer,
    "payment.pending": _payment_answer,
    "payment.failed": _payment_answer,
    "payment.cod_remitted": _cod_remitted,
    "fraud.decided": _fraud_decided,
    "marketplace.order_created": _marketplace,
    "marketplace.order_cancelled": _marketplace,
    "payment.chargeback": _payment_notice("payment.chargeback", metric="Chargebacks"),
    "payment.invoice_paid": _invoice_paid,
}
