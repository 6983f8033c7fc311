"""``chartlock fix`` against the real docker-registry holding real multi-arch images.

docker.io, ghcr.io and quay.io are mapped to the one local registry with ``--mirror``; the
charts are rendered with the real ``helm template`` before and after the fix.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_chartlock
from tests.support.images import platform_digests, push_image
from tests.support.registry import RegistryServer
from tests.support.tools import helm_env

DIGEST_TEMPLATE = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}
spec:
  containers:
    - name: app
      image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}\
{{- if .Values.image.digest }}@{{ .Values.image.digest }}\
{{- else }}:{{ .Values.image.tag }}{{ end }}"
    - name: sidecar
      image: {{ .Values.sidecar.image | quote }}
  initContainers:
    {{- range .Values.extraImages }}
    - name: init
      image: {{ . | quote }}
    {{- end }}
"""

DIGEST_VALUES = """\
# A chart with a separate digest key its templates read (Bitnami's layout).
image:
  registry: docker.io
  repository: bitnami/nginx   # the web server
  tag: 1.25.3
  digest: ""

sidecar:
  image: 'ghcr.io/example/sidecar:2.0.1'

extraImages:
  - quay.io/example/init:0.4
  - docker.io/library/busybox:1.36
"""


@pytest.fixture(scope="module")
def images(registry: RegistryServer) -> dict[str, str]:
    """Real multi-arch images in the local registry, by name:tag -> index digest."""
    out: dict[str, str] = {}
    for name, tag in (
        ("library/nginx", "1.27.3"),
        ("library/nginx", "1.16.0"),  # helm create's appVersion
        ("bitnami/nginx", "1.25.3"),
        ("example/sidecar", "2.0.1"),
        ("example/init", "0.4"),
        ("library/busybox", "1.36"),
    ):
        out[f"{name}:{tag}"] = push_image(registry.url, name, (tag,), seed=tag)
    return out


def _mirrors(registry: RegistryServer) -> list[str]:
    return [f"--mirror={host}={registry.url}" for host in ("docker.io", "ghcr.io", "quay.io")]


def _helm_template(helm_bin: str, chart: Path, tmp: Path) -> str:
    result = subprocess.run(
        [helm_bin, "template", "rel", str(chart)],
        capture_output=True,
        text=True,
        env=helm_env(tmp),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _rendered_images(text: str) -> list[str]:
    out: list[str] = []

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for document in yaml.safe_load_all(text):
        out.extend(walk(document))
    return out


def _split(reference: str) -> tuple[str, str | None, str | None]:
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest or None
    return name, None, digest or None


def _check_rendering(
    before: str, after: str, served: dict[str, str], literal: tuple[str, ...] = ()
) -> None:
    """Same registry/repository, same tag where one is rendered, the served index digest;
    and nothing else in the output changed. ``literal``: images written literally in a
    template (not from values: ``fix`` pins values files only), which must not change."""
    old_images = _rendered_images(before)
    new_images = _rendered_images(after)
    assert len(old_images) == len(new_images) > len(literal)
    for old, new in zip(old_images, new_images, strict=True):
        if old in literal:
            assert new == old
            continue
        old_name, old_tag, old_digest = _split(old)
        new_name, new_tag, new_digest = _split(new)
        assert old_digest is None
        assert new_name == old_name
        assert new_tag in (old_tag, None)
        path = old_name.split("/", 1)[1] if "." in old_name.split("/")[0] else old_name
        path = path if "/" in path else f"library/{path}"
        assert new_digest == served[f"{path}:{old_tag}"], (old, new)
    masked_before = before
    for old, new in zip(old_images, new_images, strict=True):
        after = after.replace(new, old, 1)
    assert after == masked_before


@pytest.fixture
def helm_create_chart(helm_bin: str, tmp_path: Path) -> Path:
    subprocess.run(
        [helm_bin, "create", "web"],
        cwd=tmp_path,
        check=True,
        env=helm_env(tmp_path),
        capture_output=True,
    )
    chart = tmp_path / "web"
    values = chart / "values.yaml"
    text = values.read_text("utf-8")
    assert 'tag: ""' in text
    values.write_text(text.replace('tag: ""', 'tag: "1.27.3"', 1), "utf-8")
    return chart


def test_helm_create_chart_is_pinned_with_the_index_digest(
    registry: RegistryServer,
    images: dict[str, str],
    helm_bin: str,
    helm_create_chart: Path,
    tmp_path: Path,
) -> None:
    chart = helm_create_chart
    values = chart / "values.yaml"
    original = values.read_bytes()
    before = _helm_template(helm_bin, chart, tmp_path)
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    digest = images["library/nginx:1.27.3"]
    assert digest not in platform_digests(registry.url, "library/nginx", "1.27.3")
    new = values.read_bytes()
    assert new == original.replace(b'tag: "1.27.3"', f'tag: "1.27.3@{digest}"'.encode(), 1)
    after = _helm_template(helm_bin, chart, tmp_path)
    # helm create's test hook renders a literal `image: busybox` (templates/tests)
    _check_rendering(before, after, images, literal=("busybox",))
    assert f"nginx:1.27.3@{digest}" in after
    # a second run changes nothing
    again = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert values.read_bytes() == new
    assert "0 fixes in 0 files" in again.stderr
    lint = run_chartlock("lint", "--select", "CL303", str(chart), cwd=tmp_path)
    assert "CL303" not in lint.stdout, lint.stdout


def _digest_chart(root: Path) -> Path:
    chart = root / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: 1.0.0\n", "utf-8"
    )
    (chart / "templates" / "pod.yaml").write_text(DIGEST_TEMPLATE, "utf-8")
    (chart / "values.yaml").write_text(DIGEST_VALUES, "utf-8")
    return chart


