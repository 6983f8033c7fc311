"""The one record idiom: frozen, slotted value classes, declared like dataclasses.

::

    class Digest(Record):
        algorithm: str
        hex: str
        source: str = ""
        notes: list[str] = field(default_factory=list)

gives ``__init__`` (positional or keyword, in declaration order, inherited fields first),
``__repr__``, ``__eq__``, ``__hash__``, ``__match_args__``, ``replace(**changes)`` and
immutability (assignment raises :class:`FrozenInstanceError`, an ``AttributeError`` like
``dataclasses.FrozenInstanceError``). Type checkers read the class as a frozen dataclass
(:pep:`681`'s ``dataclass_transform``).

Why not ``dataclasses``: it imports ``inspect`` (about 12 ms on this project's machine), and
``chartlock check`` starts in ~50 ms in all. A record here costs one ``type()`` call at import
and no ``exec``; construction is a loop over the fields (about 1 µs for a small record).
Hot value types whose constructor is on a per-tag path (``semver.Version``) write their own
``__new__`` instead.

``__post_init__`` runs after the fields are set, for validation or derived fields (set them
with ``object.__setattr__``, and declare them ``field(init=False)``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (see pyproject: always_true)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar

    from typing_extensions import Self, dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a record."""


class _Field:
    __slots__ = ("compare", "default", "default_factory", "init", "repr")

    def __init__(
        self,
        default: object,
        default_factory: Callable[[], object] | None,
        compare: bool,
        repr: bool,
        init: bool,
    ) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.init = init


_MISSING: Any = object()


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    repr: bool = True,
    init: bool = True,
) -> Any:
    """A field with a default factory, or left out of comparison, repr or ``__init__``."""
    return _Field(default, default_factory, compare, repr, init)


def _is_classvar(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "Final", "typing.Final"))


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class _RecordMeta(type):
    def __new__(
        mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kwargs: Any
    ) -> _RecordMeta:
        inherited: dict[str, _Field] = {}
        for base in reversed(bases):
            inherited.update(getattr(base, "__record_fields__", {}))
        own: dict[str, _Field] = {}
        for fname, annotation in ns.get("__annotations__", {}).items():
            if _is_classvar(annotation):
                continue
            value = ns.pop(fname, _MISSING)
            spec = value if isinstance(value, _Field) else _Field(value, None, True, True, True)
            own[fname] = spec
        if "__slots__" not in ns:
            ns["__slots__"] = tuple(n for n in own if n not in inherited)
        fields = {**inherited, **own}
        ns["__record_fields__"] = fields
        ns["__match_args__"] = tuple(n for n, f in fields.items() if f.init)
        ns["_init_names"] = tuple(n for n, f in fields.items() if f.init)
        ns["_compared"] = tuple(n for n, f in fields.items() if f.compare)
        cls = super().__new__(mcls, name, bases, ns, **kwargs)
        return cls


class Record(metaclass=_RecordMeta):
    """Base of every record (see the module documentation)."""

    __slots__ = ()
    __record_fields__: ClassVar[dict[str, _Field]]
    _init_names: ClassVar[tuple[str, ...]]
    _compared: ClassVar[tuple[str, ...]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._init_names
        if len(args) > len(names):
            raise TypeError(
                f"{type(self).__name__}() takes {len(names)} positional arguments, "
                f"{len(args)} given"
            )
        setattr_ = object.__setattr__
        for fname, spec in self.__record_fields__.items():
            if not spec.init and (spec.default is not _MISSING or spec.default_factory is not None):
                setattr_(self, fname, _default(spec))
        for fname, value in zip(names, args, strict=False):
            setattr_(self, fname, value)
        for fname in names[len(args) :]:
            if fname in kwargs:
                setattr_(self, fname, kwargs.pop(fname))
                continue
            spec = self.__record_fields__[fname]
            if spec.default is _MISSING and spec.default_factory is None:
                raise TypeError(f"{type(self).__name__}() missing argument: {fname!r}")
            setattr_(self, fname, _default(spec))
        if kwargs:
            unknown = next(iter(kwargs))
            what = "repeated" if unknown in names else "unexpected"
            raise TypeError(f"{type(self).__name__}() got an {what} argument {unknown!r}")
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r} of {type(self).__name__}")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{n}={getattr(self, n, '<unset>')!r}"
            for n, f in self.__record_fields__.items()
            if f.repr
        )
        return f"{type(self).__name__}({shown})"

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in self._compared)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        assert isinstance(other, Record)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(tuple(_hashable(v) for v in self._key()))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        import copy

        new = object.__new__(type(self))
        for n in self.__record_fields__:
            if hasattr(self, n):
                object.__setattr__(new, n, copy.deepcopy(getattr(self, n), memo))
        return new

    def __getstate__(self) -> dict[str, object]:
        return {n: getattr(self, n) for n in self.__record_fields__ if hasattr(self, n)}

    def __setstate__(self, state: dict[str, object]) -> None:
        for n, v in state.items():
            object.__setattr__(self, n, v)

    def replace(self, **changes: Any) -> Self:
        """A shallow copy with ``changes`` applied (like ``dataclasses.replace``)."""
        new = object.__new__(type(self))
        for n in self.__record_fields__:
            if n in changes:
                object.__setattr__(new, n, changes.pop(n))
            elif hasattr(self, n):
                object.__setattr__(new, n, getattr(self, n))
        if changes:
            raise TypeError(f"unknown fields: {', '.join(changes)}")
        return new


def _default(spec: _Field) -> object:
    factory = spec.default_factory
    return factory() if factory is not None else spec.default


def _hashable(value: object) -> object:
    if isinstance(value, (list, set)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


# The hand-written record base the first modules used; kept until every class is a Record.
from resolver.util._struct import Struct as Struct  # noqa: E402
