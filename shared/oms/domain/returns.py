"""Returns (RMA): what a customer may send back, the storefront's policy, and a return's way to its refund.

A return is requested for delivered units, within the storefront's window, of products it takes back;
then approved (at once with `auto_approve`, else by an operator) or rejected; on its way (`in_transit`);
received at a location, unit by unit resellable (back to on_hand there) or damaged (to quarantine);
refunded (the amounts from oms.domain.refunds); and closed. A return closed before it was received
(abandoned) holds nothing: its units count as never returned. Each transition checks the return may
move, moves it, and answers what changed (timeline entries and events, units to put back); applying the
same step twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from oms.domain.change import Change
from oms.domain.errors import Conflict, Unprocessable
from oms.domain.models import Quantity, Sku, Strict
from oms.domain.orders import Order
from oms.domain.refunds import LineRefund, RefundSplit, refund_for
from oms.domain.return_policy import ReturnPolicy, ReturnRequest, ReturnRequestLine, check_request
from oms.domain.supply import AlreadyApplied

__all__ = [  # the policy and the request check live in oms.domain.return_policy; named here too
    "AlreadyApplied",
    "ReturnPolicy",
    "ReturnRequest",
    "ReturnRequestLine",
    "check_request",
]

ReturnStatus = Literal["requested", "approved", "rejected", "in_transit", "received", "refunded", "closed"]
Condition = Literal["resellable", "damaged"]


# -- the documents ------------------------------------------------------------------------------------


class ReceivedLine(Strict):
    """One line of a `return.received` event: units of a sku in one condition."""

    sku: Sku
    quantity: Quantity
    condition: Condition


class ReturnLine(BaseModel):
    sku: str
    quantity: int  # requested, and once approved, what the receipt must account for
    reason: str
    received_resellable: int = 0
    received_damaged: int = 0
    location_id: str | None = None  # where it was received: not necessarily where it shipped from


class RefundLine(BaseModel):
    sku: str
    quantity: int
    goods: int
    tax: int
    shipping: int
    shipping_tax: int
    total: int


class ReturnRefund(BaseModel):
    """The money of a return: quoted when requested, final (with the provider's refund id) once refunded."""

    goods: int
    tax: int
    shipping: int
    shipping_tax: int
    total: int
    lines: list[RefundLine]
    refund_id: str | None = None  # None while quoted, and for a return that refunds nothing (COD never paid)

    @classmethod
    def of(cls, split: RefundSplit, refund_id: str | None = None) -> ReturnRefund:
        return cls.model_validate(split.as_dict() | {"refund_id": refund_id})

    def split(self) -> RefundSplit:
        parts = ("quantity", "goods", "tax", "shipping", "shipping_tax")
        return RefundSplit(tuple(LineRefund(ln.sku, *(getattr(ln, p) for p in parts)) for ln in self.lines))


class ReturnLabel(BaseModel):
    carrier: str
    tracking_number: str | None = None
    label_ref: str | None = None


class Return(BaseModel):
    return_id: str
    order_id: str
    storefront_id: str
    status: ReturnStatus = "requested"
    lines: list[ReturnLine]
    refund: ReturnRefund | None = None
    label: ReturnLabel | None = None
    reason: str | None = None  # why it was rejected or closed
    issue: str | None = None  # why the refund is waiting (the provider refused it), for operators
    refund_attempts: int = 0
    location_id: str | None = None  # where the parcel goes back to (the label's destination)
    idempotency_key: str | None = None  # the storefront's key of the request, and its body's fingerprint
    body_hash: str | None = None
    decided_by: str | None = None
    events: list[str] = Field(default_factory=list)  # "<partner>:<event id>" of each event taken
    created_at: str
    updated_at: str
    decided_at: str | None = None
    in_transit_at: str | None = None
    received_at: str | None = None
    refunded_at: str | None = None
    closed_at: str | None = None
    version: int = 0

    def public(self) -> dict[str, Any]:
        """The return as the API shows it."""
        return self.model_dump(mode="json", exclude={"version", "events", "idempotency_key", "body_hash"})

    @property
    def needs_operator(self) -> bool:
        """Waiting for a decision, or received with a refund the provider refused."""
        return self.status == "requested" or (self.status == "received" and self.issue is not None)

    def units(self) -> dict[str, int]:
        return {line.sku: line.quantity for line in self.lines}

    def holds_units(self) -> bool:
        """Whether its units count as returned: not rejected, and not abandoned before they came back."""
        return self.status != "rejected" and not (self.status == "closed" and self.received_at is None)


def return_id_for(order_id: str, number: int) -> str:
    """The order's `number`th return, naming its order: `ret_<the order id's random part>_<number>`."""
    return f"ret_{order_id.removeprefix('ord_')}_{number}"


def order_id_of(return_id: str) -> str | None:
    head, _, number = return_id.removeprefix("ret_").rpartition("_")
    return f"ord_{head}" if return_id.startswith("ret_") and head and number.isdigit() else None


def units_returned(returns: Iterable[Return]) -> dict[str, int]:
    """Units of an order already returned (or on their way back), per sku: `check_request`'s input."""
    units: dict[str, int] = {}
    for ret in returns:
        if ret.holds_units():
            for sku, quantity in ret.units().items():
                units[sku] = units.get(sku, 0) + quantity
    return units


def refunded_so_far(returns: Iterable[Return]) -> dict[str, LineRefund]:
    """What an order's returns refunded, per sku: `refund_for`'s `refunded` input."""
    total: dict[str, LineRefund] = {}
    for ret in returns:
        if ret.refunded_at is not None and ret.refund is not None:
            for line in ret.refund.split().lines:
                total[line.sku] = total.get(line.sku, LineRefund(line.sku)) + line
    return total


# -- requesting ---------------------------------------------------------------------------------------


def open_return(
    order: Order,
    policy: ReturnPolicy,
    lines: Sequence[ReturnRequestLine],
    returns: Sequence[Return],
    return_id: str,
    at: str,
) -> tuple[Return, Change]:
    """A new return for `lines`, given the order's earlier `returns`, with its refund quoted; approved at
    once when the policy auto-approves. Raises as `check_request`."""
    units = check_request(order, policy, lines, units_returned(returns), at)
    reasons: dict[str, list[str]] = {}
    for line in lines:
        reasons.setdefault(line.sku, []).append(line.reason)
    quote = refund_for(order, units, refund_shipping=policy.refund_shipping, refunded=refunded_so_far(returns))
    ret = Return(
        return_id=return_id,
        order_id=order.order_id,
        storefront_id=order.storefront_id,
        lines=[
            ReturnLine(sku=sku, quantity=n, reason="; ".join(dict.fromkeys(reasons[sku]))) for sku, n in units.items()
        ],
        refund=ReturnRefund.of(quote),
        created_at=at,
        updated_at=at,
    )
    change = Change()
    _note(change, ret, at, "return.requested", lines=[line.model_dump() for line in ret.lines], refund=quote.total)
    if policy.auto_approve:
        change.then(approve(ret, at, by="policy"))
    return ret, change


def _note(change: Change, ret: Return, at: str, kind: str, **detail: Any) -> None:
    change.note(at, kind, publish=True, order_id=ret.order_id, return_id=ret.return_id, **detail)


def _closed(ret: Return, action: str) -> Conflict:
    return Conflict(f"return {ret.return_id} is {ret.status}; it cannot be {action}", code="return_closed")


# -- deciding and sending back ------------------------------------------------------------------------


def approve(ret: Return, at: str, by: str) -> Change:
    """Approve a requested return (approving it again changes nothing); Conflict `return_closed` else."""
    change = Change()
    if ret.status == "approved":
        return change
    if ret.status != "requested":
        raise _closed(ret, "approved")
    ret.status, ret.decided_at, ret.decided_by, ret.updated_at = "approved", at, by, at
    _note(change, ret, at, "return.approved", by=by)
    return change


def reject(ret: Return, reason: str, at: str, by: str) -> Change:
    """Reject a requested return (rejecting it again changes nothing); Conflict `return_closed` else."""
    change = Change()
    if ret.status == "rejected":
        return change
    if ret.status != "requested":
        raise _closed(ret, "rejected")
    ret.status, ret.reason, ret.decided_at, ret.decided_by, ret.updated_at = "rejected", reason, at, by, at
    _note(change, ret, at, "return.rejected", by=by, reason=reason)
    return change


def labelled(ret: Return, label: ReturnLabel, at: str) -> Change:
    """The carrier booked the way back: the label the customer prints (the same label again: nothing)."""
    change = Change()
    if ret.label == label:
        return change
    if ret.status not in ("approved", "in_transit"):
        raise _closed(ret, "labelled") if ret.status != "requested" else _not_approved(ret)
    ret.label, ret.updated_at = label, at
    _note(change, ret, at, "return.labelled", carrier=label.carrier, tracking_number=label.tracking_number)
    return change


def in_transit(ret: Return, at: str) -> Change:
    """The parcel is on its way back (the carrier scanned it)."""
    change = Change()
    if ret.status == "in_transit":
        return change
    if ret.status != "approved":
        raise _closed(ret, "sent back") if ret.status != "requested" else _not_approved(ret)
    ret.status, ret.in_transit_at, ret.updated_at = "in_transit", at, at
    _note(change, ret, at, "return.in_transit")
    return change


def _not_approved(ret: Return) -> Conflict:
    return Conflict(f"return {ret.return_id} waits for a decision", code="return_not_approved")


# -- receiving and refunding --------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a receipt puts back at `location_id`, per sku: to on_hand (resellable) or to quarantine."""

    location_id: str
    restock: dict[str, int]
    quarantine: dict[str, int]
    change: Change


def received(ret: Return, location_id: str, lines: Sequence[ReceivedLine], event: str, at: str) -> Receipt:
    """The location took the parcel in, each unit resellable or damaged. Every approved unit must be
    accounted for, no more: Unprocessable `sku_not_on_return` or `receipt_mismatch` (nothing changes).
    The same event again raises AlreadyApplied; Conflict `return_not_approved`, `return_already_received`
    or `return_closed` when the return cannot take a receipt."""
    if event in ret.events:
        raise AlreadyApplied(event)
    if ret.status == "requested":
        raise _not_approved(ret)
    if ret.status in ("received", "refunded"):
        raise Conflict(f"return {ret.return_id} was already received", code="return_already_received")
    if ret.status not in ("approved", "in_transit"):
        raise _closed(ret, "received")
    expected = ret.units()
    counts: dict[str, dict[str, int]] = {sku: {"resellable": 0, "damaged": 0} for sku in expected}
    for line in lines:
        if line.sku not in counts:
            raise Unprocessable(f"return {ret.return_id} has no {line.sku}", code="sku_not_on_return", sku=line.sku)
        if line.quantity < 1:
            raise Unprocessable(f"receive at least one unit of {line.sku}", code="invalid_quantity", sku=line.sku)
        counts[line.sku][line.condition] += line.quantity
    wrong = {sku: sum(c.values()) for sku, c in counts.items() if sum(c.values()) != expected[sku]}
    if wrong:
        raise Unprocessable(
            "the receipt does not match the return: "
            + ", ".join(f"{sku} {got} received of {expected[sku]}" for sku, got in wrong.items()),
            code="receipt_mismatch",
            expected={sku: expected[sku] for sku in wrong},
            received=wrong,
        )
    for kept in ret.lines:
        kept.received_resellable = counts[kept.sku]["resellable"]
        kept.received_damaged = counts[kept.sku]["damaged"]
        kept.location_id = location_id
    ret.status, ret.received_at, ret.updated_at = "received", at, at
    ret.events.append(event)
    restock = {sku: c["resellable"] for sku, c in counts.items() if c["resellable"]}
    quarantine = {sku: c["damaged"] for sku, c in counts.items() if c["damaged"]}
    change = Change()
    _note(change, ret, at, "return.received", location_id=location_id, resellable=restock, damaged=quarantine)
    return Receipt(location_id, restock, quarantine, change)


def refund_due(ret: Return, order: Order, policy: ReturnPolicy, returns: Iterable[Return]) -> RefundSplit:
    """What refunding this received return gives back now, given the order's other `returns`."""
    others = [r for r in returns if r.return_id != ret.return_id]
    return refund_for(order, ret.units(), refund_shipping=policy.refund_shipping, refunded=refunded_so_far(others))


def refunded(ret: Return, split: RefundSplit, refund_id: str | None, at: str) -> Change:
    """The money went back (`refund_id` None: nothing was due, as for a cash-on-delivery parcel never
    paid). Once per return: the same refund again changes nothing; Conflict `return_not_received`,
    `return_already_refunded` or `return_closed` otherwise."""
    change = Change()
    if ret.status in ("refunded", "closed") and ret.refunded_at is not None:
        if ret.refund is not None and ret.refund.refund_id == refund_id:
            return change
        raise Conflict(f"return {ret.return_id} was already refunded", code="return_already_refunded")
    if ret.status in ("requested", "approved", "in_transit"):
        raise Conflict(f"return {ret.return_id} is refunded once received", code="return_not_received")
    if ret.status != "received":
        raise _closed(ret, "refunded")
    if {line.sku: line.quantity for line in split.lines} != ret.units():
        raise ValueError(f"the refund of return {ret.return_id} must be for its units {ret.units()}")
    ret.refund = ReturnRefund.of(split, refund_id)
    ret.status, ret.refunded_at, ret.updated_at, ret.issue = "refunded", at, at, None
    _note(change, ret, at, "return.refunded", refund_id=refund_id, amount=split.total)
    return change


def refund_failed(ret: Return, reason: str, at: str) -> Change:
    """The provider refused the refund: the return waits, received, saying why, and counts the attempt."""
    change = Change()
    if ret.status != "received":
        return change
    ret.issue, ret.updated_at = f"refund failed: {reason}", at
    ret.refund_attempts += 1
    _note(change, ret, at, "return.refund_failed", reason=reason, attempts=ret.refund_attempts)
    return change


def closed(ret: Return, reason: str, at: str) -> Change:
    """Close a return: refunded (done), rejected, or abandoned before anything came back (its units count
    as never returned). A received return waits for its refund: Conflict `return_not_refunded`."""
    change = Change()
    if ret.status == "closed":
        return change
    if ret.status == "received":
        raise Conflict(f"return {ret.return_id} is received and not refunded yet", code="return_not_refunded")
    ret.status, ret.closed_at, ret.updated_at = "closed", at, at
    ret.reason = ret.reason or reason
    _note(change, ret, at, "return.closed", reason=reason)
    return change
