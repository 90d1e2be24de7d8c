"""The local stack as `make run` starts it, in a subprocess, driven over real HTTP like a storefront would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STOREFRONT_KEY = "sk_e2e_storefront"
STOREFRONT_KEY_2 = "sk_e2e_storefront_2"
ADMIN_KEY = "sk_e2e_admin"
PARTNER_SECRET = "whsec_e2e"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Api:
    base: str

    def request(
        self,
        method: str,
        path: str,
        key: str | None = STOREFRONT_KEY,
        json: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        sent = dict(headers or {})
        if key:
            sent.setdefault("Authorization", f"Bearer {key}")
        return requests.request(method, self.base + path, json=json, data=data, headers=sent, timeout=90)

    def admin(self, method: str, path: str, json: Any = None) -> requests.Response:
        return self.request(method, path, key=ADMIN_KEY, json=json)

    def checkout(
        self, body: dict[str, Any], key: str | None = None, storefront_key: str = STOREFRONT_KEY
    ) -> requests.Response:
        return self.request(
            "POST", "/v1/orders", key=storefront_key, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())}
        )

    def stock(self, sku: str) -> dict[str, Any]:
        reply = self.admin("GET", f"/v1/admin/inventory/{sku}")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def stock_at(self, location_id: str, sku: str, on_hand: int, safety_stock: int = 0) -> None:
        reply = self.admin(
            "PUT", f"/v1/admin/inventory/{location_id}/{sku}", {"on_hand": on_hand, "safety_stock": safety_stock}
        )
        assert reply.status_code == 200, reply.text

    def location(self, location_id: str, lat: float, lon: float, kind: str = "warehouse", **extra: Any) -> None:
        body = {"name": location_id, "type": kind, "lat": lat, "lon": lon, **extra}
        reply = self.admin("PUT", f"/v1/admin/locations/{location_id}", body)
        assert reply.status_code == 200, reply.text
        self.speaks_for("warehouse", location_id)

    def speaks_for(self, partner_id: str, location_id: str) -> None:
        """Add the location to a location partner's scope, as an operator onboarding it would."""
        partner = self.admin("GET", f"/v1/admin/partners/{partner_id}").json()
        scope = {"roles": partner["roles"], "location_ids": [*partner["location_ids"], location_id]}
        reply = self.admin("PUT", f"/v1/admin/partners/{partner_id}", {**scope, "url": partner["url"]})
        assert reply.status_code == 200, reply.text


@pytest.fixture(scope="session")
def api(cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    port = free_port()
    log = (tmp_path_factory.mktemp("e2e") / "local-stack.log").open("w")
    env = {
        **os.environ,
        "OMS_LOCAL_STOREFRONT_KEY": STOREFRONT_KEY,
        "OMS_LOCAL_STOREFRONT_KEY_2": STOREFRONT_KEY_2,
        "OMS_LOCAL_ADMIN_KEY": ADMIN_KEY,
        "OMS_LOCAL_PARTNER_SECRET": PARTNER_SECRET,
        # Seconds before a failed event is retried: AWS waits the visibility timeout (minutes); a few
        # seconds keep out-of-order events (a "delivered" before its "packed") from exhausting their receives.
        "OMS_LOCAL_SQS_RETRY_SECONDS": "3",
        # Stock changes reach stock health within half a second rather than the mapping's 5 s window.
        "OMS_LOCAL_STREAM_WINDOW_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "local", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            # Seeding ends before the keys are printed; a seeded admin read means the stack is ready.
            if (
                requests.get(
                    f"{base}/v1/admin/inventory/MUG-CLASSIC",
                    timeout=2,
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                )
                .json()
                .get("locations")
            ):
                break
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError(f"the local stack did not start: see {log.name}")
        time.sleep(0.2)
    try:
        yield Api(base)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def unique(prefix: str) -> str:
    """A name no other test uses, so tests share one stack without sharing data."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def checkout_body(*lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"id": "c-1", "email": "ana@example.com", "type": "b2c"},
        "currency": "PHP",
        "lines": [{"sku": sku, "quantity": qty, "unit_price": 59900} for sku, qty in lines],
        "shipping_address": {
            "name": "Ana Cruz",
            "line1": "1 Ayala Ave",
            "city": "Makati",
            "region": "Metro Manila",
            "postal_code": "1226",
            "country": "PH",
        },
        "service_level": "standard",
        "payment": {"method": "card", "token": "tok_visa"},
    }
    body.update(overrides)
    return body
