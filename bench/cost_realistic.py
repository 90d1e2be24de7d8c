"""Realistic cost: a merchant's order with real partners, a storefront webhook and status reads, at three volumes.

`bench.cost` meters an order with every partner in sandbox. This scenario meters the same 3-line order the
way a merchant runs it, on the same meters (`bench.cost.metering`, every unit counted the same way):

* **Partners over the signed-HTTPS adapters.** Storefront sf-local's configuration names
  `https:<partner>` for fraud and payment (partner "payments": fraud screening from the payment provider,
  there is no fraud role of its own), carrier ("carrier") and location ("warehouse"); each partner
  record's url points at `bench.partner_server` on 127.0.0.1, which checks every request's signature
  and answers after PARTNER_LATENCY_MS (150 ms by default). That wait is inside the workflow function's
  measured duration and the Express execution's, so it is billed as Lambda and Step Functions duration.
  All of it is configured through the admin API, as an operator would (`PUT /v1/admin/partners/{id}`
  with `url`, `PUT /v1/admin/storefronts/sf-local` with `adapters` and `webhook_url`).
* **The fraud screen's answer.** The signed-HTTPS fraud adapter answers "pending" (its decision comes
  later) and the OMS holds the order for review; the screen's decision comes as its signed `fraud.decided`
  webhook, which resumes the fulfil phase: one webhook request, its worker, one more fulfil execution, two
  more order writes (on hold, approved). Authorization, booking, release and capture then each make one partner call.
* **A storefront webhook receiving every event** (the notifier delivers each order and shipment event,
  signed, to the same local server, which answers after WEBHOOK_LATENCY_MS).
* **Two status reads per order** (`GET /v1/orders/{id}`: the confirmation page, the tracking page),
  counted in the order's figures; the driver's own polling stays apart (`bench.cost`'s POLLING scope).

Priced at 10k, 100k and 1M orders a month (aws-prices.json), with what depends on the volume:

* **X-Ray**: the template's sampling rule (reservoir R traces/s, then the fixed rate f). Traces per order
  are counted as `bench.cost` counts them (every REST API request and workflow execution its own trace:
  an upper bound; the traces functions start themselves counted in full), and, beside, as if every hop
  joined its caller's trace (REST API requests only: "traces propagated"). Traces arrive
  as a Poisson process at the month's average rate L/s (traces per order x orders / seconds in a
  month); recorded per second = E[min(N, R)] + f x E[max(N - R, 0)], N ~
  Poisson(L). At low volume nearly every trace falls in the reservoir; at high volume the share tends to
  f. Uniform traffic is the upper bound of the recorded share (peaks record less). No free tier.
* **Lambda INIT** (billed since August 2025 like invoke duration): per function, INIT seconds = an assumed
  RUNTIME_START_MS for the managed Python runtime + the handler module's import time measured in a
  fresh interpreter on this machine (`bench.imports.measure`, byte code present, X-Ray SDK not loaded);
  not scaled to the memory's CPU share. Cold-start share per function = max(COLD_START_FLOOR, the
  chance that no invocation came in the last IDLE_LIFETIME_S at the function's average rate): the floor
  is AWS's "under 1% of invocations" for production traffic, the second term an idle environment being
  reclaimed at low volume (uniform traffic, so a lower bound where nights are quiet).

Fixed monthly costs, in a table of their own, counted from the synthesized template and the source:
customer-managed KMS keys, CloudWatch alarms (by period: standard or high resolution), dashboards,
custom metrics (each `add_metric` name in functions/ and shared/oms, a name built from a code counted
once), Secrets Manager secrets (those the scenario's partners and storefront webhook use, read from the
local Secrets Manager after the run) and their re-reads every cache period, plus `bench.cost`'s
sweeper and idle SQS long polls. Prices not in aws-prices.json are AWS's public list prices (LIST_PRICES
below). The break-even volume is where the fixed costs equal the orders' own cost: volume x cost per
order(volume) = fixed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import RESULTS, merge_results, read_section
from bench import cost as meter
from bench.partner_server import PartnerServer

ROOT = Path(__file__).resolve().parent.parent
SECTION = "cost"  # merged into results.json's cost section as "realistic" and "fixed_usd_per_month"

ORDERS = 20
WARMUP_ORDERS = 2
PARTNER_LATENCY_MS = 150.0
WEBHOOK_LATENCY_MS = 100.0
STATUS_READS = 2
VOLUMES = (10_000, 100_000, 1_000_000)
HEADLINE_VOLUME = 100_000

STOREFRONT = meter.STOREFRONT
# Port -> partner: what a merchant with a payment provider (that also screens fraud), a carrier and a
# warehouse system configures. Tax stays sandbox (checkout needs its answer at once), the ERP is not used.
ADAPTERS = {"fraud": "payments", "payment": "payments", "carrier": "carrier", "location": "warehouse"}

RUNTIME_START_MS = 100.0  # assumed: the managed Python runtime's own start before the handler module loads
COLD_START_FLOOR = 0.01  # AWS: cold starts "typically occur in under 1% of invocations" of production traffic
IDLE_LIFETIME_S = 600.0  # assumed: an idle execution environment is kept ~5-15 minutes (not published)

# AWS public list prices (us-east-1, no free tier) for what aws-prices.json does not list; a key of the
# same name in aws-prices.json wins.
LIST_PRICES = {
    "kms_customer_key_per_month": 1.00,  # + $1/month at each of the first two yearly rotations (capped)
    "cloudwatch_alarm_standard_per_month": 0.10,  # per metric of a standard-resolution alarm (period >= 60 s)
    "cloudwatch_alarm_high_resolution_per_month": 0.30,  # period < 60 s
    "cloudwatch_dashboard_per_month": 3.00,
    "cloudwatch_custom_metric_per_month": 0.30,  # first 10,000 metrics; prorated by the hour a metric has data
    "secrets_manager_secret_per_month": 0.40,
}

EXTERNAL = "external"  # calls to servers outside AWS, by kind: partner requests and storefront deliveries


# -- metering what meter.metering does not: the calls leaving for partners and storefronts ---------------


def _external_meter(tally: meter.Tally) -> Callable[[Any], Any]:
    """Around SignedJsonClient.send: time each partner request or storefront delivery. The time is a wait
    inside the calling function (billed, never scaled as compute in the Lambda-like figure)."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def send(self: Any, type_: str, reference_id: str, idempotency_key: str, data: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(self, type_, reference_id, idempotency_key, data)
            finally:
                took = time.perf_counter() - started
                inside = getattr(tally.local, "moto", None)
                if inside is not None:
                    inside["external_seconds"] += took
                scope = tally.counted()
                if scope is not None:
                    kind = "webhook" if "/storefronts/" in str(self.endpoint_url) else "partner"
                    tally.add(scope, {f"{EXTERNAL}.{kind}.{type_}": 1, f"{EXTERNAL}.{kind}_seconds": took})

        return send

    return wrap


