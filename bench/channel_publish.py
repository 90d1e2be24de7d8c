"""Channel stock publication: a burst of stock changes heard by three marketplaces, how soon, how often, at what cost.

`python -m bench channels` (part of `make bench`):

* **Setup.** One in-process `LocalStack` (the inventory stream's mappings as the template has them:
  channel_stock with its 1 s batching window and batches of 100, stock health beside it), seeded. A local
  receiver (`bench.partner_server.PartnerServer` on 127.0.0.1) plays CHANNELS marketplace partners created
  through the admin API (`PUT /v1/admin/partners/{id}`, role `marketplace`, `url` = the receiver): it checks
  every request's `OMS-Signature` against the partner's secret, records the request with its arrival time
  (`Received.at`, before its answer) and answers 200 after `marketplace_latency_ms` (a marketplace API's answer
  time). `skus` new skus get START_ON_HAND units at LOCATION (`PUT /v1/admin/inventory/...`); then CHANNELS
  channels of sf-local list all of them (`PUT /v1/admin/channels/{id}`), one without a buffer, one holding back
  2 units, one 10 %: each is told every figure once (the channel's resync). The run waits until every
  channel holds its figures and the stream is quiet.
* **The burst.** `changes` stock changes spread round-robin over the skus (change k is sku k mod skus), each a
  `PUT /v1/admin/inventory/{LOCATION}/{sku}` with a lower on_hand (1-4 units fewer, seeded: a warehouse's counts
  falling as it sells elsewhere), through the local API Gateway (`stack.gateway.handle`: authorizer, the api
  function, moto) from `threads` threads, each owning its skus (a sku's changes are sent in order, one after
  another; different skus at once). The stage's throttle is lifted first (`bench.flash_sale._lift_throttles`).
  A change's **commit** is the moment the last successful DynamoDB write of its request returned on the request's
  thread (a wrapper around moto's DynamoDB handler for the run only); its **expected offer** for a channel is
  `Channel.offer(available)` with the `available` the PUT answered (the sku is stocked at one location only).
* **Latency, matched.** On-hand only falls, and every channel's offer is non-decreasing in `available`, so a
  figure at most e_i (the offer expected after change i) can only have been computed after change i committed.
  For each (channel, change i) whose expected offer differs from the one before it (a change that does not
  move a channel's figure, e.g. within the 10 % buffer's rounding, needs no publication and is counted apart),
  the matching publication is the first `marketplace.stock` for that (channel, sku) arriving after the commit
  whose quantity is at most e_i; it must equal e_i or the offer after a later change of the sku (else it is
  counted as unexplained). Latency = its arrival - the commit. p50 and p99 over all (channel, change) pairs.
* **Coalescing.** Marketplace calls and figures (sku quantities) sent during the burst vs changes x channels.
* **Correctness.** Per (channel, sku): the receiver's figures never go up (never an older figure after a
  newer one), each is an expected offer, the last one is the offer after the sku's last change, and
  `GET /v1/admin/channels/{id}/stock` says the same, acknowledged; every request verified its signature.
* **Cost**, with `bench.cost`'s meters (and `bench.cost_realistic`'s timing of the calls out), scoped by thread:
  the channel_stock stream poller's thread (the function's invocations, its billed duration at 512 MB, the
  DynamoDB reads of channels, told records and stock levels, the told records' writes - transactions of up to
  100 items, 2 WRU each - Secrets Manager reads, its log bytes), apart from the changes themselves (API
  requests, the api function, the stock writes) and from stock health (the other stream consumer). Stream
  reads by a Lambda trigger are free on AWS (GetRecords calls by Lambda are not billed). Priced with
  ../shared/aws-prices.json (arm64), per 1,000 stock changes. Secrets: the adapters cache a partner's secret for
  5 minutes per process; locally the setup's resync warmed that cache, so the burst reads none - on AWS a warm
  channel_stock container re-reads each marketplace's secret every 5 minutes (a fixed monthly cost, reported).

Latency is the local stack's (moto in one process, every DynamoDB request serialized, this machine's cores):
compare runs on one machine, not with AWS. The batching window is the template's (1 s): the floor of a latency.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTION = "channels"
STOREFRONT = "sf-local"
LOCATION = "mnl-wh-1"
CHANNELS = 3
SKUS = 100
CHANGES = 1_000
THREADS = 8
MARKETPLACE_LATENCY_MS = 100.0
BUFFERS: tuple[dict[str, Any], ...] = ({}, {"units": 2}, {"percent": 10})
MAX_DROP = 4  # units on hand falls by per change, at most
SEED = 23
SETTLE_TIMEOUT_S = 180.0
QUIET_S = 2.0  # no publication for this long, and the stream poller holding nothing: settled
SECRET_TTL_S = 300.0  # oms.adapters.registry.SECRET_TTL_SECONDS
SECONDS_PER_MONTH = 3600 * 24 * 30
CHANGES_SCOPE = "changes"  # the stock changes' own requests (driver threads)
CHANNELS_SCOPE = "channels"  # channel_stock's invocations (its stream poller's thread)
HEALTH_SCOPE = "stock_health"  # the other consumer of the inventory stream


@dataclass
class Change:
    sku: str
    number: int  # the sku's n-th change (0-based)
    on_hand: int
    available: int = -1
    status: int = 0
    sent_at: float = 0.0
    committed_at: float = 0.0  # the last successful DynamoDB write of the request returned
    answered_at: float = 0.0


@dataclass
class Run:
    skus: list[str]
    channels: dict[str, dict[str, Any]]  # channel id -> {"partner_id", "buffer"}
    start_on_hand: dict[str, int]
    changes: list[Change]
    calls: list[Any]  # bench.partner_server.Received of the burst (and its settling)
    setup_calls: int
    told: dict[str, dict[str, dict[str, Any]]]  # channel -> sku -> the told record the API shows
    burst_seconds: float
    settle_seconds: float
    settled: bool
    units: dict[str, dict[str, float]]  # tally scope -> units
    prices: dict[str, Any]
    sampling_fixed_rate: float
    memory_mb: int
    marketplace_latency_ms: float
    threads: int
    commits_seen: int
    expected: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # channel -> sku -> offers


def sku_names(skus: int) -> list[str]:
    return [f"CHN-{n:03d}" for n in range(skus)]


def plan(skus: int, changes: int, seed: int = SEED) -> tuple[dict[str, int], list[Change]]:
    """The starting on_hand of each sku and the burst's changes (change k: sku k mod skus), on_hand falling."""
    rng = random.Random(seed)
    names = sku_names(skus)
    per_sku = Counter(names[k % skus] for k in range(changes))
    start = {sku: 20 + MAX_DROP * per_sku[sku] for sku in names}
    on_hand = dict(start)
    planned: list[Change] = []
    numbers: Counter[str] = Counter()
    for k in range(changes):
        sku = names[k % skus]
        on_hand[sku] -= rng.randint(1, MAX_DROP)
        planned.append(Change(sku, numbers[sku], on_hand[sku]))
        numbers[sku] += 1
    return start, planned


