"""Partner events in memory: stock figures and adjustments applied once, unknown orders ignored."""

from __future__ import annotations

import pytest

from oms.domain.errors import Conflict
from oms.ports.unit_of_work import SetStockLevel
from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import ERP, WAREHOUSE, event, packed
from tests.services.flow import run_fulfil


def test_a_snapshot_sets_on_hand_keeps_reservations_and_is_applied_once(deps: Deps, store: MemoryStore) -> None:
    place_order(deps, body({"A": 2}), "sf-1", "k")
    snapshot = event("inventory.snapshot", items=[{"location_id": "mnl", "sku": "A", "on_hand": 9}])

    assert partner_events.apply(deps, ERP, snapshot) == "1 stock figure(s) applied"
    store.stock[("A", "mnl")].on_hand = 7  # a later change the redelivery must not undo
    assert partner_events.apply(deps, ERP, snapshot) == "duplicate"

    assert (store.stock[("A", "mnl")].on_hand, store.stock[("A", "mnl")].reserved) == (7, 2)
    assert [(a["reason"], a["delta"], a["actor"]) for a in store.audit] == [("counted", 4, "partner:erp")]


def test_a_snapshot_failing_part_way_applies_every_figure_when_redelivered(deps: Deps, store: MemoryStore) -> None:
    figures = [{"location_id": "mnl", "sku": "A", "on_hand": 8}, {"location_id": "ceb", "sku": "B", "on_hand": 1}]
    snapshot = event("inventory.snapshot", items=figures)

    def fail_second_figure(writes: object, moment: str) -> None:
        if moment == "before" and any(getattr(w, "level", None) and w.level.sku == "B" for w in writes):  # type: ignore[attr-defined]
            raise TimeoutError("DynamoDB did not answer")

    store.intercept = fail_second_figure
    with pytest.raises(TimeoutError):
        partner_events.apply(deps, ERP, snapshot)
    store.intercept = None

    assert partner_events.apply(deps, ERP, snapshot) == "2 stock figure(s) applied"
    assert (store.stock[("A", "mnl")].on_hand, store.stock[("B", "ceb")].on_hand) == (8, 1)


def test_an_adjustment_racing_a_reservation_is_recomputed_not_lost(deps: Deps, store: MemoryStore) -> None:
    raced: list[bool] = []

    def reserve_meanwhile(writes: object, moment: str) -> None:
        if moment == "before" and not raced:
            raced.append(True)
            store.stock[("A", "mnl")].reserved += 1  # a checkout's reservation lands without reading

    store.intercept = reserve_meanwhile
    partner_events.apply(deps, ERP, event("inventory.adjusted", location_id="mnl", sku="A", delta=-2))

    assert (store.stock[("A", "mnl")].on_hand, store.stock[("A", "mnl")].reserved) == (3, 1)


def test_stock_that_changes_on_every_attempt_is_refused_as_busy(deps: Deps, store: MemoryStore) -> None:
    def always_reserve(writes: object, moment: str) -> None:
        if moment == "before" and any(isinstance(w, SetStockLevel) for w in writes):  # type: ignore[attr-defined]
            store.stock[("A", "mnl")].reserved += 1

    store.intercept = always_reserve
    with pytest.raises(Conflict) as busy:
        partner_events.apply(deps, ERP, event("inventory.adjusted", location_id="mnl", sku="A", delta=1))
    assert busy.value.code == "stock_busy" and store.stock[("A", "mnl")].on_hand == 5


def test_an_event_about_an_unknown_order_is_ignored_and_changes_nothing(deps: Deps, store: MemoryStore) -> None:
    assert partner_events.apply(deps, WAREHOUSE, packed("ord_nope", "1")).startswith("ignored: no order ord_nope")
    assert store.commits == 0


def test_a_count_below_what_is_reserved_is_applied_with_its_shortage_and_never_loops(
    deps: Deps, store: MemoryStore
) -> None:
    place_order(deps, body({"A": 3}), "sf-1", "k")  # 3 of mnl's 5 A are promised
    snapshot = event("inventory.snapshot", location_id="mnl", sku="A", on_hand=1)

    outcome = partner_events.apply(deps, ERP, snapshot)

    assert outcome == "1 stock figure(s) applied; counted below reserved: A at mnl short by 2"
    assert (store.stock[("A", "mnl")].on_hand, store.stock[("A", "mnl")].reserved) == (3, 3)  # nothing available
    assert (store.audit[-1]["counted"], store.audit[-1]["shortage"]) == (1, 2)  # the variance, for a person
    assert partner_events.apply(deps, ERP, snapshot) == "duplicate"


def test_a_screen_that_answered_pending_decides_later_and_only_its_own_storefronts_orders(
    deps: Deps, store: MemoryStore
) -> None:
    from oms.domain.partners import Partner

    screen = Partner("screen", "Screen", roles=frozenset({"fraud"}))
    customer = {"id": "c-9", "email": "ana@review.test", "type": "b2c"}  # the sandbox screen holds it
    order = place_order(deps, body({"A": 1}, customer=customer), "sf-1", "k-fraud").order
    assert run_fulfil(deps, order.order_id) == "review"
    decided = event("fraud.decided", order_id=order.order_id, decision="approve")
    assert partner_events.apply(deps, screen, decided).startswith("refused: partner screen does not screen")
    store.storefronts["sf-1"] = {"adapters": {"fraud": "https:screen"}}
    assert (
        partner_events.apply(deps, screen, event("fraud.decided", order_id=order.order_id, decision="approve"))
        == "approved"
    )
    assert f"{order.order_id}-fulfil-after_review" in deps.phases.started  # type: ignore[attr-defined]
    late = event("fraud.decided", order_id=order.order_id, decision="reject")
    assert partner_events.apply(deps, screen, late) == "stale: the order is not on hold for review"