@contextlib.contextmanager
def _metering(stack: Any, tally: meter.Tally) -> Iterator[None]:
    from oms.adapters.signed_https import SignedJsonClient

    with meter.metering(stack, tally), meter._patched(SignedJsonClient, "send", _external_meter(tally)):
        yield


# -- configuring the merchant through the admin API ---------------------------------------------------


def _configure(driver: meter.Driver, server: PartnerServer) -> str:
    """Partner urls, the storefront's adapters and webhook; answers the storefront's webhook secret."""
    from local import environ, seed
    from oms.adapters import registry
    from oms.store import config as config_store

    for partner_id in sorted(set(ADAPTERS.values())):
        roles = seed.PARTNERS[partner_id]
        body = {
            "roles": list(roles),
            "location_ids": sorted(seed.LOCATIONS) if "location" in roles else [],
            "url": server.partner_url(partner_id),
        }
        driver.admin("PUT", f"/v1/admin/partners/{partner_id}", body)
        server.partner_secrets[partner_id] = driver.partner_secret  # seeded: every partner signs with it
    status, current = driver.call("GET", f"/v1/admin/storefronts/{STOREFRONT}", b"", _admin_headers(driver))
    if status != 200 or current is None:
        raise RuntimeError(f"GET storefront {STOREFRONT} answered {status}")
    config = {k: v for k, v in current.items() if k not in ("storefront_id", "webhook_secret")}
    config["adapters"] = {port: f"https:{partner}" for port, partner in ADAPTERS.items()}
    config["webhook_url"] = server.storefront_url(STOREFRONT)
    headers = _admin_headers(driver)
    status, answer = driver.call("PUT", f"/v1/admin/storefronts/{STOREFRONT}", json.dumps(config).encode(), headers)
    if status != 200 or answer is None or not answer.get("webhook_secret"):
        raise RuntimeError(f"PUT storefront {STOREFRONT} answered {status}: {json.dumps(answer)[:300]}")
    secret = str(answer["webhook_secret"])
    server.storefront_secrets[STOREFRONT] = secret
    with environ.scoped(driver.stack.function_env("api")):  # every function of this process sees it now
        config_store.clear_cache()
    registry.clear_cache()
    return secret


def _admin_headers(driver: meter.Driver) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {driver.admin_key}"), ("Content-Type", "application/json")]


# -- the lifecycle ------------------------------------------------------------------------------------


