"""Helpers for the online command tests: parent charts, hand-written locks, non-chart pushes."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import httpx

from resolver.chart.loader import load_chart
from resolver.chart.lockfile import dump_lock, go_rfc3339nano, hash_req
from resolver.chart.models import Dependency
from tests.support.registry import RegistryServer


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def write_parent(directory: Path, deps: list[tuple[str, str, str]], *, name: str = "app") -> Path:
    """A parent chart with a template, so ``helm template`` renders it and its subcharts."""
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - name: {dep}\n    version: {version!r}\n    repository: {repo}\n"
        for dep, version, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    (directory / "templates").mkdir(exist_ok=True)
    (directory / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\ndata: {}\n", "utf-8"
    )
    return directory


def write_lock(chart_dir: Path, entries: list[tuple[str, str, str, str | None]]) -> Path:
    """Chart.lock for ``chart_dir`` with the correct top-level digest (Helm's HashReq).

    ``entries``: (name, repository, version, per-dependency digest or None), in Chart.yaml order.
    """
    chart = load_chart(chart_dir / "Chart.yaml")
    locked = []
    for name, repository, version, digest in entries:
        dep = Dependency(name=name, repository=repository, version=version)
        if digest:
            dep.extra["digest"] = digest
        locked.append(dep)
    text = dump_lock(locked, hash_req(chart.dependencies, locked), go_rfc3339nano())
    path = chart_dir / "Chart.lock"
    path.write_text(text, "utf-8")
    return path


def _upload_blob(client: httpx.Client, base: str, repo: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = client.post(f"{base}/v2/{repo}/blobs/uploads/")
    assert start.status_code == 202, start.text
    location = httpx.URL(base).join(start.headers["Location"])
    done = client.put(
        location.copy_merge_params({"digest": digest}),
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert done.status_code == 201, done.text
    return digest


def push_artifact(
    server: RegistryServer,
    repo: str,
    tag: str,
    *,
    config_media_type: str = "application/vnd.oci.image.config.v1+json",
    layer_media_type: str = "application/vnd.oci.image.layer.v1.tar+gzip",
) -> str:
    """Push a non-chart OCI artifact (an image-like manifest) under ``repo:tag``."""
    config = b'{"architecture":"amd64","os":"linux"}'
    layer = b"not a chart " + uuid.uuid4().bytes
    with httpx.Client() as client:
        base = server.url
        config_digest = _upload_blob(client, base, repo, config)
        layer_digest = _upload_blob(client, base, repo, layer)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": config_media_type,
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [{"mediaType": layer_media_type, "digest": layer_digest, "size": len(layer)}],
        }
        raw = json.dumps(manifest).encode()
        put = client.put(
            f"{base}/v2/{repo}/manifests/{tag}",
            content=raw,
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )
        assert put.status_code == 201, put.text
        return "sha256:" + hashlib.sha256(raw).hexdigest()


def delete_manifest(server: RegistryServer, repo: str, digest: str) -> None:
    with httpx.Client() as client:
        response = client.delete(f"{server.url}/v2/{repo}/manifests/{digest}")
        assert response.status_code == 202, response.text


def layer_digest(server: RegistryServer, repo: str, reference: str) -> str:
    with httpx.Client() as client:
        response = client.get(
            f"{server.url}/v2/{repo}/manifests/{reference}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        response.raise_for_status()
        layers = response.json()["layers"]
        return str(layers[0]["digest"])
