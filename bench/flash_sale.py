"""Flash sale on one sku: the modelled DynamoDB ceiling of checkouts per second, and a simulated rush.

Two halves, printed together by `python -m bench flash`:

* **The model, on paper.** A one-line checkout is one TransactWriteItems of 4 items (`oms.services.checkout`,
  `oms.store.unit_of_work.items_of`): the stock reservation (`inventory.change_reservation`: table inventory,
  partition key = the sku), the order and its routing explanation (orders, partition `ORDER#id`) and the
  Idempotency-Key claim (orders, its own partition); a 5th, the location's daily shipment counter
  (inventory, partition `CAPACITY#location`), only where the location has a `capacity_per_day`. One of
  them lands on the sku's partition. Every attempt also reads the sku's levels first: one BatchGetItem,
  eventually consistent, of one key per (sku, location) the storefront may ship from, whether stocked or
  not, all in the sku's partition. DynamoDB's published per-partition limits (1,000 write units and 3,000
  read units a second), 2 write units per transactional item write of up to 1 KB (aws-prices.json) and
  0.5 read units per eventually consistent read of up to 4 KB give the ceiling. A lost race (the
  reservation's `available >= q` refused, or a TransactionConflict with a concurrent transaction on the
  same item) re-reads and re-plans, up to `checkout.MAX_ATTEMPTS` times: each attempt costs the hot
  partition its writes and reads again; botocore's standard retry mode (3 attempts) multiplies a
  throttled request. The item counts the model uses are also counted in the simulation's transactions.
* **The simulation, locally.** One in-process local stack (`local.runtime.LocalStack`, seeded with the
  demo data), UNITS units of one new sku split over two warehouses without a daily capacity
  (mnl-wh-1, ceb-wh-1), then `buyers` checkouts of one unit each, each with its own Idempotency-Key and
  customer, half of them shipping to Metro Manila and half to the Visayas and Mindanao, sent at once from
  `threads` threads through the local API Gateway (`stack.gateway.handle`: authorizer, usage plan
  check, proxy event, the api function, moto; the path a request over HTTP takes, without the socket).
  The runtime serializes every DynamoDB request, so moto's conditional writes are atomic as DynamoDB's
  are, and every successful checkout starts its fulfil workflow (Step Functions, other threads), which
  competes for DynamoDB as it would on AWS. The storefront's usage plan (50 rps, burst 100 in the
  template) and the stage's throttle (100 rps, burst 200) would answer 429 before the stock is reached
  (a first run of 2,000 buyers got 256 of them once the refusals came fast); the run raises both to
  PLAN_RATE_LIMIT in the local gateway first, as an operator would deploy them for a sale, so that what
  is measured is the stock path. The model prints the deployed limits; a 429 would still be counted.
  Attempts per checkout are the TransactWriteItems calls the api function makes on the request's thread
  (a wrapper around moto's DynamoDB handler for the run only, like `bench.checkout_round_trips`), with
  their refusals. After the sale the run waits for the workflows, reads the sku's stock and every order
  of the sku (the admin search), and checks the invariants: units sold = units on hand at the start (no
  more), reserved = units of the live shipments per location, available never negative.

Latency is the local stack's (moto in one process, 2 cores): compare runs on one machine, not with AWS.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTION = "flash_sale"
SKU = "FLASH-TEE"
UNITS = 500
LOCATIONS = ("mnl-wh-1", "ceb-wh-1")  # seeded warehouses with no daily capacity counter
BUYERS = 10_000  # the rush: ~4 minutes on a 2-core machine (the refusals are fast); --buyers 2000 for ~2.5
THREADS = 32
BUCKETS = 8  # per location, spread before the sale (PUT /v1/admin/inventory/{location}/{sku}/buckets); 0: none
RUSH_BUYERS = 10_000  # the rush: 10,000 buyers in the first minute
RUSH_SECONDS = 60.0
STOREFRONT = "sf-local"
PLAN_RATE_LIMIT = 10_000  # the sale's usage plan throttle in the local gateway (rps and burst)
SETTLE_TIMEOUT_S = 300.0
SEED = 17

# DynamoDB's published limits (developer guide, "Partitions" / warm throughput): per partition, per second.
PARTITION_WCU = 1_000
PARTITION_RCU = 3_000
WRITE_UNIT_BYTES = 1_024
READ_UNIT_BYTES = 4_096
EVENTUAL_READ_UNITS = 0.5  # per 4 KB read eventually consistent (checkout's BatchGetItem)
SDK_ATTEMPTS = 3  # oms.aws: botocore retries {"mode": "standard", "max_attempts": 3}
# Not a published limit: DynamoDB refuses (TransactionConflict) a transaction on an item another one is
# preparing, so one item takes about one transaction per commit window. An assumed window, for scale.
ASSUMED_TRANSACTION_WINDOW_MS = (10.0, 25.0)
# Warm api containers in a sale, each reading a sku's records once a second (oms.store.hot_stock): for scale.
ASSUMED_CONTAINERS = 100

ADDRESSES = (
    {"line1": "1 Ayala Ave", "city": "Makati", "region": "Metro Manila", "postal_code": "1226"},
    {"line1": "12 Timog Ave", "city": "Quezon City", "region": "Metro Manila", "postal_code": "1103"},
    {"line1": "21 Osmena Blvd", "city": "Cebu City", "region": "Cebu", "postal_code": "6000"},
    {"line1": "2 CM Recto St", "city": "Davao City", "region": "Davao del Sur", "postal_code": "8000"},
)


# -- the model -------------------------------------------------------------------------------------


def model(
    *,
    hot_items_per_transaction: int = 1,
    items_per_transaction: int = 4,
    stock_item_bytes: int = 300,
    keys_read_per_attempt: int = 6,
    locations_of_sku: int = 2,
    attempts_per_checkout: float = 1.0,
    plan_throttle: tuple[float, int] | None = (50.0, 100),
    stage_throttle: tuple[float, int] | None = (100.0, 200),
    buckets: int = BUCKETS,
) -> dict[str, Any]:
    """Checkouts per second one sku's partition takes, from DynamoDB's per-partition limits.

    Defaults are what the code writes (read in `oms.services.checkout` and `oms.store`); the simulation
    passes what it counted. `keys_read_per_attempt`: the (sku, location) keys of one levels read (every
    location of the demo: 6). `attempts_per_checkout`: transactions per successful checkout in the rush.
    """
    from bench.cost import PricesMissing, load_prices
    from oms.services.checkout import MAX_ATTEMPTS

    try:
        per_item = int(load_prices().get("dynamodb_transactional_write_units_per_item_kb", 2))
    except PricesMissing:  # the price list is beside the repository, not in it: DynamoDB's documented 2
        per_item = 2
    wcu_per_transaction = hot_items_per_transaction * per_item * max(1, math.ceil(stock_item_bytes / WRITE_UNIT_BYTES))
    rcu_per_attempt = keys_read_per_attempt * EVENTUAL_READ_UNITS  # each key <= 4 KB, a missing one costs too
    write_ceiling = PARTITION_WCU / wcu_per_transaction
    read_ceiling = PARTITION_RCU / rcu_per_attempt
    ceiling = min(write_ceiling, read_ceiling)
    worst_wcu = wcu_per_transaction * MAX_ATTEMPTS
    worst_rcu = rcu_per_attempt * (MAX_ATTEMPTS + 1)  # the last refusal reads the levels once more
    rush_rate = RUSH_BUYERS / RUSH_SECONDS
    low, high = ASSUMED_TRANSACTION_WINDOW_MS
    return {
        "assumptions": {
            "partition_wcu_per_s": PARTITION_WCU,
            "partition_rcu_per_s": PARTITION_RCU,
            "transactional_wcu_per_item_kb": per_item,
            "eventual_rcu_per_4kb": EVENTUAL_READ_UNITS,
            "items_per_one_line_checkout": items_per_transaction,
            "items_on_the_sku_partition": hot_items_per_transaction,
            "stock_item_bytes": stock_item_bytes,
            "keys_read_per_attempt": keys_read_per_attempt,
            "locations_of_the_sku_in_one_partition": locations_of_sku,
            "max_attempts": MAX_ATTEMPTS,
            "sdk_attempts_per_call": SDK_ATTEMPTS,
        },
        "wcu_per_transaction_on_hot_partition": wcu_per_transaction,
        "rcu_per_attempt_on_hot_partition": rcu_per_attempt,
        "write_ceiling_checkouts_per_s": round(write_ceiling, 1),
        "read_ceiling_attempts_per_s": round(read_ceiling, 1),
        "ceiling_checkouts_per_s_per_sku": round(ceiling, 1),
        "ceiling_checkouts_per_s_per_sku_location_even_split": round(ceiling / locations_of_sku, 1),
        "worst_case_wcu_per_checkout": worst_wcu,
        "worst_case_rcu_per_checkout": worst_rcu,
        "ceiling_at_max_attempts_checkouts_per_s": round(PARTITION_WCU / worst_wcu, 1),
        "worst_case_transaction_requests_per_checkout": MAX_ATTEMPTS * SDK_ATTEMPTS,
        "ceiling_at_measured_attempts_checkouts_per_s": round(
            min(PARTITION_WCU / (wcu_per_transaction * attempts_per_checkout), read_ceiling / attempts_per_checkout),
            1,
        ),
        "attempts_per_checkout_used": round(attempts_per_checkout, 3),
        "item_conflict_ceiling_checkouts_per_s": [round(1000 / high), round(1000 / low)],
        "rush_arrivals_per_s": round(rush_rate, 1),
        "rush_hot_wcu_per_s_first_attempts": round(rush_rate * wcu_per_transaction),
        "rush_hot_wcu_per_s_at_max_attempts": round(rush_rate * worst_wcu),
        "storefront_plan_throttle": list(plan_throttle) if plan_throttle else None,
        "stage_throttle": list(stage_throttle) if stage_throttle else None,
        "with_buckets": with_buckets(
            buckets, locations_of_sku, wcu_per_transaction, read_ceiling, (round(1000 / high), round(1000 / low))
        ),
    }


def with_buckets(
    buckets: int, locations: int, wcu_per_transaction: int, read_ceiling: float, conflicts: tuple[int, int]
) -> dict[str, Any]:
    """The ceiling once each location's stock is spread over `buckets` counters (oms.domain.buckets).

    A checkout's reservation is then an update of one bucket, whose partition key (`<sku>#<location>#B<n>`)
    is its own: the writes spread over buckets x locations partitions, each taking what the one record
    took. The levels read reads every bucket (one key on each bucket's partition: 0.5 RCU there per
    attempt); the sku's records, on its own partition, only once a second per warm api container
    (oms.store.hot_stock: ASSUMED_CONTAINERS of them, each reading `read_ceiling`'s keys). Item conflicts
    spread over the buckets too. Without the remembered records, the records' read was the bound
    (`read_ceiling`: every attempt read them).
    """
    from oms.store.hot_stock import TTL_S

    partitions = max(1, buckets) * locations
    write_ceiling = PARTITION_WCU / wcu_per_transaction * partitions
    bucket_read_ceiling = PARTITION_RCU / EVENTUAL_READ_UNITS  # every attempt reads every bucket once
    records_rcu_per_s = ASSUMED_CONTAINERS / TTL_S * PARTITION_RCU / read_ceiling
    ceiling = min(write_ceiling, bucket_read_ceiling)
    return {
        "buckets_per_location": buckets,
        "partitions_written": partitions,
        "write_ceiling_checkouts_per_s": round(write_ceiling, 1),
        "write_ceiling_checkouts_per_s_per_location": round(write_ceiling / locations, 1),
        "bucket_read_ceiling_attempts_per_s": round(bucket_read_ceiling, 1),
        "records_read_rcu_per_s": round(records_rcu_per_s, 1),
        "records_read_ceiling_if_read_every_attempt": round(read_ceiling, 1),
        "assumed_warm_containers": ASSUMED_CONTAINERS,
        "ceiling_checkouts_per_s_per_sku": round(ceiling, 1),
        "bound_by": "the reads of each bucket" if bucket_read_ceiling < write_ceiling else "writes",
        "item_conflict_ceiling_checkouts_per_s": [c * partitions for c in conflicts],
    }


def template_throttles(cdk_out: Path) -> tuple[tuple[float, int] | None, tuple[float, int] | None]:
    """The storefront usage plan's and the stage's (rate, burst), read from the synthesized template."""
    plan = stage = None
    for path in sorted(cdk_out.glob("*.template.json")):
        resources = json.loads(path.read_text()).get("Resources", {})
        for resource in resources.values():
            props = resource.get("Properties", {})
            if resource.get("Type") == "AWS::ApiGateway::UsagePlan" and "storefront" in json.dumps(
                props.get("UsagePlanName", "")
            ):
                limits = props.get("Throttle") or {}
                if "RateLimit" in limits:
                    plan = (float(limits["RateLimit"]), int(limits.get("BurstLimit", 0)))
            if resource.get("Type") == "AWS::ApiGateway::Stage":
                for setting in props.get("MethodSettings", []):
                    if "ThrottlingRateLimit" in setting:
                        stage = (float(setting["ThrottlingRateLimit"]), int(setting.get("ThrottlingBurstLimit", 0)))
    return plan, stage


def report_model(figures: dict[str, Any]) -> list[str]:
    a = figures["assumptions"]
    plan, stage = figures["storefront_plan_throttle"], figures["stage_throttle"]
    lines = [
        "  the model (DynamoDB's published per-partition limits)",
        f"    assumed: {a['partition_wcu_per_s']:,} WCU/s and {a['partition_rcu_per_s']:,} RCU/s per partition; "
        f"{a['transactional_wcu_per_item_kb']} WCU per transactional item write (<= 1 KB); "
        f"{a['eventual_rcu_per_4kb']} RCU per eventually consistent read (<= 4 KB, a missing item too)",
        f"    a one-line checkout: 1 transaction of {a['items_per_one_line_checkout']} items "
        "(reservation, order, routing explanation, Idempotency-Key; +1 daily counter at a location with a "
        f"capacity), {a['items_on_the_sku_partition']} on the sku's partition (stock item "
        f"{a['stock_item_bytes']} B) -> {figures['wcu_per_transaction_on_hot_partition']} WCU; "
        f"and 1 levels read of {a['keys_read_per_attempt']} keys -> "
        f"{figures['rcu_per_attempt_on_hot_partition']:g} RCU, per attempt",
        f"    ceiling: {figures['write_ceiling_checkouts_per_s']:g} checkouts/s for the sku (writes; reads allow "
        f"{figures['read_ceiling_attempts_per_s']:g} attempts/s): its {a['locations_of_the_sku_in_one_partition']} "
        f"locations share the partition key, so ~{figures['ceiling_checkouts_per_s_per_sku_location_even_split']:g}"
        " per (sku, location) when both sell; one item never takes more than the whole partition's, even split",
        f"    re-plans: a lost race costs another attempt (up to {a['max_attempts']}): "
        f"{figures['worst_case_wcu_per_checkout']} WCU and {figures['worst_case_rcu_per_checkout']:g} RCU for one "
        f"checkout -> {figures['ceiling_at_max_attempts_checkouts_per_s']:g} checkouts/s; throttled calls are "
        f"retried by the SDK ({a['sdk_attempts_per_call']} attempts): up to "
        f"{figures['worst_case_transaction_requests_per_checkout']} transaction requests per checkout",
        f"    at the measured {figures['attempts_per_checkout_used']:g} attempts per sold unit: "
        f"{figures['ceiling_at_measured_attempts_checkouts_per_s']:g} checkouts/s",
        f"    the rush ({RUSH_BUYERS:,} buyers in {RUSH_SECONDS:g} s = {figures['rush_arrivals_per_s']:g}/s): "
        f"{figures['rush_hot_wcu_per_s_first_attempts']:,} WCU/s on the hot partition if each wins at once, "
        f"{figures['rush_hot_wcu_per_s_at_max_attempts']:,} WCU/s if each needs every attempt (> "
        f"{a['partition_wcu_per_s']:,}: throttled, which makes more of them lose, which adds attempts)",
        "    not a published limit: a transaction on an item another transaction is preparing is refused "
        "(TransactionConflict), so one item takes ~1 transaction per commit window: "
        f"{figures['item_conflict_ceiling_checkouts_per_s'][0]}-{figures['item_conflict_ceiling_checkouts_per_s'][1]}"
        f" checkouts/s per (sku, location) at an assumed {ASSUMED_TRANSACTION_WINDOW_MS[0]:g}-"
        f"{ASSUMED_TRANSACTION_WINDOW_MS[1]:g} ms window",
        "    before any of that, API Gateway: the storefront plan "
        + (f"{plan[0]:g} rps (burst {plan[1]})" if plan else "(none)")
        + ", the stage "
        + (f"{stage[0]:g} rps (burst {stage[1]})" if stage else "(none)")
        + ": one storefront's sale is answered 429 above that",
    ]
    b = figures["with_buckets"]
    lines += [
        f"  after: {b['buckets_per_location']} buckets per location (PUT .../buckets before the sale): a checkout "
        f"writes one bucket, on its own partition ({b['partitions_written']} in all) -> writes allow "
        f"{b['write_ceiling_checkouts_per_s']:g} checkouts/s ({b['write_ceiling_checkouts_per_s_per_location']:g} "
        f"per location); each attempt reads every bucket (0.5 RCU on each bucket's partition): "
        f"{b['bucket_read_ceiling_attempts_per_s']:g} attempts/s; the sku's records are read once a second per "
        f"warm container ({b['assumed_warm_containers']} assumed: {b['records_read_rcu_per_s']:g} RCU/s on its "
        f"partition; read at every attempt they capped it at {b['records_read_ceiling_if_read_every_attempt']:g}) "
        f"-> ceiling {b['ceiling_checkouts_per_s_per_sku']:g} checkouts/s for the sku, bound by {b['bound_by']}; "
        f"item conflicts {b['item_conflict_ceiling_checkouts_per_s'][0]}-"
        f"{b['item_conflict_ceiling_checkouts_per_s'][1]}/s",
    ]
    return lines


# -- attempts: the api function's transactions on the request's thread -----------------------------


@dataclass
class Attempts:
    """What one checkout's api function sent to DynamoDB on its thread."""

    transactions: int = 0
    refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    items: list[int] = field(default_factory=list)  # items per transaction
    hot_items: list[int] = field(default_factory=list)  # of which on the sku's partition (inventory, pk = sku)
    keys_read: list[int] = field(default_factory=list)  # keys per BatchGetItem of the sku's partition
    bucket_reads: int = 0  # BatchGetItems of the sku's buckets
    partitions: Counter[str] = field(default_factory=Counter)  # inventory items written, by partition key


class AttemptCounter:
    """Wraps moto's DynamoDB handler for the run: a call counts only on a thread inside `measure()`."""

    def __init__(self, api_function: str, inventory_table: str) -> None:
        self._local = threading.local()
        self._api = api_function
        self._inventory = inventory_table
        self._original: Any = None

    @contextmanager
    def installed(self) -> Iterator[AttemptCounter]:
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action
        local, api, inventory = self._local, self._api, self._inventory

        def call_action(handler: Any) -> Any:
            seen: Attempts | None = getattr(local, "attempts", None)
            if seen is None or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") != api:
                return original(handler)
            action = handler._get_action()
            try:
                body = json.loads(handler.body or "{}")
            except (TypeError, ValueError):
                body = {}
            if action == "BatchGetItem":
                keys = (body.get("RequestItems") or {}).get(inventory, {}).get("Keys", [])
                hot = [k for k in keys if k.get("sku", {}).get("S") == SKU]
                if hot:
                    seen.keys_read.append(len(keys))
                if any(str(k.get("sku", {}).get("S", "")).startswith(f"{SKU}#") for k in keys):
                    seen.bucket_reads += 1
            if action != "TransactWriteItems":
                return original(handler)
            items = body.get("TransactItems") or []
            seen.transactions += 1
            seen.items.append(len(items))
            seen.hot_items.append(sum(1 for item in items if _on_sku_partition(item, inventory)))
            seen.partitions.update(_inventory_partitions(items, inventory))
            result = original(handler)
            status = result[0] if isinstance(result, tuple) else 200
            if status >= 400:
                seen.refused += 1
                seen.reasons[_refusal(result)] += 1
            return result

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        try:
            yield self
        finally:
            DynamoHandler.call_action = original  # type: ignore[method-assign]

    @contextmanager
    def measure(self) -> Iterator[Attempts]:
        self._local.attempts = seen = Attempts()
        try:
            yield seen
        finally:
            self._local.attempts = None


def _on_sku_partition(item: dict[str, Any], inventory: str) -> bool:
    for op in item.values():
        if isinstance(op, dict) and op.get("TableName") == inventory:
            key = op.get("Key") or op.get("Item") or {}
            if key.get("sku", {}).get("S") == SKU:
                return True
    return False


def _inventory_partitions(items: list[dict[str, Any]], inventory: str) -> list[str]:
    """The partition keys of the sale's sku (its record or a bucket, `<sku>#<location>#B<n>`) a transaction writes."""
    found = []
    for item in items:
        for op in item.values():
            if isinstance(op, dict) and op.get("TableName") == inventory:
                pk = str((op.get("Key") or op.get("Item") or {}).get("sku", {}).get("S", ""))
                if pk == SKU or pk.startswith(f"{SKU}#"):
                    found.append(pk)
    return found


def _refusal(result: Any) -> str:
    try:
        body = json.loads(result[2])
    except (TypeError, ValueError, IndexError):
        return "unknown"
    reasons = [r.get("Code") for r in body.get("CancellationReasons", []) if r.get("Code") not in (None, "None")]
    return "+".join(sorted(set(reasons))) or str(body.get("__type", "unknown")).rsplit("#", 1)[-1]


# -- the simulation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    number: int
    status: int
    code: str | None
    latency_ms: float
    units: int
    location_id: str | None
    attempts: Attempts
    finished: float  # time.perf_counter() when the answer came


@dataclass
class Sale:
    units: int
    buyers: int
    threads: int
    seconds: float
    started: float  # time.perf_counter() when the buyers were let in
    results: list[Buyer]
    levels: list[dict[str, Any]]
    live_units: dict[str, int]
    orders_found: int
    orders_found_by_admin_search: int
    orders_closed: int
    workflows_settled: bool
    stock_item_bytes: int
    locations_read: int
    throttles: tuple[tuple[float, int] | None, tuple[float, int] | None]
    buckets: int = 0
    levels_after_merge: list[dict[str, Any]] | None = None

    def figures(self) -> dict[str, Any]:
        sold = [b for b in self.results if b.status == 201]
        refused = [b for b in self.results if b.status != 201]
        units_sold = sum(b.units for b in sold)
        on_hand = sum(int(lv["on_hand"]) for lv in self.levels)
        per_location = {
            lv["location_id"]: {
                "on_hand": lv["on_hand"],
                "reserved": lv["reserved"],
                "available": lv["available"],
                "live_shipment_units": self.live_units.get(lv["location_id"], 0),
                "sold": sum(b.units for b in sold if b.location_id == lv["location_id"]),
            }
            for lv in self.levels
        }
        invariant = all(
            row["reserved"] == row["live_shipment_units"] and row["available"] >= 0 for row in per_location.values()
        ) and self.orders_found == len(sold)
        merged_back = [
            (lv["on_hand"], lv["reserved"], lv["available"], bool(lv.get("buckets")))
            for lv in sorted(self.levels_after_merge or [], key=lambda lv: lv["location_id"])
        ]
        written: Counter[str] = Counter()
        for b in self.results:
            written.update(b.attempts.partitions)
        attempts = [b.attempts.transactions for b in sold]
        refused_attempts = [b.attempts.transactions for b in refused]
        reasons: Counter[str] = Counter()
        for b in self.results:
            reasons.update(b.attempts.reasons)
        hot = Counter(n for b in self.results for n in b.attempts.hot_items)
        items = Counter(n for b in self.results for n in b.attempts.items)
        return {
            "sku": SKU,
            "units_on_hand": self.units,
            "locations": list(LOCATIONS),
            "buyers": self.buyers,
            "threads": self.threads,
            "seconds": round(self.seconds, 1),
            "checkouts_per_s": round(len(self.results) / self.seconds, 1) if self.seconds else 0,
            "sales_per_s": round(len(sold) / self.seconds, 1) if self.seconds else 0,
            "sold_out_after_s": round(max((b.finished for b in sold), default=self.started) - self.started, 1),
            "units_sold": units_sold,
            "oversold": max(0, units_sold - self.units),
            "statuses": dict(sorted(Counter(str(b.status) for b in self.results).items())),
            "refusals": len(refused),
            "refusal_codes": dict(Counter(f"{b.status} {b.code}" for b in refused)),
            "latency_ms_sold_p50": _pct([b.latency_ms for b in sold], 50),
            "latency_ms_sold_p99": _pct([b.latency_ms for b in sold], 99),
            "latency_ms_refused_p50": _pct([b.latency_ms for b in refused], 50),
            "latency_ms_refused_p99": _pct([b.latency_ms for b in refused], 99),
            "attempts_per_sale_mean": round(statistics.fmean(attempts), 3) if attempts else 0,
            "attempts_per_sale_max": max(attempts, default=0),
            "attempts_histogram_sold": dict(sorted(Counter(str(n) for n in attempts).items())),
            "attempts_histogram_refused": dict(sorted(Counter(str(n) for n in refused_attempts).items())),
            "transactions": sum(b.attempts.transactions for b in self.results),
            "transactions_refused": sum(b.attempts.refused for b in self.results),
            "transaction_refusal_reasons": dict(reasons),
            "items_per_transaction": dict(sorted((str(k), v) for k, v in items.items())),
            "items_on_sku_partition_per_transaction": dict(sorted((str(k), v) for k, v in hot.items())),
            "keys_per_levels_read": self.locations_read,
            # How often a levels read reached the sku's own partition (its records) vs read its buckets.
            "sku_partition_reads": sum(len(b.attempts.keys_read) for b in self.results),
            "bucket_reads": sum(b.attempts.bucket_reads for b in self.results),
            "stock_item_bytes": self.stock_item_bytes,
            "per_location": per_location,
            "units_left": on_hand - sum(int(lv["reserved"]) for lv in self.levels),
            "orders_of_sku_found": self.orders_found,
            "orders_of_sku_found_by_admin_search": self.orders_found_by_admin_search,
            "orders_closed_after_checkout": self.orders_closed,
            "workflows_settled": self.workflows_settled,
            "invariant_holds": invariant,
            "buckets_per_location": self.buckets,
            "stock_partitions_written": len(written),
            "busiest_stock_partition_share": round(max(written.values()) / sum(written.values()), 3) if written else 0,
            # After the sale the buckets are merged back: the same figures, from the records alone.
            "merged_back_unchanged": self.levels_after_merge is None
            or merged_back
            == [
                (lv["on_hand"], lv["reserved"], lv["available"], False)
                for lv in sorted(self.levels, key=lambda lv: lv["location_id"])
            ],
        }


def _pct(values: list[float], pct: float) -> float:
    from bench.checkout_round_trips import percentile

    return round(percentile(values, pct), 1) if values else 0


def bodies(buyers: int) -> list[dict[str, Any]]:
    rng = random.Random(SEED)  # reproducible carts
    return [
        {
            "customer": {"id": f"flash-{n:05d}", "email": f"buyer{n}@example.com", "type": "b2c"},
            "currency": "PHP",
            "lines": [{"sku": SKU, "quantity": 1, "unit_price": 59_900}],
            "shipping_address": {"name": "Flash Buyer", **ADDRESSES[n % len(ADDRESSES)], "country": "PH"},
            "service_level": rng.choice(("standard", "express")),
            "payment": {"method": "card", "token": "tok_visa"},
        }
        for n in range(buyers)
    ]


def _lift_throttles(stack: Any) -> None:
    """The storefronts' usage plan (moto's API Gateway, read on every request) and the stage's throttle (the
    local gateway's, from the template) raised to PLAN_RATE_LIMIT, as an operator would deploy for a sale
    (`-c storefront_rate_limit=...` and the stage's limits): the run measures the stock path, not them."""
    import boto3

    from local.gateway import Throttle

    client = boto3.client("apigateway", region_name=stack.assembly.region)
    for plan in client.get_usage_plans()["items"]:
        if "storefront" in plan.get("name", ""):
            client.update_usage_plan(
                usagePlanId=plan["id"],
                patchOperations=[
                    {"op": "replace", "path": "/throttle/rateLimit", "value": str(PLAN_RATE_LIMIT)},
                    {"op": "replace", "path": "/throttle/burstLimit", "value": str(PLAN_RATE_LIMIT)},
                ],
            )
    if stack.gateway.stage_throttle is not None:
        stack.gateway.stage_throttle = Throttle(rate=float(PLAN_RATE_LIMIT), burst=PLAN_RATE_LIMIT)


def _pages(stack: Any, key: str, path: str) -> list[dict[str, Any]]:
    """Every order of a paged listing (`{"orders", "next_cursor"}`), following its cursors."""
    from urllib.parse import quote

    from bench.checkout_round_trips import _call

    orders: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_path = path + (f"&cursor={quote(cursor)}" if cursor else "")
        status, _, reply = _call(stack, "GET", page_path, key, None)
        if status != 200:
            raise RuntimeError(f"GET {page_path} answered {status}: {reply.decode()[:300]}")
        page = json.loads(reply)
        orders += page["orders"]
        cursor = page.get("next_cursor")
        if not cursor:
            return orders


def _orders_of_sku(stack: Any, storefront_key: str) -> list[dict[str, Any]]:
    """The storefront's every order of SKU, from its own listing (GET /v1/orders, newest first)."""
    every = _pages(stack, storefront_key, "/v1/orders?limit=100")
    return [order for order in every if any(line["sku"] == SKU for line in order["lines"])]


def _stock_item_bytes(stack: Any, table: str) -> int:
    import boto3

    from bench.cost import item_size

    client = boto3.client("dynamodb", region_name=stack.assembly.region)
    found = client.get_item(TableName=table, Key={"sku": {"S": SKU}, "sk": {"S": f"LOC#{LOCATIONS[0]}"}})
    return item_size(found.get("Item"))


def _stock(stack: Any, admin_key: str, units: int) -> None:
    """`units` of SKU split evenly over LOCATIONS, through the admin API."""
    from bench.checkout_round_trips import _call

    for i, location_id in enumerate(LOCATIONS):
        on_hand = units // len(LOCATIONS) + (1 if i < units % len(LOCATIONS) else 0)
        status, _, reply = _call(
            stack, "PUT", f"/v1/admin/inventory/{location_id}/{SKU}", admin_key, {"on_hand": on_hand}
        )
        if status >= 300:
            raise RuntimeError(f"stocking {SKU} at {location_id} answered {status}: {reply.decode()[:300]}")


def _set_buckets(stack: Any, admin_key: str, buckets: int) -> None:
    """Each location's units of SKU spread over `buckets` counters (0: merged back), through the admin API."""
    from bench.checkout_round_trips import _call

    for location_id in LOCATIONS:
        path = f"/v1/admin/inventory/{location_id}/{SKU}/buckets"
        status, _, reply = _call(stack, "PUT", path, admin_key, {"buckets": buckets})
        if status >= 300:
            raise RuntimeError(f"buckets of {SKU} at {location_id} answered {status}: {reply.decode()[:300]}")


def _buy(stack: Any, key: str, counter: AttemptCounter, number: int, cart: dict[str, Any]) -> Buyer:
    """One buyer's checkout, timed, with the transactions its api function sent."""
    from bench.checkout_round_trips import _call

    with counter.measure() as seen:
        t0 = time.perf_counter()
        status, _, reply = _call(stack, "POST", "/v1/orders", key, cart, {"Idempotency-Key": f"flash-{number:05d}"})
        latency_ms = (time.perf_counter() - t0) * 1000
    answer = _json(reply)
    shipments = (answer.get("shipments") or []) if status == 201 else []
    return Buyer(
        number=number,
        status=status,
        code=answer.get("code"),
        latency_ms=latency_ms,
        units=sum(ln["quantity"] for s in shipments for ln in s["lines"]),
        location_id=shipments[0]["location_id"] if shipments else None,
        attempts=seen,
        finished=time.perf_counter(),
    )


def _live_units(orders: list[dict[str, Any]]) -> Counter[str]:
    """Units of SKU reserved by the orders' live shipments, per location (as the fault-injection test counts)."""
    from oms.domain import lifecycle

    live: Counter[str] = Counter()
    for order in orders:
        for shipment in order["shipments"]:
            if shipment["status"] in lifecycle.DEAD_SHIPMENT | lifecycle.GONE:
                continue
            live[shipment["location_id"]] += sum(
                ln["quantity"] for ln in shipment["lines"] if ln["sku"] == SKU and ln.get("reserved", True)
            )
    return live


def run(
    buyers: int = BUYERS,
    threads: int = THREADS,
    units: int = UNITS,
    cdk_out: Path | None = None,
    quiet: bool = True,
    progress: Callable[[int, int], None] | None = None,
    buckets: int = BUCKETS,
) -> Sale:
    """Stock `units` of SKU over LOCATIONS (spread over `buckets` per location), then `buyers` one-unit
    checkouts at once from `threads` threads; the buckets are merged back after the sale."""
    from bench.checkout_round_trips import _call, _quiet_function_logs, _workflows_settled
    from local.runtime import LocalStack, Options
    from local.seed import seed
    from local.synth import ensure_synth
    from oms.domain import lifecycle

    out = cdk_out or ensure_synth()
    carts = bodies(buyers)
    stack = LocalStack.from_cdk_out(out, Options(start_background=False)).start()
    try:
        with _quiet_function_logs(quiet):
            creds = seed(stack)
            admin, key = creds.admin_key, creds.storefront_keys[STOREFRONT]
            _stock(stack, admin, units)
            if buckets:
                _set_buckets(stack, admin, buckets)
            _lift_throttles(stack)
            # Warm-up on another sku: imports, the authorizer's grant, the config cache (a warm container).
            warm = {**carts[0], "lines": [{"sku": "MUG-CLASSIC", "quantity": 1, "unit_price": 45_000}]}
            _call(stack, "POST", "/v1/orders", key, warm, {"Idempotency-Key": "flash-warmup"})
            _workflows_settled(stack, SETTLE_TIMEOUT_S)
            inventory = stack.function_env("api")["OMS_INVENTORY_TABLE"]
            counter = AttemptCounter(stack.registry.find("api").name, inventory)
            done = Counter[str]()
            done_lock = threading.Lock()

            def buy(number: int) -> Buyer:
                buyer = _buy(stack, key, counter, number, carts[number])
                with done_lock:
                    done["buyers"] += 1
                    if progress is not None:
                        progress(done["buyers"], buyers)
                return buyer

            with counter.installed():
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="buyer") as pool:
                    results = list(pool.map(buy, range(buyers)))
                seconds = time.perf_counter() - started
            settled = _workflows_settled(stack, SETTLE_TIMEOUT_S)
            status, _, reply = _call(stack, "GET", f"/v1/admin/inventory/{SKU}", admin, None)
            if status != 200:
                raise RuntimeError(f"reading the stock of {SKU} answered {status}: {reply.decode()[:300]}")
            orders = _orders_of_sku(stack, key)
            merged = None
            if buckets:
                _set_buckets(stack, admin, 0)
                status, _, again = _call(stack, "GET", f"/v1/admin/inventory/{SKU}", admin, None)
                merged = json.loads(again)["locations"] if status == 200 else []
            # The operators' search for the same orders (GET /v1/admin/orders?sku=), as a cross-check.
            searched = len(_pages(stack, admin, f"/v1/admin/orders?sku={SKU}&limit=100"))
            keys_read = Counter(n for b in results for n in b.attempts.keys_read)
            return Sale(
                units=units,
                buyers=buyers,
                threads=threads,
                seconds=seconds,
                started=started,
                results=results,
                levels=json.loads(reply)["locations"],
                live_units=dict(_live_units(orders)),
                orders_found=len(orders),
                orders_found_by_admin_search=searched,
                orders_closed=sum(1 for order in orders if order["status"] in lifecycle.CLOSED),
                workflows_settled=settled,
                stock_item_bytes=_stock_item_bytes(stack, inventory),
                locations_read=keys_read.most_common(1)[0][0] if keys_read else 0,
                throttles=template_throttles(out),
                buckets=buckets,
                levels_after_merge=merged,
            )
    finally:
        stack.stop()