class Merchant(meter.Driver):
    """bench.cost's driver, with the fraud screen's answer and the storefront's status reads."""

    def fraud_answer(self, order_id: str) -> None:
        """The screen that answered "pending" decides later: its signed fraud.decided webhook."""
        self.webhook(ADAPTERS["fraud"], "fraud.decided", {"order_id": order_id, "decision": "approve"})

    def wait_off_hold(self, order_id: str) -> None:
        """The decision is applied by the partner-events worker: wait until the order leaves its hold."""
        deadline = time.monotonic() + meter.STEP_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.tally.scoped(meter.POLLING):
                status, order = self.storefront("GET", f"/v1/orders/{order_id}")
            if status == 200 and order is not None and order["status"] != "on_hold":
                return
            time.sleep(0.05)
        raise meter.LifecycleStuck(f"order {order_id} stayed on hold after the screen's fraud.decided")

    def status_read(self, order_id: str) -> None:
        status, _ = self.storefront("GET", f"/v1/orders/{order_id}")
        if status != 200:
            raise meter.LifecycleStuck(f"GET order {order_id} answered {status}")

    def lifecycle(self, number: int, label: str) -> dict[str, Any]:
        placed = self.checkout(number, label)
        order_id = placed["order_id"]
        order = self.wait(order_id, "the fraud screen", lambda o: o["status"] in ("on_hold", "processing"))
        if order["status"] == "on_hold":
            self.fraud_answer(order_id)
            self.wait_off_hold(order_id)

        def answered(o: dict[str, Any]) -> bool:
            return o["status"] == "processing" or (
                o["payment"]["status"] == "pending" and bool(o["payment"]["authorization_id"])
            )

        order = self.wait(order_id, "the authorization", answered)
        if order["status"] != "processing":  # the https provider answers later: its payment.authorized webhook
            notice = {"order_id": order_id, "amount": order["totals"]["total"]}
            self.webhook(ADAPTERS["payment"], "payment.authorized", notice)
        order = self.wait(order_id, '"processing"', lambda o: o["status"] == "processing")
        self.status_read(order_id)  # the confirmation page
        for shipment in order["shipments"]:
            sid = shipment["shipment_id"]
            ref = {"order_id": order_id, "shipment_id": sid, "location_id": shipment["location_id"]}
            self.webhook(meter.LOCATION_PARTNER, "shipment.packed", ref)
            self.wait(order_id, f"shipment {sid} shipped", meter._shipment_in(sid, "shipped"))
            self.webhook(meter.CARRIER_PARTNER, "shipment.delivered", {"order_id": order_id, "shipment_id": sid})
            self.wait(order_id, f"shipment {sid} delivered", meter._shipment_in(sid, "delivered"))
        final = self.wait(order_id, '"delivered"', lambda o: o["status"] == "delivered")
        self.status_read(order_id)  # the tracking page
        self.orders.append(final)
        return final


# -- the run --------------------------------------------------------------------------------------------


@dataclass
class Observed:
    """What the run saw besides the tally."""

    measured: meter.Measured
    calls: list[Any]  # partner requests of the measured orders (bench.partner_server.Received)
    events: list[Any]  # storefront deliveries of the measured orders
    unsigned: int  # requests or deliveries whose signature did not verify (whole run)
    secrets: list[str]  # Secrets Manager secrets the scenario uses
    template: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)  # short function name -> MemorySize


