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
``chartlock check`` starts in ~50 ms in all; it also compiles every class's ``__init__`` when
the class is created (~0.1 to 0.6 ms each). A record class here costs one ``type()`` call at
import. Its first ``_COMPILE_AFTER`` instances are built by a generic ``__init__`` (a loop over
the fields, a few µs per record); then it compiles the ``__init__`` a dataclass would have
(plain parameters, one slot store per field: ~2x a hand-written one, ~1-2 µs for 14 fields)
and installs it. So a one-chart ``check`` compiles nothing, and a lint over thousands of charts
(one ``Mark`` per YAML value) runs at compiled speed. Both build the same records and raise the
same ``TypeError`` messages as Python does for a wrong call. Hot value types whose constructor
is on a per-tag path (``semver.Version``) write their own ``__new__`` instead.

A mutable default (``list``, ``dict``, ``set``) is refused like ``dataclasses`` does: use
``field(default_factory=list)``. Equality and hashing use the fields with ``compare=True``;
list, set and dict values are hashed by content (records are frozen, their contents are not).

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


# A class's first instances are built by a generic __init__; the one built this many times gets
# a compiled one (compiling costs ~80 µs for 3 fields, ~600 µs for 14: more than a one-chart
# `chartlock check` builds records, far less than a thousand-chart lint saves).
_COMPILE_AFTER = 100


def _slot_setter(cls: Any, fname: str) -> Callable[[object, object], None]:
    # The slot's own descriptor stores about twice as fast as object.__setattr__ (which must
    # walk the MRO past the class's refusing __setattr__).
    slot: Any = getattr(cls, fname, None)
    if type(slot).__name__ == "member_descriptor":
        return slot.__set__  # type: ignore[no-any-return]
    return lambda obj, value: object.__setattr__(obj, fname, value)  # not a slot of ours


def _first_init(owner: type) -> Callable[..., None]:
    """``owner``'s ``__init__``: generic, until it has built ``_COMPILE_AFTER`` records."""
    state: list[Any] = []  # [calls, spec, post_init], filled on the first call

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not state:
            state.extend((0, _init_spec(owner), hasattr(owner, "__post_init__")))
        state[0] += 1
        if state[0] > _COMPILE_AFTER:
            init = _compile_init(owner)
            type.__setattr__(owner, "__init__", init)
            init(self, *args, **kwargs)
            return
        _bind(owner, state[1], self, args, kwargs)
        if state[2]:
            self.__post_init__()

    __init__.__qualname__ = f"{owner.__qualname__}.__init__"
    return __init__


