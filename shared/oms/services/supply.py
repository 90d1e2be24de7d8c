"""Inbound supply and transfers: each step one commit of the document with the stock it moves.

A purchase order / ASN is put by an admin and received by its location (or supplier) partner; a transfer
is created by an admin (its units reserved at the source at once), shipped by the source and received by
the destination. Every step is applied once per event (the document keeps its receipts), and a
document changed meanwhile is read again and decided again, as orders are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from oms.domain import supply
from oms.domain.backorder import Lot
from oms.domain.errors import Conflict, InsufficientStock, NotFound, Unprocessable
from oms.domain.messages import InboundReceipt, TransferNotice
from oms.domain.partners import Partner
from oms.domain.supply import MAX_INBOUND_LINES, AlreadyApplied, Inbound, InboundLine, Transfer, TransferLine
from oms.ids import new_id
from oms.ports.erp import ErpEvent
from oms.ports.unit_of_work import (
    CommitRefused,
    ReceiveUnits,
    Reservation,
    SaveInbound,
    SaveTransfer,
    ShipUnits,
    Write,
)
from oms.services import backorders
from oms.services.backorders import TRANSACTION_LIMIT
from oms.services.deps import Deps
from oms.services.routing_inputs import gather, reservations

D = TypeVar("D", Inbound, Transfer)
ATTEMPTS = 5


def _known(deps: Deps, location_ids: list[str], skus: list[str]) -> None:
    for location_id in location_ids:
        if deps.uow.config.location(location_id) is None:
            raise NotFound(f"no location {location_id}", code="location_not_found")
    gather(deps, "", skus).require_known(skus)


def put_inbound(
    deps: Deps, inbound_id: str, location_id: str, expected_at: str, lines: dict[str, int], supplier: str | None
) -> tuple[Inbound, bool]:
    """Create or change an inbound not yet closed; answers it and whether it was created. Lines already
    partly received keep what was received (an order cut below that is refused)."""
    if not lines or len(lines) > MAX_INBOUND_LINES or any(units <= 0 for units in lines.values()):
        raise Unprocessable(
            f"an inbound expects 1 to {MAX_INBOUND_LINES} skus, each at least 1 unit", code="invalid_quantity"
        )
    _known(deps, [location_id], list(lines))
    for _ in range(ATTEMPTS):
        current = deps.uow.supply.inbound(inbound_id)
        now = deps.now()
        lots = deps.uow.supply.lots(current) if current else {}
        if current is None:
            inbound = Inbound(
                inbound_id=inbound_id,
                location_id=location_id,
                supplier=supplier,
                expected_at=expected_at,
                lines=[InboundLine(sku=sku, quantity=units) for sku, units in lines.items()],
                created_at=now,
                updated_at=now,
            )
        else:
            inbound = _changed(current, location_id, expected_at, lines, supplier, now)
            _keeps_promises(inbound, lots)
        version = current.version if current else 0
        if _commit(deps, [SaveInbound(inbound, version, lots, previous=current)], (SaveInbound,)):
            if current is not None and current.expected_at != inbound.expected_at:
                backorders.reschedule(deps, inbound)
            return inbound, current is None
    raise CommitRefused(conflict=True)


def _keeps_promises(inbound: Inbound, lots: dict[str, Lot]) -> None:
    """Units sold to backorders stay expected: a change may not cut, drop or move them."""
    expected = inbound.incoming()
    cut = sorted(
        sku
        for sku, lot in lots.items()
        if lot.promised and (lot.location_id != inbound.location_id or expected.get(sku, 0) < lot.promised)
    )
    if cut:
        raise Unprocessable(
            f"{', '.join(cut)}: backorders were promised more units than this change leaves expected here",
            code="below_promised",
        )


def _changed(
    current: Inbound, location_id: str, expected_at: str, lines: dict[str, int], supplier: str | None, now: str
) -> Inbound:
    if current.status in ("received", "cancelled"):
        raise Unprocessable(f"inbound {current.inbound_id} is {current.status}", code="inbound_closed")
    if location_id != current.location_id and current.receipts:
        raise Unprocessable("an inbound that took receipts cannot move to another location", code="inbound_started")
    received = {line.sku: line.received for line in current.lines}
    below = sorted(sku for sku, got in received.items() if got and lines.get(sku, 0) < got)
    if below:
        raise Unprocessable(f"{', '.join(below)}: ordered below what was received", code="below_received")
    changed = current.model_copy(deep=True)
    changed.location_id, changed.expected_at, changed.supplier, changed.updated_at = (
        location_id,
        expected_at,
        supplier,
        now,
    )
    changed.lines = [
        InboundLine(sku=sku, quantity=units, received=received.get(sku, 0)) for sku, units in lines.items()
    ]
    return changed


def receive_inbound(deps: Deps, partner: Partner, receipt: InboundReceipt, event_id: str) -> str:
    """The location took goods in: on_hand grows by what arrived; the ERP hears of each receipt."""
    key = f"{partner.partner_id}:{event_id}"
    arrived: dict[str, int] = {}
    for line in receipt.lines:
        arrived[line.sku] = arrived.get(line.sku, 0) + line.quantity
    for _ in range(ATTEMPTS):
        inbound = deps.uow.supply.inbound(receipt.inbound_id)
        if inbound is None:
            raise NotFound(f"no inbound {receipt.inbound_id}", code="inbound_not_found")
        if inbound.location_id != receipt.location_id:
            return f"refused: inbound {inbound.inbound_id} goes to {inbound.location_id}, not {receipt.location_id}"
        version = inbound.version
        lots = deps.uow.supply.lots(inbound)
        try:
            units = supply.received(inbound, arrived, key, deps.now(), receipt.complete)
        except AlreadyApplied:
            # The first delivery may have died before telling the ERP, or handing over its backorders.
            _after_receipt(deps, inbound, arrived, key)
            return "duplicate"
        except Conflict as late:  # a receipt for a closed inbound: no retry can apply it
            return f"refused: {late.detail}"
        units = {sku: qty for sku, qty in units.items() if qty}
        # Backorders promised against these lots are served first, in the same commit (oms.domain.backorder).
        settled = backorders.settle(deps, inbound, lots, units, room=TRANSACTION_LIMIT - 1 - len(inbound.lines))
        writes: list[Write] = [SaveInbound(inbound, version, lots, settled.lots)]
        writes += settled.writes(inbound, units, f"partner:{partner.partner_id}", deps.now())
        if _commit(deps, writes, (SaveInbound,)):
            _after_receipt(deps, inbound, arrived, key)
            return f"received {sum(units.values())} unit(s); inbound {inbound.status}"
    raise CommitRefused(conflict=True)


def _after_receipt(deps: Deps, inbound: Inbound, arrived: dict[str, int], key: str) -> None:
    backorders.serve_held(deps, inbound.inbound_id)
    backorders.hand_over(deps, inbound)
    _tell_erp(deps, inbound, arrived, key)


def _tell_erp(deps: Deps, inbound: Inbound, arrived: dict[str, int], key: str) -> None:
    # Supply belongs to no storefront: the OMS's own ERP adapter (the default configuration's).
    deps.partners("").erp.publish(
        ErpEvent(
            type="inbound.received",
            occurred_at=deps.now(),
            idempotency_key=key,
            data={"inbound_id": inbound.inbound_id, "location_id": inbound.location_id, "lines": arrived},
        )
    )


def create_transfer(
    deps: Deps, from_location_id: str, to_location_id: str, lines: dict[str, int], reason: str | None
) -> Transfer:
    """Reserve the units at the source and record the transfer, in one commit (or neither)."""
    supply.check_transfer(from_location_id, to_location_id, lines)
    _known(deps, [from_location_id, to_location_id], list(lines))
    now = deps.now()
    transfer = Transfer(
        transfer_id=new_id("trf"),
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        lines=[TransferLine(sku=sku, quantity=units) for sku, units in lines.items()],
        reason=reason,
        created_at=now,
        updated_at=now,
    )
    # Read first: a hot sku's units at the source are in its buckets (oms.domain.buckets).
    levels = deps.uow.stock.levels(lines, [from_location_id])
    deps.uow.add(
        SaveTransfer(transfer, 0), *reservations(levels, {(sku, from_location_id): n for sku, n in lines.items()})
    )
    try:
        deps.uow.commit()
    except CommitRefused as refused:
        short = sorted({r.sku for r in refused.of(Reservation)})
        if not short:
            raise
        levels = deps.uow.stock.levels(lines, [from_location_id])
        raise InsufficientStock(
            f"not enough available at {from_location_id} to transfer",
            lines=[
                {
                    "sku": sku,
                    "requested": lines[sku],
                    "available": levels[(sku, from_location_id)].available if (sku, from_location_id) in levels else 0,
                }
                for sku in short
            ],
        ) from None
    return transfer


def transfer_shipped(deps: Deps, partner: Partner, notice: TransferNotice, event_id: str) -> str:
    def step(transfer: Transfer, actor: str) -> tuple[list[Write], str]:
        leaving, released = supply.shipped(transfer, _units(notice), f"{actor}:{event_id}", deps.now())
        writes: list[Write] = [
            ShipUnits(sku, transfer.from_location_id, leaving.get(sku, 0), released.get(sku, 0), purpose="transfer")
            for sku in {**leaving, **released}
        ]
        return writes, f"shipped {sum(leaving.values())} unit(s)"

    return _transfer_step(deps, partner, "transfer.shipped", notice.transfer_id, step)


def transfer_received(deps: Deps, partner: Partner, notice: TransferNotice, event_id: str) -> str:
    def step(transfer: Transfer, actor: str) -> tuple[list[Write], str]:
        came = supply.arrived(transfer, _units(notice), f"{actor}:{event_id}", deps.now())
        audit = {"reason": "transfer received", "transfer_id": transfer.transfer_id}
        writes: list[Write] = [
            ReceiveUnits(sku, transfer.to_location_id, qty, audit | {"delta": qty}, actor, deps.now())
            for sku, qty in came.items()
        ]
        return writes, f"received {sum(came.values())} unit(s)"

    return _transfer_step(deps, partner, "transfer.received", notice.transfer_id, step)


def _transfer_step(
    deps: Deps,
    partner: Partner,
    event_type: str,
    transfer_id: str,
    step: Callable[[Transfer, str], tuple[list[Write], str]],
) -> str:
    for _ in range(ATTEMPTS):
        transfer = deps.uow.supply.transfer(transfer_id)
        if transfer is None:
            raise NotFound(f"no transfer {transfer_id}", code="transfer_not_found")
        # The source ships, the destination receives: only their location partners may say so.
        side = transfer.from_location_id if event_type == "transfer.shipped" else transfer.to_location_id
        refusal = partner.refusal(event_type, [side])
        if refusal:
            return f"refused: {refusal}"
        version = transfer.version
        try:
            writes, outcome = step(transfer, partner.partner_id)
        except AlreadyApplied:
            return "duplicate"
        except (Conflict, Unprocessable) as wrong:  # a stray or contradictory notice: no retry can apply it
            return f"refused: {wrong.detail}"
        if _commit(deps, [SaveTransfer(transfer, version), *writes], (SaveTransfer,)):
            return outcome
    raise CommitRefused(conflict=True)


def _units(notice: TransferNotice) -> dict[str, int] | None:
    if notice.lines is None:
        return None
    units: dict[str, int] = {}
    for line in notice.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def _commit(deps: Deps, writes: list[Write], versioned: tuple[type[Write], ...]) -> bool:
    """Commit; False when only a document's version moved (read again and decide again)."""
    deps.uow.add(*writes)
    try:
        deps.uow.commit()
    except CommitRefused as refused:
        if refused.conflict or refused.only(*versioned):
            return False
        raise
    return True