def run(
    orders: int = ORDERS,
    warmup: int = WARMUP_ORDERS,
    partner_latency_ms: float = PARTNER_LATENCY_MS,
    webhook_latency_ms: float = WEBHOOK_LATENCY_MS,
    cdk_out: Path | None = None,
    init_ms: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Meter `orders` realistic lifecycles on a fresh local stack; price them at VOLUMES; the fixed costs.

    `init_ms`: import milliseconds per function (short name) instead of measuring them in fresh interpreters.
    """
    from local.runtime import LocalStack, Options
    from local.synth import ensure_synth

    if orders < 1:
        raise ValueError("orders must be at least 1")
    prices = meter.load_prices()
    tally = meter.Tally()
    server = PartnerServer(partner_latency_ms / 1000, webhook_latency_ms / 1000).start()
    stack = LocalStack.from_cdk_out(cdk_out or ensure_synth(), Options(sqs_retry_after=1, schedule_every=3600)).start()
    try:
        with _metering(stack, tally):
            observed = _measure(stack, tally, server, orders, warmup)
    finally:
        stack.stop()
        server.stop()
        _forget_caches()  # this process's caches hold that stack's storefront and secrets
    functions = sorted(f for f, v in _grouped(tally.of(meter.ORDER), "lambda.invocations.").items() if v)
    init = init_ms if init_ms is not None else measure_init_ms(functions)
    return _result(observed, tally, prices, init, partner_latency_ms, webhook_latency_ms)


def _forget_caches() -> None:
    from oms.adapters import registry
    from oms.store import config as config_store

    config_store.clear_cache()
    registry.clear_cache()


def _measure(stack: Any, tally: meter.Tally, server: PartnerServer, orders: int, warmup: int) -> Observed:
    from local.seed import seed

    with tally.scoped(meter.INTERNAL):
        creds = seed(stack)
    driver = Merchant(stack, tally, creds.storefront_keys[STOREFRONT], creds.admin_key, creds.partner_secret)
    with tally.scoped(meter.INTERNAL):
        meter._add_stock(driver, orders + warmup)
        _configure(driver, server)
    measured = meter.drive(stack, tally, driver, orders, warmup)
    order_ids = {o["order_id"] for o in measured.orders}
    with tally.scoped(meter.INTERNAL):
        secrets = _secrets_used(stack)
    calls, events = server.snapshot()
    names = meter.function_names(stack)
    return Observed(
        measured=measured,
        calls=[c for c in calls if _order_of(c.body) in order_ids],
        events=[e for e in events if _order_of(e.body) in order_ids],
        unsigned=sum(1 for r in [*calls, *events] if not r.signed),
        secrets=secrets,
        template=stack.assembly.template,
        memory={names.get(fn.name, fn.name): int(fn.memory_mb) for fn in stack.registry.functions},
    )


def _order_of(body: dict[str, Any]) -> str:
    data = body.get("data") if isinstance(body.get("data"), dict) else body.get("detail")
    return str((data or {}).get("order_id", ""))


def _secrets_used(stack: Any) -> list[str]:
    """The secrets of the scenario's partners (the adapters' and the webhooks' senders) and storefront."""
    import boto3

    prefix = stack.function_env("webhooks").get("OMS_SECRETS_PREFIX", "")
    wanted = {f"{prefix}partners/{p}" for p in {*ADAPTERS.values(), meter.LOCATION_PARTNER, meter.CARRIER_PARTNER}}
    wanted.add(f"{prefix}storefronts/{STOREFRONT}")
    client = boto3.client("secretsmanager", region_name=stack.assembly.region)
    names = [s["Name"] for s in client.list_secrets(MaxResults=100).get("SecretList", [])]
    return sorted(n for n in names if n in wanted)


def measure_init_ms(functions: list[str]) -> dict[str, float]:
    """Import milliseconds of each function's handler module, one fresh interpreter each (after an untimed
    one that writes byte code)."""
    from bench import imports

    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "shared")])
    found = {}
    for name in functions:
        env = imports.environment(name, pythonpath)
        imports.measure(name, env)
        found[name] = round(imports.measure(name, env), 1)
    return found


# -- volume-dependent parts ---------------------------------------------------------------------------


def recorded_per_second(rate: float, reservoir: int, fixed_rate: float) -> float:
    """Traces recorded per second when traces arrive as Poisson(rate) per second: the reservoir's, then the
    fixed rate of the rest."""
    if rate <= 0:
        return 0.0
    p = math.exp(-rate)  # P(N = 0)
    below = 0.0  # E[N; N < R]
    tail = 1.0  # P(N >= R)
    for k in range(reservoir):
        below += k * p
        tail -= p
        p *= rate / (k + 1)
    in_reservoir = below + reservoir * max(tail, 0.0)
    return in_reservoir + fixed_rate * max(rate - in_reservoir, 0.0)


def recorded_share(rate: float, sampling: meter.Sampling) -> float:
    """The share of traces arriving at `rate` per second that the sampling rule records."""
    if rate <= 0:
        return 1.0
    return recorded_per_second(rate, sampling.reservoir_per_second, sampling.fixed_rate) / rate


def cold_start_share(invocations_per_second: float) -> float:
    """max(COLD_START_FLOOR, chance that the previous IDLE_LIFETIME_S brought no invocation)."""
    return max(COLD_START_FLOOR, math.exp(-invocations_per_second * IDLE_LIFETIME_S))


@dataclass(frozen=True)
class PerOrder:
    """The measured per-order units a volume's price needs."""

    units: dict[str, float]  # bench.cost._per_order: X-Ray traces of the sampled entry points before sampling,
    # each execution a trace of its own, plus the traces functions start themselves (xray_traces_own)
    root_traces: float  # the sampled entry points' traces if every hop joins its caller's: REST API requests
    lambda_like_gb_s: float
    invocations: dict[str, float]  # per function
    memory_mb: dict[str, int]
    init_s: dict[str, float]  # per function