def test_digest_key_read_by_templates_gets_the_digest(
    registry: RegistryServer, images: dict[str, str], helm_bin: str, tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    before = _helm_template(helm_bin, chart, tmp_path)
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (chart / "values.yaml").read_text("utf-8")
    assert f'digest: "{images["bitnami/nginx:1.25.3"]}"' in text
    assert "tag: 1.25.3\n" in text  # the tag stays as it is
    assert f"image: 'ghcr.io/example/sidecar:2.0.1@{images['example/sidecar:2.0.1']}'" in text
    assert f"  - quay.io/example/init:0.4@{images['example/init:0.4']}\n" in text
    assert f"  - docker.io/library/busybox:1.36@{images['library/busybox:1.36']}\n" in text
    assert "# the web server" in text
    after = _helm_template(helm_bin, chart, tmp_path)
    _check_rendering(before, after, images)


def test_digest_key_not_read_pins_the_tag(
    registry: RegistryServer, images: dict[str, str], helm_bin: str, tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    template = chart / "templates" / "pod.yaml"
    template.write_text(
        DIGEST_TEMPLATE.replace(
            "{{- if .Values.image.digest }}@{{ .Values.image.digest }}"
            "{{- else }}:{{ .Values.image.tag }}{{ end }}",
            ":{{ .Values.image.tag }}",
        ),
        "utf-8",
    )
    assert ".digest" not in template.read_text("utf-8")
    before = _helm_template(helm_bin, chart, tmp_path)
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (chart / "values.yaml").read_text("utf-8")
    assert f"tag: 1.25.3@{images['bitnami/nginx:1.25.3']}\n" in text
    assert 'digest: ""' in text
    after = _helm_template(helm_bin, chart, tmp_path)
    _check_rendering(before, after, images)


def test_diff_and_check_write_nothing(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    original = (chart / "values.yaml").read_bytes()
    diff = run_chartlock("fix", "--diff", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.startswith("--- a/app/values.yaml\n+++ b/app/values.yaml\n")
    assert f'+  digest: "{images["bitnami/nginx:1.25.3"]}"' in diff.stdout
    assert '-  digest: ""' in diff.stdout
    check = run_chartlock("fix", "--check", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    assert "would pin" in check.stderr
    assert (chart / "values.yaml").read_bytes() == original
    lint_diff = run_chartlock("lint", "--diff", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert lint_diff.stdout == diff.stdout
    assert (chart / "values.yaml").read_bytes() == original


def test_lint_fix_pins_then_lints(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    result = run_chartlock("lint", "--fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert "CL303" not in result.stdout, result.stdout
    assert "4 fixes in 1 file (changed)" in result.stderr


def test_unknown_tag_is_reported_not_fixed(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    values = chart / "values.yaml"
    values.write_text(DIGEST_VALUES.replace("0.4", "0.5"), "utf-8")
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(
        r"app/values.yaml:12:5: CL303 not fixed: no digest for "
        r"quay.io/example/init:0.5: ",
        result.stderr,
    ), result.stderr
    text = values.read_text("utf-8")
    assert "quay.io/example/init:0.5\n" in text  # left alone
    assert f"busybox:1.36@{images['library/busybox:1.36']}" in text  # the others are fixed


def test_a_values_file_with_an_edit_that_cannot_be_made_is_refused_whole(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    """The run-level refusal: the digests were looked up, but one edit of the file (a block
    scalar) cannot be made safely, so no edit of that file is made; another file is fixed."""
    chart = _digest_chart(tmp_path)
    values = chart / "values.yaml"
    refused = DIGEST_VALUES.replace(
        "  image: 'ghcr.io/example/sidecar:2.0.1'", "  image: >-\n    ghcr.io/example/sidecar:2.0.1"
    )
    values.write_text(refused, "utf-8")
    other = chart / "values-prod.yaml"
    other.write_text("image:\n  repository: bitnami/nginx\n  tag: 1.25.3\n", "utf-8")
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "fix refused for this file" in line]
    reason = "block scalars are not edited (line 9, column 10)"
    assert all(line.startswith("app/values.yaml:") and reason in line for line in lines), lines
    # every planned edit of the file is reported at its own finding, none is made
    assert sorted(line.split(": CL303")[0] for line in lines) == [
        "app/values.yaml:13:5",
        "app/values.yaml:14:5",
        "app/values.yaml:5:8",
        "app/values.yaml:9:10",
    ], lines
    assert "Traceback" not in result.stderr
    assert values.read_text("utf-8") == refused
    assert f"tag: 1.25.3@{images['bitnami/nginx:1.25.3']}\n" in other.read_text("utf-8")


def test_without_mirror_nothing_leaves_loopback(tmp_path: Path) -> None:
    """No mirror and an unreachable registry: a clear failure per image, no write, and exit 2
    (fail closed: the run could not look, unlike a tag the registry says does not exist, which
    is exit 1 above)."""
    chart = _digest_chart(tmp_path)
    values = chart / "values.yaml"
    values.write_text("image: 127.0.0.1:9/app:1.0\n", "utf-8")
    result = run_chartlock("fix", "--plain-http", "--timeout", "2", str(chart), cwd=tmp_path)
    assert result.returncode == 2
    assert "CL303 not fixed: no digest for 127.0.0.1:9/app:1.0" in result.stderr
    assert "1 lookup could not reach a registry" in result.stderr
    assert values.read_text("utf-8") == "image: 127.0.0.1:9/app:1.0\n"
    for args in (("fix", "--check"), ("lint", "--fix"), ("lint", "--diff")):
        other = run_chartlock(*args, "--plain-http", "--timeout", "2", str(chart), cwd=tmp_path)
        assert other.returncode == 2, (args, other.stderr)
        assert "no problems" not in other.stdout + other.stderr
    assert values.read_text("utf-8") == "image: 127.0.0.1:9/app:1.0\n"


def test_library_fix_returns_the_planned_edits_and_writes_nothing(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    import resolver

    chart = _digest_chart(tmp_path)
    original = (chart / "values.yaml").read_bytes()
    mirrors = tuple((host, registry.url) for host in ("docker.io", "ghcr.io", "quay.io"))
    result = resolver.fix([str(chart)], resolver.ClientOptions(mirrors=mirrors), cwd=tmp_path)
    assert (chart / "values.yaml").read_bytes() == original
    assert [(e.line, e.how, e.digest) for e in result.edits] == [
        (6, "digest-key", images["bitnami/nginx:1.25.3"]),
        (9, "reference", images["example/sidecar:2.0.1"]),
        (12, "reference", images["example/init:0.4"]),
        (13, "reference", images["library/busybox:1.36"]),
    ]
    assert result.skipped == []
    assert result.lookups == 4


def test_lint_check_sarif_carries_fixes_that_apply(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    import json

    import jsonschema

    chart = _digest_chart(tmp_path)
    original = (chart / "values.yaml").read_text("utf-8")
    result = run_chartlock(
        "lint",
        "--check",
        "--format",
        "sarif",
        "--select",
        "CL303",
        str(chart),
        *_mirrors(registry),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert (chart / "values.yaml").read_text("utf-8") == original
    sarif = json.loads(result.stdout)
    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert len(results) == 4
    assert all(len(r["fixes"]) == 1 for r in results)
    # applying the replacements gives what `chartlock fix` writes
    lines = original.split("\n")
    changes = [
        (
            rep["deletedRegion"]["startLine"],
            rep["deletedRegion"]["startColumn"],
            rep["insertedContent"]["text"],
        )
        for r in results
        for change in r["fixes"][0]["artifactChanges"]
        for rep in change["replacements"]
    ]
    for line, column, text in sorted(changes, reverse=True):
        row = lines[line - 1]
        lines[line - 1] = row[: column - 1] + text + row[column - 1 :]
    run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert "\n".join(lines) == (chart / "values.yaml").read_text("utf-8")


def test_app_version_fallback_is_pinned_only_with_the_flag(
    registry: RegistryServer, images: dict[str, str], helm_bin: str, tmp_path: Path
) -> None:
    subprocess.run(
        [helm_bin, "create", "web"],
        cwd=tmp_path,
        check=True,
        env=helm_env(tmp_path),
        capture_output=True,
    )
    chart = tmp_path / "web"
    values = chart / "values.yaml"
    original = values.read_bytes()
    assert b'tag: ""' in original and b'appVersion: "1.16.0"' in (chart / "Chart.yaml").read_bytes()
    before = _helm_template(helm_bin, chart, tmp_path)
    plain = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert plain.returncode == 1
    assert "CL303 not fixed: an empty tag falls back to the chart's appVersion" in plain.stderr
    assert values.read_bytes() == original
    pinned = run_chartlock(
        "fix", "--pin-app-version", str(chart), *_mirrors(registry), cwd=tmp_path
    )
    assert pinned.returncode == 0, pinned.stderr
    digest = images["library/nginx:1.16.0"]
    assert values.read_bytes() == original.replace(
        b'tag: ""', f'tag: "1.16.0@{digest}"'.encode(), 1
    )
    after = _helm_template(helm_bin, chart, tmp_path)
    _check_rendering(before, after, images, literal=("busybox",))


def test_resolve_latest_pins_the_released_version_with_the_same_digest(
    registry: RegistryServer, tmp_path: Path
) -> None:
    same = push_image(registry.url, "example/tool", ("1.9.0", "2.0.0", "latest"), seed="tool2")
    push_image(registry.url, "example/tool", ("2.1.0-rc.1",), seed="tool-rc")
    push_image(registry.url, "example/tool", ("1.8.0",), seed="tool1")
    push_image(registry.url, "example/orphan", ("latest",), seed="orphan")
    push_image(registry.url, "example/orphan", ("1.0.0",), seed="orphan-1")
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n", "utf-8")
    values = chart / "values.yaml"
    values.write_text(
        "tool:\n  image: ghcr.io/example/tool:latest\n"
        "orphan:\n  image:\n    repository: ghcr.io/example/orphan\n    tag: latest\n",
        "utf-8",
    )
    plain = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert plain.returncode == 1
    assert "CL301 not fixed: `latest` is not pinned silently" in plain.stderr
    result = run_chartlock("fix", "--resolve-latest", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 1  # the orphan stays, and says why
    assert f"image: ghcr.io/example/tool:2.0.0@{same}\n" in values.read_text("utf-8")
    assert "tag: latest\n" in values.read_text("utf-8")
    assert "ghcr.io/example/orphan:latest: no released version tag has the digest of `latest`" in (
        result.stderr
    )
    assert "(`latest` replaced by the released version with the same digest)" in result.stderr


def test_a_symlinked_values_file_is_written_through_and_keeps_its_mode(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    shared = tmp_path / "shared-values.yaml"
    shared.write_text("image: docker.io/library/busybox:1.36\n", "utf-8")
    shared.chmod(0o600)
    (chart / "values.yaml").unlink()
    (chart / "values.yaml").symlink_to(shared)
    result = run_chartlock("fix", str(chart), *_mirrors(registry), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (chart / "values.yaml").is_symlink()
    assert shared.read_text("utf-8") == (
        f"image: docker.io/library/busybox:1.36@{images['library/busybox:1.36']}\n"
    )
    assert shared.stat().st_mode & 0o777 == 0o600


def test_ignore_and_select_limit_what_is_fixed(
    registry: RegistryServer, images: dict[str, str], tmp_path: Path
) -> None:
    chart = _digest_chart(tmp_path)
    original = (chart / "values.yaml").read_bytes()
    ignored = run_chartlock(
        "fix", "--ignore", "CL303", str(chart), *_mirrors(registry), cwd=tmp_path
    )
    assert ignored.returncode == 0, ignored.stderr
    assert "0 fixes in 0 files" in ignored.stderr
    assert (chart / "values.yaml").read_bytes() == original
    selected = run_chartlock(
        "fix", "--select", "CL301", "--check", str(chart), *_mirrors(registry), cwd=tmp_path
    )
    assert selected.returncode == 0, selected.stderr
    assert "0 fixes in 0 files" in selected.stderr
