"""Go encoding/json output, byte for byte."""

from __future__ import annotations

import pytest

from resolver.chart.gojson import encode_string, format_float64, marshal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        (2.0, "2"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (12345678901234567890, "12345678901234567000"),
        (1e20, "100000000000000000000"),
        (0.1, "0.1"),
        (-3.5, "-3.5"),
        (123.456, "123.456"),
    ],
)
def test_float64(value: float, expected: str) -> None:
    assert format_float64(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),
        ("line\u2028sep\u2029", '"line\\u2028sep\\u2029"'),
        ('q"b\\', '"q\\"b\\\\"'),
        ("\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'),
        ("\x01\x1f", '"\\u0001\\u001f"'),
        ("emoji 🚀 é", '"emoji 🚀 é"'),
    ],
)
def test_strings(text: str, expected: str) -> None:
    assert encode_string(text) == expected


def test_maps_sorted_by_bytes_and_nested() -> None:
    value = {"b": [1, None, True], "a": {"z": 1.5, "B": "x"}, "é": False}
    assert marshal(value) == '{"a":{"B":"x","z":1.5},"b":[1,null,true],"é":false}'


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError):
        marshal(float("nan"))
