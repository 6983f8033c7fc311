"""Real multi-arch container images pushed to a real registry through the distribution API.

``push_image`` builds, for each platform, a gzipped tar layer holding one file, an OCI image
config (architecture, os, rootfs diff_ids) and an OCI image manifest, then an OCI image index
naming both manifests with their platforms; it uploads the blobs (``POST`` then ``PUT
?digest=``), ``PUT``s the manifests by digest and the index under the tag, and returns the
index digest, the digest a registry serves for the tag (what ``chartlock fix`` must write).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import urllib.parse
import urllib.request

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"))


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(content: bytes) -> tuple[bytes, str]:
    """A gzipped tar with one file; returns the blob and its uncompressed diff_id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("etc/chartlock-test")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), _digest(plain)


def _request(method: str, url: str, data: bytes = b"", content_type: str = "") -> str:
    request = urllib.request.Request(url, data=data or None, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.headers.get("Location", ""))


def push_blob(base: str, name: str, data: bytes) -> str:
    digest = _digest(data)
    location = _request("POST", f"{base}/v2/{name}/blobs/uploads/")
    url = urllib.parse.urljoin(base, location)
    joiner = "&" if "?" in url else "?"
    _request("PUT", f"{url}{joiner}digest={digest}", data, "application/octet-stream")
    return digest


def push_manifest(base: str, name: str, reference: str, data: bytes, media_type: str) -> str:
    _request("PUT", f"{base}/v2/{name}/manifests/{reference}", data, media_type)
    return _digest(data)


def push_image(base: str, name: str, tags: tuple[str, ...], seed: str = "") -> str:
    """Push a two-platform image as ``name`` under each of ``tags``; returns the index digest.

    ``base`` is the registry URL (``http://127.0.0.1:5000``); ``seed`` makes distinct content.
    """
    entries = []
    for os_name, arch in PLATFORMS:
        blob, diff_id = _layer(f"{name} {seed} {os_name}/{arch}\n".encode())
        config = json.dumps(
            {
                "architecture": arch,
                "os": os_name,
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                "config": {},
            },
            sort_keys=True,
        ).encode()
        push_blob(base, name, blob)
        push_blob(base, name, config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"mediaType": CONFIG, "digest": _digest(config), "size": len(config)},
                "layers": [{"mediaType": LAYER, "digest": _digest(blob), "size": len(blob)}],
            },
            sort_keys=True,
        ).encode()
        digest = push_manifest(base, name, _digest(manifest), manifest, MANIFEST)
        entries.append(
            {
                "mediaType": MANIFEST,
                "digest": digest,
                "size": len(manifest),
                "platform": {"architecture": arch, "os": os_name},
            }
        )
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}, sort_keys=True
    ).encode()
    for tag in tags:
        push_manifest(base, name, tag, index, INDEX)
    return _digest(index)


def platform_digests(base: str, name: str, tag: str) -> list[str]:
    """The platform manifests' digests of the index under ``tag`` (never the right answer)."""
    request = urllib.request.Request(f"{base}/v2/{name}/manifests/{tag}")
    request.add_header("Accept", INDEX)
    with urllib.request.urlopen(request, timeout=30) as response:
        data = json.loads(response.read())
    return [str(entry["digest"]) for entry in data["manifests"]]
