"""Masterminds/semver v3 as Helm 4.1.4 uses it (v3.4.0 semantics, no length guards).

Versions: :func:`parse_version` is ``NewVersion`` (loose: ``v1``, ``1.2``, ``01.02.03``) or, with
``strict=True``, ``StrictNewVersion`` (exactly ``X.Y.Z`` with optional pre-release and metadata).
Constraints: :func:`parse_constraint` is ``NewConstraint``; :meth:`Constraint.allows` is ``Check``.

This is chart-version semantics, not PEP 440. Porting notes: ``[0-9]`` not ``\\d``, Go's ``\\s``
is ``[ \\t\\n\\f\\r]``, and every regex is matched against the whole text (``fullmatch``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.util.gosort import go_sort
from resolver.util.records import Struct

_UINT64_MAX = (1 << 64) - 1
_WS = "[ \t\n\f\r]"
_ID = r"[0-9A-Za-z\-]+"
_LOOSE_RE = re.compile(
    rf"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-({_ID}(?:\.{_ID})*))?(?:\+({_ID}(?:\.{_ID})*))?"
)
_ALLOWED_ID_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_DIGITS = frozenset("0123456789")

# Constraint grammar. The literal "|" inside the version-part class is an upstream artefact
# that decides whether "1.0.0 - 2.0.0||3" parses, so it is kept.
_CV = (
    r"v?([0-9|xX*]+)(\.[0-9|xX*]+)?(\.[0-9|xX*]+)?"
    rf"(-{_ID}(?:\.{_ID})*)?(\+{_ID}(?:\.{_ID})*)?"
)
_CV_NOGROUPS = (
    r"v?[0-9|xX*]+(?:\.[0-9|xX*]+)?(?:\.[0-9|xX*]+)?"
    rf"(?:-{_ID}(?:\.{_ID})*)?(?:\+{_ID}(?:\.{_ID})*)?"
)
_OPS = r"=|!=|>|<|>=|=>|<=|=<|~|~>|\^"
_OPS_ORDERED = r"!=|>=|=>|<=|=<|~>|=|>|<|~|\^|"
_VALID_GROUP_RE = re.compile(
    rf"{_WS}*(?:{_OPS})?{_WS}*{_CV_NOGROUPS}{_WS}*"
    rf"(?:(?:{_WS}+|,{_WS}*)(?:{_OPS})?{_WS}*{_CV_NOGROUPS}{_WS}*)*"
)
_FIND_RE = re.compile(rf"({_OPS_ORDERED}){_WS}*({_CV_NOGROUPS})")
_ATOM_RE = re.compile(rf"{_WS}*({_OPS_ORDERED}){_WS}*({_CV}){_WS}*")
_RANGE_RE = re.compile(rf"{_WS}*({_CV_NOGROUPS}){_WS}+-{_WS}+({_CV_NOGROUPS}){_WS}*")


def _parse_uint64(text: str, what: str) -> int:
    value = int(text)
    if value > _UINT64_MAX:
        raise InvalidVersion(f"error parsing version segment: {what} {text!r} is out of range")
    return value


def _check_prerelease(pre: str) -> None:
    for ident in pre.split("."):
        if ident == "":
            raise InvalidVersion("invalid prerelease string")
        if not set(ident) <= _ALLOWED_ID_CHARS:
            raise InvalidVersion("invalid prerelease string")
        if len(ident) > 1 and ident[0] == "0" and set(ident) <= _DIGITS:
            raise InvalidVersion("version segment starts with 0")


def _check_metadata(meta: str) -> None:
    for ident in meta.split("."):
        if ident == "" or not set(ident) <= _ALLOWED_ID_CHARS:
            raise InvalidVersion("invalid metadata string")


def _numeric_id(ident: str) -> int | None:
    """An identifier is numeric when it is all ASCII digits and fits in uint64."""
    if ident and set(ident) <= _DIGITS:
        value = int(ident)
        if value <= _UINT64_MAX:
            return value
    return None


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1
    if o == "":
        return 1
    si, oi = _numeric_id(s), _numeric_id(o)
    if si is None and oi is None:
        sb, ob = s.encode(), o.encode()
        return 1 if sb > ob else -1
    if si is None:
        return 1
    if oi is None:
        return -1
    return 1 if si > oi else -1


def _compare_prerelease(a: str, b: str) -> int:
    aparts, bparts = a.split("."), b.split(".")
    for i in range(max(len(aparts), len(bparts))):
        d = _compare_pre_part(
            aparts[i] if i < len(aparts) else "", bparts[i] if i < len(bparts) else ""
        )
        if d:
            return d
    return 0


@functools.total_ordering
class Version:
    """A parsed version. Ordering and equality follow SemVer precedence (metadata ignored)."""

    __slots__ = ("major", "minor", "patch", "prerelease", "metadata", "original")

    def __init__(
        self,
        major: int,
        minor: int,
        patch: int,
        prerelease: str = "",
        metadata: str = "",
        original: str = "",
    ) -> None:
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.metadata = metadata
        self.original = original

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text

    def __repr__(self) -> str:
        return f"Version({self.original or str(self)!r})"

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 exactly like Masterminds ``Compare``."""
        a = (self.major, self.minor, self.patch)
        b = (other.major, other.minor, other.patch)
        if a != b:
            return -1 if a < b else 1
        if self.prerelease == other.prerelease:
            return 0
        if not self.prerelease:
            return 1
        if not other.prerelease:
            return -1
        return _compare_prerelease(self.prerelease, other.prerelease)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) == 0

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __hash__(self) -> int:
        # Equal versions must hash alike; prerelease ids compare by value, so hash the core.
        return hash((self.major, self.minor, self.patch, bool(self.prerelease)))

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)


