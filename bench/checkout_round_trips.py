"""Checkout benchmark: DynamoDB round trips and latency of POST /v1/orders on the warm local stack.

What is measured, and how:

* One in-process `LocalStack` (no pollers, no timers: `Options(start_background=False)`), seeded with
  the demo data of `local.seed`, then given enough stock for every checkout of the run through the
  admin API (PUT /v1/admin/inventory/...), as an operator would.
* A few warm-up checkouts first. They import the api function, fill API Gateway's authorizer policy
  cache and the per-process config cache (locations, API keys): the state a warm Lambda container is
  in. Nothing of the warm-up is counted.
* Then N checkouts of 1-5 lines (`random.Random(7)`: skus of the seeded catalogue, quantity 1-3,
  Philippine addresses), each with its own Idempotency-Key, through `stack.gateway.handle`.
* Round trips of one checkout = the DynamoDB requests moto serves *on the request's thread while
  the api function runs*. `local.cloud.dynamo_meter` counts every request of the process, including
  those of the fulfil workflow that the checkout starts asynchronously (Step Functions runs it in
  another thread, concurrently with the next checkouts), so a before/after difference of it would
  leak the workflow's calls into the figure. Instead, for the duration of the run only, this module
  wraps `moto.dynamodb.responses.DynamoHandler.call_action` (the method `local.cloud` already wraps to
  serialize and meter DynamoDB) with `ThreadCounter`: a call counts only on a thread that is inside
  `ThreadCounter.measure()`, attributed to the Lambda function whose environment that thread runs
  (`AWS_LAMBDA_FUNCTION_NAME`, set per thread by `local.environ`). The product is not patched, and
  the wrapper is removed when the run ends. Calls of other functions on the request thread (the
  authorizer, should its cached grant expire) are reported apart, never as checkout round trips.
* Latency is wall time of `gateway.handle` (time.perf_counter): the local gateway, the authorizer's
  cached grant, the api function and moto. It is the local stack's latency, not AWS's: use it to
  compare runs on one machine, not as a production figure. It is split into time inside moto and
  time waiting for the runtime's DynamoDB lock. The runtime serializes every DynamoDB request of the
  process, so a checkout overlapping the fulfil workflows of earlier orders queues behind their
  requests (seconds, once the workflows do real work), which no checkout on AWS does: by default each
  checkout therefore starts once the earlier workflows have ended (that wait is not measured);
  `settle=False` (`--concurrent`) lets them overlap. The round-trip counts are the same either way.
* Between checkouts (unmeasured) the run also lets go of the table copies a moto leak would keep
  alive (see `_release_moto_table_copies`); without that, memory, not the checkout, ends the run.
  moto 5's TransactWriteItems deep-copies every table it names (for its rollback), so its cost grows
  with the data written by the run: later checkouts are slower than earlier ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

SECTION = "checkout"
CHECKOUTS = 200
WARMUP_CHECKOUTS = 3
SETTLE_TIMEOUT_S = 60.0
SEED = 7
TARGET_MEDIAN_ROUND_TRIPS = 2  # the target: median <= 2 DynamoDB round trips per checkout
STOREFRONT = "sf-local"
CONFIG_TABLE = "config"  # short name (OMS_CONFIG_TABLE) of the table the per-process config cache loads from

# Unit prices (minor units, PHP) for the seeded catalogue; a sku not listed costs DEFAULT_PRICE.
PRICES = {
    "CUSTOM-SOFA": 4_500_000,
    "LAMP-ARC": 850_000,
    "MUG-CLASSIC": 45_000,
    "SNEAKER-42": 399_000,
    "TSHIRT-RED-M": 59_900,
}
DEFAULT_PRICE = 10_000

ADDRESSES: tuple[dict[str, str], ...] = (
    {"line1": "1 Ayala Ave", "city": "Makati", "region": "Metro Manila", "postal_code": "1226"},
    {"line1": "12 Timog Ave", "city": "Quezon City", "region": "Metro Manila", "postal_code": "1103"},
    {"line1": "5 Taft Ave", "city": "Manila", "region": "Metro Manila", "postal_code": "1000"},
    {"line1": "30 5th Ave", "city": "Taguig", "region": "Metro Manila", "postal_code": "1634"},
    {"line1": "8 Ortigas Ave", "city": "Pasig", "region": "Metro Manila", "postal_code": "1605"},
    {"line1": "3 Session Rd", "city": "Baguio", "region": "Benguet", "postal_code": "2600"},
    {"line1": "21 Osmena Blvd", "city": "Cebu City", "region": "Cebu", "postal_code": "6000"},
    {"line1": "7 Lacson St", "city": "Bacolod", "region": "Negros Occidental", "postal_code": "6100"},
    {"line1": "14 General Luna St", "city": "Iloilo City", "region": "Iloilo", "postal_code": "5000"},
    {"line1": "2 CM Recto St", "city": "Davao City", "region": "Davao del Sur", "postal_code": "8000"},
    {"line1": "9 Corrales Ave", "city": "Cagayan de Oro", "region": "Misamis Oriental", "postal_code": "9000"},
)
NAMES = ("Ana Cruz", "Jose Reyes", "Maria Santos", "Paolo Garcia", "Liza Mendoza", "Ramon Bautista")


# -- counting DynamoDB requests per thread --------------------------------------------------------


class Call(NamedTuple):
    function: str  # the Lambda function whose environment the thread ran
    action: str  # the DynamoDB API action, e.g. BatchGetItem
    tables: tuple[str, ...]  # the physical tables the request names


def _tables(handler: Any) -> tuple[str, ...]:
    """The tables one DynamoDB request names (best effort: a body moto cannot parse names none)."""
    try:
        body = json.loads(handler.body or "{}")
    except (TypeError, ValueError):
        return ()
    names = set()
    if isinstance(body.get("TableName"), str):
        names.add(body["TableName"])
    names.update(body.get("RequestItems") or {})
    for item in body.get("TransactItems") or []:
        names.update(op["TableName"] for op in item.values() if isinstance(op, dict) and "TableName" in op)
    return tuple(sorted(names))


@dataclass
class Measurement:
    """What one measured block did on its thread: DynamoDB requests, and the time they took."""

    counts: Counter[Call] = field(default_factory=Counter)
    lock_wait_s: float = 0.0  # waiting for the runtime's DynamoDB lock (held by other threads' requests)
    dynamodb_s: float = 0.0  # inside moto, once the lock was ours


class ThreadCounter:
    """Counts the DynamoDB requests moto serves on the measuring thread, per (function, action, tables).

    `install()` wraps `DynamoHandler.call_action` (whatever it is at that moment: `local.cloud`'s
    serializing, metering wrapper once a stack has started); `uninstall()` puts it back. Threads not
    inside `measure()` (the workflows, other requests) pass straight through, uncounted and untimed.
    A measured request takes `local.cloud.dynamo_meter.lock` (re-entrant) just before the runtime's
    own wrapper does, only to time the wait for it apart from the work: nothing else changes.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._original: Any = None
        self._wrapper: Any = None

    def install(self) -> None:
        from moto.dynamodb.responses import DynamoHandler

        from local.cloud import dynamo_meter

        if self._original is not None:
            raise RuntimeError("ThreadCounter is already installed")
        original = DynamoHandler.call_action
        local = self._local

        def call_action(handler: Any) -> Any:
            measurement: Measurement | None = getattr(local, "measurement", None)
            if measurement is None:
                return original(handler)
            function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "(no function)")
            measurement.counts[Call(function, handler._get_action(), _tables(handler))] += 1
            asked = time.perf_counter()
            with dynamo_meter.lock:
                granted = time.perf_counter()
                try:
                    return original(handler)
                finally:
                    measurement.lock_wait_s += granted - asked
                    measurement.dynamodb_s += time.perf_counter() - granted

        self._original, self._wrapper = original, call_action
        DynamoHandler.call_action = call_action  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from moto.dynamodb.responses import DynamoHandler

        if self._original is None:
            return
        if DynamoHandler.call_action is self._wrapper:
            DynamoHandler.call_action = self._original  # type: ignore[method-assign]
        self._original = self._wrapper = None

    @contextlib.contextmanager
    def measure(self) -> Iterator[Measurement]:
        """Count and time this thread's DynamoDB requests during the block, into the Measurement it yields."""
        measurement = Measurement()
        self._local.measurement = measurement
        try:
            yield measurement
        finally:
            self._local.measurement = None


