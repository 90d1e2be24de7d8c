"""`make demo`: three orders through the whole lifecycle against a running `make run`, partners played by hand.

    make run                      # in one terminal: the local stack
    make demo                     # in another: python -m scripts.demo

It places a B2C order (card), a B2B order (net-terms invoice, ship complete) and a made-to-order sofa
(built at the Cebu workshop), waits for each to reach "processing", then plays the partners' signed
webhooks for every shipment: the workshop's `build.completed`, the location's `shipment.packed` (the ship
phase captures the shipment's payment, then ships it), the carrier's `shipment.shipped` and
`shipment.delivered`. One event is sent twice with the same id to show the replay has no second effect.
At the end it prints each order's status, payment, shipments and timeline, and stock health; then the B2C
customer sends one unit back: the storefront opens a return (`POST /v1/orders/{id}/returns`; an operator
approves it if the storefront's policy holds it for review), the location that takes the parcel back sends
`return.received`, and the demo prints the refund.

Configuration, with the defaults of `make run` (API.md, "Local defaults"):
`OMS_URL` (http://127.0.0.1:3000), `OMS_LOCAL_STOREFRONT_KEY`, `OMS_LOCAL_STOREFRONT_KEY_2` and
`OMS_LOCAL_PARTNER_SECRET`. Only the standard library talks HTTP; `oms.signing.sign` signs the webhooks.
It exits 1 with the reason (and the order as the OMS shows it) when a step fails or times out.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
# `python -m scripts.demo` outside make has no PYTHONPATH pointing at the domain package.
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

from oms.signing import SIGNATURE_HEADER, sign  # noqa: E402

DEFAULT_URL = "http://127.0.0.1:3000"
# The same variables and defaults as local/seed.py (these are the local stack's demo keys, not secrets).
STOREFRONT_KEY = ("OMS_LOCAL_STOREFRONT_KEY", "sk_local_storefront")
STOREFRONT_KEY_2 = ("OMS_LOCAL_STOREFRONT_KEY_2", "sk_local_storefront_2")
PARTNER_SECRET = ("OMS_LOCAL_PARTNER_SECRET", "whsec_local")
ADMIN_KEY = ("OMS_LOCAL_ADMIN_KEY", "sk_local_admin")

LOCATION_PARTNER = "warehouse"  # warehouses, stores and workshops: build.completed, shipment.packed
CARRIER_PARTNER = "carrier"  # shipment.shipped, shipment.delivered
WAIT_SECONDS = 20.0  # how long one step may take before the demo gives up
POLL_SECONDS = 0.2
DUPLICATE_SETTLE_SECONDS = 2.0  # time for the partner-events worker to take (and drop) the replay
REQUEST_TIMEOUT = 15.0

MADE_TO_ORDER = frozenset({"CUSTOM-SOFA"})  # built at its workshop (local/seed.py PRODUCTS), never stocked
MAKATI = {
    "name": "Ana Cruz",
    "line1": "1 Ayala Ave",
    "city": "Makati",
    "region": "Metro Manila",
    "postal_code": "1226",
    "country": "PH",
}


Check = Callable[[dict[str, Any]], bool]  # a condition on the order (its JSON) to wait for


class DemoError(Exception):
    """A step failed: the message says which, and what the OMS answered (`status`, when it answered)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DemoOrder:
    label: str  # B2C, B2B, made-to-order
    storefront_id: str
    key: str  # that storefront's API key
    body: dict[str, Any]


