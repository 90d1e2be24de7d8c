"""Cost meter: N full order lifecycles through the local stack, every billable unit counted, priced per order.

What is driven:

* One in-process `LocalStack` with its pollers and timers (`Options(sqs_retry_after=1,
  schedule_every=3600)`: partner webhooks travel through SQS to the partner_events worker; the sweeper
  does not tick by itself), seeded with `local.seed`, then given stock for every order of the run
  through the admin API, as an operator would.
* Two warm-up lifecycles (not counted): imports, the authorizer's cached grant, config caches.
* Then N lifecycles, one after another, of one 3-line cart (TSHIRT-RED-M, MUG-CLASSIC, SNEAKER-42, one
  each; the seeded Manila DC holds all three, so it is one shipment unless routing splits it), all
  through `stack.gateway.handle`: POST /v1/orders -> the order reaches "processing" (fulfil phase) ->
  per shipment a signed `shipment.packed` from partner "warehouse" -> "shipped" (ship phase) -> a signed
  `shipment.delivered` from partner "carrier" -> the order is "delivered". Every lifecycle must get
  there; a stuck one stops the run with the order as the OMS shows it.
* API requests counted are what a real integration makes: the checkout and the partner webhooks. The
  storefront's status polling (GET /v1/orders/{id}, which this driver needs to know when to send the
  next webhook) is metered apart, in `polling`, and left out of the per-order figures and prices.

How each unit is counted (only wrappers inside this module, installed for the run and removed after):

* API Gateway: calls of `stack.gateway.handle`; access-log bytes from the stage's AccessLogSetting
  format rendered per request.
* Lambda: `stack.registry.stats.record` (the runtime's own invocation count and duration per
  function) x each function's MemorySize from the template, billed per invocation rounded up to the ms.
  Local durations include moto and run on this machine: a "Lambda-like" estimate is reported beside
  (time inside moto on the function's thread replaced by typical AWS latencies per call; the rest
  scaled by the CPU share Lambda gives the memory size, 1769 MB = one vCPU).
* DynamoDB: `DynamoHandler.call_action` (on top of the runtime's serializing wrapper, under its lock):
  request units from item sizes by DynamoDB's rules, with the item before and after each write read
  from moto's backend; see `_dynamo_units`. Global secondary index writes are counted too.
* SQS: `SQSResponse.call_action` (every API call a request, batches one request, each 64 KB of payload
  a request; Lambda's on-failure records to a queue are SendMessage calls too) plus EventBridge's
  deliveries to SQS targets (`SQSBackend.send_message` outside any SQS API call). Receives that return
  nothing are reported apart: the local pollers poll every 50 ms,
  AWS's event source mapping long-polls at its own rate (a fixed monthly figure, in `fixed_monthly`).
* EventBridge: PutEvents entries (each 64 KB chunk one event). Secrets Manager: GetSecretValue calls.
* Step Functions: after the run, the execution histories of both state machines for the measured
  orders: Standard transitions = states entered (Map iterations included) + task retries; Express =
  executions and GB-seconds at the 64 MB minimum, duration start->stop billed per 100 ms.
* Logs: bytes the functions write (the "oms" Powertools logger's stream and stdout, where metrics go
  as EMF), Lambda's own START/END/REPORT lines at ~300 bytes per invocation unless the function's
  LoggingConfig filters system logs at WARN (the template's: then none), API access-log lines.
* Lambda's asynchronous invocations (EventBridge -> notifier, webhooks -> partner_events): each event
  accepted (`registry.invoke_async`, by its sender) and each attempt, retries included, as an invocation.
* X-Ray: the sampled entry points' traces, one per REST API request and per workflow execution (an
  upper bound: an execution started by a traced request joins its trace), times the fixed rate of the
  template's sampling rule (the traces recorded at volume); the functions behind them pass the decision
  on (EventBridge and the webhook's asynchronous invoke carry the trace header). An HTTP API traces
  nothing. A function with active tracing invoked by anything else (a queue, a stream, a schedule, an
  event, an HTTP API) starts traces of its own, sampled by Lambda's fixed rule that the stack's cannot
  lower: each such invocation counted as a recorded trace (`self_traced`; none in the template, whose
  other functions are PassThrough). The rule's reservoir (traces
  recorded each second before the rate applies) is a fixed monthly ceiling, in `fixed_monthly`.

Prices: ../shared/aws-prices.json, for both workflow types, per order and per 1,000 orders.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import logging
import math
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRICES_PATH = ROOT.parent / "shared" / "aws-prices.json"
SECTION = "cost"

ORDERS = 20
WARMUP_ORDERS = 2
TARGET_EXPRESS_USD_PER_1000 = 0.05  # the issue's goal, every charge counted
STOREFRONT = "sf-local"
LOCATION_PARTNER = "warehouse"
CARRIER_PARTNER = "carrier"
CART = (("TSHIRT-RED-M", 1, 59_900), ("MUG-CLASSIC", 1, 34_900), ("SNEAKER-42", 1, 399_000))
ADDRESS = {
    "name": "Ana Cruz",
    "line1": "1 Ayala Ave",
    "city": "Makati",
    "region": "Metro Manila",
    "postal_code": "1226",
    "country": "PH",
}

POLL_SECONDS = 0.1
STEP_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 60.0
SETTLE_QUIET_CHECKS = 3

LAMBDA_PLATFORM_LOG_BYTES = 300  # START, END and REPORT (with the X-Ray trace id) per invocation
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, a proportional share below
# Typical in-region latency of one call from Lambda (assumed, for the Lambda-like duration only).
AWS_CALL_LATENCY_S = {
    "dynamodb": 0.006,
    "sqs": 0.010,
    "states": 0.025,
    "events": 0.020,
    "secretsmanager": 0.015,
}
DEFAULT_CALL_LATENCY_S = 0.015
SWEEPS_PER_MONTH = 60 * 24 * 30  # rate(1 minute)
SECONDS_PER_MONTH = 3600 * 24 * 30
ESM_POLLERS = 5  # an SQS event source mapping starts with 5 long-polling connections
ESM_RECEIVES_PER_POLLER_PER_MONTH = 3 * 60 * 24 * 30  # 20 s long polls when idle
SQS_CHUNK = 64 * 1024
EVENT_CHUNK = 64 * 1024
GB = 1024**3

# Metering scopes: what a thread is doing while it runs product code.
ORDER = "order"  # the measured lifecycles (the default of every thread while metering)
POLLING = "polling"  # the storefront's status GETs
SWEEP = "sweep"  # one sweeper run, for the fixed monthly figure
INTERNAL = "internal"  # the benchmark's own bookkeeping calls: never counted


class PricesMissing(RuntimeError):
    pass


class LifecycleStuck(RuntimeError):
    pass


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    if not path.exists():
        raise PricesMissing(
            f"AWS price list not found at {path}: the cost benchmark reads ../shared/aws-prices.json "
            "(the team's shared folder beside the repository)"
        )
    prices: dict[str, Any] = json.loads(path.read_text())
    return prices


# -- the tally: units per scope ---------------------------------------------------------------------


class Tally:
    """Units per scope and name, from any thread; counts only while `active`."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.active = False
        self.units: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.samples: dict[str, list[str]] = defaultdict(list)  # a few examples per kind, for the notes

    def scope(self) -> str | None:
        if not self.active:
            return None
        scope: str = getattr(self.local, "scope", ORDER)
        return scope

    def counted(self) -> str | None:
        """The scope to count this thread's calls in, or None (not metering, or the bench's own call)."""
        scope = self.scope()
        return None if scope == INTERNAL else scope

    @contextlib.contextmanager
    def scoped(self, scope: str) -> Iterator[None]:
        saved = getattr(self.local, "scope", ORDER)
        self.local.scope = scope
        try:
            yield
        finally:
            self.local.scope = saved

    def add(self, scope: str, values: dict[str, float]) -> None:
        with self.lock:
            bucket = self.units[scope]
            for key, value in values.items():
                bucket[key] += value

    def sample(self, kind: str, text: str, keep: int = 3) -> None:
        with self.lock:
            if len(self.samples[kind]) < keep:  # the head says where, the tail of a traceback says what
                self.samples[kind].append(text if len(text) <= 600 else f"{text[:200]} ... {text[-400:]}")

    def of(self, scope: str) -> dict[str, float]:
        with self.lock:
            return dict(self.units.get(scope, {}))


@contextlib.contextmanager
def _patched(owner: Any, name: str, wrap: Callable[[Any], Any]) -> Iterator[None]:
    """Replace `owner.name` by `wrap(current)` for the block; put back exactly what was there."""
    had = name in vars(owner)
    before = vars(owner).get(name)
    wrapper = wrap(getattr(owner, name))
    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        if vars(owner).get(name) is wrapper:
            if had:
                setattr(owner, name, before)
            else:
                delattr(owner, name)


def _json(data: Any) -> dict[str, Any]:
    """A request or response body as a dict ({} when it is not JSON)."""
    if isinstance(data, dict):
        return data
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, str) and data:
        try:
            loaded = json.loads(data)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _request(handler: Any) -> dict[str, Any]:
    body = _json(getattr(handler, "body", None))
    return body or _json(getattr(handler, "params", None))


