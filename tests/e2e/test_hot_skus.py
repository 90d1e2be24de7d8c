"""A hot sku spread over buckets for a sale, over HTTP: the operator spreads it, buyers draw from the
buckets, the stock reads the same throughout, and merging it back leaves the record counting only the
shipments. Bad requests are refused by name and change nothing."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Api, checkout_body, unique
from tests.e2e.test_channels import marketplace, receiver, told
from tests.e2e.test_webhooks import wait_for

__all__ = ["receiver"]  # the fixture, used by name

LOCATION = "mnl-wh-1"


def at(api: Api, sku: str) -> dict[str, Any]:
    return next(row for row in api.stock(sku)["locations"] if row["location_id"] == LOCATION)


def test_a_sale_from_buckets_sells_exactly_the_stock_and_merging_back_changes_no_figure(api: Api) -> None:
    sku = unique("HOT")
    api.stock_at(LOCATION, sku, 10)

    spread = api.admin("PUT", f"/v1/admin/inventory/{LOCATION}/{sku}/buckets", {"buckets": 4})
    assert spread.status_code == 200, spread.text
    assert (spread.json()["available"], spread.json()["reserved"]) == (10, 0)
    assert sorted(spread.json()["buckets"].values()) == [2, 2, 3, 3]

    placed = [api.checkout(checkout_body((sku, 2))) for _ in range(6)]
    assert [reply.status_code for reply in placed] == [201] * 5 + [409]
    assert placed[-1].json()["code"] == "insufficient_stock"
    sold = at(api, sku)
    assert (sold["on_hand"], sold["reserved"], sold["available"]) == (10, 10, 0)
    assert sum(sold["buckets"].values()) == 0

    merged = api.admin("PUT", f"/v1/admin/inventory/{LOCATION}/{sku}/buckets", {"buckets": 0})
    assert merged.status_code == 200, merged.text
    assert "buckets" not in merged.json()
    assert (merged.json()["on_hand"], merged.json()["reserved"], merged.json()["available"]) == (10, 10, 0)


def test_bad_bucket_requests_are_refused_by_name_and_change_nothing(api: Api) -> None:
    sku = unique("HOT")
    api.stock_at(LOCATION, sku, 5)
    path = f"/v1/admin/inventory/{LOCATION}/{sku}/buckets"

    too_many = api.admin("PUT", path, {"buckets": 33})
    assert (too_many.status_code, too_many.json()["code"]) == (422, "validation_error"), too_many.text
    assert api.admin("PUT", path, {"buckets": "8"}).status_code == 422
    missing = api.admin("PUT", f"/v1/admin/inventory/{LOCATION}/{unique('NONE')}/buckets", {"buckets": 2})
    assert (missing.status_code, missing.json()["code"]) == (404, "stock_not_found")
    nowhere = api.admin("PUT", f"/v1/admin/inventory/nowhere-1/{sku}/buckets", {"buckets": 2})
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "location_not_found")
    storefront = api.request("PUT", path, json={"buckets": 2})
    assert storefront.status_code == 403
    past = api.admin("PUT", path, {"buckets": 2, "until": "2020-01-01T00:00:00Z"})
    assert (past.status_code, past.json()["code"]) == (422, "invalid_sale_end"), past.text
    merge_with_end = api.admin("PUT", path, {"buckets": 0, "until": "2099-01-01T00:00:00Z"})
    assert (merge_with_end.status_code, merge_with_end.json()["code"]) == (422, "invalid_sale_end")
    naive = api.admin("PUT", path, {"buckets": 2, "until": "2099-01-01T00:00:00"})
    assert (naive.status_code, naive.json()["code"]) == (422, "validation_error")

    untouched = at(api, sku)
    assert (untouched["available"], untouched.get("buckets")) == (5, None)


def test_a_channel_hears_each_sale_from_a_bucket(api: Api, receiver: str) -> None:
    partner_id, _ = marketplace(api, receiver)
    sku, channel_id = unique("HOT"), unique("lazada-ph")
    api.stock_at(LOCATION, sku, 6)
    setup = {"storefront_id": "sf-local", "partner_id": partner_id, "skus": [sku]}
    assert api.admin("PUT", f"/v1/admin/channels/{channel_id}", setup).status_code == 201
    assert wait_for(lambda: told(api, channel_id, sku) == 6)
    assert api.admin("PUT", f"/v1/admin/inventory/{LOCATION}/{sku}/buckets", {"buckets": 3}).status_code == 200
    # The spread's own stream record (the record lent its units) is read and answered first (a 0.5 s window
    # here): the figure is still 6, so nothing is told, and the sale below cannot ride on that reading.
    time.sleep(3)
    assert told(api, channel_id, sku) == 6

    # The sale writes a bucket alone (the record is untouched): its stream record names the sku.
    assert api.checkout(checkout_body((sku, 2))).status_code == 201
    assert wait_for(lambda: told(api, channel_id, sku) == 4)
