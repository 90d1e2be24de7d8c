"""A sku on sale (spread over buckets) is read from its buckets alone for a second by a checkout: its records,
all on the sku's one partition, are not read at every attempt; a spread or merge since is noticed at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oms import bootstrap
from oms.ports.unit_of_work import MoveToBuckets
from oms.store import hot_stock
from oms.store import inventory as inventory_store
from tests.network import MORNING

LOCATIONS = ["ceb", "mnl"]


@pytest.fixture
def keys_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The partition keys of each BatchGetItem of the stock, as the store asks for them."""
    seen: list[list[str]] = []
    original = inventory_store.batch_get

    def batch_get(table: str, keys: Any, consistent: bool = False) -> Any:
        seen.append(sorted(k["sku"]["S"] for k in keys))
        return original(table, keys, consistent)

    monkeypatch.setattr(inventory_store, "batch_get", batch_get)
    hot_stock.clear()
    yield seen
    hot_stock.clear()


def spread(moves: dict[int, int], buckets: int) -> None:
    deps = bootstrap.aws(MORNING)
    deps.uow.add(MoveToBuckets("A", "mnl", moves, buckets))
    deps.uow.commit()


@pytest.mark.usefixtures("network")
def test_a_sku_on_sale_is_read_from_its_buckets_alone_until_its_records_change(keys_read: list[list[str]]) -> None:
    spread({0: 3, 1: 2}, 2)
    first = inventory_store.get_levels(["A"], LOCATIONS, remembered=True)
    assert keys_read == [["A", "A"], ["A#mnl#B0", "A#mnl#B1"]]  # the records, then the buckets

    keys_read.clear()
    again = inventory_store.get_levels(["A"], LOCATIONS, remembered=True)
    assert keys_read == [["A#mnl#B0", "A#mnl#B1"]]  # the sku's partition is not read
    assert again == first and again[("A", "mnl")].available == 5

    spread({0: -3, 1: -2}, 0)  # merged back: the remembered record is stale
    keys_read.clear()
    merged = inventory_store.get_levels(["A"], LOCATIONS, remembered=True)
    assert merged[("A", "mnl")].buckets == {} and merged[("A", "mnl")].available == 5
    assert keys_read[-1] == ["A", "A"]  # read afresh
    keys_read.clear()
    inventory_store.get_levels(["A"], LOCATIONS, remembered=True)
    assert keys_read == [["A", "A"]]  # not on sale any more: never remembered


@pytest.mark.usefixtures("network")
def test_a_second_spread_is_noticed_by_a_reader_that_remembers_the_first(keys_read: list[list[str]]) -> None:
    spread({0: 5}, 1)
    assert inventory_store.get_levels(["A"], LOCATIONS, remembered=True)[("A", "mnl")].buckets == {0: 5}
    spread({0: -2, 1: 2}, 2)  # the same units over two buckets: the remembered record lent them to one
    again = inventory_store.get_levels(["A"], LOCATIONS, remembered=True)[("A", "mnl")]
    assert (again.buckets, again.available, again.reserved) == ({0: 3, 1: 2}, 5, 0)


@pytest.mark.usefixtures("network")
def test_a_reader_that_tells_others_reads_the_records_afresh(keys_read: list[list[str]]) -> None:
    spread({0: 5}, 1)
    inventory_store.get_levels(["A"], LOCATIONS, remembered=True)
    keys_read.clear()
    inventory_store.get_levels(["A"], LOCATIONS)  # channels, availability: not what a checkout remembered
    assert keys_read == [["A", "A"], ["A#mnl#B0"]]