# -- DynamoDB item sizes and request units ----------------------------------------------------------


def _number_size(text: str) -> int:
    """~1 byte per two significant digits, plus 1 (leading and trailing zeros do not count)."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
    digits = mantissa.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def _binary_size(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value).encode())


def value_size(value: dict[str, Any]) -> int:
    """Size of one DynamoDB-JSON attribute value by DynamoDB's rules (name not included)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(str(n)) for n in data)
    if kind == "BS":
        return sum(_binary_size(b) for b in data)
    if kind == "M":  # 3 bytes per map, 1 per element, names and values
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in data.items())
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    return len(json.dumps(data).encode())


def item_size(item: dict[str, Any] | None) -> int:
    """Attribute name lengths (UTF-8) + value sizes; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _units(size: int, unit: int) -> int:
    """Request units for `size` bytes in `unit`-byte steps, at least 1 (a missing item costs one too)."""
    return max(1, math.ceil(size / unit))


@dataclass(frozen=True)
class Snapshot:
    """What a write needs of an item at one moment: its size, a fingerprint, its keys in each GSI."""

    size: int
    fingerprint: str
    index_keys: dict[str, tuple[str, ...] | None]
    index_sizes: dict[str, int]
    index_prints: dict[str, str] = field(default_factory=dict)  # what each index holds of the item


_ABSENT = Snapshot(0, "", {}, {})


def _print(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True, default=str).encode()).hexdigest()


def _snapshot(table: Any, item: dict[str, Any] | None) -> Snapshot:
    if not item:
        return Snapshot(0, "", {index.name: None for index in _gsis(table)}, {})
    keys: dict[str, tuple[str, ...] | None] = {}
    sizes: dict[str, int] = {}
    prints: dict[str, str] = {}
    table_keys = [k for k in (table.hash_key_attr, table.range_key_attr) if k]
    for index in _gsis(table):
        names = [k["AttributeName"] for k in index.schema]
        if all(name in item for name in names):
            keys[index.name] = tuple(json.dumps(item[name], sort_keys=True) for name in names)
            projected = _projected(index, item, table_keys + names)
            sizes[index.name], prints[index.name] = item_size(projected), _print(projected)
        else:
            keys[index.name] = None
    return Snapshot(item_size(item), _print(item), keys, sizes, prints)


def _gsis(table: Any) -> list[Any]:
    return list(getattr(table, "global_indexes", None) or [])


def _projected(index: Any, item: dict[str, Any], key_names: list[str]) -> dict[str, Any]:
    projection = (getattr(index, "projection", None) or {}).get("ProjectionType", "ALL")
    if projection == "ALL":
        return item
    keep = set(key_names)
    if projection == "INCLUDE":
        keep.update(index.projection.get("NonKeyAttributes", []))
    return {k: v for k, v in item.items() if k in keep}


def _table(backend: Any, name: str) -> Any:
    try:
        return backend.get_table(name)
    except Exception:  # an unknown table: moto answers the request with its error
        return None


def _lookup(backend: Any, table_name: str, key: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """(table, the item as DynamoDB JSON or None) straight from moto's backend."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = _table(backend, table_name)
    if table is None or table.hash_key_attr not in key:
        return table, None
    range_key = table.range_key_attr
    if range_key and range_key not in key:
        return table, None
    found = table.get_item(DynamoType(key[table.hash_key_attr]), DynamoType(key[range_key]) if range_key else None)
    if found is None:
        return table, None
    attributes: dict[str, Any] = found.to_json()["Attributes"]
    return table, attributes


def _key_of(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in (table.hash_key_attr, table.range_key_attr) if k and k in item}


@dataclass
class _Write:
    op: str  # put, update, delete, check
    table_name: str
    key: dict[str, Any]
    item: dict[str, Any] | None  # the item a put writes
    table: Any = None
    before: Snapshot = _ABSENT
    units: dict[str, float] = field(default_factory=dict)  # wru, gsi_wru, bytes, writes of this item


def _writes(action: str, request: dict[str, Any]) -> tuple[list[_Write], bool]:
    """The items a write request touches, and whether it is transactional."""
    if action == "PutItem":
        return [_Write("put", request["TableName"], {}, request.get("Item") or {})], False
    if action == "UpdateItem":
        return [_Write("update", request["TableName"], request.get("Key") or {}, None)], False
    if action == "DeleteItem":
        return [_Write("delete", request["TableName"], request.get("Key") or {}, None)], False
    if action == "BatchWriteItem":
        found = []
        for table_name, requests in (request.get("RequestItems") or {}).items():
            for entry in requests:
                if "PutRequest" in entry:
                    found.append(_Write("put", table_name, {}, entry["PutRequest"].get("Item") or {}))
                elif "DeleteRequest" in entry:
                    found.append(_Write("delete", table_name, entry["DeleteRequest"].get("Key") or {}, None))
        return found, False
    if action == "TransactWriteItems":
        ops = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}
        found = []
        for entry in request.get("TransactItems") or []:
            for kind, body in entry.items():
                if kind in ops:
                    found.append(_Write(ops[kind], body["TableName"], body.get("Key") or {}, body.get("Item")))
        return found, True
    return [], False


def _item_kind(table: str, key: dict[str, Any]) -> str:
    """ "orders:ORDER/ORDER", "orders:ORDER/EVENT", "inventory:*/LOC": the table and its key prefixes."""

    def prefix(value: dict[str, Any]) -> str:
        text = str(next(iter(value.values()), ""))
        if "#" in text:
            return text.split("#", 1)[0]
        return text if re.fullmatch(r"[A-Z_]{2,24}", text) else "*"

    return f"{table}:" + "/".join(prefix(v) for v in key.values())


def _index_write_units(table: Any, before: Snapshot, after: Snapshot) -> dict[str, int]:
    """GSI writes of one applied table write, by index: an item entering, leaving, changing or moving in it."""
    by_index: dict[str, int] = {}
    for index in _gsis(table):
        units = 0
        old, new = before.index_keys.get(index.name), after.index_keys.get(index.name)
        old_size, new_size = before.index_sizes.get(index.name, 0), after.index_sizes.get(index.name, 0)
        if old is None and new is None:
            continue
        if old is None:
            units += _units(new_size, 1024)
        elif new is None:
            units += _units(old_size, 1024)
        elif old != new:  # the item moves in the index: a delete and a put
            units += _units(old_size, 1024) + _units(new_size, 1024)
        elif before.index_prints.get(index.name) != after.index_prints.get(index.name):
            # Only a change of what the index holds (its projection) writes to it; an update of
            # attributes the index does not project costs the index nothing.
            units += _units(max(old_size, new_size), 1024)
        if units:
            by_index[index.name] = units
    return by_index


def _read_units(backend: Any, action: str, request: dict[str, Any], response: dict[str, Any]) -> tuple[float, int]:
    """(read request units, bytes read) of one read request."""
    if action == "GetItem":
        _, item = _lookup(backend, request["TableName"], request.get("Key") or {})
        size = item_size(item)
        return _units(size, 4096) * (1.0 if request.get("ConsistentRead") else 0.5), size
    if action == "BatchGetItem":  # every item on its own, rounded up per item
        units, total = 0.0, 0
        for table_name, spec in (request.get("RequestItems") or {}).items():
            factor = 1.0 if spec.get("ConsistentRead") else 0.5
            for key in spec.get("Keys") or []:
                size = item_size(_lookup(backend, table_name, key)[1])
                units += _units(size, 4096) * factor
                total += size
        return units, total
    if action == "TransactGetItems":
        units, total = 0.0, 0
        for entry in request.get("TransactItems") or []:
            get = entry.get("Get") or {}
            size = item_size(_lookup(backend, get.get("TableName", ""), get.get("Key") or {})[1])
            units += _units(size, 4096) * 2.0
            total += size
        return units, total
    if action in ("Query", "Scan"):  # the page read, summed, then rounded up per 4 KB
        table = _table(backend, request.get("TableName", ""))
        index_name = request.get("IndexName")
        index = next((i for i in _gsis(table) if i.name == index_name), None) if table is not None else None
        total = 0
        for returned in response.get("Items") or []:
            full = _lookup(backend, request["TableName"], _key_of(table, returned))[1] if table is not None else None
            if full is None:
                size = item_size(returned)
            elif index is not None:
                keys = [k for k in (table.hash_key_attr, table.range_key_attr) if k]
                size = item_size(_projected(index, full, keys + [k["AttributeName"] for k in index.schema]))
            else:
                size = item_size(full)
            total += size
        count, scanned = int(response.get("Count") or 0), int(response.get("ScannedCount") or 0)
        if count and scanned > count:  # filtered out, yet read: assume the same average size
            total = round(total * scanned / count)
        consistent = bool(request.get("ConsistentRead")) and index is None
        return _units(total, 4096) * (1.0 if consistent else 0.5), total
    return 0.0, 0


