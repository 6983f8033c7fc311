"""go-yaml v2 resolution, Go string coercion, sanitizeString, and hostile-input guards."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from resolver.chart.yaml11 import (
    _RECENT_MAX,
    GoTimestamp,
    compose,
    compose_first,
    duplicate_keys,
    format_float32,
    go_string,
    read_text,
    resolve_plain,
    sanitize,
)
from resolver.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y", True),
        ("Yes", True),
        ("ON", True),
        ("n", False),
        ("off", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("010", 8),
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("-0b11", -3),
        ("1_000", 1000),
        ("+12", 12),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("1.", 1.0),
        ("09", 9.0),
        ("1:30", "1:30"),
        ("1.2.3", "1.2.3"),
        ("v1", "v1"),
        ("yes please", "yes please"),
        ("9223372036854775808", 9223372036854775808),
        ("-9223372036854775809", -9223372036854775809.0),
    ],
)
def test_resolve_plain_like_go_yaml_v2(text: str, expected: object) -> None:
    got = resolve_plain(text)
    assert got == expected
    assert type(got) is type(expected)


def test_timestamps_stay_text() -> None:
    assert isinstance(resolve_plain("2006-01-02"), GoTimestamp)
    assert resolve_plain("2006-01-02") == "2006-01-02"


def test_special_floats() -> None:
    assert math.isinf(resolve_plain(".inf"))
    assert math.isnan(resolve_plain(".NaN"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.10, "1.1"),
        (1.123456789, "1.1234568"),
        (1234567.0, "1.234567e+06"),
        (1.5, "1.5"),
        (0.37, "0.37"),
        (100000.0, "100000"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (2.0, "2"),
        (1e21, "1e+21"),
        (math.inf, ".inf"),
        (1e300, ".inf"),
        (-1e300, "-.inf"),
    ],
)
def test_float32_formatting(value: float, expected: str) -> None:
    assert format_float32(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (True, "true"), (False, "false"), (8, "8"), (1.1, "1.1"), ("x", "x")],
)
def test_go_string(value: object, expected: str) -> None:
    assert go_string(value) == expected


def test_sanitize_matches_helm() -> None:
    assert sanitize("a\tb") == "a b"
    assert sanitize("a\u00a0b") == "a b"
    assert sanitize("a\u200bb") == "ab"
    assert sanitize("a\u2028b") == "a b"
    assert sanitize("  >= 1.0  ") == "  >= 1.0  "
    assert sanitize("emoji 🚀") == "emoji 🚀"


def test_invalid_yaml_reports_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        compose("a: [1, 2\nb: 3\n", "Chart.yaml")
    assert info.value.path == "Chart.yaml"
    assert info.value.line is not None
    assert str(info.value).startswith("Chart.yaml:")
    assert "\n" not in str(info.value)


def test_alias_bomb_is_refused() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(InputError, match="alias bomb"):
        compose("\n".join(lines) + "\n", "values.yaml")


def test_duplicate_keys_are_allowed_and_listed() -> None:
    node = compose("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert node is not None
    assert [k.value for k in duplicate_keys(node)] == ["a"]  # type: ignore[arg-type]


def test_read_text_guards(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert read_text(bom, "bom.yaml") == "name: x\n"
    binary = tmp_path / "bad.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_text(binary, "bad.yaml")
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path, "dir")
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "missing.yaml", "missing.yaml")


def test_the_same_text_is_composed_once_per_run_of_reads() -> None:
    # Lint rules read a chart's Chart.yaml one after another: the tree is shared, not rebuilt.
    text = "apiVersion: v2\nname: app\nversion: 1.0.0\n"
    first = compose(text, "Chart.yaml")
    assert compose("".join(text), "other/Chart.yaml") is first  # equal text, another object
    assert compose(text + "# c\n", "Chart.yaml") is not first
    both = "a: 1\n---\nb: 2\n"
    assert compose_first(both, "values.yaml") is not None
    with pytest.raises(InputError):  # the first-document read is not a whole-text read
        compose(both, "values.yaml")


def test_the_composed_tree_memory_stays_bounded() -> None:
    first = compose("a: 0\n", "v.yaml")
    for i in range(1, _RECENT_MAX + 1):
        compose(f"a: {i}\n", "v.yaml")
    again = compose("a: 0\n", "v.yaml")
    assert again is not first  # evicted, composed anew
    assert again is not None and first is not None
    assert again.value[0][1].value == first.value[0][1].value == "0"  # type: ignore[attr-defined]


def test_a_failing_text_fails_every_time_with_its_reader_file_name() -> None:
    for name in ("a.yaml", "b.yaml"):
        with pytest.raises(InputError) as info:
            compose("a: [1\n", name)
        assert info.value.path == name


def test_threads_composing_at_once_get_their_own_documents() -> None:
    import threading

    errors: list[BaseException] = []

    def work(base: int) -> None:
        try:
            for i in range(300):
                node = compose(f"n: {base + i}\n", "v.yaml")
                assert node is not None
                assert node.value[0][1].value == str(base + i)  # type: ignore[attr-defined]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