def parse_version(text: str, *, strict: bool = False) -> Version:
    """Parse ``text`` like ``semver.NewVersion`` (or ``StrictNewVersion`` when ``strict``)."""
    if strict:
        return _parse_strict(text)
    m = _LOOSE_RE.fullmatch(text)
    if m is None:
        raise InvalidVersion(f"invalid semantic version: {text!r}")
    major = _parse_uint64(m.group(1), "major")
    minor = _parse_uint64(m.group(2)[1:], "minor") if m.group(2) else 0
    patch = _parse_uint64(m.group(3)[1:], "patch") if m.group(3) else 0
    pre = m.group(4) or ""
    meta = m.group(5) or ""
    if pre:
        _check_prerelease(pre)
    if meta:
        _check_metadata(meta)
    return Version(major, minor, patch, pre, meta, text)


def _parse_strict(text: str) -> Version:
    if text == "":
        raise InvalidVersion("version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise InvalidVersion(f"invalid semantic version: {text!r}")
    major_s, minor_s, rest = parts
    pre = meta = ""
    if "+" in rest:
        rest, meta = rest.split("+", 1)
        _check_metadata(meta)
    if "-" in rest:
        rest, pre = rest.split("-", 1)
        _check_prerelease(pre)
    numbers = []
    for what, value in (("major", major_s), ("minor", minor_s), ("patch", rest)):
        if not set(value) <= _DIGITS:
            raise InvalidVersion(f"invalid characters in version: {text!r}")
        if value == "":
            raise InvalidVersion(f"error parsing version segment: empty {what} in {text!r}")
        if len(value) > 1 and value[0] == "0":
            raise InvalidVersion(f"version segment starts with 0: {text!r}")
        numbers.append(_parse_uint64(value, what))
    return Version(numbers[0], numbers[1], numbers[2], pre, meta, text)


def parse_tag(tag: str) -> Version | None:
    """Helm's OCI tag rule: every ``_`` becomes ``+``, then strict parsing; ``None`` if invalid."""
    try:
        return _parse_strict(tag.replace("_", "+"))
    except InvalidVersion:
        return None


def sort_desc(versions: Iterable[Version]) -> list[Version]:
    """``sort.Sort(sort.Reverse(semver.Collection(vs)))``: highest first, Go's tie order."""
    items = list(versions)
    go_sort(items, lambda a, b: b.compare(a) < 0)
    return items


# --- constraints ------------------------------------------------------------------------


class Comparator(Struct):
    """One ``op version`` item of a constraint group."""

    __slots__ = ("op", "orig", "base", "dirty", "minor_dirty", "patch_dirty")

    def __init__(
        self, op: str, orig: str, base: Version, dirty: bool, minor_dirty: bool, patch_dirty: bool
    ) -> None:
        self.op = op
        self.orig = orig
        self.base = base
        self.dirty = dirty
        self.minor_dirty = minor_dirty
        self.patch_dirty = patch_dirty

    def __str__(self) -> str:
        return f"{self.op}{self.orig}"

    def check(self, v: Version, include_pre: bool) -> bool:
        if v.prerelease and not include_pre:
            return False
        op, c = self.op, self.base
        if op in ("", "="):
            return self._tilde(v) if self.dirty else v.compare(c) == 0
        if op == "!=":
            return self._not_equal(v)
        if op == ">":
            return self._greater(v)
        if op == "<":
            return v.compare(c) < 0
        if op in (">=", "=>"):
            return v.compare(c) >= 0
        if op in ("<=", "=<"):
            return self._less_equal(v)
        if op in ("~", "~>"):
            return self._tilde(v)
        return self._caret(v)

    def _tilde(self, v: Version) -> bool:
        c = self.base
        if v.compare(c) < 0:
            return False
        if c.core == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty:
            return True
        if v.major != c.major:
            return False
        return not (v.minor != c.minor and not self.minor_dirty)

    def _caret(self, v: Version) -> bool:
        c = self.base
        if v.compare(c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return c.patch == v.patch

    def _greater(self, v: Version) -> bool:
        c = self.base
        if not self.dirty:
            return v.compare(c) > 0
        if v.major > c.major:
            return True
        if v.major < c.major:
            return False
        if self.minor_dirty:
            return False
        if self.patch_dirty:
            return v.minor > c.minor
        return v.compare(c) > 0

    def _less_equal(self, v: Version) -> bool:
        c = self.base
        if not self.dirty:
            return v.compare(c) <= 0
        if v.major > c.major:
            return False
        return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)

    def _not_equal(self, v: Version) -> bool:
        c = self.base
        if not self.dirty:
            return v.compare(c) != 0
        if v.major != c.major:
            return True
        if v.minor != c.minor and not self.minor_dirty:
            return True
        if self.minor_dirty:
            return False
        if v.patch != c.patch and not self.patch_dirty:
            return True
        if self.patch_dirty:
            if v.prerelease or c.prerelease:
                return _compare_prerelease(v.prerelease, c.prerelease) != 0
            return False
        return v.compare(c) != 0

    @property
    def bounded_above(self) -> bool:
        """Whether this comparator alone excludes arbitrarily large versions."""
        op, c = self.op, self.base
        if op in ("<", "<=", "=<", "^"):
            return True
        if op in ("", "=") and not self.dirty:
            return True
        if op in ("", "=", "~", "~>"):
            return not (c.core == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty)
        return False


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


def _parse_comparator(text: str) -> Comparator:
    m = _ATOM_RE.fullmatch(text)
    if m is None:
        raise InvalidConstraint(f"improper constraint: {text}")
    op, orig, major, minor, patch, pre = m.group(1, 2, 3, 4, 5, 6)
    pre = pre or ""
    minor_dirty = patch_dirty = dirty = False
    ver = orig
    if _is_x(major):
        ver, dirty = f"0.0.0{pre}", True
    elif minor is None or _is_x(minor[1:]):
        ver, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif patch is None or _is_x(patch[1:]):
        ver, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    try:
        base = parse_version(ver)
    except InvalidVersion:
        raise InvalidConstraint(f"constraint parser error: {text.strip()}") from None
    return Comparator(op, orig, base, dirty, minor_dirty, patch_dirty)


def _rewrite_range(text: str) -> str:
    out = text
    for m in _RANGE_RE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(2)} ", 1)
    return out