_READS = frozenset({"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"})
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def _dynamo_meter(
    tally: Tally, function_of: Callable[[], str], multiplier: float, tables: dict[str, str]
) -> Callable[[Any], Any]:
    from local.cloud import dynamo_meter

    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call_action(handler: Any) -> Any:
            scope = tally.counted()
            if scope is None:
                return original(handler)
            with dynamo_meter.lock:  # re-entrant: the runtime's wrapper takes it again inside
                action = str(handler._get_action())
                request = _request(handler)
                backend = handler.dynamodb_backend
                writes, transactional = _writes(action, request) if action in _WRITES else ([], False)
                try:
                    for write in writes:
                        write.table = _table(backend, write.table_name)
                        if write.table is not None:
                            if write.item is not None and not write.key:
                                write.key = _key_of(write.table, write.item)
                            write.before = _snapshot(write.table, _lookup(backend, write.table_name, write.key)[1])
                except Exception as error:
                    tally.sample("meter errors", f"DynamoDB {action} (before): {error!r}")
                response = original(handler)
                try:
                    values = _dynamo_values(backend, action, request, response, writes, transactional, multiplier)
                    for write in writes:
                        kind = _item_kind(tables.get(write.table_name, write.table_name), write.key)
                        for name, value in write.units.items():
                            slot = f"dynamodb.{name}_by_item.{kind}"
                            values[slot] = values.get(slot, 0.0) + value
                except Exception as error:
                    tally.sample("meter errors", f"DynamoDB {action}: {error!r}")
                    values = {}
            function = function_of()
            values[f"dynamodb.requests.{action}"] = 1
            values["dynamodb.requests"] = 1
            values[f"dynamodb.requests_by_function.{function}"] = 1
            if "dynamodb.wru" in values:
                values[f"dynamodb.wru_by_function.{function}"] = values["dynamodb.wru"]
            if "dynamodb.rru" in values:
                values[f"dynamodb.rru_by_function.{function}"] = values["dynamodb.rru"]
            tally.add(scope, values)
            return response

        return call_action

    return wrap


def _dynamo_values(
    backend: Any,
    action: str,
    request: dict[str, Any],
    response: Any,
    writes: list[_Write],
    transactional: bool,
    multiplier: float,
) -> dict[str, float]:
    """Request units of one DynamoDB request (see the module docstring and the notes for the rules)."""
    status = int(response[0]) if isinstance(response, tuple) else 200
    body = _json(response[2] if isinstance(response, tuple) and len(response) > 2 else None)
    values: dict[str, float] = {}
    if action in _READS:
        rru, size = _read_units(backend, action, request, body)
        values["dynamodb.rru"] = rru
        values["dynamodb.read_bytes"] = size
    if writes:
        applied = status < 300
        wru = 0.0
        gsi = 0.0
        for write in writes:
            table = write.table
            if table is None:
                continue
            if write.op == "put":
                after = _snapshot(table, write.item)
            elif write.op == "update" and applied:
                after = _snapshot(table, _lookup(backend, write.table_name, write.key)[1])
            elif write.op == "delete":
                after = _snapshot(table, None)
            else:  # a check, or an update that did not apply: sized by the item as it is
                after = write.before
            key_size = sum(len(k.encode()) + value_size(v) for k, v in write.key.items())
            size = max(write.before.size, after.size, key_size)
            units = _units(size, 1024) * (multiplier if transactional else 1.0)
            index_units = 0.0
            if applied and write.op != "check":
                for index, n in _index_write_units(table, write.before, after).items():
                    index_units += n
                    name = f"dynamodb.gsi_wru_by_index.{index}"
                    values[name] = values.get(name, 0.0) + n
            wru += units
            gsi += index_units
            write.units = {"wru": units + index_units, "gsi_wru": index_units, "bytes": size, "writes": 1}
            values["dynamodb.write_bytes"] = values.get("dynamodb.write_bytes", 0.0) + size
        values["dynamodb.wru"] = wru + gsi
        values["dynamodb.gsi_wru"] = gsi
        values["dynamodb.items_written"] = len(writes)
        if not applied:
            values["dynamodb.refused_writes"] = 1
    return values


# -- SQS, EventBridge, Secrets Manager --------------------------------------------------------------


def _message_bytes(message: dict[str, Any]) -> int:
    body = message.get("MessageBody", message.get("Body", ""))
    attributes = message.get("MessageAttributes") or {}
    return len(str(body).encode()) + len(json.dumps(attributes).encode()) if attributes else len(str(body).encode())


_SQS_COUNTED = frozenset(
    {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    }
)


def _sqs_meter(tally: Tally) -> Callable[[Any], Any]:
    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call_action(handler: Any) -> Any:
            scope = tally.counted()
            if scope is None:
                return original(handler)
            tally.local.in_sqs_api = True
            try:
                response = original(handler)
            finally:
                tally.local.in_sqs_api = False
            action = str(handler._get_action())
            request = _request(handler)
            values: dict[str, float] = {f"sqs.calls.{action}": 1}
            if action == "ReceiveMessage":
                messages = _json(response[2] if isinstance(response, tuple) else None).get("Messages") or []
                if not messages:
                    tally.add(scope, {"sqs.empty_receives": 1})
                    return response
                payload = sum(_message_bytes(m) for m in messages)
                values["sqs.requests"] = math.ceil(max(payload, 1) / SQS_CHUNK)
                values["sqs.messages_received"] = len(messages)
            elif action in ("SendMessage", "SendMessageBatch"):
                entries = request.get("Entries") or [request]
                payload = sum(_message_bytes(e) for e in entries)
                values["sqs.requests"] = math.ceil(max(payload, 1) / SQS_CHUNK)
                values["sqs.messages_sent"] = len(entries)
                values["sqs.payload_bytes"] = payload
            elif action in _SQS_COUNTED:
                values["sqs.requests"] = 1
            else:
                values["sqs.requests"] = 1  # any other call is a billable request too
            tally.add(scope, values)
            return response

        return call_action

    return wrap


def _sqs_delivery_meter(tally: Tally) -> Callable[[Any], Any]:
    """SQS sends no SQS API call made: EventBridge delivering a matched event to its queue target."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def send_message(self: Any, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
            scope = tally.counted()
            if scope is not None and not getattr(tally.local, "in_sqs_api", False):
                size = len(str(message_body).encode())
                tally.add(
                    scope,
                    {
                        "sqs.requests": math.ceil(max(size, 1) / SQS_CHUNK),
                        "sqs.calls.EventBridgeDelivery": 1,
                        "sqs.messages_sent": 1,
                        "sqs.payload_bytes": size,
                    },
                )
            return original(self, queue_name, message_body, *args, **kwargs)

        return send_message

    return wrap


def _events_meter(tally: Tally) -> Callable[[Any], Any]:
    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call_action(handler: Any) -> Any:
            scope = tally.counted()
            if scope is not None and str(handler._get_action()) == "PutEvents":
                entries = _request(handler).get("Entries") or []
                billable = sum(math.ceil(max(len(json.dumps(e).encode()), 1) / EVENT_CHUNK) for e in entries)
                tally.add(
                    scope,
                    {"eventbridge.put_calls": 1, "eventbridge.entries": len(entries), "eventbridge.events": billable},
                )
            return original(handler)

        return call_action

    return wrap


def _secrets_meter(tally: Tally) -> Callable[[Any], Any]:
    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call_action(handler: Any) -> Any:
            scope = tally.counted()
            if scope is not None:
                tally.add(scope, {f"secretsmanager.calls.{handler._get_action()}": 1, "secretsmanager.calls": 1})
            return original(handler)

        return call_action

    return wrap


# -- Lambda: invocations, durations, time inside moto -----------------------------------------------


def _stubber_timer(tally: Tally) -> Callable[[Any], Any]:
    """Time every mocked AWS call made inside a handler (per thread), by service, for the Lambda-like figure."""

    def wrap(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def process_request(self: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(self, request)
            finally:
                inside = getattr(tally.local, "moto", None)
                if inside is not None:
                    host = str(getattr(request, "url", "")).split("://", 1)[-1].split(".", 1)[0]
                    inside["seconds"] += time.perf_counter() - started
                    inside[f"calls.{host}"] += 1

        return process_request

    return wrap


def _handler_scope(tally: Tally) -> Callable[[Any], Any]:
    """Around each handler run: collect its moto time apart from any enclosing run's (nested invokes)."""

    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def handler_of(fn: Any) -> Callable[[Any, Any], Any]:
            real = original(fn)

            def run(event: Any, context: Any) -> Any:
                saved = getattr(tally.local, "moto", None)
                tally.local.moto = defaultdict(float)
                try:
                    return real(event, context)
                finally:
                    tally.local.last_moto = tally.local.moto
                    tally.local.moto = saved

            return run

        return handler_of

    return wrap


def lambda_like_seconds(seconds: float, moto: dict[str, float], memory_mb: int) -> float:
    """A duration as Lambda might bill it: local compute scaled to the memory's CPU share, AWS latencies.

    `moto["external_seconds"]` (time waiting on a server outside AWS: a partner, a storefront's webhook,
    recorded by bench.cost_realistic) is a wait, not compute: billed as measured, never scaled.
    """
    external = moto.get("external_seconds", 0.0)
    compute = max(0.0, seconds - moto.get("seconds", 0.0) - external) * max(1.0, FULL_VCPU_MB / memory_mb)
    waits = sum(
        count * AWS_CALL_LATENCY_S.get(key.removeprefix("calls."), DEFAULT_CALL_LATENCY_S)
        for key, count in moto.items()
        if key.startswith("calls.")
    )
    return compute + waits + external