def _json(reply: bytes) -> dict[str, Any]:
    try:
        loaded = json.loads(reply)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


# -- the report ------------------------------------------------------------------------------------


def figures(sale: Sale) -> dict[str, Any]:
    """The sale's figures and the model fed with what the sale counted."""
    measured = sale.figures()
    hot = measured["items_on_sku_partition_per_transaction"]
    items = measured["items_per_transaction"]
    plan, stage = sale.throttles
    modelled = model(
        # One stock item per one-line checkout: the sku's record, or with buckets one bucket on its own partition.
        hot_items_per_transaction=max(1, int(max(hot, key=lambda k: hot[k])) if hot else 1),
        items_per_transaction=int(max(items, key=lambda k: items[k])) if items else 4,
        stock_item_bytes=sale.stock_item_bytes or 300,
        keys_read_per_attempt=sale.locations_read or 6,
        locations_of_sku=len(LOCATIONS),
        attempts_per_checkout=measured["attempts_per_sale_mean"] or 1.0,
        plan_throttle=plan,
        stage_throttle=stage,
        buckets=sale.buckets or BUCKETS,
    )
    return {**measured, "model": modelled}


def report(result: dict[str, Any]) -> str:
    f = result
    verdict = (
        "OK"
        if f["units_sold"] == f["units_on_hand"]
        and not f["oversold"]
        and f["invariant_holds"]
        and f.get("merged_back_unchanged", True)
        else "FAILED"
    )
    lines = [
        f"flash sale: {f['units_on_hand']} units of {f['sku']} over {', '.join(f['locations'])}; "
        f"{f['buyers']:,} buyers of 1 unit from {f['threads']} threads (local stack, in process)",
        *report_model(f["model"]),
        "  the simulation",
        f"    sold {f['units_sold']} of {f['units_on_hand']}, oversold {f['oversold']}, units left {f['units_left']} "
        f"-> {verdict}",
        f"    statuses {f['statuses']}; refusals {f['refusals']}: {f['refusal_codes']}",
        f"    latency sold p50 {f['latency_ms_sold_p50']:g} ms, p99 {f['latency_ms_sold_p99']:g} ms; "
        f"refused p50 {f['latency_ms_refused_p50']:g} ms, p99 {f['latency_ms_refused_p99']:g} ms",
        f"    attempts per sale: mean {f['attempts_per_sale_mean']:g}, max {f['attempts_per_sale_max']} "
        f"{f['attempts_histogram_sold']}; refused buyers' transactions {f['attempts_histogram_refused']}",
        f"    transactions {f['transactions']}, refused {f['transactions_refused']} "
        f"{f['transaction_refusal_reasons'] or ''}; items per transaction {f['items_per_transaction']}, "
        f"on the sku's partition {f['items_on_sku_partition_per_transaction']}; "
        f"keys per levels read {f['keys_per_levels_read']}; stock item {f['stock_item_bytes']} B; the sku's "
        f"records read {f.get('sku_partition_reads', 0):,} times, its buckets {f.get('bucket_reads', 0):,}",
        f"    pace: {f['seconds']:g} s, {f['checkouts_per_s']:g} checkouts/s; the last unit sold after "
        f"{f['sold_out_after_s']:g} s "
        "(this machine under moto, every DynamoDB request serialized: not AWS's pace)",
    ]
    for location_id, row in sorted(f["per_location"].items()):
        lines.append(
            f"    {location_id}: sold {row['sold']}, on_hand {row['on_hand']}, reserved {row['reserved']}, "
            f"available {row['available']}, units of live shipments {row['live_shipment_units']}"
        )
    lines.append(
        f"    invariant (reserved = live shipments' units, available >= 0, every order found: "
        f"{f['orders_of_sku_found']}, closed since {f['orders_closed_after_checkout']}): "
        f"{'holds' if f['invariant_holds'] else 'BROKEN'}; workflows settled: {f['workflows_settled']}"
    )
    lines.append(
        f"    buckets: {f.get('buckets_per_location', 0)} per location; the sale's stock writes went to "
        f"{f.get('stock_partitions_written', 0)} partitions, the busiest took "
        f"{f.get('busiest_stock_partition_share', 0):.0%}"
        + (
            f"; merged back after the sale: {'same figures' if f['merged_back_unchanged'] else 'DIFFERENT figures'}"
            if f.get("buckets_per_location")
            else ""
        )
    )
    if f["orders_of_sku_found_by_admin_search"] != f["orders_of_sku_found"]:
        lines.append(
            f"    note: the admin search (GET /v1/admin/orders?sku=) listed {f['orders_of_sku_found_by_admin_search']}"
            f" of the {f['orders_of_sku_found']} orders: its paging ends early (oms.store.order_search, not this run)"
        )
    return "\n".join(lines)
