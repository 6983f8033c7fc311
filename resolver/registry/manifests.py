"""OCI manifests as chartlock reads them: the accepted media types, what a manifest must look like
to be one, and what makes it a Helm chart (pure: no I/O; the client fetches, this judges)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from resolver.registry.bounds import loads
from resolver.registry.reference import DIGEST_RE, Repository
from resolver.registry.scrub import printable
from resolver.util.records import Record

HELM_CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
PROV_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
HELM_CHART_LAYER_MEDIA_TYPES = (
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    "application/tar+gzip",
)
# The media types a manifest may be served as, and whether each is an image manifest or an
# index (a list of manifests).
MANIFEST_MEDIA_TYPES = {
    "application/vnd.oci.image.manifest.v1+json": "manifest",
    "application/vnd.oci.image.index.v1+json": "index",
    "application/vnd.docker.distribution.manifest.v2+json": "manifest",
    "application/vnd.docker.distribution.manifest.list.v2+json": "index",
}
MANIFEST_ACCEPT = ", ".join(MANIFEST_MEDIA_TYPES)


class ManifestInfo(Record):
    """What ``HEAD`` (or a proven ``GET``) says of a manifest."""

    digest: str
    media_type: str
    size: int


class ChartManifest(Record):
    """A Helm chart's manifest, verified: its digest, config media type, chart layer and the
    raw bytes; the provenance layer (``helm push`` of a signed chart), "" when there is none."""

    digest: str
    config_media_type: str
    layer_digest: str
    layer_size: int
    layer_media_type: str
    raw: bytes
    prov_digest: str = ""
    prov_size: int = 0


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_chart_manifest(
    raw: bytes, digest: str, repo: Repository, reference: str = ""
) -> ChartManifest:
    """Parse a manifest and insist it is a Helm chart (config media type, chart layer)."""
    where = f"{repo}: {reference or digest}"
    try:
        data = loads(raw)
        config_type = str(data["config"]["mediaType"])
        layers = [x for x in (data.get("layers") or []) if isinstance(x, dict)]
    except (ValueError, KeyError, TypeError):
        raise repo.error(
            f"{where}: not a Helm chart (the manifest has no config)",
            code="NOT_A_CHART",
        ) from None
    if config_type != HELM_CONFIG_MEDIA_TYPE:
        raise repo.error(
            f"{where} is not a Helm chart (config media type {config_type})",
            code="NOT_A_CHART",
        )
    layer = next((x for x in layers if x.get("mediaType") in HELM_CHART_LAYER_MEDIA_TYPES), None)
    if layer is None or not DIGEST_RE.fullmatch(str(layer.get("digest", ""))):
        raise repo.error(
            f"{where}: the manifest has no Helm chart layer",
            code="NOT_A_CHART",
        )
    size = layer.get("size") or 0
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise repo.error(
            f"{where}: the manifest's chart layer has an invalid size {printable(str(size), 40)}",
            code="NOT_A_CHART",
        )
    prov = next((x for x in layers if x.get("mediaType") == PROV_LAYER_MEDIA_TYPE), None)
    prov_digest, prov_size = "", 0
    if prov is not None and DIGEST_RE.fullmatch(str(prov.get("digest", ""))):
        prov_digest = str(prov["digest"])
        raw_size = prov.get("size") or 0
        if isinstance(raw_size, int) and not isinstance(raw_size, bool) and raw_size >= 0:
            prov_size = raw_size
    return ChartManifest(
        digest=digest,
        config_media_type=config_type,
        layer_digest=str(layer["digest"]),
        layer_size=size,
        layer_media_type=str(layer["mediaType"]),
        raw=raw,
        prov_digest=prov_digest,
        prov_size=prov_size,
    )


def check_manifest(
    raw: bytes, content_type: str, show: Callable[[str, int], str] = printable
) -> str:
    """The media type of a manifest served as ``content_type``; ``ValueError`` (worded to
    follow "<host> answered ") when it is not a manifest or an index of an accepted type."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        data = loads(raw)
    except ValueError:
        data = None
    if media_type not in MANIFEST_MEDIA_TYPES:
        declared = data.get("mediaType") if isinstance(data, dict) else None
        # Some registries serve manifests as plain JSON; then the document must say what it is.
        if media_type in ("", "application/json") and declared in MANIFEST_MEDIA_TYPES:
            media_type = str(declared)
        else:
            shown = show(media_type, 60) if media_type else "no Content-Type"
            raise ValueError(f"{shown}, not a manifest: a proxy or login page?")
    if not isinstance(data, dict):
        raise ValueError(f"{media_type}, but the body is not a JSON manifest")
    declared = data.get("mediaType")
    if declared is not None and declared != media_type:
        raise ValueError(f"{media_type}, but the body says it is {show(str(declared), 60)}")
    if data.get("schemaVersion") != 2:
        raise ValueError(f"{media_type}, but the body is not a schema version 2 manifest")
    if MANIFEST_MEDIA_TYPES[media_type] == "index":
        if not isinstance(data.get("manifests"), list):
            raise ValueError(f"{media_type}, but the body has no list of manifests")
    elif not isinstance(data.get("config"), dict) or not isinstance(data.get("layers", []), list):
        raise ValueError(f"{media_type}, but the body has no config and layers")
    return media_type


def digest_matches(header: str, raw: bytes, sha256_digest: str) -> bool:
    """Whether a ``Docker-Content-Digest`` header names ``raw`` (whose sha256 is known)."""
    algorithm, _, value = header.partition(":")
    if algorithm == "sha256":
        return header == sha256_digest
    if algorithm in ("sha384", "sha512") and value:
        return value == hashlib.new(algorithm, raw).hexdigest()
    return False
