"""A minimal record base for the classes on the offline start-up path.

``dataclasses`` imports ``inspect`` (about 12 ms), which ``chartlock check`` cannot afford; these
classes declare ``__slots__`` and write their ``__init__`` by hand, and get ``repr``, ``==``,
``hash`` and ``replace`` from here.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (see pyproject: always_true)
if TYPE_CHECKING:
    from typing import TypeVar

    S = TypeVar("S", bound="Struct")


class Struct:
    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(_hashable(getattr(self, n)) for n in self.__slots__))

    def replace(self: S, **changes: object) -> S:
        """A shallow copy with ``changes`` applied (like ``dataclasses.replace``)."""
        new = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(new, name, changes.pop(name, getattr(self, name)))
        if changes:
            raise TypeError(f"unknown fields: {', '.join(changes)}")
        return new


def _hashable(value: object) -> object:
    if isinstance(value, (list, set)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value
