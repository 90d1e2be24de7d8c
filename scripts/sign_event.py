"""Re-signs a sample webhook proxy event for now, so `make invoke FN=webhooks` gets past the 5-minute window.

    python -m scripts.sign_event events/webhooks/shipment_packed.json [--secret whsec_local] [--in-place]

The OMS-Signature covers a timestamp, so a sample stored with a fixed one is stale within minutes.
This signs the event's raw body again with `oms.signing.sign` and prints the event on stdout
(`--in-place` writes it back instead): pipe it into `python -m local invoke webhooks /dev/stdin`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# `python -m scripts.sign_event` outside make has no PYTHONPATH pointing at the domain package.
if str(ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared"))

from oms import signing  # noqa: E402

DEFAULT_SECRET = os.environ.get("OMS_LOCAL_PARTNER_SECRET", "whsec_local")


def raw_body(event: dict[str, Any]) -> bytes:
    """The bytes the partner sent: what API Gateway put in `body`, decoded if it is base64."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode()


def sign_event(event: dict[str, Any], secret: str, at: int | None = None) -> dict[str, Any]:
    """The event with its OMS-Signature (in headers and multiValueHeaders) made for time `at` (default now)."""
    header = signing.sign(raw_body(event), secret, int(time.time()) if at is None else at)
    signed = dict(event)
    for field, value in (("headers", header), ("multiValueHeaders", [header])):
        current = {k: v for k, v in (event.get(field) or {}).items() if k.lower() != signing.SIGNATURE_HEADER.lower()}
        signed[field] = {**current, signing.SIGNATURE_HEADER: value}
    return signed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.sign_event", description=__doc__.splitlines()[0])
    parser.add_argument("event", type=Path, help="a webhook proxy event, e.g. events/webhooks/shipment_packed.json")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="the partner's secret (default: the local one)")
    parser.add_argument("--at", type=int, default=None, help="unix time to sign for (default: now)")
    parser.add_argument("--in-place", action="store_true", help="rewrite the file instead of printing")
    args = parser.parse_args(argv)
    signed = sign_event(json.loads(args.event.read_text()), args.secret, args.at)
    text = json.dumps(signed, indent=2) + "\n"
    if args.in_place:
        args.event.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
