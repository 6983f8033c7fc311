"""Masterminds/semver v3 versions as Helm 4.1.4 uses them: parsing, precedence, Helm's tag sort.

:func:`parse_version` is ``NewVersion`` (loose: ``v1``, ``1.2``, ``01.02.03``) or, with
``strict=True``, ``StrictNewVersion``; :func:`parse_tag` is Helm's OCI tag rule. See
:mod:`resolver.semver` for the porting notes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from resolver.errors import InvalidVersion
from resolver.util.gosort import go_sort_by
from resolver.util.lazyre import LazyPattern
from resolver.util.records import FrozenInstanceError

TYPE_CHECKING = False  # typing is not imported at run time (see pyproject: always_true)

_UINT64_MAX = (1 << 64) - 1
_WS = "[ \t\n\f\r]"
_ID = r"[0-9A-Za-z\-]+"
# Compiled on first use (resolver.util.lazyre): plain versions never need them (see
# parse_version), and a cold `chartlock check` should not pay for compiling them.
_LOOSE_RE = LazyPattern(
    globals(),
    "_LOOSE_RE",
    rf"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-({_ID}(?:\.{_ID})*))?(?:\+({_ID}(?:\.{_ID})*))?",
)
# StrictNewVersion as one regex (the fast path of parse_tag and strict parse_version): numbers
# without leading zeros, pre-release identifiers numeric without leading zeros or containing a
# non-digit, metadata identifiers of the allowed characters. uint64 overflow is checked after.
_NUM = "(0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z\-][0-9A-Za-z\-]*)"
_STRICT_RE = LazyPattern(
    globals(),
    "_STRICT_RE",
    rf"{_NUM}\.{_NUM}\.{_NUM}(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+({_ID}(?:\.{_ID})*))?",
)
_ALLOWED_ID_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_DIGITS = frozenset("0123456789")


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


_SET = object.__setattr__
_NEW = object.__new__


@functools.total_ordering
class Version:
    """A parsed version: immutable and hashable. Ordering and equality follow SemVer precedence
    (metadata ignored), exactly Masterminds ``Compare``.

    Immutable because versions are shared: ``parse_constraint`` is an ``lru_cache`` whose
    comparators hold their base versions, and one parsed tag list serves every dependency that
    uses the repository. Built by ``__new__`` (no ``__init__``) because the tag parsers create
    one per tag: tens of thousands per lock run.
    """

    __slots__ = ("_key", "major", "metadata", "minor", "original", "patch", "prerelease")

    if TYPE_CHECKING:  # read-only for type checkers; at run time the slots hold the values

        @property
        def major(self) -> int: ...
        @property
        def minor(self) -> int: ...
        @property
        def patch(self) -> int: ...
        @property
        def prerelease(self) -> str: ...
        @property
        def metadata(self) -> str: ...
        @property
        def original(self) -> str: ...

    _key: tuple[int, int, int, int, tuple[tuple[int, int, str], ...]] | None

    def __new__(
        cls,
        major: int,
        minor: int,
        patch: int,
        prerelease: str = "",
        metadata: str = "",
        original: str = "",
    ) -> Version:
        self = _NEW(cls)
        _SET(self, "major", major)
        _SET(self, "minor", minor)
        _SET(self, "patch", patch)
        _SET(self, "prerelease", prerelease)
        _SET(self, "metadata", metadata)
        _SET(self, "original", original)
        _SET(self, "_key", None)
        return self

    if not TYPE_CHECKING:  # hidden from type checkers, which then reject unknown attributes

        def __setattr__(self, name: str, value: object) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r} of Version")

        def __delattr__(self, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r} of Version")

    def __reduce__(self) -> tuple[type[Version], tuple[int, int, int, str, str, str]]:
        fields = (self.major, self.minor, self.patch, self.prerelease, self.metadata)
        return (Version, (*fields, self.original))

    def __copy__(self) -> Version:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Version:
        return self

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

    def sort_key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """A key whose order is :meth:`compare`'s for every version the parsers return.

        The core, then "no pre-release" above any pre-release, then the identifiers: numeric
        (``(0, value, "")``) below alphanumeric (``(1, 0, text)``, code-point order = Go's byte
        order for ASCII), a shorter list below a longer one it prefixes. Computed once, cached.
        (Hand-built versions with leading-zero or empty identifiers, which no parser returns,
        may order differently: ``compare`` is the reference.)
        """
        key = self._key
        if key is None:
            pre = self.prerelease
            if pre:
                ids = tuple(_pre_id_key(p) for p in pre.split("."))
                key = (self.major, self.minor, self.patch, 0, ids)
            else:
                key = (self.major, self.minor, self.patch, 1, ())
            _SET(self, "_key", key)
        return key

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


# The slots' own setters: about twice as fast as object.__setattr__, which must walk the MRO
# past Version's refusing __setattr__ (this is the per-tag path).
_slots = Version.__dict__
_set_major, _set_minor, _set_patch = (_slots[n].__set__ for n in ("major", "minor", "patch"))
_set_prerelease, _set_metadata = _slots["prerelease"].__set__, _slots["metadata"].__set__
_set_original, _set_key = _slots["original"].__set__, _slots["_key"].__set__


def _pre_id_key(ident: str) -> tuple[int, int, str]:
    value = _numeric_id(ident)
    return (1, 0, ident) if value is None else (0, value, "")


def _make(major: str, minor: str, patch: str, pre: str, meta: str, text: str) -> Version | None:
    """A version from matched digit strings; ``None`` when a number overflows uint64."""
    if (len(major) > 19 or len(minor) > 19 or len(patch) > 19) and max(
        int(major), int(minor), int(patch)
    ) > _UINT64_MAX:
        return None
    v = _NEW(Version)
    _set_major(v, int(major))
    _set_minor(v, int(minor))
    _set_patch(v, int(patch))
    _set_prerelease(v, pre)
    _set_metadata(v, meta)
    _set_original(v, text)
    _set_key(v, None)
    return v


def parse_version(text: str, *, strict: bool = False) -> Version:
    """Parse ``text`` like ``semver.NewVersion`` (or ``StrictNewVersion`` when ``strict``)."""
    if strict:
        m = _STRICT_RE.fullmatch(text)
        if m is not None:
            major, minor, patch, pre, meta = m.groups("")
            v = _make(major, minor, patch, pre, meta, text)
            if v is not None:
                return v
        return _parse_strict(text)  # the reference path, for its exact error message
    if text.isascii():
        # The common case without the regex: "1.2.3", digits only (leading zeros are allowed
        # here, as by the regex). Anything else, or a number past uint64, takes the regex path.
        parts = text.split(".")
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() and parts[2].isdigit():
            plain = _make(parts[0], parts[1], parts[2], "", "", text)
            if plain is not None:
                return plain
    m = _LOOSE_RE.fullmatch(text)
    if m is None:
        raise InvalidVersion(f"invalid semantic version: {text!r}")
    major, minor, patch, pre, meta = m.groups("")
    minor, patch = minor[1:] or "0", patch[1:] or "0"
    v = _make(major, minor, patch, pre, meta, text)
    if v is None:  # a number is out of range: say which, like Masterminds
        for what, value in (("major", major), ("minor", minor), ("patch", patch)):
            _parse_uint64(value, what)
    if pre:
        _check_prerelease(pre)  # the regex checked the characters, not leading zeros
    assert v is not None
    return v


def _parse_strict(text: str) -> Version:
    """``StrictNewVersion`` step by step: the reference the fast regex is tested against."""
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
    """Helm's OCI tag rule: every ``_`` becomes ``+``, then strict parsing; ``None`` if invalid.

    The strict grammar is one regex (tested equal to :func:`_parse_strict` on random strings),
    so a non-semver tag (``latest``, ``sha-1a2b3c``) costs one failed match, no exception.
    """
    if "_" in tag:
        tag = tag.replace("_", "+")
    m = _STRICT_RE.fullmatch(tag)
    if m is None:
        return None
    major, minor, patch, pre, meta = m.groups("")
    return _make(major, minor, patch, pre, meta, tag)


def sort_desc(versions: Iterable[Version]) -> list[Version]:
    """``sort.Sort(sort.Reverse(semver.Collection(vs)))``: highest first, Go's tie order.

    Versions of equal precedence (``1.0.0+a``, ``1.0.0+b``) come out of Go's unstable sort in an
    order only Go's algorithm reproduces, so :func:`go_sort` runs when there are ties. Without
    ties the order is unique and Python's sort gives it; either way the comparisons are on
    cached :meth:`Version.sort_key` values (integer ranks for go_sort), not ``compare`` calls.
    """
    items = list(versions)
    keys = [v.sort_key() for v in items]
    distinct = set(keys)
    if len(distinct) == len(items):
        items.sort(key=Version.sort_key, reverse=True)
        return items
    # Descending: the highest key gets the lowest rank.
    rank = {k: r for r, k in enumerate(sorted(distinct, reverse=True))}
    go_sort_by(items, [rank[k] for k in keys])
    return items
