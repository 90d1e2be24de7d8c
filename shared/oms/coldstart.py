"""What a function does once per cold start, to keep it short."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Import a function's modules with the garbage collector paused.

    Loading the api builds some 60,000 objects that live as long as the process (pydantic schemas
    and validators, routes, models); the collector would walk them ~200 times during the import to
    free under a thousand, a sixth of the cold start. It runs as usual once the modules are loaded.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