@contextlib.contextmanager
def counting() -> Iterator[ThreadCounter]:
    counter = ThreadCounter()
    counter.install()
    try:
        yield counter
    finally:
        counter.uninstall()


# -- the carts ------------------------------------------------------------------------------------


def catalogue() -> list[str]:
    """The seeded skus: everything stocked by `local.seed`, and its product records (made-to-order)."""
    from local import seed

    return sorted({sku for _, sku in seed.STOCK} | set(seed.PRODUCTS))


def checkout_body(rng: random.Random, skus: list[str], number: int) -> dict[str, Any]:
    chosen = rng.sample(skus, rng.randint(1, min(5, len(skus))))
    address = rng.choice(ADDRESSES)
    return {
        "customer": {"id": f"bench-{number:04d}", "email": f"bench{number:04d}@example.com", "type": "b2c"},
        "currency": "PHP",
        "lines": [
            {"sku": sku, "quantity": rng.randint(1, 3), "unit_price": PRICES.get(sku, DEFAULT_PRICE)} for sku in chosen
        ],
        "shipping_address": {"name": rng.choice(NAMES), **address, "country": "PH"},
        "service_level": "standard",
        "payment": {"method": "card", "token": "tok_visa"},
    }


def carts(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    skus = catalogue()
    return [checkout_body(rng, skus, number) for number in range(count)]


def warmup_carts(count: int) -> list[dict[str, Any]]:
    """Carts that touch every sku, so nothing the api function caches per sku is cold in the run."""
    skus = catalogue()
    rng = random.Random(-SEED)
    bodies = []
    for number in range(count):
        body = checkout_body(rng, skus, 9000 + number)
        body["lines"] = [{"sku": sku, "quantity": 1, "unit_price": PRICES.get(sku, DEFAULT_PRICE)} for sku in skus]
        bodies.append(body)
    return bodies


def demand(bodies: list[dict[str, Any]]) -> Counter[str]:
    units: Counter[str] = Counter()
    for body in bodies:
        for line in body["lines"]:
            units[line["sku"]] += line["quantity"]
    return units


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    status: int
    round_trips: int
    actions: dict[str, int]
    actions_by_table: dict[str, int]  # e.g. "BatchGetItem inventory"
    other_calls: dict[str, int]  # DynamoDB requests of other functions on the request thread
    latency_ms: float  # the whole request, as the storefront waits for it
    lock_wait_ms: float  # of which: waiting for the local runtime's DynamoDB lock
    dynamodb_ms: float  # of which: moto serving this request's DynamoDB calls
    order_id: str | None
    config_reads: int = 0  # requests naming the config table: per-process cache loads (locations, products ...)


@dataclass
class CheckoutBench:
    samples: list[Sample]
    warmup: list[int]  # statuses of the warm-up checkouts
    api_function: str
    calls_all_threads: int  # every DynamoDB request of the process: the measured checkouts and their workflows
    authorizer_runs: int  # authorizer invocations during the measured checkouts (0: cached grant)
    seconds: float
    settled: bool  # each checkout waited for the previous checkouts' fulfil workflows to end
    settle_seconds: float  # time spent waiting for them (not in any latency)
    unsettled: int  # waits that timed out (workflows still running: they then overlapped a checkout)
    stock_set: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        trips = [s.round_trips for s in self.samples]
        latencies = [s.latency_ms for s in self.samples]
        actions: Counter[str] = Counter()
        by_table: Counter[str] = Counter()
        other: Counter[str] = Counter()
        for sample in self.samples:
            actions.update(sample.actions)
            by_table.update(sample.actions_by_table)
            other.update(sample.other_calls)
        count = len(self.samples)
        median = _whole(statistics.median(trips)) if trips else 0
        cached = [s.round_trips for s in self.samples if not s.config_reads]
        return {
            "checkouts": count,
            "warmup_checkouts": len(self.warmup),
            "statuses": {str(k): v for k, v in sorted(Counter(s.status for s in self.samples).items())},
            "dynamodb_round_trips_median": median,
            "dynamodb_round_trips_p99": percentile(trips, 99),
            "dynamodb_round_trips_min": min(trips, default=0),
            "dynamodb_round_trips_max": max(trips, default=0),
            "dynamodb_round_trips_mean": round(statistics.fmean(trips), 3) if trips else 0,
            "checkouts_loading_config_cache": count - len(cached),
            "dynamodb_round_trips_median_config_cached": _whole(statistics.median(cached)) if cached else None,
            "dynamodb_round_trips_p99_config_cached": percentile(cached, 99) if cached else None,
            "seconds_per_checkout": round(self.seconds / count, 3) if count else 0,
            "config_cache_ttl_seconds": _config_cache_ttl(),
            "dynamodb_round_trips_histogram": {str(k): v for k, v in sorted(Counter(trips).items())},
            "actions": dict(sorted(actions.items())),
            "actions_per_checkout": {k: round(v / count, 3) for k, v in sorted(actions.items())} if count else {},
            "actions_by_table": dict(sorted(by_table.items())),
            "other_calls_on_request_thread": dict(sorted(other.items())),
            "dynamodb_calls_all_threads": self.calls_all_threads,
            "authorizer_runs": self.authorizer_runs,
            "latency_ms_median": round(statistics.median(latencies), 2) if latencies else 0,
            "latency_ms_p99": round(percentile(latencies, 99), 2),
            "latency_ms_max": round(max(latencies, default=0), 2),
            "latency_ms_first_tenth_median": _median_ms(latencies[: max(1, count // 10)]),
            "latency_ms_last_tenth_median": _median_ms(latencies[-max(1, count // 10) :]),
            "dynamodb_ms_median": _median_ms([s.dynamodb_ms for s in self.samples]),
            "dynamodb_ms_p99": round(percentile([s.dynamodb_ms for s in self.samples], 99), 2),
            "lock_wait_ms_median": _median_ms([s.lock_wait_ms for s in self.samples]),
            "lock_wait_ms_p99": round(percentile([s.lock_wait_ms for s in self.samples], 99), 2),
            "seconds": round(self.seconds, 2),
            "workflows_settled_between_checkouts": self.settled,
            "settle_seconds": round(self.settle_seconds, 2),
            "unsettled_waits": self.unsettled,
            "seed": SEED,
            "target": {
                "dynamodb_round_trips_median_at_most": TARGET_MEDIAN_ROUND_TRIPS,
                "met": bool(trips) and median <= TARGET_MEDIAN_ROUND_TRIPS,
            },
            "measured": "DynamoDB requests on the request thread while the api function ran (warm container)",
        }


def _config_cache_ttl() -> float | None:
    try:
        from oms.store import config
    except ImportError:
        return None
    ttl = getattr(config, "CACHE_TTL_SECONDS", None)
    return float(ttl) if isinstance(ttl, int | float) else None


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0


def _whole(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def percentile(values: list[int] | list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _call(stack: Any, method: str, path: str, key: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return stack.gateway.handle(
        method,
        path,
        [("Authorization", f"Bearer {key}"), ("Content-Type", "application/json"), *(headers or {}).items()],
        json.dumps(body).encode(),
    )


def _add_stock(stack: Any, admin_key: str, needed: Counter[str]) -> dict[str, int]:
    """Every seeded (location, sku) gets its seeded units plus the run's whole demand of the sku."""
    from local import seed

    stock = {}
    for (location_id, sku), on_hand in seed.STOCK.items():
        units = on_hand + needed[sku]
        status, _, reply = _call(
            stack, "PUT", f"/v1/admin/inventory/{location_id}/{sku}", admin_key, {"on_hand": units}
        )
        if status >= 300:
            raise RuntimeError(f"adding stock of {sku} at {location_id} answered {status}: {reply.decode()[:300]}")
        stock[f"{location_id}/{sku}"] = units
    return stock


def _table_names(env: dict[str, str]) -> dict[str, str]:
    """Physical table name -> short name, from the api function's OMS_<NAME>_TABLE variables."""
    return {
        value: key.removeprefix("OMS_").removesuffix("_TABLE").lower()
        for key, value in env.items()
        if key.startswith("OMS_") and key.endswith("_TABLE")
    }


def _total_calls() -> int:
    from local.cloud import dynamo_meter

    with dynamo_meter.lock:
        return sum(dynamo_meter.calls.values())


def _release_moto_table_copies() -> None:
    """The runtime already releases moto's table copies after each transaction; again here, between
    checkouts and outside the measurement, for anything else that copied a table."""
    from local.cloud import release_model_copies

    release_model_copies()


def _workflows_settled(stack: Any, timeout: float) -> bool:
    """Wait until no fulfil execution runs (False: some still ran at the timeout)."""
    import boto3

    sfn = boto3.client("stepfunctions", region_name=stack.assembly.region)
    arn = stack.function_env("api").get("OMS_FULFIL_STATE_MACHINE_ARN")
    if not arn:
        return True
    deadline = time.monotonic() + timeout
    while True:
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]
        if not running:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


@contextlib.contextmanager
def _quiet_function_logs(enabled: bool) -> Iterator[None]:
    """Keep the benchmark's output readable without changing what the functions do.

    Every checkout logs "order accepted" (Powertools logger "oms", INFO, on stdout) and prints a metrics
    line (EMF, stdout). For the run, stdout and the "oms" logger's stream go to a buffer; afterwards,
    what is neither an INFO/DEBUG log nor a metrics line (warnings, errors, crashes) goes to stderr.
    """
    if not enabled:
        yield
        return
    import oms.observability  # noqa: F401 - creates the "oms" logger and its stream handler now

    buffer = io.StringIO()
    handlers = [h for h in logging.getLogger("oms").handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.stream for h in handlers]
    for handler in handlers:
        handler.setStream(buffer)
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)
        for line in _notable(buffer.getvalue()):
            print(line, file=sys.stderr)


def _notable(output: str) -> list[str]:
    """The lines of captured output worth showing: not INFO/DEBUG JSON logs, not EMF metrics."""
    decoder = json.JSONDecoder()
    kept = []
    for line in output.splitlines():
        rest, routine = line.strip(), True
        while rest and routine:  # concurrent prints may share a line: {...}{...}
            try:
                record, end = decoder.raw_decode(rest)
            except ValueError:
                routine = False
                break
            routine = isinstance(record, dict) and ("_aws" in record or record.get("level") in ("INFO", "DEBUG"))
            rest = rest[end:].lstrip()
        if not routine:
            kept.append(line)
    return kept


def run(
    checkouts: int = CHECKOUTS,
    warmup: int = WARMUP_CHECKOUTS,
    cdk_out: Path | None = None,
    quiet: bool = True,
    settle: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CheckoutBench:
    """Start, seed and stock one local stack; warm it up; measure `checkouts` checkouts.

    With `settle`, each checkout starts once the fulfil workflows of the previous ones have ended
    (the wait is not measured): the local runtime serializes DynamoDB, so a checkout would otherwise
    queue behind the workflows' requests, which no AWS checkout does. Round trips do not depend on it.
    `progress(done, total)` is called after each measured checkout.
    """
    from local.runtime import LocalStack, Options
    from local.seed import seed
    from local.synth import ensure_synth

    measured_bodies = carts(checkouts)
    warm_bodies = warmup_carts(warmup)
    stack = LocalStack.from_cdk_out(cdk_out or ensure_synth(), Options(start_background=False)).start()
    try:
        with _quiet_function_logs(quiet):
            creds = seed(stack)
            stock = _add_stock(stack, creds.admin_key, demand(measured_bodies + warm_bodies))
            storefront_key = creds.storefront_keys[STOREFRONT]
            api = stack.registry.find("api").name
            table_names = _table_names(stack.function_env("api"))
            authorizer = stack.registry.find("authorizer").name if stack.registry.knows("authorizer") else ""

            warm_statuses = []
            for number, body in enumerate(warm_bodies):
                status, _, _ = _call(
                    stack, "POST", "/v1/orders", storefront_key, body, {"Idempotency-Key": f"bench-warmup-{number:04d}"}
                )
                warm_statuses.append(status)

            unsettled = 0 if _workflows_settled(stack, SETTLE_TIMEOUT_S) else 1
            _release_moto_table_copies()
            settle_s = 0.0
            samples = []
            authorizer_before = stack.registry.stats.invocations.get(authorizer, 0)
            all_before = _total_calls()
            started = time.perf_counter()
            with counting() as counter:
                for number, body in enumerate(measured_bodies):
                    headers = {"Idempotency-Key": f"bench-checkout-{number:04d}"}
                    if settle and number:
                        waited = time.perf_counter()
                        unsettled += 0 if _workflows_settled(stack, SETTLE_TIMEOUT_S) else 1
                        settle_s += time.perf_counter() - waited
                    _release_moto_table_copies()
                    with counter.measure() as measured:
                        t0 = time.perf_counter()
                        status, _, reply = _call(stack, "POST", "/v1/orders", storefront_key, body, headers)
                        latency_ms = (time.perf_counter() - t0) * 1000
                    samples.append(_sample(status, reply, measured, api, table_names, latency_ms))
                    if progress is not None:
                        progress(number + 1, len(measured_bodies))
            unsettled += 0 if _workflows_settled(stack, SETTLE_TIMEOUT_S) else 1
            seconds = time.perf_counter() - started
            calls_all_threads = _total_calls() - all_before
            authorizer_runs = stack.registry.stats.invocations.get(authorizer, 0) - authorizer_before
    finally:
        stack.stop()
    return CheckoutBench(
        samples=samples,
        warmup=warm_statuses,
        api_function=api,
        calls_all_threads=calls_all_threads,
        authorizer_runs=authorizer_runs,
        seconds=seconds,
        settled=settle,
        settle_seconds=settle_s,
        unsettled=unsettled,
        stock_set=stock,
    )


def _sample(
    status: int, reply: bytes, measured: Measurement, api: str, table_names: dict[str, str], latency_ms: float
) -> Sample:
    actions: Counter[str] = Counter()
    by_table: Counter[str] = Counter()
    other: Counter[str] = Counter()
    config_reads = 0
    for call, n in measured.counts.items():
        if call.function != api:
            other[f"{call.function}:{call.action}"] += n
            continue
        actions[call.action] += n
        if any(table_names.get(t) == CONFIG_TABLE for t in call.tables):
            config_reads += n
        by_table[f"{call.action} {'+'.join(table_names.get(t, t) for t in call.tables) or '?'}"] += n
    order_id = None
    if status < 300:
        with contextlib.suppress(ValueError, AttributeError):
            order_id = json.loads(reply).get("order_id")
    return Sample(
        status=status,
        round_trips=sum(actions.values()),
        actions=dict(actions),
        actions_by_table=dict(by_table),
        other_calls=dict(other),
        latency_ms=latency_ms,
        lock_wait_ms=measured.lock_wait_s * 1000,
        dynamodb_ms=measured.dynamodb_s * 1000,
        order_id=order_id,
        config_reads=config_reads,
    )


# -- the report -----------------------------------------------------------------------------------


def report(bench: CheckoutBench) -> str:
    f = bench.figures()
    target = f["target"]
    verdict = "MET" if target["met"] else "MISSED"
    rows = [
        ("checkouts", f"{f['checkouts']} (statuses {f['statuses']})"),
        ("warm-up", f"{f['warmup_checkouts']} checkouts first, statuses {bench.warmup} (not counted)"),
        ("round trips median", _num(f["dynamodb_round_trips_median"])),
        ("round trips p99", _num(f["dynamodb_round_trips_p99"])),
        (
            "round trips min / mean / max",
            f"{f['dynamodb_round_trips_min']} / {f['dynamodb_round_trips_mean']} / {f['dynamodb_round_trips_max']}",
        ),
        ("round trips histogram", ", ".join(f"{k}: {v}" for k, v in f["dynamodb_round_trips_histogram"].items())),
        ("latency median", f"{f['latency_ms_median']:.2f} ms"),
        ("latency p99", f"{f['latency_ms_p99']:.2f} ms"),
        ("  of which moto", f"median {f['dynamodb_ms_median']:.2f} ms, p99 {f['dynamodb_ms_p99']:.2f} ms"),
        (
            "  of which DynamoDB lock wait",
            f"median {f['lock_wait_ms_median']:.2f} ms, p99 {f['lock_wait_ms_p99']:.2f} ms",
        ),
        (
            "latency median first/last 10%",
            f"{f['latency_ms_first_tenth_median']:.2f} / {f['latency_ms_last_tenth_median']:.2f} ms",
        ),
        ("wall time", f"{f['seconds']:.2f} s, of which {f['settle_seconds']:.2f} s waiting for workflows"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [
        "checkout: DynamoDB round trips per POST /v1/orders (api function, request thread only)",
        f"  warm container: {f['warmup_checkouts']} warm-up checkouts ran first (imports, authorizer grant,",
        "  per-process config cache); the counts below are for the checkouts after them.",
        "",
        *(f"  {name.ljust(width)}  {value}" for name, value in rows),
        "",
        "  action mix (api function, all measured checkouts)",
    ]
    total = sum(f["actions"].values()) or 1
    for action, n in sorted(f["actions"].items(), key=lambda item: -item[1]):
        per = f["actions_per_checkout"][action]
        lines.append(f"    {action.ljust(34)} {n:>6}  {per:>6.2f} per checkout  {100 * n / total:5.1f}%")
    lines.append("  by table")
    count = f["checkouts"] or 1
    for what, n in sorted(f["actions_by_table"].items(), key=lambda item: -item[1]):
        lines.append(f"    {what.ljust(34)} {n:>6}  {n / count:>6.2f} per checkout")
    lines += [
        "",
        f"  other functions on the request thread: {f['other_calls_on_request_thread'] or 'none'}; "
        f"authorizer runs: {f['authorizer_runs']}",
        f"  pace: one checkout per {f['seconds_per_checkout']:g} s of wall time; config cache TTL "
        f"{_num(f['config_cache_ttl_seconds'])} s (a slower run loads it more often)",
        f"  checkouts that loaded the config cache (a {CONFIG_TABLE}-table read): "
        f"{f['checkouts_loading_config_cache']} of {f['checkouts']}; round trips of the others: median "
        f"{_num(f['dynamodb_round_trips_median_config_cached'])}, "
        f"p99 {_num(f['dynamodb_round_trips_p99_config_cached'])}",
        f"  all DynamoDB requests of the process, these checkouts' fulfil workflows included (not counted "
        f"above): {f['dynamodb_calls_all_threads']}",
        "  workflows: "
        + (
            "each checkout waited (unmeasured) for the previous ones' fulfil workflows to end"
            + (f"; {f['unsettled_waits']} wait(s) timed out" if f["unsettled_waits"] else "")
            if f["workflows_settled_between_checkouts"]
            else "ran concurrently with the checkouts (lock wait included in latency)"
        ),
        "  latency is the local stack's (moto in one process): compare runs on one machine, not with AWS.",
        "  moto's TransactWriteItems deep-copies every table it writes (its rollback), so its time grows",
        "  with the data the run has written.",
        f"  target: median <= {target['dynamodb_round_trips_median_at_most']} round trips -> {verdict} "
        f"(median {_num(f['dynamodb_round_trips_median'])})",
    ]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"
