"""The memory store's supply tables: inbounds with their lots and backorder promises, and transfers,
kept and guarded as the DynamoDB store keeps them (oms.store.supply)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from oms.domain.backorder import Lot, Promised
from oms.domain.supply import Inbound, Transfer
from oms.ports import unit_of_work as uow


@dataclass
class SupplyTables:
    inbounds: dict[str, Inbound] = field(default_factory=dict)
    lots: dict[tuple[str, str, str], Lot] = field(default_factory=dict)  # (sku, location, inbound)
    promises: dict[tuple[str, ...], Promised] = field(default_factory=dict)  # keyed as promise_key
    transfers: dict[str, Transfer] = field(default_factory=dict)


def promise_key(promised: Promised) -> tuple[str, ...]:
    return (promised.sku, promised.location_id, promised.inbound_id, *promised.rank)


class MemorySupply:
    def __init__(self, tables: SupplyTables, lock: threading.RLock) -> None:
        self._tables, self._lock = tables, lock

    def inbound(self, inbound_id: str) -> Inbound | None:
        with self._lock:
            found = self._tables.inbounds.get(inbound_id)
            return found.model_copy(deep=True) if found else None

    def transfer(self, transfer_id: str) -> Transfer | None:
        with self._lock:
            found = self._tables.transfers.get(transfer_id)
            return found.model_copy(deep=True) if found else None

    def incoming(self, skus: Iterable[str]) -> list[Lot]:
        wanted = set(skus)
        with self._lock:
            lots = sorted(self._tables.lots.items())
            return [lot for (sku, _, _), lot in lots if sku in wanted and lot.quantity > 0]

    def lots(self, inbound: Inbound) -> dict[str, Lot]:
        with self._lock:
            found = (self._tables.lots.get((ln.sku, inbound.location_id, inbound.inbound_id)) for ln in inbound.lines)
            return {lot.sku: lot for lot in found if lot is not None}

    def promises(self, lot: Lot) -> list[Promised]:
        of_lot = (lot.sku, lot.location_id, lot.inbound_id)
        with self._lock:
            return sorted((p for key, p in self._tables.promises.items() if key[:3] == of_lot), key=lambda p: p.rank)


def supply_item(write: uow.Write) -> tuple[str, ...] | None:
    """The item a supply write touches (None: not a supply write)."""
    match write:
        case uow.SaveInbound(inbound=inbound):
            return ("inbound", inbound.inbound_id)
        case uow.SaveTransfer(transfer=transfer):
            return ("transfer", transfer.transfer_id)
        case uow.PromiseUnits(promised=p) | uow.ServePromise(promised=p) | uow.DropPromise(promised=p):
            return ("promise", *promise_key(p))
    return None


def supply_allowed(tables: SupplyTables, write: uow.Write) -> bool | None:
    """Whether the write's guard holds (None: not a supply write)."""
    match write:
        case uow.SaveInbound(inbound=inbound, expected_version=expected, lots=lots):
            current = tables.inbounds.get(inbound.inbound_id)
            unmoved = all(
                tables.lots.get((line.sku, inbound.location_id, inbound.inbound_id), _NO_LOT).promised
                == (lots[line.sku].promised if line.sku in lots else 0)
                for line in inbound.lines
            )
            return (current.version if current else 0) == expected and unmoved
        case uow.SaveTransfer(transfer=transfer, expected_version=expected):
            current_transfer = tables.transfers.get(transfer.transfer_id)
            return (current_transfer.version if current_transfer else 0) == expected
        case uow.PromiseUnits(promised=p):
            lot = tables.lots.get((p.sku, p.location_id, p.inbound_id))
            fits = lot is not None and lot.quantity - lot.promised >= p.quantity
            return fits and promise_key(p) not in tables.promises
        case uow.ServePromise(promised=p):
            serving = tables.promises.get(promise_key(p))
            return serving is not None and not serving.served
        case uow.DropPromise(promised=p):
            dropping = tables.promises.get(promise_key(p))
            return dropping is not None and dropping.served == p.served
    return None


def supply_apply(tables: SupplyTables, write: uow.Write) -> bool:
    """Apply a supply write (False: not a supply write)."""
    match write:
        case uow.SaveInbound(inbound=inbound, expected_version=expected, lots=lots, settled=settled, previous=before):
            tables.inbounds[inbound.inbound_id] = inbound.model_copy(deep=True, update={"version": expected + 1})
            inbound.version = expected + 1
            _save_lots(tables, inbound, lots, settled, before)
        case uow.SaveTransfer(transfer=transfer, expected_version=expected):
            tables.transfers[transfer.transfer_id] = transfer.model_copy(deep=True, update={"version": expected + 1})
            transfer.version = expected + 1
        case uow.PromiseUnits(promised=p):
            key = (p.sku, p.location_id, p.inbound_id)
            tables.lots[key] = replace(tables.lots[key], promised=tables.lots[key].promised + p.quantity)
            tables.promises[promise_key(p)] = replace(p, served=False)
        case uow.ServePromise(promised=p):
            tables.promises[promise_key(p)] = replace(p, served=True)
        case uow.DropPromise(promised=p):
            del tables.promises[promise_key(p)]
            if not p.served:
                key = (p.sku, p.location_id, p.inbound_id)
                tables.lots[key] = replace(tables.lots[key], promised=tables.lots[key].promised - p.quantity)
        case _:
            return False
    return True


_NO_LOT = Lot(sku="", location_id="", inbound_id="", expected_at="", quantity=0)


def _save_lots(
    tables: SupplyTables,
    inbound: Inbound,
    lots: Mapping[str, Lot],
    settled: Mapping[str, Lot],
    before: Inbound | None,
) -> None:
    """A lot per sku while anything is expected, promised or held; lots the inbound no longer has go."""
    incoming = inbound.incoming()
    for line in inbound.lines:
        key = (line.sku, inbound.location_id, inbound.inbound_id)
        after = settled.get(line.sku) or lots.get(line.sku)
        promised, held = (after.promised, after.held) if after else (0, 0)
        quantity = incoming.get(line.sku, 0)
        if quantity or promised or held:
            tables.lots[key] = Lot(
                line.sku, inbound.location_id, inbound.inbound_id, inbound.expected_at, quantity, promised, held
            )
        else:
            tables.lots.pop(key, None)
    if before is not None:
        kept = {(line.sku, inbound.location_id) for line in inbound.lines}
        for line in before.lines:
            if (line.sku, before.location_id) not in kept:
                tables.lots.pop((line.sku, before.location_id, before.inbound_id), None)
