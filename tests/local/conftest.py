"""The local runtime in process, on the real synthesized template, one fresh stack per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.runtime import LocalStack, Options
from local.seed import Credentials, seed


@dataclass
class Client:
    """Calls the local gateway in process (no socket): the same path a request over HTTP takes."""

    stack: LocalStack
    creds: Credentials

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        assert self.stack.gateway is not None
        sent = [
            ("Authorization", f"Bearer {key or self.creds.storefront_keys['sf-local']}"),
            ("Content-Type", "application/json"),
            *(headers or {}).items(),
        ]
        status, _, reply = self.stack.gateway.handle(
            method, path, sent, json.dumps(body).encode() if body is not None else b""
        )
        return status, json.loads(reply) if reply else None

    @property
    def admin(self) -> str:
        return self.creds.admin_key


@pytest.fixture
def stack(cdk_out: Path) -> Iterator[LocalStack]:
    running = LocalStack.from_cdk_out(cdk_out, Options(sqs_retry_after=0, schedule_every=3600)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(stack: LocalStack) -> Client:
    return Client(stack, seed(stack))