def at_volume(per: PerOrder, volume: float, prices: dict[str, Any], sampling: meter.Sampling) -> dict[str, Any]:
    """USD per order by service at `volume` orders a month: X-Ray's recorded share and INIT at that volume."""
    own = per.units.get("xray_traces_own", 0.0)  # Lambda's own sampling: nearly all at these volumes
    traces = per.units["xray_traces"] - own
    share = recorded_share(traces * volume / meter.SECONDS_PER_MONTH, sampling)
    sampled = {**per.units, "xray_traces": traces * share + own}
    roots_share = recorded_share(per.root_traces * volume / meter.SECONDS_PER_MONTH, sampling)
    propagated = {**per.units, "xray_traces": per.root_traces * roots_share + own}
    cold = {fn: cold_start_share(count * volume / meter.SECONDS_PER_MONTH) for fn, count in per.invocations.items()}
    init_gb_s = sum(
        count * cold[fn] * per.memory_mb.get(fn, 128) / 1024 * per.init_s.get(fn, 0.0)
        for fn, count in per.invocations.items()
    )
    init_usd = init_gb_s * prices["lambda_per_gb_second_arm64"]
    measured = meter.price(sampled, prices, "express", per.units["lambda_gb_seconds"])
    like = meter.price(sampled, prices, "express", per.lambda_like_gb_s)
    joined = meter.price(propagated, prices, "express", per.units["lambda_gb_seconds"])
    by_service = {**measured, "lambda_init": init_usd}
    invocations = sum(per.invocations.values())
    return {
        "orders_per_month": volume,
        "usd_per_1000_orders": round(sum(by_service.values()) * 1000, 6),
        "usd_per_1000_orders_lambda_like": round((sum(like.values()) + init_usd) * 1000, 6),
        "usd_per_1000_orders_traces_propagated": round((sum(joined.values()) + init_usd) * 1000, 6),
        "by_service": {k: round(v * 1000, 6) for k, v in sorted(by_service.items(), key=lambda kv: -kv[1])},
        "xray_recorded_share": round(share, 4),
        "xray_traces_recorded_per_order": round(traces * share + own, 4),
        "cold_start_share": {fn: round(v, 4) for fn, v in sorted(cold.items())},
        "cold_start_share_overall": round(
            sum(c * cold[fn] for fn, c in per.invocations.items()) / invocations if invocations else 0.0, 4
        ),
        "lambda_init_gb_seconds_per_order": round(init_gb_s, 6),
        "usd_per_month": round(sum(by_service.values()) * volume, 2),
    }


def break_even(fixed_usd: float, usd_per_order: Callable[[float], float]) -> int:
    """Orders a month at which the orders' own cost equals the fixed monthly cost (bisection, log scale)."""
    low, high = 1.0, 1e10
    if fixed_usd <= 0:
        return 0
    for _ in range(200):
        mid = math.sqrt(low * high)
        if mid * usd_per_order(mid) < fixed_usd:
            low = mid
        else:
            high = mid
        if high / low < 1.0001:
            break
    return round(high)


# -- fixed monthly costs ------------------------------------------------------------------------------

_METRIC_NAME = re.compile(r"add_metric\(\s*name=(f?)\"([^\"]+)\"|\bmetric=\"([A-Za-z0-9_]+)\"")


def custom_metrics(root: Path = ROOT) -> list[str]:
    """Every custom metric name the code publishes (EMF, namespace OMS, one dimension set): literal names,
    and names built from a value (f"Refused_{code}") once each, as "Refused_*"."""
    names: set[str] = set()
    for folder in (root / "functions", root / "shared" / "oms"):
        for path in folder.rglob("*.py"):
            for match in _METRIC_NAME.finditer(path.read_text()):
                fstring, name, keyword = match.groups()
                found = keyword or name
                names.add(re.sub(r"\{[^}]*\}", "*", found) if fstring else found)
    return sorted(names)


def _price(prices: dict[str, Any], key: str) -> float:
    return float(prices.get(key, LIST_PRICES[key]))


