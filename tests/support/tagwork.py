"""Counting the work done on OCI tag lists: each list indexed for picks
(resolver.semver.tagindex.TagIndex, through resolver.resolution.pick) and each list sorted into
Versions (resolver.resolution.pick.oci_versions, also used by verify and outdated)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from resolver.resolution import pick
from resolver.semver import Version
from resolver.semver.tagindex import TagIndex


def count_tag_work(monkeypatch: pytest.MonkeyPatch, *sorting_modules: str) -> list[tuple[str, int]]:
    """A list that gets ``("index", n)`` for every n-tag list indexed and ``("sort", n)`` for
    every n-tag list sorted, by pick and by ``sorting_modules`` (which import oci_versions)."""
    calls: list[tuple[str, int]] = []
    real_sort = pick.oci_versions

    def sorted_(tags: Sequence[str]) -> list[Version]:
        calls.append(("sort", len(tags)))
        return real_sort(tags)

    def indexed(tags: Sequence[str]) -> TagIndex:
        calls.append(("index", len(tags)))
        return TagIndex(tags)

    monkeypatch.setattr(pick, "oci_versions", sorted_)
    monkeypatch.setattr(pick, "TagIndex", indexed)
    for module in sorting_modules:
        monkeypatch.setattr(f"{module}.oci_versions", sorted_)
    return calls