def platform_log_bytes(stack: Any) -> dict[str, int]:
    """Bytes of Lambda's own log lines per invocation, by physical function name: START, END and REPORT
    unless the function's LoggingConfig filters system logs at WARN (then only failures, not metered)."""
    found = {}
    for logical_id, props in stack.assembly.of_type("AWS::Lambda::Function"):
        level = (props.get("LoggingConfig") or {}).get("SystemLogLevel", "INFO")
        found[stack.assembly.physical(logical_id).ref] = 0 if level == "WARN" else LAMBDA_PLATFORM_LOG_BYTES
    return found


def _async_meter(tally: Tally, short: dict[str, str]) -> Callable[[Any], Any]:
    """Events handed to Lambda's asynchronous invocation, by function and by sender ("events", "lambda")."""

    def wrap(original: Callable[..., None]) -> Callable[..., None]:
        def invoke_async(key: str, event: Any, source: str = "lambda") -> None:
            scope = tally.counted()
            if scope is not None:
                fn = short.get(key.rsplit(":function:", 1)[-1].split(":", 1)[0], key)
                tally.add(scope, {f"lambda.async_events.{fn}": 1, f"lambda.async_events_from.{source}": 1})
            original(key, event, source)

        return invoke_async

    return wrap


def _lambda_meter(
    tally: Tally, memory: dict[str, int], short: dict[str, str], platform: dict[str, int]
) -> Callable[[Any], Any]:
    from local.lambdas import async_source

    def wrap(original: Callable[[str, float, bool], None]) -> Callable[[str, float, bool], None]:
        def record(name: str, seconds: float, failed: bool) -> None:
            original(name, seconds, failed)
            moto: dict[str, float] = getattr(tally.local, "last_moto", None) or {}
            tally.local.last_moto = None
            scope = tally.counted()
            if scope is None:
                return
            fn = short.get(name, name)
            mb = memory.get(name, 128)
            billed_ms = math.ceil(seconds * 1000)
            like = lambda_like_seconds(seconds, moto, mb)
            values = {
                "lambda.invocations": 1,
                f"lambda.invocations.{fn}": 1,
                f"lambda.seconds.{fn}": seconds,
                "lambda.gb_seconds": mb / 1024 * billed_ms / 1000,
                f"lambda.gb_seconds.{fn}": mb / 1024 * billed_ms / 1000,
                f"lambda.moto_seconds.{fn}": moto.get("seconds", 0.0),
                "lambda.like_gb_seconds": mb / 1024 * math.ceil(like * 1000) / 1000,
                f"lambda.like_gb_seconds.{fn}": mb / 1024 * math.ceil(like * 1000) / 1000,
                "logs.platform_bytes": platform.get(name, LAMBDA_PLATFORM_LOG_BYTES),
            }
            if failed:
                values[f"lambda.errors.{fn}"] = 1
            if async_source() is not None:  # an attempt of an asynchronous event (the first or a retry)
                values[f"lambda.async_attempts.{fn}"] = 1
            tally.add(scope, values)

        return record

    return wrap


# -- API Gateway and logs ---------------------------------------------------------------------------

_CONTEXT_VAR = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


def _resource_of(path: str) -> str:
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) == 4 and parts[1:3] == ["v1", "webhooks"]:
        return "/v1/webhooks/{partner_id}"
    if len(parts) >= 4 and parts[1:3] == ["v1", "orders"]:
        return "/".join(["/v1/orders/{order_id}", *parts[4:]])
    if len(parts) >= 5 and parts[1:4] == ["v1", "admin", "orders"]:  # an operator's review or cancel
        return "/".join(["/v1/admin/orders/{order_id}", *parts[5:]])
    return "/".join(parts) or "/"


def access_log_line(template: str, method: str, path: str, status: int, latency_ms: float, authorized: bool) -> str:
    """The stage's access-log format rendered for one request (API Gateway writes "-" for a missing value)."""
    values = {
        "requestId": str(uuid.uuid4()),
        "identity.sourceIp": "203.0.113.10",
        "httpMethod": method,
        "resourcePath": _resource_of(path),
        "status": str(status),
        "responseLatency": str(max(1, round(latency_ms))),
        "authorizer.key_id": "0123456789abcdef" if authorized else "-",
        "authorizer.storefront_id": STOREFRONT if authorized else "-",
        "routeKey": f"{method} {_resource_of(path)}",  # an HTTP API's
        "path": path,
    }
    return _CONTEXT_VAR.sub(lambda m: values.get(m.group(1), "-"), template)


def _gateway_meter(tally: Tally, access_format: str | None, stack: Any = None) -> Callable[[Any], Any]:
    """Every request, and apart those an HTTP API of the template answered (`api.http_requests`, its own price);
    access-log bytes rendered with the format of the stage that answered."""
    http_format = _http_access_format(stack) if stack is not None else None

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def handle(method: str, target: str, headers: list[tuple[str, str]], body: bytes, *args: Any) -> Any:
            started = time.perf_counter()
            response = original(method, target, headers, body, *args)
            scope = tally.counted()
            if scope is not None:
                values: dict[str, float] = {"api.requests": 1, f"api.requests.{method} {_resource_of(target)}": 1}
                http = stack is not None and stack.gateway.http_api_for(method, target) is not None
                if http:
                    values["api.http_requests"] = 1
                log_format = http_format if http else access_format
                if log_format:
                    authorized = any(k.lower() == "authorization" for k, _ in headers)
                    line = access_log_line(
                        log_format,
                        method,
                        target,
                        int(response[0]),
                        (time.perf_counter() - started) * 1000,
                        authorized,
                    )
                    values["logs.api_access_bytes"] = len(line.encode()) + 1
                tally.add(scope, values)
            return response

        return handle

    return wrap


class _LogSink(io.TextIOBase):
    """Where the functions' log lines and stdout go for the run: counted (bytes), never printed."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        scope = self.tally.counted()
        if scope is not None and text and not getattr(self.tally.local, "runtime_log", False):
            self.tally.add(scope, {"logs.function_bytes": len(text.encode())})
        return len(text)


def _emit_meter(tally: Tally) -> Callable[[Any], Any]:
    """The runtime's own loggers ("oms.local.*") propagate to the functions' handler: kept out of the bytes."""

    def wrap(original: Callable[[logging.LogRecord], None]) -> Callable[[logging.LogRecord], None]:
        def emit(record: logging.LogRecord) -> None:
            runtime = record.name.startswith("oms.local")
            scope = tally.counted()
            if record.levelno >= logging.WARNING:  # kept for the notes and for a stuck lifecycle's error
                kind = "runtime log" if runtime else "function log"
                tally.sample(f"{kind} {record.levelname}", record.getMessage())
            if scope is not None and record.levelno >= logging.WARNING:
                tally.add(scope, {f"logs.level.{'runtime' if runtime else 'function'}_{record.levelname.lower()}": 1})
            tally.local.runtime_log = runtime
            try:
                original(record)
            finally:
                tally.local.runtime_log = False

        return emit

    return wrap


@contextlib.contextmanager
def _function_output(tally: Tally) -> Iterator[None]:
    """The "oms" logger's stream handlers and sys.stdout/stderr write to the counting sink for the block."""
    import oms.observability  # noqa: F401 - the "oms" Powertools logger and its stream handler exist now

    sink = _LogSink(tally)
    handlers = [h for h in logging.getLogger("oms").handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.stream for h in handlers]
    with contextlib.ExitStack() as stack:
        for handler in handlers:
            handler.setStream(sink)
            stack.enter_context(_patched(handler, "emit", _emit_meter(tally)))
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()) as errors:
                yield
        finally:
            for handler, stream in zip(handlers, streams, strict=True):
                handler.setStream(stream)
            for line in errors.getvalue().splitlines()[:3]:
                tally.sample("stderr", line)


