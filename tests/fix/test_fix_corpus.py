"""``fix`` on 48 real values files (fixtures/fix-corpus, with provenance) against a real registry.

Every image lint reports as CL303 is pushed to the local docker-registry as a real two-platform
image index; every registry host the files name is mirrored to it (nothing leaves loopback:
the test fails if an image's host has no mirror). The check of the result does not trust the
editor: the expected bytes are the original bytes with ``@<digest>`` inserted right after each
pinned scalar (before its closing quote), and the file must be exactly that.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from resolver.autofix.run import fix
from resolver.commands.lint import lint
from resolver.linter.config import Config
from resolver.linter.rules.imageref import parse
from resolver.registry.mirrors import repository_path
from resolver.registry.options import ClientOptions
from tests.support.images import push_image
from tests.support.registry import RegistryServer

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "fix-corpus"


def _files() -> list[Path]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
    return [CORPUS / row["local_path"] for row in rows]


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for index, values in enumerate(_files()):
        chart = root / f"c{index:02d}"
        chart.mkdir()
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: c{index:02d}\nversion: 0.1.0\n")
        shutil.copyfile(values, chart / "values.yaml")
    return root


def _offsets(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def test_corpus_has_at_least_40_real_files_with_provenance() -> None:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) >= 40
    assert len({row["repo"] for row in rows}) == len(rows)
    for row in rows:
        assert len(row["commit"]) == 40
        assert (CORPUS / row["local_path"]).stat().st_size == row["bytes"]


def test_fix_changes_only_pinned_values(registry: RegistryServer, charts: Path) -> None:
    report = lint([str(charts)], Config(select=("CL303",)), cwd=charts)
    images = set()
    for finding in report.findings:
        ref = parse(finding.key)
        if ref.tag is not None:
            images.add((ref.host, ref.path, ref.tag))
    assert len(images) >= 40
    served: dict[str, str] = {}
    for host, path, tag in sorted(images):
        name = repository_path(host, path)
        if f"{name}:{tag}" not in served:
            served[f"{name}:{tag}"] = push_image(registry.url, name, (tag,), seed=f"{name}:{tag}")
    mirrors = tuple(sorted({(host, registry.url) for host, _, _ in images}))
    options = ClientOptions(mirrors=mirrors, timeout=10)
    originals = {p: p.read_bytes() for p in charts.glob("*/values.yaml")}

    result = fix([str(charts)], options, cwd=charts, write=True)

    assert result.lookups == len(images)
    assert len(result.changes) == 48  # every file has an image to pin
    assert not [s for s in result.skipped if s.rule == "CL303" and "appVersion" not in s.reason]
    by_file: dict[str, list[tuple[int, int, str]]] = {}
    for edit in result.edits:
        assert edit.how in ("tag", "reference")  # no template reads a digest key here
        ref = parse(edit.image)
        assert edit.digest == served[f"{repository_path(ref.host, ref.path)}:{ref.tag}"]
        assert edit.new == f"{edit.old}@{edit.digest}"
        by_file.setdefault(edit.path, []).append((edit.line, edit.column, edit.old))
    for values_path, original in originals.items():
        display = values_path.relative_to(charts).as_posix()
        text = original.decode("utf-8-sig")
        starts = _offsets(text)
        inserts: list[tuple[int, str]] = []
        for edit in (e for e in result.edits if e.path == display):
            at = starts[edit.line - 1] + edit.column - 1
            quoted = text[at] in "'\""
            end = at + len(edit.old) + (1 if quoted else 0)
            assert text[at + (1 if quoted else 0) : end] == edit.old
            inserts.append((end, "@" + edit.digest))
        expected = text
        for end, piece in sorted(inserts, reverse=True):
            expected = expected[:end] + piece + expected[end:]
        bom = original[:3] if original.startswith(b"\xef\xbb\xbf") else b""
        assert values_path.read_bytes() == bom + expected.encode(), display

    # a second run changes nothing
    again = fix([str(charts)], options, cwd=charts, write=True)
    assert again.edits == []
    assert again.changes == {}
    # lint afterwards: no CL303 where an image was pinned
    after = lint([str(charts)], Config(select=("CL303",)), cwd=charts)
    pinned = {(e.path, e.line, e.column) for e in result.edits}
    assert not [f for f in after.findings if (f.path, f.line, f.column) in pinned]
    assert len(after.findings) == len(report.findings) - len(result.edits)
