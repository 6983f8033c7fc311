"""Masterminds/semver v3 constraints: :func:`parse_constraint` is ``NewConstraint``,
:meth:`Constraint.allows` is ``Check``. See :mod:`resolver.semver` for the porting notes.
"""

from __future__ import annotations

import functools

from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.semver.version import _ID, _WS, Version, _compare_prerelease, parse_version
from resolver.util.lazyre import LazyPattern
from resolver.util.records import Record

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
# Compiled on first use (resolver.util.lazyre): plain ranges never need them (_parse_plain).
_VALID_GROUP_RE = LazyPattern(
    globals(),
    "_VALID_GROUP_RE",
    rf"{_WS}*(?:{_OPS})?{_WS}*{_CV_NOGROUPS}{_WS}*"
    rf"(?:(?:{_WS}+|,{_WS}*)(?:{_OPS})?{_WS}*{_CV_NOGROUPS}{_WS}*)*",
)
_FIND_RE = LazyPattern(globals(), "_FIND_RE", rf"({_OPS_ORDERED}){_WS}*({_CV_NOGROUPS})")
_ATOM_RE = LazyPattern(globals(), "_ATOM_RE", rf"{_WS}*({_OPS_ORDERED}){_WS}*({_CV}){_WS}*")
_RANGE_RE = LazyPattern(
    globals(), "_RANGE_RE", rf"{_WS}*({_CV_NOGROUPS}){_WS}+-{_WS}+({_CV_NOGROUPS}){_WS}*"
)


# Above every uint64: a ceiling's "any minor/patch" (tuples compare it like infinity).
_NO_LIMIT = 1 << 64


class Comparator(Record):
    """One ``op version`` item of a constraint group."""

    op: str
    orig: str
    base: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

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

    def upper_core(self) -> tuple[int, int, int] | None:
        """A (major, minor, patch) that no version this comparator allows exceeds in its core
        (``None``: no such bound). Read off the checks above: ``<``, ``<=`` and a full ``=``
        bound the core by the base's (a pre-release of the base may pass ``<``); ``~``, a
        partial ``=`` and a partial ``<=`` fix the major and, unless it was an ``x``, the minor;
        ``^`` fixes the first non-zero part. Only a ceiling: the caller still asks
        :meth:`check`."""
        op, c = self.op, self.base
        if op == "<" or (op in ("<=", "=<", "", "=") and not self.dirty):
            return c.core  # "<" compares with the padded base whether or not it was partial
        if op in ("", "=", "~", "~>", "<=", "=<"):
            tilde = op in ("", "=", "~", "~>")
            if tilde and c.core == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty:
                return None  # ``*``, ``~0.0.0``: any version at or above 0.0.0
            if self.minor_dirty:
                return (c.major, _NO_LIMIT, _NO_LIMIT)
            return (c.major, c.minor, _NO_LIMIT)
        if op == "^":
            if c.major > 0 or self.minor_dirty:
                return (c.major, _NO_LIMIT, _NO_LIMIT)
            if c.minor > 0 or self.patch_dirty:
                return (0, c.minor, _NO_LIMIT)
            return (0, 0, c.patch)
        return None  # >, >=, !=: no ceiling

    @property
    def bounded_above(self) -> bool:
        """Whether this comparator alone excludes arbitrarily large versions."""
        return self.upper_core() is not None


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


class Constraint(Record):
    """A parsed ``NewConstraint``: OR groups of AND-ed comparators."""

    original: str
    groups: tuple[tuple[Comparator, ...], ...]
    group_has_pre: tuple[bool, ...]

    def allows(self, version: Version, *, include_prerelease: bool = False) -> bool:
        """``Check``: some group accepts ``version`` (pre-release gate per group)."""
        for group, has_pre in zip(self.groups, self.group_has_pre, strict=True):
            ok = include_prerelease or has_pre
            if all(c.check(version, ok) for c in group):
                return True
        return False

    def __str__(self) -> str:
        return " || ".join(" ".join(str(c) for c in g) for g in self.groups)

    def upper_core(self) -> tuple[int, int, int] | None:
        """A (major, minor, patch) above which no allowed version's core lies, or ``None``:
        the highest of the groups' ceilings (each the lowest of its comparators')."""
        ceilings = []
        for group in self.groups:
            bounds = [b for b in (c.upper_core() for c in group) if b is not None]
            if not bounds:
                return None
            ceilings.append(min(bounds))
        return max(ceilings)

    def has_upper_bound(self) -> bool:
        """True when every OR group bounds versions from above (``~1.2``, ``<2``, ``1.x``)."""
        return self.upper_core() is not None

    def is_exact(self) -> bool:
        """A single ``=``/bare comparator on a full version (``1.2.3``, ``=1.2.3-rc.1``)."""
        if len(self.groups) != 1 or len(self.groups[0]) != 1:
            return False
        c = self.groups[0][0]
        return c.op in ("", "=") and not c.dirty


# The plain subset _parse_plain reads without the regexes: one group of "op version" words,
# numeric versions of one to three parts, separated by one space (or a comma and one space).
_PLAIN_CHARS = frozenset("0123456789.<>=!~^, ")
_PLAIN_OPS = frozenset(("", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"))


def _parse_plain(text: str) -> Constraint | None:
    """``text`` parsed as the regexes would, when it is in the plain subset; else ``None``.

    What the regexes do to such text: no `` - `` range to rewrite, no ``||``, one group that
    is valid (words separated by whitespace or a comma), each word one comparator whose
    operator is the longest one listed and whose version is padded with ``.0`` (``dirty``).
    Whatever is outside the subset (``x``, ``v``, pre-releases, tabs, two spaces, a trailing
    comma, a number past uint64...) returns ``None`` and takes the regex path, which also has
    the exact error messages. tests/test_semver.py checks both paths agree on random text.
    """
    if not text or not _PLAIN_CHARS.issuperset(text):
        return None
    words = text.split(" ")
    last = len(words) - 1
    comparators: list[Comparator] = []
    for i, word in enumerate(words):
        if i < last and word.endswith(","):
            word = word[:-1]
        orig = word.lstrip("<>=!~^")
        op = word[: len(word) - len(orig)]
        if op not in _PLAIN_OPS:
            return None
        numbers = orig.split(".")
        if len(numbers) > 3 or not all(n.isdigit() for n in numbers):
            return None
        if len(numbers) == 3:
            ver, dirty, minor_dirty, patch_dirty = orig, False, False, False
        elif len(numbers) == 2:
            ver, dirty, minor_dirty, patch_dirty = f"{orig}.0", True, False, True
        else:
            ver, dirty, minor_dirty, patch_dirty = f"{orig}.0.0", True, True, False
        try:
            base = parse_version(ver)
        except InvalidVersion:
            return None
        comparators.append(Comparator(op, orig, base, dirty, minor_dirty, patch_dirty))
    return Constraint(text, (tuple(comparators),), (False,))


@functools.lru_cache(maxsize=4096)
def parse_constraint(text: str) -> Constraint:
    """Parse ``text`` like ``semver.NewConstraint``; raises :class:`InvalidConstraint`."""
    plain = _parse_plain(text)
    if plain is not None:
        return plain
    return _parse_with_regexes(text)


def _parse_with_regexes(text: str) -> Constraint:
    """``NewConstraint`` step by step on the upstream regexes (any text)."""
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