def _init_spec(cls: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(name, setter, default, factory) of the ``__init__`` parameters, and of the other
    fields that have a default."""
    params, others = [], []
    for fname, spec in cls.__record_fields__.items():
        item = (fname, _slot_setter(cls, fname), spec.default, spec.default_factory)
        if spec.init:
            params.append(item)
        elif spec.default is not _MISSING or spec.default_factory is not None:
            others.append(item)
    return tuple(params), tuple(others)


def _bind(
    cls: Any, spec: tuple[tuple[Any, ...], tuple[Any, ...]], obj: Any, args: Any, kw: Any
) -> None:
    """Set ``obj``'s fields from ``args``/``kw`` as the compiled ``__init__`` does (same errors)."""
    params, others = spec
    where = f"{cls.__qualname__}.__init__()"
    if len(args) > len(params):
        required = sum(1 for p in params if p[2] is _MISSING and p[3] is None)
        takes = (
            f"{len(params) + 1}"
            if required == len(params)
            else (f"from {required + 1} to {len(params) + 1}")
        )
        raise TypeError(
            f"{where} takes {takes} positional arguments but {len(args) + 1} were given"
        )
    for (_, setter, _, _), value in zip(params, args, strict=False):
        setter(obj, value)
    missing = []
    for fname, setter, default, factory in params[len(args) :]:
        if fname in kw:
            setter(obj, kw.pop(fname))
        elif factory is not None:
            setter(obj, factory())
        elif default is not _MISSING:
            setter(obj, default)
        else:
            missing.append(fname)
    if kw:
        fname = next(iter(kw))
        if any(p[0] == fname for p in params[: len(args)]):
            raise TypeError(f"{where} got multiple values for argument {fname!r}")
        raise TypeError(f"{where} got an unexpected keyword argument {fname!r}")
    if missing:
        names = " and ".join(", ".join(repr(m) for m in missing).rsplit(", ", 1))
        s = "" if len(missing) == 1 else "s"
        raise TypeError(f"{where} missing {len(missing)} required positional argument{s}: {names}")
    for _, setter, default, factory in others:
        setter(obj, factory() if factory is not None else default)


def _compile_init(cls: Any) -> Callable[..., None]:
    """The ``__init__`` a frozen dataclass of ``cls``'s fields would have."""
    names: dict[str, object] = {"_REQ": _MISSING}
    params: list[str] = []
    body: list[str] = []
    for fname, spec in cls.__record_fields__.items():
        names[f"_s_{fname}"] = _slot_setter(cls, fname)
        if spec.default_factory is not None:
            names[f"_f_{fname}"] = spec.default_factory
        elif spec.default is not _MISSING:
            names[f"_d_{fname}"] = spec.default
        if not spec.init:
            if spec.default_factory is not None:
                body.append(f"_s_{fname}(_rself, _f_{fname}())")
            elif spec.default is not _MISSING:
                body.append(f"_s_{fname}(_rself, _d_{fname})")
            continue
        if spec.default_factory is not None:
            params.append(f"{fname}=_REQ")
            body.append(f"_s_{fname}(_rself, _f_{fname}() if {fname} is _REQ else {fname})")
            continue
        if spec.default is not _MISSING:
            params.append(f"{fname}=_d_{fname}")
        else:
            params.append(fname)
        body.append(f"_s_{fname}(_rself, {fname})")
    if hasattr(cls, "__post_init__"):
        body.append("_rself.__post_init__()")
    source = f"def __init__(_rself, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    exec(source, names)  # the field names are identifiers (class annotations), nothing else
    init: Any = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


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
            if isinstance(spec.default, (list, dict, set)):
                raise TypeError(
                    f"{name}.{fname}: mutable default {type(spec.default).__name__}; "
                    "use field(default_factory=...)"
                )
            own[fname] = spec
        if "__slots__" not in ns:
            ns["__slots__"] = tuple(n for n in own if n not in inherited)
        fields = {**inherited, **own}
        defaulted = ""
        for fname, spec in fields.items():
            if not spec.init:
                continue
            if spec.default is not _MISSING or spec.default_factory is not None:
                defaulted = defaulted or fname
            elif defaulted:  # as dataclasses (and type checkers) refuse it
                raise TypeError(f"{name}.{fname}: a field without a default follows {defaulted!r}")
        ns["__record_fields__"] = fields
        ns["__match_args__"] = tuple(n for n, f in fields.items() if f.init)
        ns["_compared"] = tuple(n for n, f in fields.items() if f.compare)
        cls = super().__new__(mcls, name, bases, ns, **kwargs)
        if "__init__" not in ns:
            type.__setattr__(cls, "__init__", _first_init(cls))
        return cls


class Record(metaclass=_RecordMeta):
    """Base of every record (see the module documentation)."""

    __slots__ = ()
    __record_fields__: ClassVar[dict[str, _Field]]
    _compared: ClassVar[tuple[str, ...]]

    if not TYPE_CHECKING:  # hidden from type checkers, which then reject unknown attributes

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


def _hashable(value: object) -> object:
    # Equal values must hash equally: a set's iteration order depends on its history (and on
    # the string hash seed), so sets become frozensets and dicts order-free frozensets of items.
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_hashable(v) for v in value)
    if isinstance(value, dict):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    return value
