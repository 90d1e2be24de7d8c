"""Cold-start imports: each function's import time in a fresh interpreter, beside a bare Powertools handler.

What is measured, and how:

* For every function folder with a `handler.py` (`functions/<name>/handler.py`), a fresh interpreter
  (`sys.executable -c ...`) times `import functions.<name>.handler` with `time.perf_counter()`: the
  module-level work a Lambda cold start does before the first event (interpreter start-up itself is
  not in the figure). Each runs with PYTHONPATH=.:shared and the environment a function gets from the
  stack (OMS_* names, POWERTOOLS_*), with dummy values: nothing at import time reads AWS.
  POWERTOOLS_TRACE_DISABLED=true, as locally; on Lambda tracing is active, so the X-Ray SDK adds to
  every function alike, baseline included.
* The baseline is a bare Powertools handler module (Logger, Tracer, Metrics and an
  APIGatewayRestResolver with one route, the decorated handler), run as a `-c` string the same way.
* Every module is imported once untimed first (byte-code caches written, files in the page cache),
  then `repeats` rounds; each round measures every module once, in turn, so drift of the machine
  spreads over all of them. The figure is the median of the rounds, in milliseconds.
* `api_as_bundled_ms`: the api function as CDK bundles it (`functions/api` and `shared/oms` copied
  without __pycache__, as `infra.constructs.functions.CopyBundler` does) with
  PYTHONDONTWRITEBYTECODE=1: Lambda's /var/task is read-only, so the function's own modules are
  compiled from source at every cold start, while the layer and the runtime's boto3 have byte code.
* `heaviest_imports_ms`: one `-X importtime` run of the api module and of the baseline, self time
  summed per top-level package, and what the api adds per package over the baseline.

Times are this machine's, not Lambda arm64's: compare the ratio, not the milliseconds.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECTION = "import_ms"
REPEATS = 5
TARGET_RATIO = 1.5  # the goal: api import <= 1.5x the bare Powertools handler
TOP_PACKAGES = 8
TIMEOUT_S = 120.0

BASELINE = "baseline"
BASELINE_SOURCE = """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

logger = Logger(service="baseline")
tracer = Tracer(service="baseline")
metrics = Metrics(namespace="Baseline", service="baseline")
app = APIGatewayRestResolver()


@app.get("/ping")
def ping():
    return {"ok": True}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    return app.resolve(event, context)