def demo_orders(storefront_key: str, storefront_key_2: str) -> list[DemoOrder]:
    """The three orders. Stock is local/seed.py's: the B2B order ships complete, so its items must be at
    one location (LAMP-ARC and TSHIRT-RED-M are both at the Cebu warehouse; no location holds LAMP-ARC
    and SNEAKER-42 together)."""
    b2c = {
        "customer": {"id": "demo-ana", "email": "ana@example.com", "type": "b2c"},
        "currency": "PHP",
        "lines": [
            {"sku": "TSHIRT-RED-M", "quantity": 2, "unit_price": 59900},
            {"sku": "MUG-CLASSIC", "quantity": 1, "unit_price": 34900},
        ],
        "shipping_address": MAKATI,
        "service_level": "standard",
        "payment": {"method": "card", "token": "tok_visa"},
    }
    b2b = {
        "customer": {
            "id": "demo-acme",
            "email": "purchasing@acme.example",
            "type": "b2b",
            "company": "Acme Trading Corp.",
            "tax_id": "123-456-789-000",
        },
        "currency": "PHP",
        "po_number": "PO-2026-0042",
        "ship_complete": True,
        "lines": [
            {"sku": "LAMP-ARC", "quantity": 2, "unit_price": 459900},
            {"sku": "TSHIRT-RED-M", "quantity": 1, "unit_price": 59900},
        ],
        "shipping_address": {**MAKATI, "name": "Acme Trading Corp., Receiving", "line1": "6750 Ayala Ave"},
        "service_level": "standard",
        "payment": {"method": "invoice"},
    }
    sofa = {
        "customer": {"id": "demo-bea", "email": "bea@example.com", "type": "b2c"},
        "currency": "PHP",
        "lines": [
            {
                "sku": "CUSTOM-SOFA",
                "quantity": 1,
                "unit_price": 4599000,
                "note": "Fabric: forest-green boucle; three-seater, no armrest on the left",
            }
        ],
        "shipping_address": {**MAKATI, "name": "Bea Santos", "line1": "12 Legazpi St"},
        "service_level": "standard",
        "payment": {"method": "card", "token": "tok_visa"},
    }
    return [
        DemoOrder("B2C", "sf-local", storefront_key, b2c),
        DemoOrder("B2B", "sf-local-2", storefront_key_2, b2b),
        DemoOrder("made-to-order", "sf-local", storefront_key, sofa),
    ]


# -- HTTP ---------------------------------------------------------------------------------------------