def fixed_monthly(observed: Observed, tally: meter.Tally, prices: dict[str, Any]) -> dict[str, Any]:
    """Line by line: count, USD a month, where the count comes from."""
    resources = observed.template.get("Resources", {})

    def of_type(kind: str) -> list[dict[str, Any]]:
        return [r.get("Properties", {}) for r in resources.values() if r.get("Type") == kind]

    keys = of_type("AWS::KMS::Key")
    alarms = of_type("AWS::CloudWatch::Alarm")
    high_res = [a for a in alarms if int(a.get("Period", 60)) < 60]
    alarm_metrics = sum(len(a.get("Metrics") or [0]) for a in alarms)
    high_res_metrics = sum(len(a.get("Metrics") or [0]) for a in high_res)
    dashboards = of_type("AWS::CloudWatch::Dashboard")
    metrics = custom_metrics()
    traced = "sweeper" in observed.measured.own_traces
    sweeping = meter._fixed_monthly(tally.of(meter.SWEEP), prices, observed.measured.queues, sweeper_traced=traced)
    # Who reads which secret: the workflow each adapter partner's, the webhooks function each sender's, the
    # notifier the storefront's. Locally one process caches them once; on AWS each container does.
    readers = [f"workflow:{p}" for p in sorted(set(ADAPTERS.values()))]
    readers += [f"webhooks:{p}" for p in sorted({meter.LOCATION_PARTNER, meter.CARRIER_PARTNER})]
    readers.append(f"notifier:{STOREFRONT}")
    from oms.adapters.registry import SECRET_TTL_SECONDS

    secret_reads = round(len(readers) * meter.SECONDS_PER_MONTH / SECRET_TTL_SECONDS)
    lines = {
        "kms_customer_keys": {
            "count": len(keys),
            "usd_per_month": len(keys) * _price(prices, "kms_customer_key_per_month"),
            "from": "template AWS::KMS::Key (" + "; ".join(str(k.get("Description", "")) for k in keys) + ")",
        },
        "cloudwatch_alarms": {
            "count": len(alarms),
            "usd_per_month": (alarm_metrics - high_res_metrics) * _price(prices, "cloudwatch_alarm_standard_per_month")
            + high_res_metrics * _price(prices, "cloudwatch_alarm_high_resolution_per_month"),
            "from": f"template AWS::CloudWatch::Alarm ({len(high_res)} high resolution, {alarm_metrics} metrics)",
        },
        "cloudwatch_dashboards": {
            "count": len(dashboards),
            "usd_per_month": len(dashboards) * _price(prices, "cloudwatch_dashboard_per_month"),
            "from": "template AWS::CloudWatch::Dashboard",
        },
        "custom_metrics": {
            "count": len(metrics),
            "usd_per_month": len(metrics) * _price(prices, "cloudwatch_custom_metric_per_month"),
            "from": "add_metric names in functions/ and shared/oms (upper bound: a metric without data in an "
            "hour is not billed for it): " + ", ".join(metrics),
        },
        "secrets_manager_secrets": {
            "count": len(observed.secrets),
            "usd_per_month": len(observed.secrets) * _price(prices, "secrets_manager_secret_per_month"),
            "from": "the scenario's partner and storefront-webhook secrets: " + ", ".join(observed.secrets),
        },
        "sweeper": {
            "count": meter.SWEEPS_PER_MONTH,
            "usd_per_month": sweeping["sweeper_usd_per_month"],
            "from": "one measured sweeper run x rate(1 minute) (bench.cost)",
        },
        "secrets_manager_reads": {
            "count": secret_reads,
            "usd_per_month": secret_reads * prices["secrets_manager_per_10k_api_calls"] / 1e4,
            "from": f"{len(readers)} (function, secret) pairs ({', '.join(readers)}), one warm container each, "
            f"each read again every {SECRET_TTL_SECONDS:g} s (oms.adapters.registry's cache)",
        },
        "sqs_idle_long_polls": {
            "count": sweeping["sqs_idle_long_polls_per_month"],
            "usd_per_month": sweeping["sqs_idle_long_polls_usd_per_month"],
            "from": f"{observed.measured.queues} event source mappings x {meter.ESM_POLLERS} pollers x 20 s polls",
        },
    }
    for line in lines.values():
        line["usd_per_month"] = round(float(line["usd_per_month"]), 4)
    total = round(sum(float(line["usd_per_month"]) for line in lines.values()), 2)
    return {"lines": lines, "usd_per_month": total}


# -- the result ---------------------------------------------------------------------------------------


def _grouped(units: dict[str, float], prefix: str, n: int = 1) -> dict[str, float]:
    return {k[len(prefix) :]: v / max(n, 1) for k, v in sorted(units.items()) if k.startswith(prefix)}


