"""`make run` logs a business outcome as one line a person can read, and OMS_LOCAL_TRACE=1 prints the order events."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from local import trace
from local.__main__ import _options
from local.cloud import _QuietStateFailures
from local.lambdas import answer_code
from oms.domain.lifecycle import NotYet
from oms.observability import problem_code
from oms.ports.carrier import NoCarrier
from oms.ports.payment import PaymentDeclined
from oms.signing import sign
from tests.e2e.conftest import checkout_body, free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_local_storefront"  # API.md's local defaults, as a reader of the README would use them
SECRET = "whsec_local"
CHECKOUT = checkout_body(("TSHIRT-RED-M", 1))


@dataclass
class Run:
    """`python -m local run` in a subprocess with OMS_LOCAL_TRACE=1, everything it prints in one file."""

    base: str
    log: Path

    def text(self, since: int = 0) -> str:
        return self.log.read_text()[since:]

    def mark(self) -> int:
        return len(self.log.read_text())

    def call(self, method: str, path: str, key: str | None = KEY, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return requests.request(
            method, self.base + path, headers=headers | kwargs.pop("headers", {}), timeout=60, **kwargs
        )

    def place(self, **overrides: Any) -> str:
        body = CHECKOUT | overrides
        reply = self.call("POST", "/v1/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert reply.status_code == 201, reply.text
        return str(reply.json()["order_id"])

    def webhook(self, partner: str, kind: str, data: dict[str, Any]) -> None:
        body = json.dumps({"id": str(uuid.uuid4()), "type": kind, "occurred_at": "2026-11-26T02:00:00Z", "data": data})
        signature = sign(body.encode(), SECRET, int(time.time()))
        reply = self.call("POST", f"/v1/webhooks/{partner}", key=None, data=body, headers={"OMS-Signature": signature})
        assert reply.status_code == 202, reply.text

    def order(self, order_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/v1/orders/{order_id}").json())

    def until(self, what: str, check: Callable[[], bool], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            assert time.monotonic() < deadline, f"no {what} within {seconds}s:\n{self.text()[-4000:]}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def run(cdk_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    port = free_port()
    log = tmp_path_factory.mktemp("readable") / "make-run.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("OMS_LOCAL_")} | {
        "OMS_LOCAL_TRACE": "1",
        "OMS_LOCAL_SQS_RETRY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "local", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Run(f"http://127.0.0.1:{port}", log)
    try:
        running.until("serving line", lambda: "try: curl" in running.text() or server.poll() is not None, 180)
        assert server.poll() is None, running.text()
        yield running
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def info_lines_naming(text: str, *words: str) -> list[str]:
    """The functions' and the runtime's INFO lines (JSON) holding every word."""
    lines = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") == "INFO" and all(w in line for w in words):
            lines.append(line)
    return lines


def assert_no_error_output(text: str) -> None:
    assert "Traceback" not in text, text
    assert '"level":"ERROR"' not in text and " ERROR " not in text, text


B2B_OVER_THE_LIMIT = {
    "customer": {"id": "tiny-co", "email": "ap@tiny.test", "type": "b2b", "company": "Tiny", "tax_id": "9"},
    "payment": {"method": "invoice"},
    "lines": [{"sku": "TSHIRT-RED-M", "quantity": 1, "unit_price": 9_000_000}],
}
NOWHERE = {"name": "X", "line1": "1 Nowhere", "city": "Nowhere", "postal_code": "00000", "country": "PH"}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"payment": {"method": "card", "token": "tok_decline"}}, "payment_declined"),
        (B2B_OVER_THE_LIMIT, "credit_limit_exceeded"),
        ({"shipping_address": NOWHERE}, "no_carrier_serves_address"),
    ],
    ids=["declined card", "credit limit", "no carrier"],
)
def test_a_rejected_order_logs_one_info_line_with_its_id_and_code_and_no_traceback(
    run: Run, overrides: dict[str, Any], code: str
) -> None:
    start = run.mark()
    order_id = run.place(**overrides)
    run.until("order.rejected trace line", lambda: f"order.rejected {order_id}" in run.text(start))

    assert run.order(order_id)["status"] == "rejected"
    output = run.text(start)
    assert_no_error_output(output)
    assert len(info_lines_naming(output, order_id, code)) == 1, output


def test_a_failed_capture_and_an_early_partner_event_log_one_info_line_each(run: Run) -> None:
    start = run.mark()
    order_id = run.place(payment={"method": "card", "token": "tok_capture_fail"})
    run.until("processing", lambda: run.order(order_id)["status"] == "processing")
    ref = {"order_id": order_id, "shipment_id": run.order(order_id)["shipments"][0]["shipment_id"]}

    run.webhook("carrier", "shipment.delivered", ref)  # before its "packed": retried until it applies
    run.until("early event", lambda: bool(info_lines_naming(run.text(start), order_id, "not_yet")))
    run.webhook("warehouse", "shipment.packed", ref)
    run.until("payment.capture_failed", lambda: f"payment.capture_failed {order_id}" in run.text(start))

    output = run.text(start)
    assert_no_error_output(output)
    assert len(info_lines_naming(output, order_id, "capture_failed")) == 1, output
    assert info_lines_naming(output, order_id, "not_yet"), output


def test_a_401_from_the_authorizer_prints_no_traceback(run: Run) -> None:
    start = run.mark()
    assert run.call("GET", "/v1/orders/ord_x", key="sk_not_a_key").status_code == 401
    time.sleep(0.3)

    output = run.text(start)
    assert_no_error_output(output)
    assert len(info_lines_naming(output, '"message":"unauthorized"')) == 1, output


def test_local_trace_prints_one_readable_line_per_order_event(run: Run) -> None:
    start = run.mark()
    order_id = run.place()
    run.until("processing", lambda: f"order.processing {order_id}" in run.text(start))

    lines = [line for line in run.text(start).splitlines() if order_id in line and not line.startswith("{")]
    assert len(lines) == 1, lines
    clock, kind, named, *rest = lines[0].split(" ")
    assert (len(clock), clock[2], kind, named) == (8, ":", "order.processing", order_id)
    assert "storefront=sf-local" in rest and "status=processing" in rest


# -- the parts, without a stack ----------------------------------------------------------------------


def test_local_trace_is_off_unless_the_variable_is_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMS_LOCAL_TRACE", raising=False)
    assert _options().trace is False
    monkeypatch.setenv("OMS_LOCAL_TRACE", "1")
    assert _options().trace is True


def test_a_trace_line_reads_type_order_storefront_then_the_details(capsys: pytest.CaptureFixture[str]) -> None:
    detail = {"order_id": "ord_1", "storefront_id": "sf-1", "status": "rejected", "reason": "card declined"}
    entry = {"DetailType": "order.rejected", "Detail": json.dumps({**detail, "storefront_subscribed": False})}

    trace.put([entry], [{"EventId": "e-1"}])
    assert capsys.readouterr().out == ""  # off by default
    trace.enable(True)
    try:
        trace.put([entry, entry], [{"EventId": "e-1"}, {"ErrorCode": "InvalidArgument"}])
    finally:
        trace.enable(False)

    (line,) = capsys.readouterr().out.splitlines()
    assert line[8:] == ' order.rejected ord_1 storefront=sf-1 status=rejected reason="card declined"'


def test_business_answers_have_a_code_and_bugs_have_none() -> None:
    try:
        raise RuntimeError("retry") from NotYet("not packed yet")
    except RuntimeError as wrapped:
        assert problem_code(wrapped) == "not_yet"
    early = BatchProcessingError("all failed", [(NotYet, NotYet("later"), None)])
    buggy = BatchProcessingError("all failed", [(NotYet, NotYet("later"), None), (KeyError, KeyError("x"), None)])

    assert problem_code(PaymentDeclined("declined")) == "payment_declined"
    assert problem_code(NoCarrier("nowhere")) == "no_carrier_serves_address"
    assert problem_code(early) == "not_yet"
    assert problem_code(buggy) is None
    assert problem_code(AttributeError("'str' object has no attribute 'refusal'")) is None
    assert answer_code(Exception("Unauthorized")) == "unauthorized"
    assert answer_code(Exception("boom")) is None


def test_moto_state_failures_of_our_errors_are_dropped_and_its_own_are_one_short_line() -> None:
    def record(error: str) -> logging.LogRecord:
        state = "(StateTask| {'name': 'BookAndRelease', " + "x" * 5000 + "})"
        return logging.LogRecord("moto", logging.ERROR, "", 0, "%s at '%s'", (error, state), None)

    quiet = _QuietStateFailures()
    ours = record("Exception=FailureEventException, Error=PaymentDeclined, Details={}")
    theirs = record("Exception=FailureEventException, Error=States.Runtime, Details={}")

    assert quiet.filter(ours) is False
    assert quiet.filter(theirs) is True
    assert (
        theirs.getMessage()
        == "Exception=FailureEventException, Error=States.Runtime, Details={} at 'StateTask BookAndRelease'"
    )