class Constraint(Struct):
    """A parsed ``NewConstraint``: OR groups of AND-ed comparators."""

    __slots__ = ("original", "groups", "group_has_pre")

    def __init__(
        self,
        original: str,
        groups: tuple[tuple[Comparator, ...], ...],
        group_has_pre: tuple[bool, ...],
    ) -> None:
        self.original = original
        self.groups = groups
        self.group_has_pre = group_has_pre

    def allows(self, version: Version, *, include_prerelease: bool = False) -> bool:
        """``Check``: some group accepts ``version`` (pre-release gate per group)."""
        for group, has_pre in zip(self.groups, self.group_has_pre, strict=True):
            ok = include_prerelease or has_pre
            if all(c.check(version, ok) for c in group):
                return True
        return False

    def __str__(self) -> str:
        return " || ".join(" ".join(str(c) for c in g) for g in self.groups)

    def has_upper_bound(self) -> bool:
        """True when every OR group bounds versions from above (``~1.2``, ``<2``, ``1.x``)."""
        return all(any(c.bounded_above for c in g) for g in self.groups)

    def is_exact(self) -> bool:
        """A single ``=``/bare comparator on a full version (``1.2.3``, ``=1.2.3-rc.1``)."""
        if len(self.groups) != 1 or len(self.groups[0]) != 1:
            return False
        c = self.groups[0][0]
        return c.op in ("", "=") and not c.dirty


@functools.lru_cache(maxsize=4096)
def parse_constraint(text: str) -> Constraint:
    """Parse ``text`` like ``semver.NewConstraint``; raises :class:`InvalidConstraint`."""
    rewritten = _rewrite_range(text)
    groups: list[tuple[Comparator, ...]] = []
    has_pre: list[bool] = []
    for part in rewritten.split("||"):
        if _VALID_GROUP_RE.fullmatch(part) is None:
            raise InvalidConstraint(f"improper constraint: {part}")
        items = [m.group(0) for m in _FIND_RE.finditer(part)] or [part]
        comparators = tuple(_parse_comparator(item) for item in items)
        groups.append(comparators)
        has_pre.append(any(c.base.prerelease for c in comparators))
    return Constraint(text, tuple(groups), tuple(has_pre))
