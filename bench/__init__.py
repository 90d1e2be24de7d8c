"""Benchmarks of the OMS on the embedded local stack (`make bench`, or `python -m bench [name ...]`).

Each benchmark is a module with a `run(...)` function that returns its figures and a `report(...)`
that prints them; `python -m bench` runs them and merges every section into `.bench/results.json`.
Targets live here, beside the figures they judge, never in the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "results.json"


def merge_results(section: str, figures: dict[str, Any], path: Path = RESULTS) -> Path:
    """Write one benchmark's section into results.json, keeping the sections of the others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            results = loaded
    results[section] = figures
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def read_section(section: str, path: Path = RESULTS) -> dict[str, Any]:
    """One section of results.json as it stands ({} when there is none)."""
    try:
        loaded = json.loads(path.read_text()) if path.exists() else {}
    except json.JSONDecodeError:
        return {}
    found = loaded.get(section) if isinstance(loaded, dict) else None
    return found if isinstance(found, dict) else {}
