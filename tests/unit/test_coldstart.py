"""Cold-start loading: the collector paused while a function imports, and running again after."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oms.coldstart import loading

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))


def failing_import() -> None:
    with loading():
        assert not gc.isenabled()
        raise ImportError("a module that is not there")


def test_the_collector_is_paused_inside_and_runs_again_after_even_when_an_import_fails() -> None:
    assert gc.isenabled()
    with pytest.raises(ImportError):
        failing_import()
    assert gc.isenabled()


def test_a_collector_someone_else_paused_stays_paused() -> None:
    gc.disable()
    try:
        with loading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("function", HANDLERS)
def test_every_function_leaves_the_collector_running_once_loaded(function: str) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'shared'}", "POWERTOOLS_TRACE_DISABLED": "true"}
    code = f"import gc, functions.{function}.handler; print(gc.isenabled())"
    answer = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert answer.stdout.strip().splitlines()[-1] == "True"