def _result(
    observed: Observed,
    tally: meter.Tally,
    prices: dict[str, Any],
    init_ms: dict[str, float],
    partner_latency_ms: float,
    webhook_latency_ms: float,
) -> dict[str, Any]:
    measured = observed.measured
    units = tally.of(meter.ORDER)
    n = len(measured.orders)
    per_order = meter._per_order(units, measured.phases, n, measured.own_traces, traced=1.0)
    invocations = _grouped(units, "lambda.invocations.", n)
    per = PerOrder(
        units=per_order,
        root_traces=per_order["api_requests"] - per_order["api_requests_http"],
        lambda_like_gb_s=units.get("lambda.like_gb_seconds", 0) / max(n, 1),
        invocations=invocations,
        memory_mb=observed.memory,
        init_s={fn: (RUNTIME_START_MS + ms) / 1000 for fn, ms in init_ms.items()},
    )
    sampling = measured.sampling
    volumes = [at_volume(per, v, prices, sampling) for v in VOLUMES]
    headline = at_volume(per, HEADLINE_VOLUME, prices, sampling)
    fixed = fixed_monthly(observed, tally, prices)
    fixed_usd = fixed["usd_per_month"]
    for row in volumes:
        row["all_in_usd_per_1000_orders"] = round(
            (row["usd_per_month"] + fixed_usd) / row["orders_per_month"] * 1000, 4
        )

    def usd_per_order(volume: float) -> float:
        return float(at_volume(per, volume, prices, sampling)["usd_per_1000_orders"]) / 1000

    even = break_even(fixed_usd, usd_per_order)
    calls = Counter(c.type for c in observed.calls)
    events = Counter(e.type for e in observed.events)
    shipments = sum(len(o["shipments"]) for o in measured.orders)
    lifecycles = {
        "measured": n,
        "delivered": sum(1 for o in measured.orders if o["status"] == "delivered"),
        "shipments_per_order": round(shipments / max(n, 1), 3),
        "seconds": round(measured.seconds, 2),
        "phases_by_machine": dict(measured.phases.by_machine),
        "phase_statuses": dict(measured.phases.statuses),
        "task_retries": measured.phases.retries,
        "settled_before": measured.settled_before,
        "settled_after": measured.settled_after,
        "dead_letters": measured.dead_letters,
    }
    realistic = {
        "orders": n,
        "volume_for_headline": HEADLINE_VOLUME,
        "usd_per_1000_orders": headline["usd_per_1000_orders"],
        "usd_per_1000_orders_lambda_like": headline["usd_per_1000_orders_lambda_like"],
        "volumes": volumes,
        "per_order": meter._rounded(per_order),
        "details_per_order": meter.details_per_order(units, measured.phases, n),
        "partner": {
            "latency_ms": partner_latency_ms,
            "requests_per_order": {k: round(v / max(n, 1), 3) for k, v in sorted(calls.items())},
            "all_signed": observed.unsigned == 0 and all(c.signed for c in observed.calls),
            "seconds_per_order": round(units.get(f"{EXTERNAL}.partner_seconds", 0) / max(n, 1), 3),
        },
        "storefront_webhook": {
            "latency_ms": webhook_latency_ms,
            "events_per_order": {k: round(v / max(n, 1), 3) for k, v in sorted(events.items())},
            "all_signed": all(e.signed for e in observed.events),
            "seconds_per_order": round(units.get(f"{EXTERNAL}.webhook_seconds", 0) / max(n, 1), 3),
        },
        "unsigned_requests": observed.unsigned,
        "api_requests_per_order": {k: round(v, 3) for k, v in _grouped(units, "api.requests.", n).items()},
        "lambda_invocations_per_order": {k: round(v, 3) for k, v in invocations.items()},
        "init": {
            "runtime_start_ms_assumed": RUNTIME_START_MS,
            "import_ms_measured": init_ms,
            "init_ms": {fn: round(RUNTIME_START_MS + ms, 1) for fn, ms in init_ms.items()},
            "cold_start_floor": COLD_START_FLOOR,
            "idle_lifetime_s_assumed": IDLE_LIFETIME_S,
        },
        "xray_model": {
            "reservoir_per_second": sampling.reservoir_per_second,
            "fixed_rate": sampling.fixed_rate,
            "traces_per_order_unsampled": round(per_order["xray_traces"], 3),
            "traces_per_order_if_propagated": round(per.root_traces, 3),
            "arrivals": "Poisson at the month's average rate, uniform traffic (an upper bound of the recorded share)",
        },
        "lifecycles": lifecycles,
        "fixed": fixed["lines"],
        "fixed_usd_per_month": fixed_usd,
        "break_even_orders_per_month": even,
        "break_even": {"orders_per_month": even, "orders_usd_per_month": round(even * usd_per_order(even), 2)},
        "prices": {
            "file": str(meter.PRICES_PATH),
            "as_of": prices.get("as_of"),
            "list_prices_not_in_file": {k: v for k, v in LIST_PRICES.items() if k not in prices},
        },
    }
    return {"realistic": realistic, "fixed_usd_per_month": fixed_usd, "notes": _notes(realistic)}


