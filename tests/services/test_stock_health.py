"""Stock health over the memory store: sales folded from stock changes, each change of status announced once
(never a storm while stock hovers at a threshold), suggestions across locations, the daily decay."""

from __future__ import annotations

from datetime import timedelta

from oms.clock import FrozenClock
from oms.services import stock_health
from oms.services.deps import Deps
from oms.services.stock_health import StockChange
from oms.services.supply import put_inbound
from oms.store.memory import MemoryStore
from tests.network import MORNING

DAY = MORNING.now().date().isoformat()


def announced(deps: Deps) -> list[tuple[str, str, str]]:
    events = deps.publisher.published  # type: ignore[attr-defined]  # the in-memory RecordingPublisher
    return [(kind, detail["sku"], detail["location_id"]) for order_id, (kind, detail) in events if not order_id]


def sell(deps: Deps, store: MemoryStore, sku: str, location_id: str, units: int) -> None:
    """A shipment as the stream shows it: on hand down by what was sold."""
    record = store.stock[(sku, location_id)]
    record.on_hand -= units
    change = StockChange(sku, location_id, record.on_hand, record.available, sold=units, day=DAY)
    stock_health.record_changes(deps, [change])


def test_selling_down_announces_low_then_out_once_each(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("A", "mnl", 20)
    for _ in range(4):
        sell(deps, store, "A", "mnl", 4)  # 16 sold today: a rate of ~2.6/day, 4 left is under a week
    assert announced(deps) == [("stock.low", "A", "mnl")]
    sell(deps, store, "A", "mnl", 4)
    assert announced(deps)[-1] == ("stock.out", "A", "mnl")

    store.stock[("A", "mnl")].on_hand = 40  # a receipt
    stock_health.record_changes(deps, [StockChange("A", "mnl", 40, 40)])
    assert announced(deps)[-1] == ("stock.back_in_stock", "A", "mnl")
    assert len(announced(deps)) == 3


def test_stock_hovering_at_the_threshold_is_announced_once(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("A", "mnl", 100)
    stock_health.set_overrides(deps, "A", "mnl", {"reorder_point": 10, "max_days_of_cover": 3650})
    sell(deps, store, "A", "mnl", 2)  # a small rate: cover is long; the reorder point decides
    for on_hand in (10, 11, 10, 11, 10, 12, 10):  # reservations and releases around the point
        store.stock[("A", "mnl")].on_hand = on_hand
        stock_health.record_changes(deps, [StockChange("A", "mnl", on_hand, on_hand)])
    assert announced(deps) == [("stock.low", "A", "mnl")]


def test_a_burst_in_one_batch_is_assessed_once_on_its_latest_figures(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("A", "mnl", 10)
    changes = [StockChange("A", "mnl", units, units) for units in (9, 0, 3, 0)]
    stock_health.record_changes(deps, changes)
    assert announced(deps) == [("stock.out", "A", "mnl")]


def test_the_report_suggests_moving_a_surplus_to_the_nearest_need(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("A", "mnl", 300)
    store.put_stock("A", "ceb", 1)
    for location_id in ("mnl", "ceb"):
        sell(deps, store, "A", location_id, 20)  # ~2.6 units a day at each
    report = {h.location_id: h for h in stock_health.report(deps, "A")}
    assert report["mnl"].status == "over" and report["ceb"].status == "out"
    suggestion = report["ceb"].suggestion
    assert suggestion is not None and suggestion["type"] == "transfer" and suggestion["from_location_id"] == "mnl"
    assert suggestion["quantity"] > 0 and report["ceb"].view()["suggestion"] == suggestion


def test_what_is_coming_reduces_the_reorder(deps: Deps, store: MemoryStore) -> None:
    store.put_stock("D", "dvo", 11)
    sell(deps, store, "D", "dvo", 10)
    before = {h.location_id: h for h in stock_health.report(deps, "D")}["dvo"].suggestion
    put_inbound(deps, "po-9", "dvo", "2026-03-09T00:00:00Z", {"D": 5}, None)
    after = {h.location_id: h for h in stock_health.report(deps, "D")}["dvo"]
    assert before is not None and after.suggestion is not None and after.incoming == 5
    assert after.suggestion["quantity"] == before["quantity"] - 5


def test_the_daily_run_lets_a_rate_decay_until_idle_stock_reads_over(store: MemoryStore) -> None:
    from oms import bootstrap

    clock = FrozenClock(MORNING.now())
    deps = bootstrap.in_memory(store, clock)
    store.put_stock("A", "mnl", 30)
    sell(deps, store, "A", "mnl", 10)  # 20 left, selling ~1.6/day: ok
    assert announced(deps) == []
    clock.advance(seconds=int(timedelta(days=40).total_seconds()))  # nothing sold since
    level = store.level("A", "mnl")
    assert level is not None
    assert stock_health.recompute(deps, [level]) == ["stock.over"]
    assert stock_health.recompute(deps, [level]) == []  # said once


def test_a_count_below_what_is_promised_flags_a_shortage_once_until_a_count_clears_it(
    deps: Deps, store: MemoryStore
) -> None:
    from oms.services import partner_events
    from oms.services.checkout import place_order
    from tests.network import body
    from tests.services.events import ERP, event

    place_order(deps, body({"A": 3}), "sf-1", "k")  # 3 of mnl's 5 A promised
    for counted in (1, 1, 0):
        partner_events.apply(deps, ERP, event("inventory.counted", location_id="mnl", sku="A", on_hand=counted))
    mnl = next(h for h in stock_health.report(deps, "A") if h.location_id == "mnl")
    assert mnl.shortage == 3 and mnl.view()["shortage"] == 3
    assert [k for k, *_ in announced(deps)].count("stock.shortage") == 2  # 2 short, then 3: it grew twice

    partner_events.apply(deps, ERP, event("inventory.counted", location_id="mnl", sku="A", on_hand=6))
    assert next(h for h in stock_health.report(deps, "A") if h.location_id == "mnl").shortage == 0
