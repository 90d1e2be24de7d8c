"""Packed documents: what goes in comes out, under the dictionary it was written with."""

from __future__ import annotations

import json
import zlib

import pytest

from oms.store import compression

ORDER = {
    "order_id": "ord_01m8b6k7312ph7khs3n03z769k",
    "storefront_id": "sf-local",
    "lines": [{"sku": "TSHIRT-RED-M", "quantity": 1, "unit_price": 59900, "line_total": 59900, "tax": 7188}],
    "shipments": [{"shipment_id": "1", "location_id": "mnl-wh-1", "status": "released", "lines": []}],
    "timeline": [{"at": "2026-11-26T05:52:29.793859Z", "type": "order.accepted", "detail": {"total": 553056}}],
    "note": "Ünïcode survives, and so do numbers like 0.1 and -7",
    "ratio": 0.1,
    "delta": -7,
    "flag": None,
}


def test_a_packed_document_unpacks_to_the_same_document() -> None:
    assert compression.expand(compression.compress(ORDER)) == ORDER


def test_the_first_byte_names_the_dictionary_so_older_items_stay_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    old = compression.compress(ORDER)
    monkeypatch.setitem(compression._DICTIONARIES, 2, b'{"a whole new dictionary":[]}')
    monkeypatch.setattr(compression, "_CURRENT", 2)
    new = compression.compress(ORDER)
    assert (old[0], new[0]) == (1, 2)
    assert compression.expand(old) == compression.expand(new) == ORDER


def test_the_dictionary_makes_an_order_smaller_than_deflate_alone() -> None:
    plain = zlib.compress(json.dumps(ORDER, separators=(",", ":")).encode(), 9)
    assert len(compression.compress(ORDER)) < len(plain)


def test_a_lone_surrogate_in_some_partners_text_does_not_make_the_document_unsavable() -> None:
    document = {"reason": "refused: \ud800 garbled"}
    assert compression.expand(compression.compress(document)) == document
