"""Renovate's helm-values extractor reads every `tag@sha256` pin `chartlock fix` writes as
`currentDigest` (so the bots keep updating pinned images), for every layout it extracts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from resolver.autofix.run import fix
from resolver.registry.options import ClientOptions
from tests.fix.test_fix_registry import DIGEST_VALUES, _digest_chart
from tests.support.images import push_image
from tests.support.registry import RegistryServer
from tests.support.renovate import extract_helm_values, require_renovate

MORE_VALUES = """\
web:
  image:
    repository: nginx
    tag: "1.27.3"
worker:
  image:
    registry: quay.io
    repository: example/worker
    tag: v3.1.0
"""


def test_renovate_reads_the_new_digests(registry: RegistryServer, tmp_path: Path) -> None:
    renovate = require_renovate()
    repo = tmp_path / "repo"
    repo.mkdir()
    _digest_chart(repo)
    web = repo / "web"
    web.mkdir()
    (web / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n", "utf-8")
    (web / "values.yaml").write_text(MORE_VALUES, "utf-8")
    (repo / "renovate.json").write_text("{}\n", "utf-8")
    for name, tag in (
        ("bitnami/nginx", "1.25.3"),
        ("example/sidecar", "2.0.1"),
        ("example/init", "0.4"),
        ("library/busybox", "1.36"),
        ("library/nginx", "1.27.3"),
        ("example/worker", "v3.1.0"),
    ):
        push_image(registry.url, name, (tag,), seed=f"renovate {name}")
    mirrors = tuple((host, registry.url) for host in ("docker.io", "ghcr.io", "quay.io"))
    result = fix([str(repo)], ClientOptions(mirrors=mirrors), cwd=repo, write=True)
    pinned = [e for e in result.edits if e.how in ("tag", "reference")]
    assert len(pinned) == 5  # the bitnami image's digest went to its digest key
    assert "digest" in DIGEST_VALUES
    subprocess.run(["git", "init", "-q", "."], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x"],
        cwd=repo,
        check=True,
    )
    deps = extract_helm_values(renovate, repo)
    found = {(str(d.get("currentValue")), str(d.get("currentDigest"))) for d in deps}
    # Renovate's helm-values manager does not extract list items (`extraImages: [...]`, lines
    # 12-13 of app/values.yaml) at all, pinned or not: those cannot be checked through it.
    listed = {("app/values.yaml", 12), ("app/values.yaml", 13)}
    checked = [e for e in pinned if (e.path, e.line) not in listed]
    assert len(checked) == 3
    for edit in checked:
        tag = edit.old.rsplit(":", 1)[-1] if edit.how == "reference" else edit.old
        assert (tag, edit.digest) in found, (edit, deps)
