"""The surgical editor: only the edited scalars' bytes change, else the file is refused."""

from __future__ import annotations

import pytest

from resolver.autofix.editor import EditRefused, ScalarEdit, edit_bytes

D = "sha256:" + "ab" * 32


def _pin(data: bytes, *edits: tuple[int, int, str, str]) -> bytes:
    return edit_bytes(data, [ScalarEdit(*edit) for edit in edits])


def test_plain_scalar_keeps_comment_and_spacing() -> None:
    data = b"image:\n  tag: 1.2.3   # pinned later\n\n# trailing\n"
    assert _pin(data, (2, 8, "1.2.3", f"1.2.3@{D}")) == (
        f"image:\n  tag: 1.2.3@{D}   # pinned later\n\n# trailing\n".encode()
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"1.2"', f'"1.2@{D}"'),
        ("'1.2'", f"'1.2@{D}'"),
    ],
)
def test_quoting_style_is_kept(written: str, expected: str) -> None:
    data = f"tag: {written}\n".encode()
    assert _pin(data, (1, 6, "1.2", f"1.2@{D}")) == f"tag: {expected}\n".encode()


def test_crlf_and_bom_are_kept() -> None:
    data = b"\xef\xbb\xbf# c\r\nimage: nginx:1.2\r\nother: x\r\n"
    out = _pin(data, (2, 8, "nginx:1.2", f"nginx:1.2@{D}"))
    assert out == f"\ufeff# c\r\nimage: nginx:1.2@{D}\r\nother: x\r\n".encode()


def test_anchor_is_kept_and_aliases_follow() -> None:
    data = b"a: &t 1.2x\nb: *t\n"
    assert _pin(data, (1, 4, "1.2x", "1.3x")) == b"a: &t 1.3x\nb: *t\n"


def test_flow_mapping_value_is_quoted_when_plain_is_unsafe() -> None:
    data = b"image: {repository: nginx, tag: 1.2x}\n"
    out = _pin(data, (1, 33, "1.2x", f"1.2x@{D}"))
    assert out == f'image: {{repository: nginx, tag: "1.2x@{D}"}}\n'.encode()


def test_every_document_of_a_values_file() -> None:
    data = b"a: x:1\n---\n# second\nb: y:2\n"
    out = _pin(data, (1, 4, "x:1", "x:1@z"), (4, 4, "y:2", "y:2@z"))
    assert out == b"a: x:1@z\n---\n# second\nb: y:2@z\n"


def test_two_edits_on_one_line() -> None:
    data = b"l: [a:1, 'b:2']\n"
    out = _pin(data, (1, 5, "a:1", "a:1@z"), (1, 10, "b:2", "b:2@z"))
    assert out == b"l: [\"a:1@z\", 'b:2@z']\n"


def test_no_edits_returns_the_same_bytes() -> None:
    data = b"a: b\n"
    assert edit_bytes(data, []) is data


def test_a_scalar_that_is_not_there_is_refused() -> None:
    with pytest.raises(EditRefused) as caught:
        _pin(b"tag: 1.2x\n", (1, 6, "1.3x", "1.3x@z"))
    assert caught.value.line == 1
    assert "no scalar '1.3x' starts here" in caught.value.reason


def test_a_wrong_position_is_refused() -> None:
    with pytest.raises(EditRefused):
        _pin(b"tag: 1.2x\n", (1, 5, "1.2x", "1.2x@z"))


def test_block_scalars_are_refused() -> None:
    with pytest.raises(EditRefused, match="block scalars"):
        _pin(b"tag: |\n  1.2\n", (1, 6, "1.2\n", "1.3"))


def test_invalid_yaml_is_refused() -> None:
    with pytest.raises(EditRefused, match="not valid YAML"):
        _pin(b"a: [\n", (1, 4, "x", "y"))


def test_not_utf8_is_refused() -> None:
    with pytest.raises(EditRefused, match="UTF-8"):
        _pin(b"a: \xff\n", (1, 4, "x", "y"))


def test_a_new_value_that_reads_back_differently_is_refused() -> None:
    # a value needing a line break cannot be written into a single-quoted scalar faithfully
    with pytest.raises(EditRefused, match="read back"):
        _pin(b"a: 'x'\n", (1, 4, "x", "x\n  y"))


def test_conflicting_edits_of_one_scalar_are_refused() -> None:
    with pytest.raises(EditRefused, match="two different edits"):
        _pin(b"a: x\n", (1, 4, "x", "y"), (1, 4, "x", "z"))


def test_an_integer_tag_becomes_a_string_pin() -> None:
    assert _pin(b"tag: 7\n", (1, 6, "7", "7@z")) == b"tag: 7@z\n"


def test_non_ascii_text_before_the_edit() -> None:
    data = '# é€😀\nimage: "ü/x:1"\nk: v\n'.encode()
    out = _pin(data, (2, 8, "ü/x:1", "ü/x:1@z"))
    assert out == '# é€😀\nimage: "ü/x:1@z"\nk: v\n'.encode()


@pytest.mark.parametrize(
    ("written", "expected"),
    [("tag:\n", 'tag: "1.0@z"\n'), ("tag: ~\n", 'tag: "1.0@z"\n'), ('tag: ""\n', 'tag: "1.0@z"\n')],
)
def test_an_empty_or_null_tag_becomes_a_quoted_string(written: str, expected: str) -> None:
    import yaml

    node = yaml.compose(written)
    assert node is not None
    value = node.value[0][1]
    line, column = value.start_mark.line + 1, value.start_mark.column + 1
    assert _pin(written.encode(), (line, column, value.value, "1.0@z")) == expected.encode()
