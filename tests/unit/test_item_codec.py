"""The DynamoDB attribute-value codec: plain values in, the wire format out, and back unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms.store import from_item, to_item


def test_plain_values_round_trip_through_the_wire_format() -> None:
    data = {
        "name": "Ana",
        "count": 3,
        "ratio": 0.1,
        "big": 10**20,
        "negative": -7,
        "flag": True,
        "off": False,
        "body": b"\x01\x02",
        "nested": {"lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}], "empty": []},
    }
    assert from_item(to_item(data)) == data


def test_the_wire_format_is_dynamodbs() -> None:
    assert to_item({"n": 1, "f": 0.1, "b": True, "s": "x", "m": {"k": [1]}, "d": Decimal("2.50")}) == {
        "n": {"N": "1"},
        "f": {"N": "0.1"},
        "b": {"BOOL": True},
        "s": {"S": "x"},
        "m": {"M": {"k": {"L": [{"N": "1"}]}}},
        "d": {"N": "2.50"},
    }


def test_absent_values_are_absent_attributes_at_any_depth() -> None:
    assert to_item({"a": None, "m": {"b": None, "c": 1}}) == {"m": {"M": {"c": {"N": "1"}}}}


def test_whole_numbers_read_back_as_int_and_fractions_as_float() -> None:
    assert from_item({"a": {"N": "14.0"}, "b": {"N": "2.5"}, "c": {"NULL": True}}) == {"a": 14, "b": 2.5, "c": None}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}, object()])
def test_values_dynamodb_cannot_hold_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        to_item({"v": value})
