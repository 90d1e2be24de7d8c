"""Shared by every test layer: the synthesized cloud assembly, made once per session (cached on disk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.synth import ensure_synth


@pytest.fixture(scope="session")
def cdk_out() -> Path:
    return ensure_synth()