# -- the run -----------------------------------------------------------------------------------------


class CommitClock:
    """Around moto's DynamoDB handler: on a thread sending a change, when its last successful write returned."""

    WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})

    def __init__(self) -> None:
        self.local = threading.local()

    def wrap(self, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call_action(handler: Any) -> Any:
            response = original(handler)
            change = getattr(self.local, "change", None)
            if change is not None and str(handler._get_action()) in self.WRITES:
                status = int(response[0]) if isinstance(response, tuple) else 200
                if status < 300:
                    change.committed_at = time.perf_counter()
            return response

        return call_action

    @contextmanager
    def sending(self, change: Change) -> Iterator[None]:
        self.local.change = change
        try:
            yield
        finally:
            self.local.change = None


def _api(stack: Any, method: str, path: str, key: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    from bench.checkout_round_trips import _call

    status, _, reply = _call(stack, method, path, key, body)
    try:
        data = json.loads(reply) if reply else {}
    except ValueError:
        data = {"raw": reply.decode(errors="replace")[:300]}
    return int(status), data if isinstance(data, dict) else {}


def _must(stack: Any, method: str, path: str, key: str, body: Any = None) -> dict[str, Any]:
    status, data = _api(stack, method, path, key, body)
    if status >= 300:
        raise RuntimeError(f"{method} {path} answered {status}: {json.dumps(data)[:300]}")
    return data


def _scoped_deliver(poller: Any, tally: Any, scope: str) -> Callable[[], None]:
    """Count what the stream poller's invocations do in `scope`; returns the undo."""
    original = poller._deliver

    def deliver(batch: list[dict[str, Any]]) -> None:
        with tally.scoped(scope):
            original(batch)

    poller._deliver = deliver
    return lambda: vars(poller).pop("_deliver", None)


def _stream_busy(poller: Any) -> bool:
    return bool(poller._pending or poller._batches)


def _wait(done: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(step)
    return done()


def _quiet(server: Any, poller: Any, timeout: float) -> bool:
    """No request reached the receiver for QUIET_S and channel_stock's poller holds no record."""
    deadline = time.monotonic() + timeout
    seen, since = len(server.snapshot()[0]), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = len(server.snapshot()[0])
        if now != seen or _stream_busy(poller):
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET_S:
            return True
    return False


def _set_up(
    stack: Any, server: Any, admin: str, names: list[str], start: dict[str, int], channels: int
) -> dict[str, Any]:
    """The skus stocked at LOCATION, `channels` marketplace partners (url: the receiver), their channels."""
    for sku in names:
        _must(stack, "PUT", f"/v1/admin/inventory/{LOCATION}/{sku}", admin, {"on_hand": start[sku]})
    setup: dict[str, dict[str, Any]] = {}
    for n in range(channels):
        partner_id, channel_id = f"bench-mkt-{n + 1}", f"bench-channel-{n + 1}"
        body = {"roles": ["marketplace"], "url": server.partner_url(partner_id)}
        server.partner_secrets[partner_id] = _must(stack, "PUT", f"/v1/admin/partners/{partner_id}", admin, body)[
            "secret"
        ]
        buffer = BUFFERS[n % len(BUFFERS)]
        body = {"storefront_id": STOREFRONT, "partner_id": partner_id, "skus": names, "buffer": buffer}
        _must(stack, "PUT", f"/v1/admin/channels/{channel_id}", admin, body)
        setup[channel_id] = {"partner_id": partner_id, "buffer": buffer}
    return setup


def _offers(setup: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Channel id -> the channel as the domain sees it (its `offer`)."""
    from oms.domain.channels import Buffer, Channel

    return {
        cid: Channel(
            channel_id=cid,
            storefront_id=STOREFRONT,
            partner_id=c["partner_id"],
            buffer=Buffer(**c["buffer"]),
            created_at="",
            updated_at="",
        )
        for cid, c in setup.items()
    }


def _told(stack: Any, admin: str, channel_id: str) -> dict[str, dict[str, Any]]:
    data = _must(stack, "GET", f"/v1/admin/channels/{channel_id}/stock", admin)
    return {t["sku"]: t for t in data["skus"]}


def _holds(stack: Any, admin: str, offers: dict[str, Any], figures: dict[str, int]) -> bool:
    """Every channel was told, and acknowledged, its offer of `figures` (available per sku)."""
    for cid, channel in offers.items():
        now = _told(stack, admin, cid)
        for sku, available in figures.items():
            if sku not in now or now[sku]["quantity"] != channel.offer(available) or not now[sku]["acknowledged"]:
                return False
    return True


def _burst(
    stack: Any,
    admin: str,
    tally: Any,
    clock: CommitClock,
    owned: list[list[Change]],
    progress: Callable[[int, int], None] | None,
) -> float:
    """Send every thread's changes (each thread its own skus, in order); answers the seconds it took."""
    total = sum(len(mine) for mine in owned)
    done = Counter[str]()
    done_lock = threading.Lock()

    def send(mine: list[Change]) -> None:
        with tally.scoped(CHANGES_SCOPE):
            for change in mine:
                with clock.sending(change):
                    change.sent_at = time.perf_counter()
                    path = f"/v1/admin/inventory/{LOCATION}/{change.sku}"
                    status, data = _api(stack, "PUT", path, admin, {"on_hand": change.on_hand})
                    change.answered_at = time.perf_counter()
                change.status = status
                change.available = int(data.get("available", -1))
                with done_lock:
                    done["changes"] += 1
                    if progress is not None:
                        progress(done["changes"], total)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(owned), thread_name_prefix="stock-change") as pool:
        list(pool.map(send, owned))
    return time.perf_counter() - started


def run(
    skus: int = SKUS,
    channels: int = CHANNELS,
    changes: int = CHANGES,
    threads: int = THREADS,
    marketplace_latency_ms: float = MARKETPLACE_LATENCY_MS,
    cdk_out: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Set up `channels` channels of `skus` skus on a fresh local stack, send `changes` stock changes, observe."""
    from moto.dynamodb.responses import DynamoHandler

    from bench import cost as meter
    from bench.cost_realistic import _forget_caches, _metering
    from bench.flash_sale import _lift_throttles
    from bench.partner_server import PartnerServer
    from local.runtime import LocalStack, Options
    from local.seed import seed
    from local.synth import ensure_synth

    if min(skus, channels, changes, threads) < 1:
        raise ValueError("skus, channels, changes and threads must be at least 1")
    prices = meter.load_prices()
    start_on_hand, planned = plan(skus, changes)
    names = sku_names(skus)
    server = PartnerServer(partner_latency_s=marketplace_latency_ms / 1000).start()
    stack = LocalStack.from_cdk_out(cdk_out or ensure_synth(), Options(schedule_every=3600)).start()
    tally = meter.Tally()
    clock = CommitClock()
    undo: list[Callable[[], None]] = []
    try:
        poller, memory_mb = _instrument(stack, tally, undo)
        # The meters' log sink takes the functions' output (counted, never printed).
        with _metering(stack, tally), meter._patched(DynamoHandler, "call_action", clock.wrap):
            with tally.scoped(meter.INTERNAL):
                admin = seed(stack).admin_key
                _lift_throttles(stack)
                setup = _set_up(stack, server, admin, names, start_on_hand, channels)
                offers = _offers(setup)
                first = _wait(lambda: _holds(stack, admin, offers, start_on_hand), SETTLE_TIMEOUT_S)
                if not (first and _quiet(server, poller, SETTLE_TIMEOUT_S)):
                    raise RuntimeError("the channels never held their first figures")
            setup_calls = len(server.snapshot()[0])
            tally.active = True
            try:
                burst_seconds = _burst(stack, admin, tally, clock, _owned(planned, names, threads), progress)
                final = _final(start_on_hand, planned)
                with tally.scoped(meter.INTERNAL):
                    settled = _wait(lambda: _holds(stack, admin, offers, final), SETTLE_TIMEOUT_S, step=0.5)
                    settled = _quiet(server, poller, SETTLE_TIMEOUT_S) and settled
                settle_seconds = time.perf_counter() - _started(planned) - burst_seconds
            finally:
                tally.active = False
            with tally.scoped(meter.INTERNAL):
                told_now = {cid: _told(stack, admin, cid) for cid in offers}
        return Run(
            skus=names,
            channels=setup,
            start_on_hand=start_on_hand,
            changes=planned,
            calls=server.snapshot()[0][setup_calls:],
            setup_calls=setup_calls,
            told=told_now,
            burst_seconds=burst_seconds,
            settle_seconds=settle_seconds,
            settled=settled,
            units={scope: tally.of(scope) for scope in (CHANGES_SCOPE, CHANNELS_SCOPE, HEALTH_SCOPE, meter.ORDER)},
            prices=prices,
            sampling_fixed_rate=meter.sampling_of(stack).fixed_rate,
            memory_mb=memory_mb,
            marketplace_latency_ms=marketplace_latency_ms,
            threads=threads,
            commits_seen=sum(1 for c in planned if c.committed_at),
            expected={
                cid: {
                    sku: [channel.offer(start_on_hand[sku])]
                    + [channel.offer(c.available) for c in planned if c.sku == sku and c.status == 200]
                    for sku in names
                }
                for cid, channel in offers.items()
            },
        )
    finally:
        for step in undo:
            step()
        stack.stop()
        server.stop()
        _forget_caches()


def _instrument(stack: Any, tally: Any, undo: list[Callable[[], None]]) -> tuple[Any, int]:
    """channel_stock's stream poller counted in CHANNELS_SCOPE, stock health's in its own; its memory size."""
    from bench.cost import function_names

    short = function_names(stack)
    by_function = {short.get(stack.registry.find(p.mapping.function).name, ""): p for p in stack.stream_pollers}
    poller = by_function["channel_stock"]
    memory_mb = next(int(fn.memory_mb) for fn in stack.registry.functions if short.get(fn.name) == "channel_stock")
    undo.append(_scoped_deliver(poller, tally, CHANNELS_SCOPE))
    if "stock_health" in by_function:
        undo.append(_scoped_deliver(by_function["stock_health"], tally, HEALTH_SCOPE))
    return poller, memory_mb


def _owned(planned: list[Change], names: list[str], threads: int) -> list[list[Change]]:
    """The changes per thread: a sku's changes all on one thread, in order."""
    owned: dict[int, list[Change]] = defaultdict(list)
    for change in planned:
        owned[names.index(change.sku) % threads].append(change)
    return [owned[t] for t in sorted(owned)]


def _final(start: dict[str, int], planned: list[Change]) -> dict[str, int]:
    """Available per sku after the burst: the last successful change's answer."""
    final = dict(start)
    for change in planned:
        if change.status == 200:
            final[change.sku] = change.available
    return final


def _started(changes: list[Change]) -> float:
    """When the burst's first change was sent."""
    return min((c.sent_at for c in changes if c.sent_at), default=time.perf_counter())


# -- the figures -------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _channel_of(partners: dict[str, str], call: Any) -> str | None:
    data = call.body.get("data") if isinstance(call.body.get("data"), dict) else {}
    return str(data.get("channel_id") or partners.get(call.owner) or "") or None


def _published(result: Run) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """(channel, sku) -> [(arrival, quantity)] of the burst's marketplace.stock calls, in arrival order."""
    partners = {c["partner_id"]: cid for cid, c in result.channels.items()}
    found: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for call in sorted((c for c in result.calls if c.type == "marketplace.stock"), key=lambda c: c.at):
        channel = _channel_of(partners, call)
        quantities = call.body.get("data", {}).get("quantities", {}) if isinstance(call.body.get("data"), dict) else {}
        for sku, quantity in quantities.items():
            found[(str(channel), str(sku))].append((call.at, int(quantity)))
    return found


def latencies(result: Run) -> dict[str, Any]:
    """Each (channel, change that moved the channel's figure) matched to the publication that carries it."""
    published = _published(result)
    seconds: list[float] = []
    by_channel: dict[str, list[float]] = defaultdict(list)
    unmoved = unmatched = unexplained = 0
    for cid, per_sku in result.expected.items():
        for sku in result.skus:
            offers = per_sku[sku]
            changes = [c for c in result.changes if c.sku == sku and c.status == 200]
            heard = published.get((cid, sku), [])
            for i, change in enumerate(changes):
                expected, before = offers[i + 1], offers[i]
                if expected == before:
                    unmoved += 1
                    continue
                commit = change.committed_at or change.answered_at
                match = next((q for q in heard if q[0] >= commit and q[1] <= expected), None)
                if match is None:
                    unmatched += 1
                    continue
                if match[1] not in offers[i + 1 :]:
                    unexplained += 1
                took = match[0] - commit
                seconds.append(took)
                by_channel[cid].append(took)
    return {
        "measured_pairs": len(seconds),
        "unmoved_pairs": unmoved,
        "unmatched_pairs": unmatched,
        "unexplained_figures": unexplained,
        "p50_ms": round(_percentile(seconds, 50) * 1000, 1),
        "p99_ms": round(_percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else None,
        "mean_ms": round(statistics.fmean(seconds) * 1000, 1) if seconds else None,
        "p50_ms_by_channel": {cid: round(_percentile(v, 50) * 1000, 1) for cid, v in sorted(by_channel.items())},
    }


def correctness(result: Run) -> dict[str, Any]:
    """Per (channel, sku): ordered, expected figures, right final figure at the receiver and in the API."""
    published = _published(result)
    out_of_order = not_expected = wrong_final_receiver = wrong_final_api = unacknowledged = 0
    examples: list[str] = []
    for cid, per_sku in result.expected.items():
        for sku in result.skus:
            offers = per_sku[sku]
            heard = [q for _, q in published.get((cid, sku), [])]
            if any(later > earlier for earlier, later in itertools.pairwise(heard)):
                out_of_order += 1
                examples.append(f"{cid} {sku} heard {heard}")
            not_expected += sum(1 for q in heard if q not in offers)
            last = heard[-1] if heard else offers[0]  # nothing heard in the burst: the setup's figure stands
            if last != offers[-1]:
                wrong_final_receiver += 1
                examples.append(f"{cid} {sku} ends with {last} at the receiver, expected {offers[-1]}")
            shown = result.told.get(cid, {}).get(sku)
            if shown is None or shown["quantity"] != offers[-1]:
                wrong_final_api += 1
            elif not shown["acknowledged"]:
                unacknowledged += 1
    pairs = len(result.expected) * len(result.skus)
    return {
        "channel_sku_pairs": pairs,
        "out_of_order_pairs": out_of_order,
        "unexpected_figures": not_expected,
        "wrong_final_at_receiver": wrong_final_receiver,
        "wrong_final_in_api": wrong_final_api,
        "unacknowledged_final": unacknowledged,
        "unsigned_requests": sum(1 for c in result.calls if not c.signed),
        "all_right": result.settled
        and not (out_of_order or not_expected or wrong_final_receiver or wrong_final_api or unacknowledged)
        and all(c.signed for c in result.calls),
        "examples": examples[:5],
    }


def _lambda_usd(units: dict[str, float], prices: dict[str, Any], like: bool = False) -> float:
    gb_s = units.get("lambda.like_gb_seconds" if like else "lambda.gb_seconds", 0.0)
    return float(
        units.get("lambda.invocations", 0.0) * prices["lambda_per_million_requests"] / 1e6
        + gb_s * prices["lambda_per_gb_second_arm64"]
    )


def price_scope(units: dict[str, float], prices: dict[str, Any], fixed_rate: float) -> dict[str, float]:
    """USD by service for one scope's units (stream reads by a Lambda trigger: free)."""
    from bench.cost import GB

    log_bytes = units.get("logs.function_bytes", 0.0) + units.get("logs.platform_bytes", 0.0)
    return {
        "lambda": _lambda_usd(units, prices),
        "dynamodb": units.get("dynamodb.wru", 0.0) * prices["dynamodb_on_demand_per_million_write_request_units"] / 1e6
        + units.get("dynamodb.rru", 0.0) * prices["dynamodb_on_demand_per_million_read_request_units"] / 1e6,
        "api_gateway": units.get("api.requests", 0.0) * prices["api_gateway_rest_per_million_requests"] / 1e6,
        "secrets_manager": units.get("secretsmanager.calls", 0.0) * prices["secrets_manager_per_10k_api_calls"] / 1e4,
        "cloudwatch_logs": log_bytes / GB * prices["cloudwatch_logs_ingestion_per_gb"],
        # one trace per API request, recorded at the sampling rule's fixed rate; channel_stock passes its
        # caller's decision through (PassThrough) and a stream batch has none: no trace of its own
        "xray": units.get("api.requests", 0.0) * fixed_rate * prices["xray_traces_recorded_per_million"] / 1e6,
        "dynamodb_streams": 0.0,
    }


def _per_thousand(usd: dict[str, float], changes: int) -> dict[str, float]:
    return {k: round(v / changes * 1000, 6) for k, v in sorted(usd.items(), key=lambda kv: -kv[1])}


def _grouped(units: dict[str, float], prefix: str) -> dict[str, float]:
    return {k.removeprefix(prefix): round(v, 3) for k, v in sorted(units.items()) if k.startswith(prefix)}


def figures(result: Run) -> dict[str, Any]:
    ok = [c for c in result.changes if c.status == 200]
    n = len(result.changes)
    channels = len(result.channels)
    stock_calls = [c for c in result.calls if c.type == "marketplace.stock"]
    figures_sent = sum(len(c.body.get("data", {}).get("quantities", {})) for c in stock_calls)
    published = _published(result)
    units = result.units[CHANNELS_SCOPE]
    invocations = units.get("lambda.invocations", 0.0)
    usd = price_scope(units, result.prices, result.sampling_fixed_rate)
    like = dict(usd, **{"lambda": _lambda_usd(units, result.prices, like=True)})
    changes_usd = price_scope(result.units[CHANGES_SCOPE], result.prices, result.sampling_fixed_rate)
    secret_reads_month = channels * SECONDS_PER_MONTH / SECRET_TTL_S
    return {
        "setup": {
            "skus": len(result.skus),
            "channels": channels,
            "buffers": {cid: c["buffer"] for cid, c in result.channels.items()},
            "location": LOCATION,
            "stock_change": f"PUT /v1/admin/inventory/{LOCATION}/{{sku}} with on_hand 1-{MAX_DROP} lower",
            "threads": result.threads,
            "marketplace_latency_ms": result.marketplace_latency_ms,
            "batching_window_s": 1,
            "batch_size": 100,
        },
        "changes": n,
        "changes_ok": len(ok),
        "changes_failed": dict(Counter(str(c.status) for c in result.changes if c.status != 200)),
        "commits_timed": result.commits_seen,
        "burst_seconds": round(result.burst_seconds, 2),
        "changes_per_s": round(n / result.burst_seconds, 1) if result.burst_seconds else None,
        "settle_seconds_after_burst": round(result.settle_seconds, 2),
        "settled": result.settled,
        "latency": latencies(result),
        "marketplace_calls": len(stock_calls),
        "figures_sent": figures_sent,
        "changes_x_channels": n * channels,
        "calls_per_change_x_channel": round(len(stock_calls) / (n * channels), 4),
        "figures_per_change_x_channel": round(figures_sent / (n * channels), 4),
        "coalescing_ratio": round(n * channels / figures_sent, 2) if figures_sent else None,
        "figures_per_call": round(figures_sent / len(stock_calls), 1) if stock_calls else None,
        "pairs_published": len(published),
        "channel_stock_invocations": int(invocations),
        "records_per_invocation": round(n / invocations, 1) if invocations else None,
        "correctness": correctness(result),
        "channel_stock_units": {
            "lambda_invocations": invocations,
            "lambda_seconds": round(units.get("lambda.seconds.channel_stock", 0.0), 2),
            "lambda_gb_seconds": round(units.get("lambda.gb_seconds", 0.0), 3),
            "lambda_like_gb_seconds": round(units.get("lambda.like_gb_seconds", 0.0), 3),
            "memory_mb": result.memory_mb,
            "marketplace_wait_seconds": round(units.get("external.partner_seconds", 0.0), 2),
            "dynamodb_rru": round(units.get("dynamodb.rru", 0.0), 1),
            "dynamodb_wru": round(units.get("dynamodb.wru", 0.0), 1),
            "dynamodb_requests": _grouped(units, "dynamodb.requests."),
            "dynamodb_wru_by_item": _grouped(units, "dynamodb.wru_by_item."),
            "dynamodb_rru_by_function": _grouped(units, "dynamodb.rru_by_function."),
            "secrets_manager_calls": units.get("secretsmanager.calls", 0.0),
            "log_bytes": units.get("logs.function_bytes", 0.0),
            "stream_read_requests": "free (GetRecords by a Lambda trigger)",
        },
        "usd_per_1000_changes": round(sum(usd.values()) / n * 1000, 6),
        "usd_per_1000_changes_lambda_like": round(sum(like.values()) / n * 1000, 6),
        "usd_per_1000_changes_by_service": _per_thousand(usd, n),
        "changes_themselves_usd_per_1000": round(sum(changes_usd.values()) / n * 1000, 6),
        "secrets_fixed_usd_per_month_per_warm_container": round(
            secret_reads_month * result.prices["secrets_manager_per_10k_api_calls"] / 1e4, 4
        ),
    }


def report(f: dict[str, Any]) -> str:
    s, lat, ok, u = f["setup"], f["latency"], f["correctness"], f["channel_stock_units"]
    lines = [
        f"channel stock publication ({f['changes']:,} stock changes over {s['skus']} skus x {s['channels']} channels; "
        f"marketplaces answer after {s['marketplace_latency_ms']:g} ms; stream window {s['batching_window_s']} s, "
        f"batches of {s['batch_size']})",
        f"  burst: {f['changes_ok']:,} ok of {f['changes']:,} in {f['burst_seconds']} s ({f['changes_per_s']}/s, "
        f"{s['threads']} threads); settled {f['settle_seconds_after_burst']} s after it: {f['settled']}",
        f"  publish latency commit -> marketplace: p50 {lat['p50_ms']:g} ms, p99 {lat['p99_ms']:g} ms, "
        f"max {lat['max_ms']} ms over {lat['measured_pairs']:,} (channel, change) pairs "
        f"({lat['unmoved_pairs']} did not move the figure; unmatched {lat['unmatched_pairs']}, "
        f"unexplained {lat['unexplained_figures']})",
        f"  marketplace calls {f['marketplace_calls']:,}, figures sent {f['figures_sent']:,} vs changes x channels "
        f"{f['changes_x_channels']:,}: {f['figures_per_change_x_channel']:.3f} figures and "
        f"{f['calls_per_change_x_channel']:.4f} calls each (coalescing {f['coalescing_ratio']}x); "
        f"{f['channel_stock_invocations']} channel_stock invocations ({f['records_per_invocation']} changes each)",
        f"  correct: {ok['all_right']} - out of order {ok['out_of_order_pairs']}, unexpected figures "
        f"{ok['unexpected_figures']}, wrong final (receiver {ok['wrong_final_at_receiver']}, api "
        f"{ok['wrong_final_in_api']}), unsigned {ok['unsigned_requests']} over {ok['channel_sku_pairs']} pairs",
        f"  channel_stock: {u['lambda_gb_seconds']} GB-s at {u['memory_mb']} MB ({u['marketplace_wait_seconds']} s "
        f"waiting on marketplaces), {u['dynamodb_rru']} RRU, {u['dynamodb_wru']} WRU, "
        f"{u['secrets_manager_calls']:g} secret reads, {u['log_bytes']:,.0f} log bytes",
        f"  cost per 1,000 stock changes: ${f['usd_per_1000_changes']:.4f} (Lambda-like "
        f"${f['usd_per_1000_changes_lambda_like']:.4f}): "
        + ", ".join(f"{k} ${v:.4f}" for k, v in f["usd_per_1000_changes_by_service"].items() if v),
        f"  (the changes themselves, API + api function + stock writes: ${f['changes_themselves_usd_per_1000']:.4f}"
        f" per 1,000; secrets re-read every 5 min per warm container: "
        f"${f['secrets_fixed_usd_per_month_per_warm_container']}/month)",
    ]
    if ok["examples"]:
        lines.append("  examples: " + "; ".join(ok["examples"]))
    return "\n".join(lines)
