"""What a new lock changes against the Chart.lock on disk: the report ``chartlock lock``
prints (``name 1.0.0 → 1.1.0 (range changed)``) and the library's ``ResolvedLock.changes``."""

from __future__ import annotations

from collections.abc import Sequence

from resolver.chart.models import Dependency
from resolver.errors import InvalidVersion
from resolver.resolution.plan import RANGE, REPOSITORY, UPGRADE, Decision
from resolver.semver import parse_version
from resolver.util.records import Record


class Change(Record):
    """One difference between the old lock and the new one.

    ``kind``: ``added``, ``removed``, ``upgraded``, ``downgraded``, ``changed`` (same version,
    other repository or version spelling), ``content`` (same version, new digest: a re-pushed
    tag accepted by an upgrade flag) or ``digest-added`` (the old entry had no ``digest:``).
    """

    kind: str
    name: str
    alias: str = ""
    old_version: str | None = None
    new_version: str | None = None
    old_digest: str | None = None
    new_digest: str | None = None
    old_repository: str | None = None
    new_repository: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "alias": self.alias or None,
            "from": _side(self.old_version, self.old_digest, self.old_repository),
            "to": _side(self.new_version, self.new_digest, self.new_repository),
            "reason": self.reason or None,
        }

    def text(self) -> str:
        """``name old → new`` with digests shortened, or ``+ name v (added)``..."""
        label = self.name
        if self.alias and self.alias != self.name:
            label = f"{self.alias} ({self.name})"
        if self.kind == "added":
            return f"+ {label} {self.new_version}{_short(self.new_digest)} (added)"
        if self.kind == "removed":
            return f"- {label} {self.old_version}{_short(self.old_digest)} (removed)"
        why = f" ({_REASONS[self.reason]})" if self.reason in _REASONS else ""
        if self.kind == "digest-added":
            return f"{label} {self.new_version}: digest {_shorten(self.new_digest)} recorded"
        repo = ""
        if self.old_repository != self.new_repository:
            repo = f" [{self.old_repository} → {self.new_repository}]"
        return (
            f"{label} {self.old_version}{_short(self.old_digest)} → "
            f"{self.new_version}{_short(self.new_digest)}{repo}{why}"
        )


def _side(version: str | None, digest: str | None, repository: str | None) -> object:
    """One side (``from``/``to``) of a change in JSON: None when the entry does not exist."""
    if version is None:
        return None
    return {"version": version, "digest": digest, "repository": repository}


_REASONS = {
    RANGE: "range changed",
    REPOSITORY: "repository changed",
    UPGRADE: "upgrade requested",
}


def _shorten(digest: str | None) -> str:
    if not digest:
        return "-"
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else digest[:19]


def _short(digest: str | None) -> str:
    return f" ({_shorten(digest)})" if digest else ""


def _order(a: str, b: str) -> int:
    try:
        return parse_version(b).compare(parse_version(a))
    except InvalidVersion:
        return 0


def changes(
    decisions: Sequence[Decision],
    entries: Sequence[Dependency],
    old: Sequence[Dependency] | None,
) -> list[Change]:
    """What the new lock ``entries`` change against the ``old`` lock entries, in Chart.yaml
    order, then the removed entries in lock order."""
    out = []
    used: set[int] = set()
    old_list = list(old or [])
    for d, entry in zip(decisions, entries, strict=True):
        prev = d.entry
        alias = d.dep.alias
        if prev is None:
            out.append(
                Change(
                    "added",
                    entry.name,
                    alias,
                    new_version=entry.version,
                    new_digest=entry.content_digest,
                    new_repository=entry.repository,
                    reason=d.reason,
                )
            )
            continue
        used.update(i for i, e in enumerate(old_list) if e is prev)
        same_version = prev.version == entry.version
        same_repo = prev.repository == entry.repository
        same_digest = prev.content_digest == entry.content_digest
        if same_version and same_repo and same_digest:
            continue
        if same_version and same_repo and prev.content_digest is None:
            kind = "digest-added"
        elif same_version and same_repo:
            kind = "content"
        elif not same_version:
            order = _order(prev.version, entry.version)
            kind = "upgraded" if order > 0 else "downgraded" if order < 0 else "changed"
        else:
            kind = "changed"
        out.append(
            Change(
                kind,
                entry.name,
                alias,
                prev.version,
                entry.version,
                prev.content_digest,
                entry.content_digest,
                prev.repository,
                entry.repository,
                reason=d.reason if kind != "digest-added" else "",
            )
        )
    for i, prev in enumerate(old_list):
        if i in used:
            continue
        out.append(
            Change(
                "removed",
                prev.name,
                old_version=prev.version,
                old_digest=prev.content_digest,
                old_repository=prev.repository,
            )
        )
    return out


__all__ = ["Change", "changes"]
