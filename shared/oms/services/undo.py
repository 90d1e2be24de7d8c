"""What a step gives back: a shipment's reserved stock, its booking and release, an unused authorization."""

from __future__ import annotations

from oms.domain import lifecycle
from oms.domain.backorder import Lot
from oms.domain.change import Change
from oms.domain.orders import Order, Shipment
from oms.ports.carrier import CancelBookingRequest
from oms.ports.location import RecallRequest
from oms.ports.payment import (
    AuthorizationRequest,
    CreditLimitExceeded,
    PartnerRefused,
    PaymentDeclined,
    VoidRequest,
)
from oms.ports.unit_of_work import DropPromise, Reservation, Write
from oms.services.deps import Deps
from oms.services.steps import idempotency_key


def reserved_units(shipment: Shipment) -> dict[str, int]:
    """Units per sku this shipment holds in stock (one item per sku: a commit touches an item once);
    backordered units it still waits for are promised against their inbound, not reserved."""
    units: dict[str, int] = {}
    for line in shipment.lines:
        if line.reserved:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
    for unit in shipment.awaiting:
        units[unit.sku] -= unit.quantity
    return {sku: qty for sku, qty in units.items() if qty}


def release_stock(deps: Deps, order: Order, shipment: Shipment) -> list[Write]:
    """Everything the shipment holds goes back: its reserved units, and its backorder promises (one a
    receipt served already holds reserved units: those go back with the rest). Reads each promise, so
    call it inside the step's decision: a receipt serving one meanwhile makes the step decide again."""
    units = reserved_units(shipment)
    writes: list[Write] = []
    for unit in shipment.awaiting:
        lot = Lot(unit.sku, shipment.location_id, unit.inbound_id, unit.expected_at, 0)
        for promised in deps.uow.supply.promises(lot):
            if (promised.order_id, promised.shipment_id) == (order.order_id, shipment.shipment_id):
                writes.append(DropPromise(promised))
                if promised.served:
                    units[unit.sku] = units.get(unit.sku, 0) + promised.quantity
    return [Reservation(sku, shipment.location_id, -qty) for sku, qty in units.items() if qty] + writes


def authorization_request(order: Order, customer_balance: int = 0) -> AuthorizationRequest:
    """The order's one authorization: the same key each time, so a provider answers a repeat with it.
    `customer_balance`: a net-terms customer's open balance, for a provider that checks credit itself."""
    return AuthorizationRequest(
        order_id=order.order_id,
        storefront_id=order.storefront_id,
        customer_id=order.customer.id,
        method=order.payment.method,
        amount=order.totals.total,
        currency=order.currency,
        idempotency_key=idempotency_key(order, "authorize"),
        token=order.payment.token,
        customer_balance=customer_balance,
    )


def void_unused(deps: Deps, order: Order) -> Change:
    """Give back whatever authorization no shipment will capture, inside the step that frees it, so no
    reader ever sees a closed order still holding the customer's money (the void is idempotent by key)."""
    recovered = _recover_authorization(deps, order) if _may_be_authorized(order) else Change()
    amount = lifecycle.open_authorization(order)
    if amount <= 0 or not order.payment.authorization_id:
        return recovered
    deps.partners(order.storefront_id).payment.void(
        VoidRequest(
            order_id=order.order_id,
            authorization_id=order.payment.authorization_id,
            method=order.payment.method,
            idempotency_key=idempotency_key(order, "void", str(order.payment.captured)),
        )
    )
    return recovered.then(lifecycle.voided(order, amount, deps.now()))


def _may_be_authorized(order: Order) -> bool:
    """Whether an authorization was asked for and its answer may be lost: it is asked for only once the
    screen (or a review) approved, and a provider's refusal (payment failed) holds nothing."""
    if order.payment.method in ("cod", "marketplace"):  # nothing is authorized with a provider
        return False
    return order.payment.authorization_id is None and order.payment.status != "failed" and lifecycle.screened(order)


def _recover_authorization(deps: Deps, order: Order) -> Change:
    """An authorization whose answer was lost is still the provider's: asking again with its key gets it
    back (or the same refusal), so it can be voided rather than left to expire on the customer's card."""
    try:
        found = deps.partners(order.storefront_id).payment.authorize(authorization_request(order))
    except (PaymentDeclined, CreditLimitExceeded, PartnerRefused):
        return Change()  # refused: nothing is held
    return lifecycle.authorization_recovered(order, found.authorization_id, found.amount, deps.now())


def undo_partners(deps: Deps, order: Order, shipments: list[Shipment]) -> None:
    """Cancel the bookings and recall the releases of these shipments (each idempotent by key)."""
    partners = deps.partners(order.storefront_id)
    for shipment in shipments:
        if shipment.booking_id:
            partners.carrier.cancel(
                CancelBookingRequest(
                    order_id=order.order_id,
                    shipment_id=shipment.shipment_id,
                    booking_id=shipment.booking_id,
                    idempotency_key=idempotency_key(order, shipment.shipment_id, shipment.booking_id, "cancel"),
                )
            )
        if shipment.release_id:
            partners.location.recall(
                RecallRequest(
                    order_id=order.order_id,
                    shipment_id=shipment.shipment_id,
                    location_id=shipment.location_id,
                    release_id=shipment.release_id,
                    idempotency_key=idempotency_key(order, shipment.shipment_id, shipment.release_id, "recall"),
                )
            )
