"""The function a DynamoDB stream mapping feeds in tests/local/test_streams.py: keeps every event it
receives and answers as the test tells it (`answer` may return a response or raise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

events: list[dict[str, Any]] = []
answer: Callable[[dict[str, Any]], Any] | None = None


def handler(event: dict[str, Any], context: Any) -> Any:
    events.append(event)
    return answer(event) if answer is not None else None


def reset() -> None:
    global answer  # noqa: PLW0603 - the test's switch for the in-process function
    events.clear()
    answer = None
