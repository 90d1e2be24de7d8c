"""The embedded local runtime: runs the synthesized CDK stack in one process, on moto, served over HTTP."""

import sys
from pathlib import Path

# Lambda assets put `functions/` and `oms/` side by side at the root; the source tree keeps `oms` under
# shared/. Mirror the asset layout so handlers import here exactly as they do in Lambda.
_ROOT = Path(__file__).resolve().parent.parent
for _path in (str(_ROOT / "shared"), str(_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