class Client:
    """JSON over urllib. No proxies: the demo talks to the local stack."""

    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise DemoError(f"OMS_URL must be an http(s) URL such as {DEFAULT_URL}, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The status and JSON answer; a non-2xx answer raises DemoError naming the request."""
        sent = {"Accept": "application/json", **(headers or {})}
        if key:
            sent["Authorization"] = f"Bearer {key}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        # The scheme is http(s), checked in __init__.
        request = urllib.request.Request(self.base_url + path, data=data, headers=sent, method=method)  # noqa: S310
        try:
            with self._opener.open(request, timeout=REQUEST_TIMEOUT) as reply:
                status, text = reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise DemoError(f"{method} {path} answered {error.code}: {_short(text, 1500)}", error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DemoError(f"{method} {self.base_url}{path} failed: {reason}") from None
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            raise DemoError(f"{method} {path} answered {status} with a body that is not JSON: {_short(text)}") from None


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the demo -----------------------------------------------------------------------------------------


class Demo:
    def __init__(self, client: Client, partner_secret: str, out: TextIO, wait_seconds: float) -> None:
        self.client = client
        self.secret = partner_secret
        self.out = out
        self.wait_seconds = wait_seconds

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def check_health(self) -> None:
        url = f"{self.client.base_url}/health"
        try:
            _, answer = self.client.call("GET", "/health")
        except DemoError as error:
            raise DemoError(
                f"the OMS is not answering at {url} ({error}).\n"
                "  Start the local stack in another terminal with `make run`, wait for its `serving on` line,\n"
                "  then run `make demo` again. If it serves elsewhere (OMS_PORT), point the demo at it:\n"
                "  OMS_URL=http://127.0.0.1:3001 make demo"
            ) from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise DemoError(f"{url} answered {answer!r}, not {{'status': 'ok'}}")
        self.say(f"OMS at {self.client.base_url} is up ({url}: ok)")

    def check_stock(self, orders: list[DemoOrder]) -> None:
        """Every stocked unit the demo orders need is available (a ship-complete order's at one location),
        so a `make run` whose demo stock earlier runs shipped fails here, before any order is placed."""
        needs: dict[str, int] = {}
        for demo in orders:
            for line in demo.body["lines"]:
                if line["sku"] not in MADE_TO_ORDER:
                    needs[line["sku"]] = needs.get(line["sku"], 0) + line["quantity"]
        query = "&".join(f"sku={sku}" for sku in sorted(needs))
        _, answer = self.client.call("GET", f"/v1/availability?{query}", key=orders[0].key)
        at = {(e["sku"], loc["location_id"]): loc["available"] for e in answer["skus"] for loc in e["locations"]}
        short = [
            f"{sku} (needs {qty}, available {sum(v for (k, _), v in at.items() if k == sku)})"
            for sku, qty in needs.items()
            if sum(v for (k, _), v in at.items() if k == sku) < qty
        ]
        for demo in orders:
            if demo.body.get("ship_complete"):
                lines = demo.body["lines"]
                sites = {loc for (_, loc) in at}
                if not any(all(at.get((ln["sku"], loc), 0) >= ln["quantity"] for ln in lines) for loc in sites):
                    short.append(f"the {demo.label} order's items at one location (it ships complete)")
        if short:
            raise DemoError(
                "not enough demo stock for: " + "; ".join(short) + ".\n"
                "  Each run ships some of the seeded stock: restart `make run` to seed it again."
            )

    def stock_health(self, admin_key: str, skus: list[str]) -> list[dict[str, Any]]:
        """Each sku's health at every location once the stream has folded in the demo's sales (what an
        operator reads at GET /v1/admin/stock-health), as a table."""
        rows: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.wait_seconds
        while True:
            rows = [
                level
                for sku in skus
                for level in self.client.call("GET", f"/v1/admin/stock-health?sku={sku}", key=admin_key)[1]["levels"]
            ]
            if all(any(r["daily_sales"] > 0 for r in rows if r["sku"] == sku) for sku in skus):
                break
            if time.monotonic() > deadline:
                raise DemoError(f"stock health never saw the demo's sales of {', '.join(skus)}")
            time.sleep(0.5)
        self.say(
            f"  {'sku':<14} {'location':<16} {'on hand':>7} {'avail':>5} {'/day':>6} {'cover':>6}  status  suggestion"
        )
        for r in sorted(rows, key=lambda r: (r["sku"], r["location_id"])):
            cover = "-" if r["days_of_cover"] is None else f"{r['days_of_cover']:.0f}d"
            hint = r["suggestion"] or {}
            advice = (
                f"reorder {hint['quantity']}"
                if hint.get("type") == "reorder"
                else f"move {hint['quantity']} {hint['from_location_id']} -> {hint['to_location_id']}"
                if hint
                else ""
            )
            self.say(
                f"  {r['sku']:<14} {r['location_id']:<16} {r['on_hand']:>7} {r['available']:>5} "
                f"{r['daily_sales']:>6.2f} {cover:>6}  {r['status']:<6}  {advice}"
            )
        return rows

    def place(self, demo: DemoOrder, run_id: str) -> dict[str, Any]:
        try:
            status, order = self.client.call(
                "POST",
                "/v1/orders",
                key=demo.key,
                body=demo.body,
                headers={"Idempotency-Key": f"demo-{run_id}-{demo.label}"},
            )
        except DemoError as error:
            hint = {
                401: f"\n  the key of storefront {demo.storefront_id} is not the one `make run` seeded: "
                "set OMS_LOCAL_STOREFRONT_KEY / OMS_LOCAL_STOREFRONT_KEY_2 as for `make run`",
                409: "\n  the demo stock is used up (each run ships it): restart `make run` to seed it again",
            }.get(error.status or 0, "")
            raise DemoError(f"placing the {demo.label} order: {error}{hint}", error.status) from None
        where = ", ".join(f"#{s['shipment_id']} from {s['location_id']}" for s in order["shipments"])
        total = money(order["totals"]["total"], order["currency"])
        self.say(
            f"placed {demo.label} order {order['order_id']} on {demo.storefront_id} ({status}): "
            f"{len(order['shipments'])} shipment(s) [{where}], total {total}"
        )
        return dict(order)

    def get(self, demo: DemoOrder, order_id: str) -> dict[str, Any]:
        _, order = self.client.call("GET", f"/v1/orders/{order_id}", key=demo.key)
        return dict(order)

    def wait(self, demo: DemoOrder, order_id: str, what: str, done: Check) -> dict[str, Any]:
        """Poll the order until `done`; a closed order, a held shipment or the deadline stops the demo."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            order = self.get(demo, order_id)
            if done(order):
                return order
            trouble = _trouble(order)
            if trouble or time.monotonic() > deadline:
                why = trouble or f"not within {self.wait_seconds:g} s"
                raise DemoError(
                    f"order {order_id} ({demo.label}) did not reach {what}: {why}.\n"
                    f"  the order now: {json.dumps(order, indent=1)}"
                )
            time.sleep(POLL_SECONDS)

    def webhook(self, partner: str, kind: str, data: dict[str, Any], event_id: str | None = None) -> str:
        """Send one partner event signed with the partner secret; the OMS answers 202 (queued)."""
        event_id = event_id or f"evt_demo_{uuid.uuid4().hex[:16]}"
        occurred_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"id": event_id, "type": kind, "occurred_at": occurred_at, "data": data}).encode()
        try:
            status, _ = self.client.call(
                "POST",
                f"/v1/webhooks/{partner}",
                raw=body,
                headers={SIGNATURE_HEADER: sign(body, self.secret, int(time.time()))},
            )
        except DemoError as error:
            hint = "\n  set OMS_LOCAL_PARTNER_SECRET to the secret `make run` seeded" if error.status == 401 else ""
            raise DemoError(f"{kind} for {json.dumps(data)}: {error}{hint}", error.status) from None
        if status != 202:
            raise DemoError(f"POST /v1/webhooks/{partner} ({kind}) answered {status}, not 202")
        return event_id

    def fulfil(self, demo: DemoOrder, order: dict[str, Any]) -> dict[str, str]:
        """Play the location and the carrier for every shipment; the event ids of the `shipment.packed` sent."""
        order_id = order["order_id"]
        packed_ids: dict[str, str] = {}
        for shipment in order["shipments"]:
            sid, location = shipment["shipment_id"], shipment["location_id"]
            ref = {"order_id": order_id, "shipment_id": sid, "location_id": location}
            tag = f"  {order_id} #{sid} ({location}):"
            if shipment.get("build_instructions"):
                self.webhook(LOCATION_PARTNER, "build.completed", ref)
                self.wait(demo, order_id, f"build.completed of shipment {sid}", _noted("build.completed", sid))
                self.say(f"{tag} build.completed  -> built at the workshop")
            packed_ids[sid] = self.webhook(LOCATION_PARTNER, "shipment.packed", ref)
            after = self.wait(demo, order_id, f"shipment {sid} shipped", _shipment_in(sid, *GONE))
            shipped = _ship(after, sid)
            self.say(
                f"{tag} shipment.packed  -> captured {money(shipped['captured'], after['currency'])}, "
                f"shipped with {shipped['carrier']} {shipped['tracking_number']}"
            )
            carrier_ref = {"order_id": order_id, "shipment_id": sid}
            self.webhook(CARRIER_PARTNER, "shipment.shipped", carrier_ref)
            self.wait(demo, order_id, f"pickup of shipment {sid}", _noted("shipment.picked_up", sid))
            self.say(f"{tag} shipment.shipped -> picked up by the carrier")
            self.webhook(CARRIER_PARTNER, "shipment.delivered", carrier_ref)
            after = self.wait(demo, order_id, f"shipment {sid} delivered", _shipment_in(sid, "delivered"))
            self.say(f"{tag} shipment.delivered -> delivered; order is {after['status']}")
        return packed_ids

    def return_one(self, demo: DemoOrder, order: dict[str, Any], admin_key: str, run_id: str) -> dict[str, Any]:
        """Return one unit of the order's last line and play the receiving location: the refunded return."""
        order_id, sku = order["order_id"], order["lines"][-1]["sku"]
        body = {"lines": [{"sku": sku, "quantity": 1, "reason": "changed my mind"}]}
        status, ret = self.client.call(
            "POST",
            f"/v1/orders/{order_id}/returns",
            key=demo.key,
            body=body,
            headers={"Idempotency-Key": f"demo-{run_id}-return"},
        )
        return_id = ret["return_id"]
        self.say(f"  {demo.storefront_id} asks to return 1 x {sku} of {order_id}: return {return_id} ({status})")
        self.say(f"  {ret['status']}, refund quoted {money(ret['refund']['total'], order['currency'])}")
        if ret["status"] == "requested":  # the storefront's policy holds returns for review: decide as an operator
            _, ret = self.client.call(
                "POST", f"/v1/admin/returns/{return_id}/decision", key=admin_key, body={"decision": "approve"}
            )
            self.say(f"  held for review; approved by an operator: {ret['status']}")
        label = ret.get("label") or {}
        self.say(
            f"  label for the way back: {label.get('carrier') or '-'} {label.get('tracking_number') or '-'} "
            f"to {ret['location_id']}"
        )
        lines = [{"sku": sku, "quantity": 1, "condition": "resellable"}]
        receipt = {"return_id": return_id, "location_id": ret["location_id"], "lines": lines}
        self.webhook(LOCATION_PARTNER, "return.received", receipt)
        self.say(f"  {ret['location_id']}: return.received (1 x {sku}, resellable) -> back on hand there")
        deadline = time.monotonic() + self.wait_seconds
        while True:
            _, ret = self.client.call("GET", f"/v1/returns/{return_id}", key=demo.key)
            if ret["status"] == "refunded":
                break
            if ret.get("issue") or time.monotonic() > deadline:
                why = ret.get("issue") or f"not within {self.wait_seconds:g} s"
                raise DemoError(f"return {return_id} was not refunded: {why}.\n  the return now: {json.dumps(ret)}")
            time.sleep(POLL_SECONDS)
        refund, currency = ret["refund"], order["currency"]
        self.say(
            f"  refunded {money(refund['total'], currency)} (goods {money(refund['goods'], currency)}, "
            f"tax {money(refund['tax'], currency)}, shipping {money(refund['shipping'], currency)}, "
            f"shipping tax {money(refund['shipping_tax'], currency)}), provider refund {refund['refund_id'] or '-'}"
        )
        return dict(ret)

    def replay(self, demo: DemoOrder, order_id: str, shipment_id: str, event_id: str) -> None:
        """Send a `shipment.packed` again with the id it had: accepted (202), applied never twice."""
        before = self.get(demo, order_id)
        ref = {
            "order_id": order_id,
            "shipment_id": shipment_id,
            "location_id": _ship(before, shipment_id)["location_id"],
        }
        self.webhook(LOCATION_PARTNER, "shipment.packed", ref, event_id=event_id)
        time.sleep(DUPLICATE_SETTLE_SECONDS)
        after = self.get(demo, order_id)
        if _fingerprint(after) != _fingerprint(before):
            raise DemoError(
                f"the replayed event {event_id} changed order {order_id}:\n"
                f"  before: {json.dumps(_fingerprint(before))}\n  after:  {json.dumps(_fingerprint(after))}"
            )
        self.say(
            f"replayed shipment.packed {event_id} ({order_id} #{shipment_id}): 202, no second effect "
            f"(still {after['status']}, captured {money(after['payment']['captured'], after['currency'])}, "
            f"{len(after['timeline'])} timeline entries)"
        )


GONE = ("shipped", "delivered")
_CLOSED = ("cancelled", "rejected", "on_hold")


def _ship(order: dict[str, Any], shipment_id: str) -> dict[str, Any]:
    for shipment in order["shipments"]:
        if shipment["shipment_id"] == shipment_id:
            return dict(shipment)
    raise DemoError(f"order {order['order_id']} has no shipment {shipment_id}: {json.dumps(order)}")


def _shipment_in(shipment_id: str, *statuses: str) -> Check:
    return lambda order: _ship(order, shipment_id)["status"] in statuses


def _noted(kind: str, shipment_id: str) -> Check:
    """The order's timeline has an entry `kind` for the shipment."""
    return lambda order: any(
        e["type"] == kind and e["detail"].get("shipment_id") == shipment_id for e in order["timeline"]
    )


def _trouble(order: dict[str, Any]) -> str | None:
    """Why the order cannot get further by itself, if it cannot."""
    if order["status"] in _CLOSED:
        return f"it is {order['status']}" + (f" ({order['reason']})" if order.get("reason") else "")
    issues = [f"shipment {s['shipment_id']}: {s['issue']}" for s in order["shipments"] if s.get("issue")]
    if order["payment"].get("status") == "failed" or issues:
        return "; ".join(issues) or f"payment failed ({order['payment'].get('failure')})"
    return None


def _fingerprint(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": order["status"],
        "payment": {k: order["payment"].get(k) for k in ("status", "authorized", "captured", "refunded")},
        "shipments": {s["shipment_id"]: [s["status"], s["captured"]] for s in order["shipments"]},
        "timeline": len(order["timeline"]),
    }


# -- the report ---------------------------------------------------------------------------------------


def money(minor: int, currency: str = "") -> str:
    """Minor units as major with thousands separators: 205464 -> "PHP 2,054.64"."""
    sign_ = "-" if minor < 0 else ""
    amount = f"{sign_}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"
    return f"{currency} {amount}" if currency else amount


_MONEY_FIELDS = frozenset({"amount", "total", "value"})
_QUIET_FIELDS = frozenset({"order_id", "shipment_id"})
_LABELS = {"location_id": "at", "tracking_number": "tracking", "method": "by", "carrier": "with"}


def describe(entry: dict[str, Any], currency: str) -> str:
    """A short, readable version of a timeline entry's detail."""
    detail = entry.get("detail") or {}
    parts = []
    if detail.get("shipment_id"):
        parts.append(f"#{detail['shipment_id']}")
    for name, value in detail.items():
        if name in _QUIET_FIELDS or value in (None, "", [], {}):
            continue
        label = _LABELS.get(name, name)
        if name in _MONEY_FIELDS and isinstance(value, int):
            parts.append(f"{label} {money(value, currency)}")
        elif name == "shipments":
            parts.append(f"{value} shipment(s)")
        elif isinstance(value, list):
            parts.append(f"{label} {'; '.join(map(str, value))}")
        else:
            parts.append(f"{label} {value}")
    return _short(", ".join(parts), 90)


def _clock(at: str) -> str:
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).strftime("%H:%M:%S")
    except ValueError:
        return at[:8]


def report(label: str, order: dict[str, Any]) -> str:
    currency = order["currency"]
    payment = order["payment"]
    lines = [
        f"Order {order['order_id']} ({label}, {order['storefront_id']}) — {order['status']} — "
        f"total {money(order['totals']['total'], currency)}",
        f"  payment {payment['method']}: {payment['status']}, authorized {money(payment['authorized'], currency)}, "
        f"captured {money(payment['captured'], currency)}",
    ]
    for s in order["shipments"]:
        goods = ", ".join(f"{ln['sku']} x{ln['quantity']}" for ln in s["lines"])
        lines.append(
            f"  shipment #{s['shipment_id']} {s['location_id']:<13} {s['status']:<10} "
            f"{s.get('carrier') or '-'} {s.get('tracking_number') or '-'}  {goods}  "
            f"(value {money(s['value'], currency)}, captured {money(s['captured'], currency)})"
        )
    lines.append("  time (UTC) event                   detail")
    width = max([22, *(len(e["type"]) for e in order["timeline"])])
    for entry in order["timeline"]:
        lines.append(f"  {_clock(entry['at'])}   {entry['type']:<{width}}  {describe(entry, currency)}".rstrip())
    return "\n".join(lines)


def verify(label: str, order: dict[str, Any]) -> None:
    total, payment = order["totals"]["total"], order["payment"]
    if order["status"] != "delivered" or payment["captured"] != total:
        raise DemoError(
            f"{label} order {order['order_id']} ended {order['status']} with {payment['captured']} of {total} "
            f"captured:\n  {json.dumps(order, indent=1)}"
        )


# -- entry points -------------------------------------------------------------------------------------


def main(
    base_url: str | None = None,
    storefront_key: str | None = None,
    storefront_key_2: str | None = None,
    partner_secret: str | None = None,
    admin_key: str | None = None,
    out: TextIO | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> list[dict[str, Any]]:
    """Run the demo and return the final orders (each delivered and fully captured); DemoError otherwise.

    Arguments left out come from OMS_URL and the OMS_LOCAL_* variables, with the local defaults.
    """
    client = Client(base_url or os.environ.get("OMS_URL") or DEFAULT_URL)
    demo = Demo(client, partner_secret or os.environ.get(*PARTNER_SECRET), out or sys.stdout, wait_seconds)
    orders = demo_orders(
        storefront_key or os.environ.get(*STOREFRONT_KEY), storefront_key_2 or os.environ.get(*STOREFRONT_KEY_2)
    )
    demo.check_health()
    demo.check_stock(orders)
    run_id = uuid.uuid4().hex[:12]  # each run places new orders

    demo.say("\n1. checkout")
    placed = [(d, demo.place(d, run_id)) for d in orders]

    demo.say("\n2. fulfil phase: fraud screen, payment authorization, carrier booking, release to the location")
    for d, order in placed:
        ready = demo.wait(d, order["order_id"], '"processing"', lambda o: o["status"] == "processing")
        demo.say(
            f"  {d.label:<13} {order['order_id']} processing: payment {ready['payment']['status']} "
            f"{money(ready['payment']['authorized'], ready['currency'])}; "
            + ", ".join(f"#{s['shipment_id']} {s['status']} with {s['carrier']}" for s in ready["shipments"])
        )

    demo.say("\n3. partners: location and carrier webhooks (signed), per shipment")
    packed: list[tuple[DemoOrder, str, str, str]] = []
    for d, order in placed:
        for sid, event_id in demo.fulfil(d, order).items():
            packed.append((d, order["order_id"], sid, event_id))

    demo.say("\n4. a partner retries: the same event id again")
    d, order_id, sid, event_id = packed[0]
    demo.replay(d, order_id, sid, event_id)

    demo.say("\n5. where the orders ended")
    final = []
    for d, order in placed:
        latest = demo.get(d, order["order_id"])
        demo.say()
        demo.say(report(d.label, latest))
        verify(d.label, latest)
        final.append(latest)
    demo.say(f"\nall {len(final)} orders delivered and fully captured.")

    demo.say("\n6. stock health after these sales (GET /v1/admin/stock-health)")
    sold = sorted({ln["sku"] for o in final for ln in o["lines"] if ln["sku"] not in MADE_TO_ORDER})
    admin = admin_key or os.environ.get(*ADMIN_KEY)
    demo.stock_health(admin, sold)

    demo.say("\n7. a return: one unit of the B2C order back, received, refunded")
    (d, _), b2c = placed[0], final[0]
    demo.return_one(d, b2c, admin, run_id)
    return final


def cli() -> int:
    try:
        main()
    except DemoError as error:
        print(f"\nmake demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
