"""The local stack: the synthesized template brought up in moto, its functions in process, served over HTTP."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local import cloud, environ, isolation, trace
from local.assembly import Assembly, load
from local.async_invoke import retry_delays
from local.gateway import Gateway, serve
from local.http_api import HttpApi
from local.lambdas import LambdaRegistry
from local.pollers import Poller, mappings
from local.routes import http_apis, rest_api
from local.schedules import Timer, timers
from local.streams import StreamPoller, stream_mappings

log = logging.getLogger("oms.local")

STOP_JOIN_SECONDS = 10.0  # the longest a poller's batch in progress may hold up a stop

HANDLED_TYPES = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::StepFunctions::StateMachine",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::SecretsManager::Secret",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
}

_current: LocalStack | None = None  # moto's patches are process-wide, so is the running stack


@dataclass
class Options:
    # Seconds before a failed SQS message is received again (None: the queue's visibility timeout).
    sqs_retry_after: int | None = None
    # Seconds before the first retry of a failed event invocation, twice that before the second (None:
    # AWS's one minute, then two). Short by default: a local retry need not keep a test waiting.
    async_retry_after: float | None = 1.0
    # Seconds between schedule ticks (None: the rule's own rate).
    schedule_every: float | None = None
    start_background: bool = True
    # One line per order event put on the bus (OMS_LOCAL_TRACE=1).
    trace: bool = False
    # Seconds a DynamoDB stream poller waits at most to fill a batch (None: the mapping's own
    # MaximumBatchingWindowInSeconds), and before it delivers a failed batch again (None: 1 s).
    stream_window: float | None = None
    stream_retry_after: float | None = None


@dataclass
class LocalStack:
    assembly: Assembly
    options: Options = field(default_factory=Options)
    registry: LambdaRegistry = field(init=False)
    gateway: Gateway | None = field(init=False, default=None)
    report: list[str] = field(init=False, default_factory=list)
    unsupported: list[str] = field(init=False, default_factory=list)
    pollers: list[Poller] = field(init=False, default_factory=list)
    stream_pollers: list[StreamPoller] = field(init=False, default_factory=list)
    timers: list[Timer] = field(init=False, default_factory=list)
    _mock: Any = field(init=False, default=None)
    _server: Any = field(init=False, default=None)

    @classmethod
    def from_cdk_out(cls, cdk_out: Path, options: Options | None = None) -> LocalStack:
        return cls(load(cdk_out), options or Options())

    def start(self) -> LocalStack:
        global _current  # noqa: PLW0603
        from moto import mock_aws

        for key, value in {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": self.assembly.region,
        }.items():
            os.environ.setdefault(key, value)
        environ.install()
        isolation.install()  # concurrent invocations run as threads: each gets its own request state
        self._mock = mock_aws(config=cloud.MOTO_CONFIG)
        self._mock.start()
        _forget_process_caches()
        _current = self
        cloud.patch_moto(lambda: _current.registry if _current else None)
        cloud.quiet_state_failures()
        trace.enable(self.options.trace)
        self.report = cloud.create_resources(self.assembly)
        # After the resources: a function's environment may name a table's StreamArn, moto's only now.
        self.registry = LambdaRegistry.from_assembly(self.assembly)
        self.registry.retry_delays = retry_delays(self.options.async_retry_after)
        self.report += self.registry.async_report
        self.report += [f"function    {fn.name} ({fn.handler})" for fn in self.registry.functions]
        self.unsupported = cloud.not_emulated(self.assembly, HANDLED_TYPES)
        # On the REST API's port: a request an HTTP API routes goes there, anything else to the REST API.
        http = tuple(
            HttpApi(spec, region=self.assembly.region, account_id=self.assembly.account_id, invoke=self.registry.invoke)
            for spec in http_apis(self.assembly)
        )
        for one in http:
            throttle = one.spec.stage_throttle
            limits = f", {throttle.rate:g} rps burst {throttle.burst}" if throttle else ""
            routes = ", ".join(f"{r.method} {r.resource}" for r in one.spec.routes)
            self.report.append(f"http api    {one.spec.api_id} stage {one.spec.stage}{limits}: {routes}")
        api = rest_api(self.assembly)
        if api is not None:
            self.gateway = Gateway(
                rest_api_id=api.api_id,
                stage=api.stage,
                region=self.assembly.region,
                account_id=self.assembly.account_id,
                routes=api.routes,
                gateway_responses=api.gateway_responses,
                invoke=self.registry.invoke,
                api_key_source=api.api_key_source,
                api_keys=cloud.plan_keys(self.assembly, api.api_id, api.stage),
                stage_throttle=api.stage_throttle,
                http_apis=http,
            )
            throttle = api.stage_throttle
            limits = f", {throttle.rate:g} rps burst {throttle.burst}" if throttle else ""
            self.report.append(f"rest api    {api.api_id} stage {api.stage}{limits}: {len(api.routes)} routes")
        self.pollers = [
            Poller(m, self.registry, self.assembly.region, self.options.sqs_retry_after)
            for m in mappings(self.assembly)
        ]
        options = self.options
        streams, skipped = stream_mappings(self.assembly)  # after create_resources: moto's stream ARNs
        self.stream_pollers = [
            StreamPoller(m, self.registry, self.assembly.region, options.stream_window, options.stream_retry_after)
            for m in streams
        ]
        self.timers = timers(self.assembly, self.registry, self.options.schedule_every)
        self.report += [
            f"poller      {p.mapping.queue_url.rsplit('/', 1)[-1]} -> {p.mapping.function}" for p in self.pollers
        ]
        self.report += [f"stream      {p.mapping.table} -> {p.mapping.function}" for p in self.stream_pollers]
        self.report += [f"stream      {line}" for line in skipped]
        self.report += [f"schedule    {t.rule} every {t.every:g}s" for t in self.timers]
        if self.options.start_background:
            for worker in self._workers():
                worker.start()
        return self

    def bind(self, host: str, port: int) -> int:
        """Bind the HTTP server (a busy port fails here, before any work); returns the bound port."""
        if self.gateway is None:
            raise RuntimeError("the template has no REST API to serve")
        self._server = serve(self.gateway, host, port)
        return int(self._server.server_address[1])

    def serve(self, host: str | None = None, port: int = 0) -> int:
        """Serve in a background thread (binding first if `bind` was not called); returns the port."""
        if self._server is None:
            self.bind(host or "127.0.0.1", port)
        threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True).start()
        return int(self._server.server_address[1])

    def function_env(self, function: str) -> dict[str, str]:
        """The environment one function runs with (for seeding and the invoke command)."""
        return self.registry.environment(self.registry.find(function))

    def _workers(self) -> list[Poller | StreamPoller | Timer]:
        """The background threads: SQS pollers, DynamoDB stream pollers, then schedule timers."""
        return [*self.pollers, *self.stream_pollers, *self.timers]

    def stop(self) -> None:
        global _current  # noqa: PLW0603
        for worker in self._workers():
            worker.stop()
        for poller in [*self.pollers, *self.stream_pollers]:
            poller.join(STOP_JOIN_SECONDS)
        registry = getattr(self, "registry", None)  # absent when start failed early
        if registry is not None:
            registry.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._mock is not None:
            self._mock.stop()
        _forget_process_caches()
        trace.enable(False)
        _current = None


def _forget_process_caches() -> None:
    """Clients and config reads cached by the domain belong to one mock's lifetime (one stack)."""
    from oms import aws
    from oms.store import config

    aws.reset_clients()
    config.clear_cache()