@contextlib.contextmanager
def metering(stack: Any, tally: Tally) -> Iterator[None]:
    """Every wrapper of the run, installed on what is there now (the runtime's patches included)."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.secretsmanager.responses import SecretsManagerResponse
    from moto.sqs.models import SQSBackend
    from moto.sqs.responses import SQSResponse

    prices = load_prices()
    functions = stack.registry.functions
    memory = {fn.name: fn.memory_mb for fn in functions}
    short = function_names(stack)

    def function_of() -> str:
        import os

        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        return short.get(name, name or "(none)")

    multiplier = float(prices.get("dynamodb_transactional_write_units_per_item_kb", 2))
    tables = _from_environments(stack, "_TABLE")
    with contextlib.ExitStack() as patches:
        patches.enter_context(_function_output(tally))
        patches.enter_context(
            _patched(DynamoHandler, "call_action", _dynamo_meter(tally, function_of, multiplier, tables))
        )
        patches.enter_context(_patched(SQSResponse, "call_action", _sqs_meter(tally)))
        patches.enter_context(_patched(SQSBackend, "send_message", _sqs_delivery_meter(tally)))
        patches.enter_context(_patched(EventsHandler, "call_action", _events_meter(tally)))
        patches.enter_context(_patched(SecretsManagerResponse, "call_action", _secrets_meter(tally)))
        patches.enter_context(_patched(BotocoreStubber, "process_request", _stubber_timer(tally)))
        patches.enter_context(_patched(stack.registry, "_handler", _handler_scope(tally)))
        patches.enter_context(_patched(stack.registry, "invoke_async", _async_meter(tally, short)))
        lambda_meter = _lambda_meter(tally, memory, short, platform_log_bytes(stack))
        patches.enter_context(_patched(stack.registry.stats, "record", lambda_meter))
        patches.enter_context(_patched(stack.gateway, "handle", _gateway_meter(tally, _access_format(stack), stack)))
        yield


def function_names(stack: Any) -> dict[str, str]:
    """Physical function name -> the folder name of its handler (api, workflow, ...)."""
    names: dict[str, str] = {}
    for fn in stack.registry.functions:
        parts = str(fn.handler).split(".")
        names[str(fn.name)] = parts[1] if len(parts) >= 3 else str(fn.name)
    return names


def _http_access_format(stack: Any) -> str | None:
    """The access-log format of the template's HTTP API stage (partner webhooks), if it logs."""
    for _, props in stack.assembly.of_type("AWS::ApiGatewayV2::Stage"):
        setting = props.get("AccessLogSettings") or {}
        if isinstance(setting.get("Format"), str):
            return str(setting["Format"])
    return None


def _access_format(stack: Any) -> str | None:
    for _, props in stack.assembly.of_type("AWS::ApiGateway::Stage"):
        setting = props.get("AccessLogSetting") or {}
        if isinstance(setting.get("Format"), str):
            return str(setting["Format"])
    return None


# -- driving the lifecycles -------------------------------------------------------------------------


