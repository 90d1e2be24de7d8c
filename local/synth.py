"""Synthesizes the CDK app into cdk.out/, skipping the work when nothing it reads has changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_INPUTS = ("infra", "functions", "shared/oms", "cdk.json", "requirements.lock")
_STAMP = ".oms-inputs.sha256"


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for entry in _INPUTS:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def ensure_synth(out: Path | None = None, force: bool = False) -> Path:
    """cdk.out/ for the current sources; synthesizes (a few seconds, needs node) only when stale."""
    out = out or ROOT / "cdk.out"
    digest = _inputs_digest()
    stamp = out / _STAMP
    if not force and stamp.exists() and stamp.read_text() == digest and (out / "manifest.json").exists():
        return out
    env = {**os.environ, "CDK_OUTDIR": str(out), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'shared'}"}
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"cdk synth failed (exit {result.returncode})")
    stamp.write_text(digest)
    return out
