"""``chartlock lock --verify``: lock only charts whose provenance verifies, and record who
signed each one.

The locks are resolved first (:func:`resolver.commands.lock.resolve_charts`; nothing is written),
then every OCI and https-repository entry's provenance is verified for exactly what would be locked:
for OCI the manifest **by the digest just resolved** and its provenance layer by digest
(:mod:`resolver.commands.provfetch`), for https repositories the archive and ``<URL>.prov``
(:func:`resolver.commands.indexpull.index_provenance`). Any failure is one error and no lock is
written. On
success each entry gets ``signer: <key fingerprint>`` (an extra key Helm ignores, like
``digest:``), so a later ``verify --provenance`` reports a chart re-signed by another key
(CL509); a signer recorded by an earlier lock that differs also fails here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from resolver.chart.lockfile import dump_lock, go_rfc3339nano
from resolver.commands.lock import LockOutcome, resolve_charts, write_outcomes
from resolver.errors import ChartlockError, InputError
from resolver.resolution.pick import is_oci

if TYPE_CHECKING:
    from resolver.chart.models import Dependency
    from resolver.chart.provenance import Keyring
    from resolver.registry.client import RegistryClient
    from resolver.registry.options import ClientOptions
    from resolver.resolution.plan import Upgrade


def _failure(outcome: LockOutcome, entry: Dependency, exc: Exception) -> InputError:
    from resolver.chart.provenance import ProvenanceFailure

    kind = f"provenance {exc.kind}: " if isinstance(exc, ProvenanceFailure) else ""
    return InputError(
        f"{outcome.display}/Chart.yaml",
        f"{entry.name} {entry.version} ({entry.repository}): {kind}{exc}; no lock was written",
    )


async def _oci_fingerprint(client: RegistryClient, entry: Dependency, keyring: Keyring) -> str:
    from resolver.chart.provenance import verify_provenance
    from resolver.commands.provfetch import fetch_oci_prov
    from resolver.registry.reference import oci_chart_repository

    repo = oci_chart_repository(entry.repository, entry.name)
    digest = entry.content_digest
    if not digest:
        raise ChartlockError(f"{entry.name} {entry.version}: no manifest digest was resolved")
    manifest = await client.get_manifest(repo, digest)
    where = f"oci://{repo}@{manifest.digest}"
    prov = await fetch_oci_prov(client, repo, manifest, where)
    filename = f"{entry.name}-{entry.version}.tgz"
    return verify_provenance(prov, manifest.layer_digest, filename, keyring).signer.fingerprint


async def signers(
    outcomes: Sequence[LockOutcome],
    options: ClientOptions,
    keyring: Keyring,
    require: Callable[[str, str], bool] | None = None,
) -> list[tuple[LockOutcome, Dependency, str]]:
    """The signer's fingerprint of every OCI / https entry; the first failure is raised as a
    one-line :class:`InputError`."""
    from resolver.commands.indexpull import index_provenance
    from resolver.registry.session import open_client

    pairs = [
        (o, e)
        for o in outcomes
        for e in o.entries
        if e.repository and (require is None or require(e.name, e.repository))
    ]
    oci = [(o, e) for o, e in pairs if is_oci(e.repository)]
    index = [(o, e) for o, e in pairs if e.repository.startswith(("https://", "http://"))]
    found: list[tuple[LockOutcome, Dependency, str]] = []
    if oci:
        async with open_client(options) as client:
            results = await asyncio.gather(
                *(_oci_fingerprint(client, e, keyring) for _, e in oci), return_exceptions=True
            )
        for (outcome, entry), result in zip(oci, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, Exception):
                    raise _failure(outcome, entry, result)
                raise result
            found.append((outcome, entry, result))
    if index:
        pulled = await index_provenance([e for _, e in index], options, keyring)
        for (outcome, entry), download in zip(index, pulled, strict=True):
            if isinstance(download, Exception):
                raise _failure(outcome, entry, download)
            found.append((outcome, entry, download.fingerprint))
    return found


def record_signers(
    outcomes: Sequence[LockOutcome], found: Iterable[tuple[LockOutcome, Dependency, str]]
) -> list[LockOutcome]:
    """Add ``signer:`` to the entries. The same version (name, repository, version) that the
    lock on disk records as signed by another key is refused: a release re-signed by someone
    else deserves a look (removing its ``signer:`` line accepts the new key). A lock that only
    gains ``signer:`` keys is rewritten. Returns the outcomes with their new lock text."""
    old_by_chart = {id(o): _old_entries(o) for o in outcomes}
    for outcome, entry, fingerprint in found:
        recorded = old_by_chart[id(outcome)].get((entry.name, entry.repository, entry.version))
        if recorded and recorded.upper() != fingerprint:
            raise InputError(
                f"{outcome.display}/Chart.lock",
                f"{entry.name} {entry.version}: provenance signer-changed: signed by key "
                f"{fingerprint}, but the lock records {recorded.upper()} (remove its signer: "
                "line to accept the new key); no lock was written",
            )
        entry.extra["signer"] = fingerprint
    return [_with_signers(outcome) for outcome in outcomes]


def _with_signers(outcome: LockOutcome) -> LockOutcome:
    if not outcome.entries or outcome.status == "no dependencies":
        return outcome
    status = outcome.status
    if status == "unchanged":
        old = _old_signers(outcome.text)
        if old == [e.extra.get("signer") for e in outcome.entries]:
            return outcome
        status = "updated"
    text = dump_lock(outcome.entries, outcome.digest, go_rfc3339nano())
    return outcome.replace(status=status, text=text)


def _lock_doc(text: str) -> list[dict[str, object]]:
    import yaml

    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return []
    deps = doc.get("dependencies") if isinstance(doc, dict) else None
    return [d for d in deps or [] if isinstance(d, dict)] if isinstance(deps, list) else []


def _old_signers(text: str) -> list[object]:
    """The ``signer`` keys of a lock's entries, in order."""
    return [d.get("signer") for d in _lock_doc(text)]


def _old_entries(outcome: LockOutcome) -> dict[tuple[str, str, str], str]:
    """(name, repository, version) -> recorded signer, from the lock on disk."""
    for name in ("requirements.lock", "Chart.lock"):
        path = outcome.chart_dir / name
        if path.is_file():
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                return {}
            return {
                (str(d.get("name")), str(d.get("repository")), str(d.get("version"))): str(
                    d["signer"]
                )
                for d in _lock_doc(text)
                if d.get("signer")
            }
    return {}


def lock_charts_verified(
    chart_dirs: Sequence[Path],
    options: ClientOptions,
    keyring: Keyring,
    *,
    require: Callable[[str, str], bool] | None = None,
    check_only: bool = False,
    cwd: Path | None = None,
    upgrade: bool | Iterable[str] | Upgrade = False,
) -> list[LockOutcome]:
    """:func:`resolver.commands.lock.lock_charts` with provenance verified and signers recorded."""

    async def run() -> list[LockOutcome]:
        outcomes = await resolve_charts(chart_dirs, options, cwd=cwd, upgrade=upgrade)
        return record_signers(outcomes, await signers(outcomes, options, keyring, require))

    outcomes = asyncio.run(run())
    if check_only:
        return [outcome.would_change() for outcome in outcomes]
    return write_outcomes(outcomes)


__all__ = ["lock_charts_verified", "record_signers", "signers"]
