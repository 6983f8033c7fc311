"""CL307 image-digest-key-unused: a `digest:` no template reads (flipt #284)."""

from __future__ import annotations

from pathlib import Path

from resolver.commands.lint import lint
from resolver.linter.config import Config

D = "sha256:" + "c" * 64
VALUES = f'image:\n  repository: nginx\n  tag: 1.27.3\n  digest: "{D}"\n'


def _chart(root: Path, template: str, values: str = VALUES) -> Path:
    chart = root / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n", "utf-8")
    (chart / "templates" / "pod.yaml").write_text(template, "utf-8")
    (chart / "values.yaml").write_text(values, "utf-8")
    return chart


def _cl307(chart: Path) -> list[tuple[int, int, str]]:
    report = lint([str(chart)], Config(select=("CL307",)), cwd=chart.parent)
    return [(f.line, f.column, f.message) for f in report.findings]


def test_unread_digest_is_reported_at_its_line(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n")
    assert _cl307(chart) == [
        (
            4,
            11,
            f"`digest: {D}` is set but no template reads `.digest`: the image is pulled "
            "by its tag, not this digest",
        )
    ]


def test_read_digest_is_fine(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "image: x{{ with .Values.image.digest }}@{{ . }}{{ end }}\n")
    assert _cl307(chart) == []


def test_a_library_subchart_reading_digest_counts(tmp_path: Path) -> None:
    chart = _chart(tmp_path, '{{ include "common.images.image" . }}\n')
    library = chart / "charts" / "common" / "templates"
    library.mkdir(parents=True)
    (library / "_images.tpl").write_text("{{ .imageRoot.digest }}\n", "utf-8")
    assert _cl307(chart) == []


def test_packed_subcharts_are_not_judged(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "image: {{ .Values.image.repository }}\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "common-2.0.0.tgz").write_bytes(b"")
    assert _cl307(chart) == []


def test_empty_digest_and_non_image_digest_are_not_reported(tmp_path: Path) -> None:
    values = f'image:\n  repository: nginx\n  digest: ""\nchecksum:\n  digest: "{D}"\n'
    chart = _chart(tmp_path, "x: {{ .Values.image.repository }}\n", values)
    assert _cl307(chart) == []


def test_sibling_image_digest(tmp_path: Path) -> None:
    values = f"image: nginx:1.27.3\nimageDigest: {D}\n"
    chart = _chart(tmp_path, "image: {{ .Values.image }}\n", values)
    assert [line for line, _, _ in _cl307(chart)] == [2]
