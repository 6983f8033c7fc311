"""Masterminds/semver v3 as Helm 4.1.4 uses it (v3.4.0 semantics, no length guards).

Versions: :func:`parse_version` is ``NewVersion`` (loose: ``v1``, ``1.2``, ``01.02.03``) or, with
``strict=True``, ``StrictNewVersion`` (exactly ``X.Y.Z`` with optional pre-release and metadata).
Constraints: :func:`parse_constraint` is ``NewConstraint``; :meth:`Constraint.allows` is ``Check``.

This is chart-version semantics, not PEP 440. Porting notes: ``[0-9]`` not ``\\d``, Go's ``\\s``
is ``[ \\t\\n\\f\\r]``, and every regex is matched against the whole text (``fullmatch``).
"""

from __future__ import annotations

from resolver.semver.constraint import Comparator, Constraint, parse_constraint
from resolver.semver.version import Version, parse_tag, parse_version, sort_desc

__all__ = [
    "Comparator",
    "Constraint",
    "Version",
    "parse_constraint",
    "parse_tag",
    "parse_version",
    "sort_desc",
]