def _notes(realistic: dict[str, Any]) -> list[str]:
    partner = realistic["partner"]
    return [
        f"partners over the signed-HTTPS adapters (fraud+payment: payments, carrier, location: warehouse) to a "
        f"local server answering after {partner['latency_ms']:g} ms (plain http to 127.0.0.1, which the adapters "
        "allow for a loopback host only; a real partner's TLS handshake is taken as part of its latency); the "
        "wait is in the measured workflow duration (Lambda GB-s and Express duration) and, unscaled, in the "
        "Lambda-like figure",
        "the fraud adapter answers 'pending' and the OMS holds the order for review; the screen's approval is "
        "its signed fraud.decided webhook (1 webhook request and its worker, 1 more fulfil execution, 2 more "
        "order writes)",
        f"{STATUS_READS} storefront status reads (GET /v1/orders/{{id}}) per order are counted; the driver's own "
        "polling is not",
        "X-Ray: traces = REST API requests + workflow executions (unsampled), then the sampling rule's reservoir "
        "and fixed rate applied at each volume (model in xray_model); the workers follow their callers' decision "
        "(PassThrough) and no function starts traces of its own (xray_traces_own, counted in full if one did)",
        f"INIT: runtime start {RUNTIME_START_MS:g} ms (assumed) + the handler's import measured on this machine, "
        f"unscaled; cold-start share max({COLD_START_FLOOR:.0%}, exp(-rate x {IDLE_LIFETIME_S:g} s)) per function",
        "local limits as in bench.cost: one process, so per-container caches (config 30 s, secrets 300 s) are "
        "shared by every function (AWS reads a little more); DynamoDB storage, PITR, KMS requests and data "
        "transfer are not priced",
        "fixed costs at list prices where aws-prices.json has none (see prices.list_prices_not_in_file); KMS "
        "keys rotate yearly: +$1/month per key after each of the first two rotations",
    ]


def merge(result: dict[str, Any], path: Path = RESULTS) -> Path:
    """Put `realistic` and `fixed_usd_per_month` into results.json's cost section, keeping the rest of it."""
    realistic = {**result["realistic"], "notes": result["notes"]}
    figures = {
        **read_section(SECTION, path),
        "realistic": realistic,
        "fixed_usd_per_month": result["fixed_usd_per_month"],
    }
    return merge_results(SECTION, figures, path)


def report(result: dict[str, Any]) -> str:
    r = result["realistic"]
    partner, hook = r["partner"], r["storefront_webhook"]
    calls = ", ".join(f"{k} {v:g}" for k, v in partner["requests_per_order"].items())
    lines = [
        f"realistic cost: {r['orders']} lifecycles (3 lines -> delivered, {r['lifecycles']['shipments_per_order']:g} "
        f"shipment(s)), partners over signed HTTP at {partner['latency_ms']:g} ms, storefront webhook at "
        f"{hook['latency_ms']:g} ms, {STATUS_READS} status reads",
        f"  per order: partner requests {sum(partner['requests_per_order'].values()):g} ({calls}); webhook events "
        f"{sum(hook['events_per_order'].values()):g}; API requests {r['per_order']['api_requests']:g}; Lambda "
        f"invocations {r['per_order']['lambda_invocations']:g}; DynamoDB {r['per_order']['dynamodb_wru']:g} WRU "
        f"{r['per_order']['dynamodb_rru']:g} RRU; X-Ray traces {r['xray_model']['traces_per_order_unsampled']:g} "
        "before sampling",
        "",
        f"  {'orders/month':>12}  {'$/1,000':>8}  {'Lambda-like':>11}  {'traces joined':>13}  {'+fixed':>7}  "
        f"{'X-Ray kept':>10}  {'cold':>5}  {'$/month':>8}  top services ($/1,000)",
    ]
    for row in r["volumes"]:
        top = ", ".join(f"{k} {v:.4f}" for k, v in list(row["by_service"].items())[:4])
        lines.append(
            f"  {row['orders_per_month']:>12,}  {row['usd_per_1000_orders']:>8.4f}  "
            f"{row['usd_per_1000_orders_lambda_like']:>11.4f}  {row['usd_per_1000_orders_traces_propagated']:>13.4f}  "
            f"{row['all_in_usd_per_1000_orders']:>7.3f}  {row['xray_recorded_share']:>10.1%}  "
            f"{row['cold_start_share_overall']:>5.1%}  {row['usd_per_month']:>8.2f}  {top}"
        )
    lines.append(
        "  ($/1,000: measured durations; Lambda-like: moto's time replaced by AWS latencies, compute scaled to the "
        "memory's CPU share; traces joined: X-Ray if every hop joins its caller's trace; +fixed: with the fixed "
        "costs spread over the volume; X-Ray kept: share of traces the sampling rule records; cold: INIT share)"
    )
    lines += ["", f"  {'fixed monthly':<24} {'count':>7}  {'$/month':>8}  from"]
    for name, line in r["fixed"].items():
        source = line["from"] if len(line["from"]) <= 90 else line["from"][:87] + "..."
        lines.append(f"  {name:<24} {line['count']:>7,}  {line['usd_per_month']:>8.2f}  {source}")
    lines.append(f"  {'total':<24} {'':>7}  {r['fixed_usd_per_month']:>8.2f}")
    lines.append(
        f"  break-even: the fixed costs equal the orders' own cost at {r['break_even_orders_per_month']:,} "
        "orders a month"
    )
    return "\n".join(lines)
