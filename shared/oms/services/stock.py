"""Absolute and relative stock changes (admins, ERP snapshots, partner adjustments): recomputed by the
domain from the record as read, committed only if no reservation moved it meanwhile, audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from oms.domain import inventory
from oms.domain.errors import Conflict
from oms.domain.models import StockLevel
from oms.ports.unit_of_work import CommitRefused, SetStockLevel, Write
from oms.services.deps import Deps

ATTEMPTS = 5
Recompute = Callable[[StockLevel], tuple[StockLevel, dict[str, Any]]]


def set_stock(
    deps: Deps, sku: str, location_id: str, on_hand: int, safety_stock: int, actor: str, with_: Sequence[Write] = ()
) -> StockLevel:
    def recompute(current: StockLevel) -> tuple[StockLevel, dict[str, Any]]:
        new = inventory.set_on_hand(current, on_hand, safety_stock)
        return new, {"reason": "set", "delta": new.on_hand - current.on_hand, "safety_stock": safety_stock}

    return _rewrite(deps, sku, location_id, recompute, actor, with_)


def count_stock(
    deps: Deps, sku: str, location_id: str, on_hand: int, safety_stock: int, actor: str, with_: Sequence[Write] = ()
) -> tuple[StockLevel, int]:
    """A partner's absolute count: applied even below what is reserved (see inventory.counted), the
    shortage kept in the audit entry; answers the level and the shortage."""
    shortages: list[int] = []

    def recompute(current: StockLevel) -> tuple[StockLevel, dict[str, Any]]:
        new, shortage = inventory.counted(current, on_hand, safety_stock)
        shortages[:] = [shortage]
        audit = {"reason": "counted", "delta": new.on_hand - current.on_hand, "counted": on_hand}
        return new, audit | ({"shortage": shortage} if shortage else {}) | {"safety_stock": safety_stock}

    level = _rewrite(deps, sku, location_id, recompute, actor, with_)
    return level, shortages[0]


def adjust_stock(
    deps: Deps, sku: str, location_id: str, delta: int, reason: str, actor: str, with_: Sequence[Write] = ()
) -> StockLevel:
    def recompute(current: StockLevel) -> tuple[StockLevel, dict[str, Any]]:
        return inventory.adjust(current, delta), {"reason": reason, "delta": delta}

    return _rewrite(deps, sku, location_id, recompute, actor, with_)


def _rewrite(
    deps: Deps, sku: str, location_id: str, recompute: Recompute, actor: str, with_: Sequence[Write]
) -> StockLevel:
    """`with_` rides in the same commit (a partner event's receipt); its refusal is the caller's to read."""
    for _ in range(ATTEMPTS):
        current = deps.uow.stock.level(sku, location_id) or StockLevel(sku=sku, location_id=location_id)
        new, audit = recompute(current)
        audit["on_hand_after"] = new.on_hand
        deps.uow.add(SetStockLevel(new, current.reserved, audit, actor, deps.now()), *with_)
        try:
            deps.uow.commit()
        except CommitRefused as refused:
            if refused.only(SetStockLevel):
                continue  # a reservation landed since our read: compute again
            raise
        return new
    raise Conflict(f"stock of {sku} at {location_id} is changing too fast; try again", code="stock_busy")
