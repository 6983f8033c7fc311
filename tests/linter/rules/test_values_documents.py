"""Multi-document values files, read as Helm 4.1.4 reads them (every document, merged).

The differential test renders the same texts with the real helm (``toJson .Values``) and
compares with chartlock's merged tree; the others check lines, overrides and refusals.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

import resolver
from resolver.chart.valuesfile import compose_values, split_documents
from resolver.chart.yaml11 import to_python
from resolver.errors import InputError
from resolver.linter.config import Config
from resolver.linter.rules.base import FileKind, Problem
from tests.linter.rules.helpers import FIXTURES, run

D = "sha256:" + "a" * 64


def where(text: str) -> list[tuple[str, int, int]]:
    return [(p.rule.id, p.line, p.column) for p in run_values(text)]


def run_values(text: str) -> list[Problem]:
    return run(FileKind.VALUES, textwrap.dedent(text).lstrip("\n"))


def test_image_in_the_second_document_is_linted_at_its_own_line() -> None:
    text = """
    a: 1
    ---
    worker:
      image: busybox:latest
    """
    assert where(text) == [("CL301", 4, 10)]


def test_renovate_like_fixture_through_the_engine() -> None:
    report = resolver.lint(["flux"], Config(), cwd=FIXTURES / "values-documents")
    found = [(f.rule, f.path, f.line, f.column) for f in report.findings]
    assert found == [
        ("CL301", "flux/values.yaml", 23, 14),
        ("CL303", "flux/values.yaml", 27, 14),
    ]
    assert not report.errors


def test_a_later_document_overrides_an_earlier_image() -> None:
    # Helm merges: the first document's `latest` is dead, the second one's pin wins.
    text = f"""
    image:
      repository: nginx
      tag: latest
    ---
    image:
      tag: "1.27.3"
      digest: {D}
    """
    assert where(text) == []


def test_mappings_merge_across_documents_keeping_each_line() -> None:
    # repository from document 1, tag from document 2: one image, nginx:latest.
    text = """
    image:
      repository: nginx
    ---
    image:
      tag: latest
    """
    problems = run_values(text)
    assert [p.rule.id for p in problems] == ["CL301"]
    assert problems[0].line in (2, 5)
    values = to_python(compose_values(textwrap.dedent(text).lstrip("\n"), "v.yaml"))  # type: ignore[arg-type]
    assert values == {"image": {"repository": "nginx", "tag": "latest"}}


def test_pyyaml_documents_keep_their_lines() -> None:
    # Flow style and anchors are not the fast composer's: PyYAML composes this piece.
    text = """
    a: 1
    ---
    # comment
    base: &b {image: "busybox:latest"}
    other: *b
    """
    assert where(text) == [("CL301", 4, 18)]


def test_comment_after_separator_and_leading_separator() -> None:
    text = """
    ---
    a: 1
    --- # second
    image: busybox:latest
    """
    assert where(text) == [("CL301", 4, 8)]


def test_text_after_an_end_marker_is_not_read() -> None:
    # go-yaml's Unmarshal decodes the first document of a piece only.
    text = "a: 1\n...\nimage: busybox:latest\n"
    assert where(text) == []
    assert to_python(compose_values(text, "v.yaml")) == {"a": 1}  # type: ignore[arg-type]


def test_empty_and_null_documents_are_empty_maps() -> None:
    text = "a: 1\n---\n# only a comment\n---\nnull\n---\nb: 2\n"
    assert to_python(compose_values(text, "v.yaml")) == {"a": 1, "b": 2}  # type: ignore[arg-type]
    assert compose_values("---\n---\n", "v.yaml") is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\n--- b: 2\n", 2, "invalid YAML document separator: b: 2"),
        ("a: 1\n---\n- x\n", 3, "document 2 is a list, not a mapping"),
        ("- x\n", 1, "the document is a list, not a mapping"),
        ("a: 1\n---\nb: [\n", 4, "invalid YAML"),
        # An anchor does not reach into the next document (helm: "unknown anchor").
        ("k: &x {p: 1}\n---\nk2: *x\n", 3, "undefined alias"),
    ],
)
def test_what_helm_refuses_is_an_error_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        compose_values(text, "v.yaml")
    assert info.value.line == line
    assert message in info.value.message


def test_refusals_are_cl003_through_the_engine(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: a\nversion: 1.0.0\n")
    (tmp_path / "values.yaml").write_text("a: 1\n---\n- x\n")
    report = resolver.lint(["."], Config(), cwd=tmp_path)
    assert [(f.rule, f.line) for f in report.findings] == [("CL003", 3)]


def test_split_pads_pieces_to_keep_line_numbers() -> None:
    pieces = split_documents("a: 1\n---\nb: 2\n", "v.yaml")
    assert [start for start, _ in pieces] == [0, 2]
    assert pieces[1][1] == "\n\nb: 2\n"
    assert split_documents("a: 1\n", "v.yaml") == [(0, "a: 1\n")]


DIFFERENTIAL = [
    "a: 1\n---\nb: 2\n",
    "image:\n  repository: nginx\n  tag: '1.0'\na: 1\n---\nimage:\n  tag: '2.0'\nb: 2\n",
    "a: {x: 1, y: 2}\n---\na: {y: 3}\n",
    "a: {x: 1}\n---\na: 5\n---\na: {z: 1}\n",
    "a: 1\n--- # two\nb: [1, 2]\n---\nb: [3]\n",
    "---\na: 1\n...\nignored: true\n---\nc: null\n",
    "a: 1\n---\n# nothing\n---\nnull\n",
]


@pytest.mark.integration
@pytest.mark.parametrize("text", DIFFERENTIAL)
def test_merged_values_equal_helms(text: str, helm_bin: str, tmp_path: Path) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(text)
    (chart / "templates" / "v.yaml").write_text("{{ toJson .Values }}\n")
    result = subprocess.run(
        [helm_bin, "template", str(chart)], capture_output=True, text=True, check=True
    )
    rendered = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rendered) == 1, result.stdout
    helm_values = json.loads(rendered[0])
    node = compose_values(text, "values.yaml")
    ours = {} if node is None else to_python(node)
    assert ours == helm_values