@dataclass
class Driver:
    stack: Any
    tally: Tally
    storefront_key: str
    admin_key: str
    partner_secret: str
    orders: list[dict[str, Any]] = field(default_factory=list)

    def call(
        self, method: str, path: str, body: bytes, headers: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any] | None]:
        status, _, reply = self.stack.gateway.handle(method, path, headers, body)
        try:
            data = json.loads(reply) if reply else None
        except ValueError:
            data = None
        return int(status), data if isinstance(data, dict) else None

    def storefront(
        self, method: str, path: str, body: Any = None, extra: list[tuple[str, str]] | None = None
    ) -> tuple[int, dict[str, Any] | None]:
        headers = [("Authorization", f"Bearer {self.storefront_key}"), ("Content-Type", "application/json")]
        raw = json.dumps(body).encode() if body is not None else b""
        return self.call(method, path, raw, headers + (extra or []))

    def admin(self, method: str, path: str, body: Any) -> None:
        headers = [("Authorization", f"Bearer {self.admin_key}"), ("Content-Type", "application/json")]
        status, reply = self.call(method, path, json.dumps(body).encode(), headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path} answered {status}: {json.dumps(reply)[:300]}")

    def checkout(self, number: int, label: str) -> dict[str, Any]:
        body = {
            "customer": {"id": f"cost-{label}-{number:04d}", "email": f"cost{number:04d}@example.com", "type": "b2c"},
            "currency": "PHP",
            "lines": [{"sku": sku, "quantity": qty, "unit_price": price} for sku, qty, price in CART],
            "shipping_address": ADDRESS,
            "service_level": "standard",
            "payment": {"method": "card", "token": "tok_visa"},
        }
        key = [("Idempotency-Key", f"cost-{label}-{number:04d}-{uuid.uuid4().hex[:8]}")]
        status, order = self.storefront("POST", "/v1/orders", body, key)
        if status != 201 or order is None:
            raise LifecycleStuck(f"checkout {label} {number} answered {status}: {json.dumps(order)[:1000]}")
        return order

    def webhook(self, partner: str, kind: str, data: dict[str, Any]) -> None:
        from oms.signing import SIGNATURE_HEADER, sign

        occurred = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {"id": f"evt_cost_{uuid.uuid4().hex}", "type": kind, "occurred_at": occurred, "data": data}
        body = json.dumps(event).encode()
        headers = [
            ("Content-Type", "application/json"),
            (SIGNATURE_HEADER, sign(body, self.partner_secret, int(time.time()))),
        ]
        status, reply = self.call("POST", f"/v1/webhooks/{partner}", body, headers)
        if status != 202:
            raise LifecycleStuck(f"{kind} for {json.dumps(data)} answered {status}: {json.dumps(reply)[:500]}")

    def wait(self, order_id: str, what: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll the order as a storefront would (metered as polling) until `done`."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            with self.tally.scoped(POLLING):
                status, order = self.storefront("GET", f"/v1/orders/{order_id}")
            if status == 200 and order is not None:
                if done(order):
                    return order
                trouble = _trouble(order)
                if trouble:
                    raise LifecycleStuck(f"order {order_id} cannot reach {what}: {trouble}: {json.dumps(order)[:3000]}")
            if time.monotonic() > deadline:
                logged = "; ".join(f"{k}: {' | '.join(v)}" for k, v in sorted(self.tally.samples.items()))
                raise LifecycleStuck(
                    f"order {order_id} did not reach {what} within {STEP_TIMEOUT_S:g} s "
                    f"(warnings and errors logged so far: {logged or 'none'}): {json.dumps(order)[:3000]}"
                )
            time.sleep(POLL_SECONDS)

    def lifecycle(self, number: int, label: str) -> dict[str, Any]:
        """Checkout -> processing -> per shipment packed -> shipped, delivered -> the order delivered."""
        placed = self.checkout(number, label)
        order_id = placed["order_id"]
        order = self.wait(order_id, '"processing"', lambda o: o["status"] == "processing")
        for shipment in order["shipments"]:
            sid = shipment["shipment_id"]
            ref = {"order_id": order_id, "shipment_id": sid, "location_id": shipment["location_id"]}
            self.webhook(LOCATION_PARTNER, "shipment.packed", ref)
            self.wait(order_id, f"shipment {sid} shipped", _shipment_in(sid, "shipped"))
            self.webhook(CARRIER_PARTNER, "shipment.delivered", {"order_id": order_id, "shipment_id": sid})
            self.wait(order_id, f"shipment {sid} delivered", _shipment_in(sid, "delivered"))
        final = self.wait(order_id, '"delivered"', lambda o: o["status"] == "delivered")
        self.orders.append(final)
        return final


def _shipment(order: dict[str, Any], shipment_id: str) -> dict[str, Any]:
    for shipment in order["shipments"]:
        if shipment["shipment_id"] == shipment_id:
            return dict(shipment)
    raise LifecycleStuck(f"order {order['order_id']} has no shipment {shipment_id}")


def _shipment_in(shipment_id: str, status: str) -> Callable[[dict[str, Any]], bool]:
    return lambda order: _shipment(order, shipment_id)["status"] == status


def _trouble(order: dict[str, Any]) -> str | None:
    if order["status"] in ("cancelled", "rejected", "on_hold"):
        return f"it is {order['status']} ({order.get('reason')})"
    issues = [f"shipment {s['shipment_id']}: {s['issue']}" for s in order["shipments"] if s.get("issue")]
    return "; ".join(issues) or None


def _add_stock(driver: Driver, units: int) -> None:
    """Every seeded (location, sku) of the cart's skus gets its seeded units plus the run's whole demand,
    so routing sees the seeded picture with more depth."""
    from local import seed

    skus = {sku for sku, _, _ in CART}
    for (location_id, sku), on_hand in seed.STOCK.items():
        if sku in skus:
            driver.admin("PUT", f"/v1/admin/inventory/{location_id}/{sku}", {"on_hand": on_hand + units})


def _settle(stack: Any, timeout: float = SETTLE_TIMEOUT_S) -> bool:
    """Wait until no phase runs, no asynchronous invocation is in flight (nor waiting to be retried) and the
    polled queues are empty (visible and in flight), a few checks running."""
    import boto3

    region = stack.assembly.region
    sfn = boto3.client("stepfunctions", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    machines = _state_machines(stack)
    queues = [p.mapping.queue_url for p in stack.pollers]
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        busy = stack.registry.in_flight > 0 or any(
            sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]
            for arn in machines.values()
        )
        for url in queues:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            busy = busy or any(int(v) for v in attributes.values())
        quiet = 0 if busy else quiet + 1
        if quiet >= SETTLE_QUIET_CHECKS:
            return True
        time.sleep(0.1)
    return False


def _from_environments(stack: Any, suffix: str) -> dict[str, str]:
    """OMS_<NAME><suffix> values of every function's environment: {value: name in lower case}."""
    found: dict[str, str] = {}
    for fn in stack.registry.functions:
        for key, value in stack.registry.environment(fn).items():
            if key.startswith("OMS_") and key.endswith(suffix):
                found[str(value)] = key.removeprefix("OMS_").removesuffix(suffix).lower()
    return found


def _state_machines(stack: Any) -> dict[str, str]:
    """Name (fulfil, ship) -> ARN of every state machine a function is given."""
    return {name: arn for arn, name in _from_environments(stack, "_STATE_MACHINE_ARN").items()}


def _dead_letters(stack: Any) -> int:
    import boto3

    sqs = boto3.client("sqs", region_name=stack.assembly.region)
    total = 0
    for url in sqs.list_queues().get("QueueUrls", []):
        if "dlq" in url.rsplit("/", 1)[-1].lower():
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            total += int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    return total


# -- Step Functions from the execution histories ----------------------------------------------------


@dataclass
class Phases:
    executions: int = 0
    transitions: int = 0
    express_billed_ms: int = 0
    duration_ms: float = 0.0
    by_machine: Counter[str] = field(default_factory=Counter)
    transitions_by_machine: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0


def phases_of(stack: Any, order_ids: set[str]) -> Phases:
    """Executions of both state machines that belong to `order_ids` (their names start with the order id)."""
    import boto3

    sfn = boto3.client("stepfunctions", region_name=stack.assembly.region)
    phases = Phases()
    for machine, arn in _state_machines(stack).items():
        for execution in _pages(sfn.list_executions, "executions", stateMachineArn=arn, maxResults=100):
            if execution["name"].split("-", 1)[0] not in order_ids:
                continue
            events = _pages(sfn.get_execution_history, "events", executionArn=execution["executionArn"])
            entered = sum(1 for e in events if str(e["type"]).endswith("StateEntered"))
            scheduled = sum(1 for e in events if e["type"] == "LambdaFunctionScheduled")
            tasks = sum(1 for e in events if e["type"] == "TaskStateEntered")
            retries = max(0, scheduled - tasks)
            started, stopped = execution["startDate"], execution.get("stopDate") or execution["startDate"]
            duration_ms = (stopped - started).total_seconds() * 1000
            phases.executions += 1
            phases.transitions += entered + retries
            phases.retries += retries
            phases.duration_ms += duration_ms
            phases.express_billed_ms += max(100, math.ceil(duration_ms / 100) * 100)
            phases.by_machine[machine] += 1
            phases.transitions_by_machine[machine] += entered + retries
            phases.statuses[str(execution["status"])] += 1
    return phases


def _pages(call: Callable[..., Any], key: str, **args: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list call (nextToken), in order."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = call(**args, **({"nextToken": token} if token else {}))
        found += page[key]
        token = page.get("nextToken")
        if not token:
            return found


# -- pricing ----------------------------------------------------------------------------------------


def price(per_order: dict[str, float], prices: dict[str, Any], workflow: str, lambda_gb_s: float) -> dict[str, float]:
    """USD per order by service for one workflow type."""
    p = prices
    if workflow == "express":
        sfn = (
            per_order["sfn_executions"] * p["step_functions_express_per_million_requests"] / 1e6
            + per_order["sfn_express_gb_seconds"] * p["step_functions_express_per_gb_second"]
        )
    else:
        sfn = per_order["sfn_transitions"] * p["step_functions_standard_per_thousand_transitions"] / 1e3
    return {
        # HTTP API requests (partner webhooks) at the HTTP API's price, the rest at the REST API's.
        "api_gateway": (per_order["api_requests"] - per_order.get("api_requests_http", 0))
        * p["api_gateway_rest_per_million_requests"]
        / 1e6
        + per_order.get("api_requests_http", 0) * p["api_gateway_http_per_million_requests"] / 1e6,
        "lambda": per_order["lambda_invocations"] * p["lambda_per_million_requests"] / 1e6
        + lambda_gb_s * p["lambda_per_gb_second_arm64"],
        "step_functions": sfn,
        "dynamodb": per_order["dynamodb_wru"] * p["dynamodb_on_demand_per_million_write_request_units"] / 1e6
        + per_order["dynamodb_rru"] * p["dynamodb_on_demand_per_million_read_request_units"] / 1e6,
        "sqs": per_order["sqs_requests"] * p["sqs_standard_per_million_requests"] / 1e6,
        "eventbridge": per_order["eventbridge_events"] * p["eventbridge_custom_events_per_million"] / 1e6,
        "cloudwatch_logs": per_order["log_bytes"] / GB * p["cloudwatch_logs_ingestion_per_gb"],
        "xray": per_order["xray_traces"] * p["xray_traces_recorded_per_million"] / 1e6,
        "secrets_manager": per_order["secrets_manager_calls"] * p["secrets_manager_per_10k_api_calls"] / 1e4,
    }


def _priced(by_service: dict[str, float]) -> dict[str, Any]:
    total = sum(by_service.values())
    ordered = sorted(by_service.items(), key=lambda kv: -kv[1])
    return {
        "usd_per_1000_orders": round(total * 1000, 6),
        "usd_per_order": round(total, 9),
        "by_service": {k: round(v * 1000, 6) for k, v in ordered},  # USD per 1,000 orders
        "by_service_usd_per_order": {k: round(v, 9) for k, v in ordered},
        "share": {k: round(v / total, 3) if total else 0.0 for k, v in ordered},
    }


def _dominant(priced: dict[str, Any]) -> str:
    share = priced["share"]
    top = list(share.items())[:3]
    return ", ".join(f"{name} {fraction:.0%}" for name, fraction in top)


def _fixed_monthly(
    sweep: dict[str, float],
    prices: dict[str, Any],
    queues: int,
    sampling: Sampling | None = None,
    sweeper_traced: bool = True,
) -> dict[str, Any]:
    """Costs that do not grow with orders: the sweeper every minute (a trace each run if it starts its own),
    idle SQS long polls of each mapping, the X-Ray reservoir (at most its traces every second of the month,
    reached only with steady traffic)."""
    per_sweep = (
        sweep.get("lambda.invocations", 0) * prices["lambda_per_million_requests"] / 1e6
        + sweep.get("lambda.gb_seconds", 0) * prices["lambda_per_gb_second_arm64"]
        + sweep.get("dynamodb.rru", 0) * prices["dynamodb_on_demand_per_million_read_request_units"] / 1e6
        + sweep.get("dynamodb.wru", 0) * prices["dynamodb_on_demand_per_million_write_request_units"] / 1e6
        + (sweep.get("logs.function_bytes", 0) + sweep.get("logs.platform_bytes", 0))
        / GB
        * prices["cloudwatch_logs_ingestion_per_gb"]
        + sweep.get("lambda.invocations", 0) * sweeper_traced * prices["xray_traces_recorded_per_million"] / 1e6
    )
    receives = queues * ESM_POLLERS * ESM_RECEIVES_PER_POLLER_PER_MONTH
    return {
        "sweeper_usd_per_month": round(per_sweep * SWEEPS_PER_MONTH, 4),
        "sweeper_per_run": {
            "lambda_gb_seconds": round(sweep.get("lambda.gb_seconds", 0), 4),
            "dynamodb_rru": sweep.get("dynamodb.rru", 0),
            "dynamodb_requests": sweep.get("dynamodb.requests", 0),
        },
        "sqs_idle_long_polls_per_month": receives,
        "sqs_idle_long_polls_usd_per_month": round(receives * prices["sqs_standard_per_million_requests"] / 1e6, 4),
        "xray_reservoir_usd_per_month_at_most": round(
            (sampling.reservoir_per_second if sampling else 0)
            * SECONDS_PER_MONTH
            * prices["xray_traces_recorded_per_million"]
            / 1e6,
            2,
        ),
    }


# -- the run ----------------------------------------------------------------------------------------


def self_traced(stack: Any) -> set[str]:
    """Functions that start traces of their own: active tracing, and invoked by neither the REST API nor a
    state machine (which sample with the stack's rule and pass their decision on). Lambda samples those
    by its fixed rule, the first request each second and 5% more, which a sampling rule cannot lower:
    at a merchant's volume nearly every invocation. Functions in PassThrough follow their caller."""
    deciders = [
        json.dumps(props)
        for kind in ("AWS::ApiGateway::Method", "AWS::ApiGateway::Authorizer", "AWS::StepFunctions::StateMachine")
        for _, props in stack.assembly.of_type(kind)
    ]
    short = function_names(stack)
    found = set()
    for logical_id, props in stack.assembly.of_type("AWS::Lambda::Function"):
        if (props.get("TracingConfig") or {}).get("Mode") != "Active":
            continue
        name = stack.assembly.physical(logical_id).ref  # the resolved template names it in its ARNs
        if not any(f":function:{name}" in text for text in deciders):
            found.add(short.get(name, logical_id))
    return found


def _per_order(
    units: dict[str, float], phases: Phases, orders: int, own_traces: set[str], traced: float = 1.0
) -> dict[str, float]:
    """`own_traces`: functions that start their own traces (`self_traced`); `traced`: the share of the
    sampled entry points' traces recorded (the rule's fixed rate; 1.0 to apply a volume's share later)."""
    n = max(orders, 1)
    invocations = units.get("lambda.invocations", 0)
    # Trace roots the stack's rule samples: the REST API's requests (an HTTP API traces nothing) and the
    # state machines' executions (an upper bound: an execution started by a traced request joins its trace).
    sampled_roots = units.get("api.requests", 0) - units.get("api.http_requests", 0) + phases.executions
    own = sum(units.get(f"lambda.invocations.{fn}", 0) for fn in own_traces)
    log_bytes = (
        units.get("logs.function_bytes", 0)
        + units.get("logs.api_access_bytes", 0)
        + units.get("logs.platform_bytes", 0)
    )
    return {
        "api_requests": units.get("api.requests", 0) / n,  # every request, both APIs
        "api_requests_http": units.get("api.http_requests", 0) / n,  # of which an HTTP API's
        "lambda_invocations": invocations / n,
        "lambda_gb_seconds": units.get("lambda.gb_seconds", 0) / n,
        "sfn_transitions": phases.transitions / n,
        "sfn_executions": phases.executions / n,
        "sfn_express_gb_seconds": phases.express_billed_ms / 1000 * 64 / 1024 / n,
        "dynamodb_wru": units.get("dynamodb.wru", 0) / n,
        "dynamodb_rru": units.get("dynamodb.rru", 0) / n,
        "dynamodb_requests": units.get("dynamodb.requests", 0) / n,
        "sqs_requests": units.get("sqs.requests", 0) / n,
        "eventbridge_events": units.get("eventbridge.events", 0) / n,
        "log_bytes": log_bytes / n,
        "xray_traces": (sampled_roots * traced + own) / n,
        "xray_traces_own": own / n,  # of which started by functions themselves, recorded in full
        "secrets_manager_calls": units.get("secretsmanager.calls", 0) / n,
    }


def _grouped(units: dict[str, float], prefix: str, n: int, digits: int = 3) -> dict[str, float]:
    return {
        key[len(prefix) :]: round(value / max(n, 1), digits)
        for key, value in sorted(units.items())
        if key.startswith(prefix) and key[len(prefix) :]
    }


def _by_item(units: dict[str, float], n: int) -> dict[str, dict[str, float]]:
    """Per item kind: writes, WRU (GSI included), GSI WRU and the average size written, per order."""
    kinds = sorted({key.split("_by_item.", 1)[1] for key in units if "_by_item." in key})
    table = {}
    for kind in kinds:
        writes = units.get(f"dynamodb.writes_by_item.{kind}", 0)
        table[kind] = {
            "writes": round(writes / max(n, 1), 3),
            "wru": round(units.get(f"dynamodb.wru_by_item.{kind}", 0) / max(n, 1), 3),
            "gsi_wru": round(units.get(f"dynamodb.gsi_wru_by_item.{kind}", 0) / max(n, 1), 3),
            "avg_bytes": round(units.get(f"dynamodb.bytes_by_item.{kind}", 0) / writes) if writes else 0,
        }
    return dict(sorted(table.items(), key=lambda kv: -kv[1]["wru"]))


def _rounded(values: dict[str, float], digits: int = 4) -> dict[str, float]:
    return {k: (int(v) if float(v).is_integer() else round(v, digits)) for k, v in values.items()}


@dataclass
class Measured:
    """What one run observed, besides the tally."""

    orders: list[dict[str, Any]]
    phases: Phases
    seconds: float
    settled_before: bool
    settled_after: bool
    dead_letters: int
    own_traces: set[str]  # the functions that start traces of their own (self_traced)
    queues: int  # polled queues (event source mappings)
    sampling: Sampling = field(default_factory=lambda: Sampling(1.0, 0))


@dataclass(frozen=True)
class Sampling:
    """The stack's X-Ray sampling rule: the share of traces recorded beyond a reservoir per second."""

    fixed_rate: float
    reservoir_per_second: int


def sampling_of(stack: Any) -> Sampling:
    """The first-priority AWS::XRay::SamplingRule of the template; none: every trace (X-Ray's Default
    rule records 1/s + 5%, but without a rule of our own we claim nothing)."""
    rules = [props["SamplingRule"] for _, props in stack.assembly.of_type("AWS::XRay::SamplingRule")]
    if not rules:
        return Sampling(1.0, 0)
    rule = min(rules, key=lambda r: int(r.get("Priority", 10000)))
    return Sampling(float(rule["FixedRate"]), int(rule.get("ReservoirSize", 0)))


def run(orders: int = ORDERS, warmup: int = WARMUP_ORDERS, cdk_out: Path | None = None) -> dict[str, Any]:
    """Meter `orders` full lifecycles on a fresh local stack; the figures, what dominates and how measured."""
    from local.runtime import LocalStack, Options
    from local.synth import ensure_synth

    if orders < 1:
        raise ValueError("orders must be at least 1")
    prices = load_prices()
    tally = Tally()
    stack = LocalStack.from_cdk_out(cdk_out or ensure_synth(), Options(sqs_retry_after=1, schedule_every=3600)).start()
    try:
        with metering(stack, tally):
            measured = _measure(stack, tally, orders, warmup)
    finally:
        stack.stop()
    return _result(measured, tally, prices, orders)


def _measure(stack: Any, tally: Tally, orders: int, warmup: int) -> Measured:
    from local.seed import seed

    with tally.scoped(INTERNAL):
        creds = seed(stack)
    driver = Driver(stack, tally, creds.storefront_keys[STOREFRONT], creds.admin_key, creds.partner_secret)
    with tally.scoped(INTERNAL):
        _add_stock(driver, orders + warmup)
    return drive(stack, tally, driver, orders, warmup)


def drive(stack: Any, tally: Tally, driver: Driver, orders: int, warmup: int) -> Measured:
    """`warmup` lifecycles unmetered, then `orders` metered to settled, then one sweep metered apart; what
    the run observed (a driver of another scenario, `bench.cost_realistic`'s, comes here too)."""
    for number in range(warmup):
        driver.lifecycle(number, "warmup")
    with tally.scoped(INTERNAL):
        settled_before = _settle(stack)
    driver.orders.clear()
    tally.active = True
    try:
        started = time.perf_counter()
        for number in range(orders):
            driver.lifecycle(number, "measured")
        with tally.scoped(INTERNAL):
            settled_after = _settle(stack)
        seconds = time.perf_counter() - started
        names = function_names(stack)
        sweeper = [t for t in stack.timers if names.get(stack.registry.find(t.targets[0]).name) == "sweeper"]
        if sweeper:
            with tally.scoped(SWEEP):
                sweeper[0].fire()
    finally:
        tally.active = False
    with tally.scoped(INTERNAL):
        phases = phases_of(stack, {o["order_id"] for o in driver.orders})
        dead = _dead_letters(stack)
    return Measured(
        orders=list(driver.orders),
        phases=phases,
        seconds=seconds,
        settled_before=settled_before,
        settled_after=settled_after,
        dead_letters=dead,
        own_traces=self_traced(stack),
        queues=len(stack.pollers),
        sampling=sampling_of(stack),
    )


def _result(measured: Measured, tally: Tally, prices: dict[str, Any], requested: int) -> dict[str, Any]:
    units = tally.of(ORDER)
    polling = tally.of(POLLING)
    phases = measured.phases
    n = len(measured.orders)
    per_order = _per_order(units, phases, n, measured.own_traces, measured.sampling.fixed_rate)
    express = _priced(price(per_order, prices, "express", per_order["lambda_gb_seconds"]))
    standard = _priced(price(per_order, prices, "standard", per_order["lambda_gb_seconds"]))
    like_gb_s = units.get("lambda.like_gb_seconds", 0) / max(n, 1)
    express_like = _priced(price(per_order, prices, "express", like_gb_s))
    polled = _per_order(polling, Phases(), max(1, int(polling.get("api.requests", 0))), set())
    per_get = sum(price(polled, prices, "express", polled["lambda_gb_seconds"]).values())
    shipments = sum(len(o["shipments"]) for o in measured.orders)

    cost = {
        "orders": n,
        "express": express,
        "standard": standard,
        "per_order": _rounded(per_order),
        "target": {
            "express_usd_per_1000_orders_at_most": TARGET_EXPRESS_USD_PER_1000,
            "met": express["usd_per_1000_orders"] <= TARGET_EXPRESS_USD_PER_1000,
            "met_with_lambda_like_durations": express_like["usd_per_1000_orders"] <= TARGET_EXPRESS_USD_PER_1000,
        },
        "lambda_like": {
            "lambda_gb_seconds_per_order": round(like_gb_s, 4),
            "express_usd_per_1000_orders": express_like["usd_per_1000_orders"],
            "by_service": express_like["by_service"],
        },
        "lifecycles": {
            "measured": requested,
            "delivered": sum(1 for o in measured.orders if o["status"] == "delivered"),
            "shipments_per_order": round(shipments / max(n, 1), 3),
            "seconds": round(measured.seconds, 2),
            "phases_by_machine": dict(phases.by_machine),
            "phase_statuses": dict(phases.statuses),
            "task_retries": phases.retries,
            "settled_before": measured.settled_before,
            "settled_after": measured.settled_after,
            "dead_letters": measured.dead_letters,
        },
        "details_per_order": details_per_order(units, phases, n),
        "xray_sampling": {
            "fixed_rate": measured.sampling.fixed_rate,
            "reservoir_per_second": measured.sampling.reservoir_per_second,
        },
        "polling_excluded": {
            "get_requests_per_order": round(polling.get("api.requests", 0) / max(n, 1), 2),
            "per_get": _rounded(
                {k: v for k, v in polled.items() if k in ("lambda_invocations", "lambda_gb_seconds", "dynamodb_rru")}
            ),
            "usd_per_1000_gets": round(per_get * 1000, 6),
        },
        "fixed_monthly": _fixed_monthly(
            tally.of(SWEEP), prices, measured.queues, measured.sampling, "sweeper" in measured.own_traces
        ),
        "prices": {"file": str(PRICES_PATH), "as_of": prices.get("as_of")},
    }
    dominant = f"express: {_dominant(express)}; standard: {_dominant(standard)}"
    return {"cost": cost, "dominant": dominant, "notes": _notes(tally, cost)}


def details_per_order(units: dict[str, float], phases: Phases, n: int) -> dict[str, Any]:
    """Where each order's units went, function by function and item by item: what a lever is weighed on."""
    return {
        "api_requests": _grouped(units, "api.requests.", n),
        "lambda_invocations": _grouped(units, "lambda.invocations.", n),
        "lambda_async_events": _grouped(units, "lambda.async_events.", n),
        "lambda_async_attempts": _grouped(units, "lambda.async_attempts.", n),
        "lambda_gb_seconds": _grouped(units, "lambda.gb_seconds.", n, 5),
        "lambda_like_gb_seconds": _grouped(units, "lambda.like_gb_seconds.", n, 5),
        "lambda_seconds_local": _grouped(units, "lambda.seconds.", n, 4),
        "lambda_seconds_in_moto": _grouped(units, "lambda.moto_seconds.", n, 4),
        "sfn_transitions": {k: round(v / max(n, 1), 3) for k, v in phases.transitions_by_machine.items()},
        "sfn_express_duration_ms": round(phases.duration_ms / max(n, 1), 1),
        "sfn_express_billed_ms": round(phases.express_billed_ms / max(n, 1), 1),
        "dynamodb_requests": _grouped(units, "dynamodb.requests.", n),
        "dynamodb_requests_by_function": _grouped(units, "dynamodb.requests_by_function.", n),
        "dynamodb_wru_by_function": _grouped(units, "dynamodb.wru_by_function.", n),
        "dynamodb_rru_by_function": _grouped(units, "dynamodb.rru_by_function.", n),
        "dynamodb_gsi_wru": round(units.get("dynamodb.gsi_wru", 0) / max(n, 1), 3),
        "dynamodb_gsi_wru_by_index": _grouped(units, "dynamodb.gsi_wru_by_index.", n),
        "dynamodb_writes_by_item": _by_item(units, n),
        "dynamodb_items_written": round(units.get("dynamodb.items_written", 0) / max(n, 1), 3),
        "dynamodb_write_bytes": round(units.get("dynamodb.write_bytes", 0) / max(n, 1)),
        "dynamodb_read_bytes": round(units.get("dynamodb.read_bytes", 0) / max(n, 1)),
        "dynamodb_refused_writes": round(units.get("dynamodb.refused_writes", 0) / max(n, 1), 3),
        "sqs_calls": _grouped(units, "sqs.calls.", n),
        "sqs_payload_bytes": round(units.get("sqs.payload_bytes", 0) / max(n, 1)),
        "sqs_empty_receives_local": round(units.get("sqs.empty_receives", 0) / max(n, 1), 1),
        "eventbridge_entries": round(units.get("eventbridge.entries", 0) / max(n, 1), 3),
        "eventbridge_put_calls": round(units.get("eventbridge.put_calls", 0) / max(n, 1), 3),
        "log_bytes": {
            "function_output": round(units.get("logs.function_bytes", 0) / max(n, 1)),
            "lambda_platform_lines": round(units.get("logs.platform_bytes", 0) / max(n, 1)),
            "api_access_logs": round(units.get("logs.api_access_bytes", 0) / max(n, 1)),
        },
        "log_records_warning_or_worse": _grouped(units, "logs.level.", n),
    }


def _notes(tally: Tally, cost: dict[str, Any]) -> list[str]:
    details = cost["details_per_order"]
    notes = [
        "api_requests = the checkout POST + the partner webhook POSTs (2 per shipment: shipment.packed, "
        "shipment.delivered), the webhooks on the HTTP API (api_requests_http, $1.00 per million where the "
        "REST API costs $3.50); the storefront's status GETs are metered apart (polling_excluded) and "
        "excluded from every per-order figure (their Lambda, DynamoDB and logs too)",
        "lambda_gb_seconds: configured MemorySize x local duration (this machine, moto inside, warm "
        "containers), billed per invocation rounded up to 1 ms; lambda_like: time inside moto replaced by "
        "assumed AWS latencies (DynamoDB 6 ms, SQS 10 ms, Step Functions 25 ms, EventBridge 20 ms, Secrets "
        "Manager 15 ms a call), the rest scaled by 1769 MB / MemorySize (Lambda's CPU share); cold starts "
        "(INIT, billed since 2025-08) are not in either; local durations grow during a run (moto's "
        "TransactWriteItems copies the tables it names, so the workflow's moto time grows with the data): "
        "the Lambda-like figure leaves moto's time out",
        "DynamoDB units from item sizes (names + values, numbers ~digits/2+1, maps/lists +3 and +1 per "
        "element): writes 1 WRU per KB of the larger of the item before and after (read from moto's "
        "backend), x2 in a transaction (ConditionCheck too), charged also when a condition refuses the "
        "write; GSI writes (ALL projection) added for items entering, changing, moving in or leaving an "
        "index, at the standard rate; reads 1 RRU per 4 KB strongly consistent, 0.5 eventually, x2 "
        "transactional, BatchGetItem per item, Query/Scan per page summed; a missing item still costs 1 unit",
        f"SQS: billable requests = sends (Lambda's on-failure records included), non-empty receives, deletes, "
        f"visibility changes and EventBridge's deliveries to a queue target, if any (64 KB chunks); partner "
        f"events and notifications reach their worker by asynchronous invocation, no SQS on success; the "
        f"local pollers' empty receives "
        f"({details['sqs_empty_receives_local']} per order at one poll per 50 ms) are not AWS's rate and are "
        f"excluded; AWS's idle long polls are a fixed monthly cost (fixed_monthly); the local poller deletes "
        f"message by message where AWS's event source mapping sends one DeleteMessageBatch per batch",
        "Step Functions: executions of both machines named after the measured orders; standard = states "
        "entered (incl. Map iterations, Choice, Succeed) + task retries; express = executions + GB-s at "
        "64 MB x (stop - start) of moto's execution records, billed per 100 ms (local durations: moto's "
        "interpreter and local Lambda runs)",
        "log_bytes = the functions' output (JSON log lines and EMF metrics) + 300 bytes per invocation for "
        "Lambda's START/END/REPORT lines where the function's system log level lets them through (not at "
        "WARN, the template's) + the API access-log line per request (the stage's format "
        "rendered); Step Functions log at ERROR (none in a healthy run); priced at ingestion per GiB",
        f"X-Ray: one trace per REST API request and per workflow execution (an upper bound), times the sampling "
        f"rule's fixed rate {cost['xray_sampling']['fixed_rate']} (the share recorded at volume); the workers "
        f"pass their callers' decision on (PassThrough), and a function that starts its own traces (active "
        f"tracing behind a queue, stream, schedule, event or the HTTP API) would count each invocation in "
        f"full (per_order.xray_traces_own); the reservoir of "
        f"{cost['xray_sampling']['reservoir_per_second']}/s is a fixed monthly ceiling (fixed_monthly)",
        "not priced (no price in aws-prices.json, or not per order): DynamoDB storage and PITR, EMF custom "
        "metrics (per metric-month), alarms and dashboard, KMS for the AWS-managed table key, data transfer",
    ]
    if not cost["lifecycles"]["settled_after"]:
        notes.append("the stack did not settle after the run within the timeout: late work may be missing")
    for kind, samples in sorted(tally.samples.items()):
        notes.append(f"{kind}: " + " | ".join(samples))
    return notes


def report(result: dict[str, Any]) -> str:
    cost = result["cost"]
    per = cost["per_order"]
    lines = [
        f"cost: {cost['orders']} lifecycles (checkout of 3 lines -> delivered), "
        f"{cost['lifecycles']['shipments_per_order']} shipment(s) per order",
        f"  express  ${cost['express']['usd_per_1000_orders']:.4f} per 1,000 orders "
        f"(goal <= ${cost['target']['express_usd_per_1000_orders_at_most']}: "
        f"{'met' if cost['target']['met'] else 'NOT met'}; Lambda-like durations: "
        f"${cost['lambda_like']['express_usd_per_1000_orders']:.4f})",
        f"  standard ${cost['standard']['usd_per_1000_orders']:.4f} per 1,000 orders",
        "  per order: " + ", ".join(f"{k} {v}" for k, v in per.items()),
        "  express by service ($/1,000 orders): "
        + ", ".join(f"{k} {v:.4f}" for k, v in cost["express"]["by_service"].items()),
        f"  dominant: {result['dominant']}",
    ]
    return "\n".join(lines)
