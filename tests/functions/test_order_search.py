"""The operators' order search on DynamoDB (moto): filtered pages, followed by their cursors, find every
matching order once, however the filters thin the pages out."""

from __future__ import annotations

from oms import bootstrap
from oms.services import stock
from oms.services.checkout import place_order
from oms.store.order_search import Filters, search
from tests.network import MORNING, body

STOREFRONTS = ["sf-1"]


def every_page(filters: Filters, limit: int) -> list[str]:
    found, cursor, pages = [], None, 0
    while True:
        orders, cursor = search(STOREFRONTS, filters, limit, cursor)
        found += [order.order_id for order in orders]
        pages += 1
        assert pages < 100, "the cursor does not move on"
        if cursor is None:
            return found


def test_a_filtered_search_pages_through_every_match_once(network: None) -> None:
    deps = bootstrap.aws(MORNING)
    stock.set_stock(deps, "A", "mnl", 500, 0, actor="test")
    stock.set_stock(deps, "C", "mnl", 500, 0, actor="test")
    placed: dict[str, list[str]] = {"A": [], "C": []}
    for n in range(80):
        sku = "A" if n % 4 else "C"  # three of four orders are for A: a page holds few matches
        order = place_order(deps, body({sku: 1}), "sf-1", f"key-{n}").order
        placed[sku].append(order.order_id)

    for limit in (7, 25, 30):
        by_sku = every_page(Filters(sku="C"), limit)
        assert sorted(by_sku) == sorted(placed["C"]) and len(set(by_sku)) == len(by_sku)
    assert sorted(every_page(Filters(status="accepted"), 10)) == sorted(placed["A"] + placed["C"])
    assert every_page(Filters(status="shipped"), 10) == []
