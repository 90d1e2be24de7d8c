"""`python -m local run` serves the synthesized stack; `python -m local invoke FN EVENT` runs one function."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.runtime import LocalStack, Options
from local.synth import ROOT, ensure_synth


def _options() -> Options:
    retry = os.environ.get("OMS_LOCAL_SQS_RETRY_SECONDS")
    every = os.environ.get("OMS_LOCAL_SCHEDULE_SECONDS")
    window = os.environ.get("OMS_LOCAL_STREAM_WINDOW_SECONDS")
    stream_retry = os.environ.get("OMS_LOCAL_STREAM_RETRY_SECONDS")
    async_retry = os.environ.get("OMS_LOCAL_ASYNC_RETRY_SECONDS")
    return Options(
        sqs_retry_after=int(retry) if retry else None,
        schedule_every=float(every) if every else None,
        trace=os.environ.get("OMS_LOCAL_TRACE", "") == "1",
        stream_window=float(window) if window else None,
        stream_retry_after=float(stream_retry) if stream_retry else None,
        async_retry_after=float(async_retry) if async_retry else Options.async_retry_after,
    )


def run(host: str, port: int, seed_data: bool) -> int:
    print("synthesizing the CDK app (cached while infra/, functions/ and shared/ are unchanged) ...", flush=True)
    stack = LocalStack.from_cdk_out(ensure_synth(), _options()).start()
    print(f"\nlocal stack {stack.assembly.stack_name} from cdk.out/:")
    for line in stack.report:
        print(f"  {line}")
    if stack.unsupported:
        print("not emulated locally:")
        for line in stack.unsupported:
            print(f"  {line}")
    try:
        bound = stack.bind(host, port)
    except OSError as error:
        print(
            f"\ncannot serve on {host}:{port}: {error}. Is another `make run` running? "
            f"Choose another port with OMS_PORT=3001 make run",
            file=sys.stderr,
        )
        stack.stop()
        return 2
    if seed_data:
        from local.seed import seed

        creds = seed(stack)  # before serving: no request may see half-seeded data
    stack.serve()
    base = f"http://{host}:{bound}"
    print(f"\nserving on {base}  (Ctrl-C stops)")
    print(f"  health   {base}/health\n  docs     {base}/docs\n  openapi  {base}/openapi.json")
    if seed_data:
        for storefront_id, key in creds.storefront_keys.items():
            print(f"  storefront {storefront_id:<11} Authorization: Bearer {key}")
        print(f"  admin                  Authorization: Bearer {creds.admin_key}")
        print(f"  partners warehouse, carrier, payments, erp: webhook secret {creds.partner_secret}")
        print(
            f"  try: curl -s '{base}/v1/availability?sku=TSHIRT-RED-M' "
            f"-H 'Authorization: Bearer {creds.storefront_keys['sf-local']}'",
            flush=True,
        )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    print("\nstopping", flush=True)
    stack.stop()
    return 0


def invoke(function: str, event_file: Path, seed_data: bool) -> int:
    """Like `sam local invoke`: a fresh local stack, one invocation, the result on stdout."""
    result_out = sys.stdout
    # As with `sam local invoke`: the function's logs on stderr, its result alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        stack = LocalStack.from_cdk_out(ensure_synth(), Options(start_background=False)).start()
        try:
            if seed_data:
                from local.seed import seed

                seed(stack)
            event = json.loads(event_file.read_text())
            try:
                result = stack.registry.invoke(function, event)
            except Exception as error:  # the crash is logged with its stack by the registry
                failure = {"errorType": type(error).__name__, "errorMessage": str(error)}
                print(json.dumps(failure, indent=2), file=result_out)
                return 1
        finally:
            stack.stop()
    print(json.dumps(result, indent=2, default=str), file=result_out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="serve the local stack with demo data")
    run_cmd.add_argument("--host", default=os.environ.get("OMS_HOST", "127.0.0.1"))
    run_cmd.add_argument("--port", type=int, default=int(os.environ.get("OMS_PORT", "3000")))
    run_cmd.add_argument("--no-seed", action="store_true", help="start with empty tables")
    invoke_cmd = commands.add_parser("invoke", help="run one function with a sample event")
    invoke_cmd.add_argument("function", help="api, authorizer, webhooks, partner_events, workflow, sweeper, notifier")
    invoke_cmd.add_argument("event", type=Path, help="a JSON event file, e.g. events/api/health.json")
    invoke_cmd.add_argument("--no-seed", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("OMS_LOCAL_LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.chdir(ROOT)
    if args.command == "run":
        return run(args.host, args.port, not args.no_seed)
    return invoke(args.function, args.event, not args.no_seed)


if __name__ == "__main__":
    sys.exit(main())
