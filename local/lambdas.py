"""Runs the template's Lambda functions in process: each with its environment and a Lambda context."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local import environ
from local.assembly import Assembly
from local.async_invoke import AsyncConfig, async_configs, failure_record, retry_delays

log = logging.getLogger("oms.local.lambda")

# What the Lambda service sets in every function's environment, and what differs locally.
_LOCAL_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    # No X-Ray daemon runs locally: the tracer would only warn on every segment.
    "POWERTOOLS_TRACE_DISABLED": "true",
}


_async = threading.local()  # the asynchronous event this thread runs, if any


def async_source() -> str | None:
    """Who sent the asynchronous event this thread runs ("events": an EventBridge rule, "lambda": a
    function's invoke), or None for any other invocation. Read by the cost benchmark's meters."""
    source: str | None = getattr(_async, "source", None)
    return source


class LambdaCrash(Exception):
    """The handler raised: carries the error type, message and stack as Lambda reports them, and the
    problem code when the raise was a business answer rather than a bug (see `answer_code`)."""

    def __init__(
        self, message: str, error_type: str = "Exception", stack: list[str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.stack = stack or []
        self.code = code

    def payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": str(self), "stackTrace": self.stack}


def answer_code(error: BaseException) -> str | None:
    """The problem code when a handler raised to answer (a declined card for the workflow's Catch, a
    401 from the authorizer), None when it raised because of a bug: only a bug prints a stack trace."""
    # API Gateway's contract: a TOKEN authorizer raises exactly this to answer 401.
    if type(error) is Exception and str(error) == "Unauthorized":
        return "unauthorized"
    from oms.observability import problem_code  # loaded by then: the failing function imported it

    return problem_code(error)


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LambdaFunction:
    logical_id: str
    name: str
    arn: str
    handler: str
    environment: dict[str, str]
    memory_mb: int
    timeout_s: int


@dataclass
class InvocationStats:
    """Counts and durations per function, read by the cost benchmark."""

    invocations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, name: str, seconds: float, failed: bool) -> None:
        with self._lock:
            self.invocations[name] += 1
            self.seconds[name] += seconds
            if failed:
                self.errors[name] += 1


class LambdaRegistry:
    def __init__(
        self,
        functions: list[LambdaFunction],
        async_config: dict[str, AsyncConfig] | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.functions = functions
        self._by_key = {key: fn for fn in functions for key in (fn.name, fn.arn, fn.logical_id)}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._import_lock = threading.Lock()
        self.stats = InvocationStats()
        self.async_config = async_config or {}
        self.async_report: list[str] = []
        self.region = region
        # Waits before the first and second retry of an event invocation (see local.async_invoke).
        self.retry_delays = retry_delays(None)
        self._stopped = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()
        self._sqs: Any = None

    @classmethod
    def from_assembly(cls, assembly: Assembly) -> LambdaRegistry:
        functions = []
        for logical_id, props in assembly.of_type("AWS::Lambda::Function"):
            physical = assembly.physical(logical_id)
            functions.append(
                LambdaFunction(
                    logical_id=logical_id,
                    name=physical.ref,
                    arn=physical.attrs["Arn"],
                    handler=props["Handler"],
                    environment={k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
                    memory_mb=int(props.get("MemorySize", 128)),
                    timeout_s=int(props.get("Timeout", 3)),
                )
            )
        configs, report = async_configs(assembly)
        registry = cls(functions, configs, assembly.region)
        registry.async_report = report
        return registry

    def find(self, key: str) -> LambdaFunction:
        """A function by name, ARN (qualifier stripped) or logical id, or by the handler's package name."""
        key = key.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0] if ":function:" in key else key
        if key in self._by_key:
            return self._by_key[key]
        matches = [fn for fn in self.functions if fn.handler.split(".")[1:2] == [key]]
        if len(matches) == 1:
            return matches[0]
        raise KeyError(f"no function {key!r} in the template")

    def knows(self, key: str) -> bool:
        try:
            self.find(key)
        except KeyError:
            return False
        return True

    def environment(self, fn: LambdaFunction) -> dict[str, str]:
        return {
            **_LOCAL_ENV,
            **fn.environment,
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "_HANDLER": fn.handler,
        }

    def _handler(self, fn: LambdaFunction) -> Callable[[Any, Any], Any]:
        if fn.name not in self._handlers:
            with self._import_lock:
                module_name, _, attr = fn.handler.rpartition(".")
                self._handlers[fn.name] = getattr(importlib.import_module(module_name), attr)
        return self._handlers[fn.name]

    def invoke(self, key: str, event: Any, request_id: str | None = None) -> Any:
        """Run the function now, in this thread; a raised exception becomes LambdaCrash."""
        fn = self.find(key)
        context = LambdaContext(fn.name, fn.memory_mb, fn.arn, fn.timeout_s)
        if request_id:
            context.aws_request_id = request_id  # an event's retries keep its request id, as on AWS
        started = time.perf_counter()
        failed = True
        with environ.scoped(self.environment(fn)):
            try:
                result = self._handler(fn)(event, context)
                failed = False
                return result
            except Exception as error:
                stack = traceback.format_exception(error)
                code = answer_code(error)
                if code is None:
                    log.error("%s failed (request %s):\n%s", fn.name, context.aws_request_id, "".join(stack))
                else:  # the function logged its own line; the caller (a poller, the gateway) acts on it
                    log.debug("%s answered %s (request %s)", fn.name, code, context.aws_request_id)
                raise LambdaCrash(str(error), type(error).__name__, stack, code) from error
            finally:
                self.stats.record(fn.name, time.perf_counter() - started, failed)

    def invoke_async(self, key: str, event: Any, source: str = "lambda") -> None:
        """Event invocation: the caller does not wait. A crash is logged and retried, then the event goes to
        the function's on-failure destination, as its EventInvokeConfig says (local.async_invoke)."""
        fn = self.find(key)
        config = self.async_config.get(fn.name, AsyncConfig())
        # Lambda keeps a copy: the caller's object may change after it is handed over.
        event = json.loads(json.dumps(event))
        with self._idle:
            self._in_flight += 1
        threading.Thread(
            target=self._run_event, args=(fn, config, event, source), name=f"lambda-{fn.name}", daemon=True
        ).start()

    def _run_event(self, fn: LambdaFunction, config: AsyncConfig, event: Any, source: str) -> None:
        request_id = str(uuid.uuid4())
        accepted = time.monotonic()
        attempts = 0
        _async.source = source
        try:
            while True:
                attempts += 1
                try:
                    self.invoke(fn.name, event, request_id)
                    return
                except LambdaCrash as crash:  # a bug was logged with its stack; an answer, by the function
                    error = crash.payload()
                if attempts > config.max_retries:
                    condition = "RetriesExhausted"
                    break
                delay = self.retry_delays[min(attempts, len(self.retry_delays)) - 1]
                if time.monotonic() - accepted + delay > config.max_age_s:
                    condition = "EventAgeExceeded"
                    break
                if self._stopped.wait(delay):
                    return  # the stack stopped: the event goes with it
                log.info("%s: retrying event invocation %s (attempt %d)", fn.name, request_id, attempts + 1)
            self._on_failure(fn, config, condition, attempts, event, error, request_id)
        finally:
            _async.source = None
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _on_failure(
        self,
        fn: LambdaFunction,
        config: AsyncConfig,
        condition: str,
        attempts: int,
        event: Any,
        error: dict[str, Any],
        request_id: str,
    ) -> None:
        if config.on_failure_queue_url is None:
            log.warning("%s: event invocation %s dropped (%s, no destination)", fn.name, request_id, condition)
            return
        record = failure_record(
            function_arn=fn.arn,
            request_id=request_id,
            condition=condition,
            attempts=attempts,
            event=event,
            error=error,
        )
        with self._import_lock:
            if self._sqs is None:
                import boto3

                self._sqs = boto3.client("sqs", region_name=self.region)
        self._sqs.send_message(QueueUrl=config.on_failure_queue_url, MessageBody=json.dumps(record))
        queue = config.on_failure_queue_url.rsplit("/", 1)[-1]
        log.info("%s: event invocation %s sent to %s (%s)", fn.name, request_id, queue, condition)

    @property
    def in_flight(self) -> int:
        """Event invocations accepted and not yet done (running, waiting to retry)."""
        with self._idle:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no event invocation is in flight; False if some still were after `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def stop(self) -> None:
        """Cancel the waits before retries (the stack is stopping)."""
        self._stopped.set()