"""

_TIMED = "import time\n_t = time.perf_counter()\n{body}\nprint(repr(time.perf_counter() - _t))\n"

# The environment CDK gives every function (names from infra/constructs), with dummy values.
_FUNCTION_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "POWERTOOLS_SERVICE_NAME": "oms",
    "POWERTOOLS_METRICS_NAMESPACE": "OMS",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "OMS_STAGE": "bench",
    "OMS_ORDERS_TABLE": "bench-orders",
    "OMS_INVENTORY_TABLE": "bench-inventory",
    "OMS_CONFIG_TABLE": "bench-config",
    "OMS_FULFIL_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:bench-fulfil",
    "OMS_SHIP_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:bench-ship",
    "OMS_PARTNER_EVENTS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-partner-events",
    "OMS_NOTIFICATIONS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-notifications",
    "OMS_EVENT_BUS_NAME": "bench",
    "OMS_SECRETS_PREFIX": "oms/bench/",
}
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


def function_names(root: Path = ROOT) -> list[str]:
    """Every function folder with a handler module, sorted."""
    return sorted(p.parent.name for p in (root / "functions").glob("*/handler.py"))


def environment(name: str, pythonpath: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: os.environ[key] for key in _KEEP if key in os.environ}
    env.update(_FUNCTION_ENV)
    env.update({"AWS_LAMBDA_FUNCTION_NAME": f"bench-{name}", "PYTHONPATH": pythonpath, "PYTHONHASHSEED": "0"})
    env.update(extra or {})
    return env


def _source(target: str) -> str:
    body = BASELINE_SOURCE if target == BASELINE else f"import functions.{target}.handler"
    return _TIMED.format(body=body)


def _run(code: str, env: dict[str, str], cwd: Path, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, *flags, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"import measurement failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return result


def measure(target: str, env: dict[str, str], cwd: Path = ROOT) -> float:
    """Milliseconds one fresh interpreter takes to import `target` (a function name, or BASELINE)."""
    out = _run(_source(target), env, cwd).stdout.strip().splitlines()
    return float(out[-1]) * 1000


def self_time_by_package(target: str, env: dict[str, str], cwd: Path = ROOT) -> dict[str, float]:
    """One `-X importtime` run: self time (ms) summed per top-level package of every module imported."""
    stderr = _run(_source(target), env, cwd, ("-X", "importtime")).stderr
    totals: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            totals[match.group(4).split(".")[0]] += int(match.group(1)) / 1000
    return dict(totals)


def _bundle(name: str, into: Path) -> Path:
    """The function's asset as CopyBundler builds it: functions/<name>, functions/__init__.py, oms/."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    (into / "functions").mkdir(parents=True)
    shutil.copy2(ROOT / "functions" / "__init__.py", into / "functions" / "__init__.py")
    shutil.copytree(ROOT / "functions" / name, into / "functions" / name, ignore=skip)
    shutil.copytree(ROOT / "shared" / "oms", into / "oms", ignore=skip)
    return into


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def run(repeats: int = REPEATS) -> dict[str, Any]:
    """Import time per function and of the baseline (median of `repeats` fresh interpreters each)."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    names = function_names()
    targets = [*names, BASELINE]
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "shared")])
    envs = {target: environment(target, pythonpath) for target in targets}
    samples: dict[str, list[float]] = {target: [] for target in targets}
    bundled: list[float] = []
    with tempfile.TemporaryDirectory(prefix="oms-bench-imports-") as tmp:
        asset = _bundle("api", Path(tmp) / "api")
        bundled_env = environment("api", str(asset), {"PYTHONDONTWRITEBYTECODE": "1"})
        for target in targets:  # untimed: byte code written, files cached
            measure(target, envs[target])
        measure("api", bundled_env, asset)
        for _ in range(repeats):
            for target in targets:
                samples[target].append(measure(target, envs[target]))
            bundled.append(measure("api", bundled_env, asset))
    api_packages = self_time_by_package("api", envs["api"])
    base_packages = self_time_by_package(BASELINE, envs[BASELINE])

    medians = {target: _median(values) for target, values in samples.items()}
    ratio = round(medians["api"] / medians[BASELINE], 2) if medians[BASELINE] else 0.0
    extra = {
        package: round(ms - base_packages.get(package, 0.0), 1)
        for package, ms in api_packages.items()
        if ms - base_packages.get(package, 0.0) > 0
    }
    top = dict(sorted(extra.items(), key=lambda kv: -kv[1])[:TOP_PACKAGES])
    notes = [
        f"median of {repeats} fresh interpreters per module, measured in turn in one run; "
        "import only (interpreter start-up excluded); this machine, not Lambda arm64: compare ratios",
        "POWERTOOLS_TRACE_DISABLED=true for every module and the baseline (Lambda has tracing on: "
        "the X-Ray SDK then loads in both)",
        f"api as bundled (no byte code for functions/ and oms/, as on Lambda's read-only /var/task): "
        f"{_median(bundled)} ms vs {medians['api']} ms with byte code",
        "heaviest_imports_ms: -X importtime self time per top-level package that the api adds over the "
        "baseline (one run each; -X importtime itself inflates every figure)",
    ]
    return {
        "import_ms": medians,
        "ratio_api_to_baseline": ratio,
        "target": {"api_over_baseline_at_most": TARGET_RATIO, "met": 0 < ratio <= TARGET_RATIO},
        "api_as_bundled_ms": _median(bundled),
        "samples_ms": {target: [round(v, 1) for v in values] for target, values in samples.items()},
        "heaviest_imports_ms": {
            "api_over_baseline_by_package": top,
            "api_by_package": dict(
                sorted(((k, round(v, 1)) for k, v in api_packages.items()), key=lambda kv: -kv[1])[:TOP_PACKAGES]
            ),
            "baseline_by_package": dict(
                sorted(((k, round(v, 1)) for k, v in base_packages.items()), key=lambda kv: -kv[1])[:TOP_PACKAGES]
            ),
        },
        "repeats": repeats,
        "notes": notes,
    }


def report(result: dict[str, Any]) -> str:
    figures = result["import_ms"]
    target = result["target"]
    lines = ["cold-start imports (median ms, fresh interpreter):"]
    for name, ms in figures.items():
        lines.append(f"  {name:<15} {ms:>8.1f}")
    verdict = "met" if target["met"] else "NOT met"
    lines.append(
        f"  api / baseline = {result['ratio_api_to_baseline']:.2f}x "
        f"(goal <= {target['api_over_baseline_at_most']}x: {verdict}); "
        f"api as bundled (no byte code) {result['api_as_bundled_ms']:.1f} ms"
    )
    heavy = result["heaviest_imports_ms"]["api_over_baseline_by_package"]
    if heavy:
        lines.append("  api adds over the baseline: " + ", ".join(f"{k} {v:.0f} ms" for k, v in heavy.items()))
    return "\n".join(lines)
