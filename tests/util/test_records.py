"""resolver.util.records: the one record idiom (frozen, slotted, dataclass-like)."""

from __future__ import annotations

import copy
import pickle
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest

from resolver.util import records
from resolver.util.records import FrozenInstanceError, Record, field


class Point(Record):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    LIMIT: ClassVar[int] = 10

    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)


class Base(Record):
    a: int
    b: str = "b"


class Child(Base):
    c: float = 1.5


class Derived(Record):
    low: int
    high: int
    span: int = field(init=False, default=0)
    history: list[int] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")
        object.__setattr__(self, "span", self.high - self.low)


# Module level so pickle can find them.
PICKLED = (Point(1, 2, ["a"], "n", "s"), Child(1, "x", 2.5), Derived(1, 4))


def test_init_positional_keyword_and_defaults() -> None:
    assert Point(1, 2).x == 1 and Point(1, 2).y == 2
    p = Point(y=5, x=3)
    assert (p.x, p.y, p.tags, p.note, p.secret) == (3, 5, [], "", "")
    assert Point(1).y == 0
    assert Point.LIMIT == 10 and "LIMIT" not in Point.__record_fields__
    assert p.norm1() == 8


def test_default_factory_gives_each_record_its_own_value() -> None:
    a, b = Point(1), Point(2)
    a.tags.append("x")
    assert b.tags == [] and a.tags == ["x"]


def _build(mode: str, cls: type, *args: Any, **kwargs: Any) -> Any:
    """A record built by the generic ``__init__`` (a class's first instances) or the compiled
    one (installed once a class has built ``_COMPILE_AFTER`` records)."""
    init = records._first_init(cls) if mode == "generic" else records._compile_init(cls)
    obj: Any = object.__new__(cls)
    init(obj, *args, **kwargs)
    return obj


MODES = ["generic", "compiled"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("cls", "args", "kwargs", "message"),
    [
        (Point, (), {}, r"Point\.__init__\(\) missing 1 required positional argument: 'x'$"),
        (Base, (), {}, r"missing 1 required positional argument: 'a'$"),
        (Derived, (), {}, r"missing 2 required positional arguments: 'low' and 'high'$"),
        (Point, (1, 2, [], "", "", 9), {}, r"takes from 2 to 6 positional arguments but 7 were"),
        (Point, (1,), {"z": 3}, r"got an unexpected keyword argument 'z'$"),
        (Point, (1,), {"x": 2}, r"got multiple values for argument 'x'$"),
        (Derived, (1, 2, 3), {}, r"takes 3 positional arguments but 4 were given$"),
        (Derived, (1, 2), {"span": 3}, r"got an unexpected keyword argument 'span'$"),
    ],
)
def test_bad_arguments_are_type_errors(
    mode: str, cls: type, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        _build(mode, cls, *args, **kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_both_inits_build_the_same_records(mode: str) -> None:
    p = _build(mode, Point, 1, y=2, note="n")
    assert (p.x, p.y, p.tags, p.note, p.secret) == (1, 2, [], "n", "")
    assert _build(mode, Point, 1).tags is not _build(mode, Point, 1).tags
    d = _build(mode, Derived, 2, high=7)
    assert (d.low, d.high, d.span, d.history) == (2, 7, 5, [])
    with pytest.raises(ValueError, match="low above high"):
        _build(mode, Derived, 3, 1)
    c = _build(mode, Child, 1, c=0.5)
    assert (c.a, c.b, c.c) == (1, "b", 0.5)


def test_the_init_is_compiled_after_enough_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "_COMPILE_AFTER", 3)

    class Pair(Record):
        left: int
        right: list[int] = field(default_factory=list)

    generic = Pair.__init__
    built = [Pair(i) for i in range(3)]
    assert Pair.__init__ is generic  # still the generic one
    built.append(Pair(3, right=[1]))
    assert Pair.__init__ is not generic and Pair.__init__.__qualname__ == generic.__qualname__
    built.append(Pair(left=4))
    assert [(p.left, p.right) for p in built] == [(0, []), (1, []), (2, []), (3, [1]), (4, [])]


def test_error_messages_name_the_class() -> None:
    with pytest.raises(TypeError, match=r"Point\.__init__\(\)"):
        Point()  # type: ignore[call-arg]


def test_frozen() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x' of Point"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'y' of Point"):
        del p.y
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    assert isinstance(FrozenInstanceError("x"), AttributeError)
    assert p.x == 1


def test_slotted() -> None:
    assert not hasattr(Point(1), "__dict__")
    assert vars(Point)["__slots__"] == ("x", "y", "tags", "note", "secret")
    assert vars(Child)["__slots__"] == ("c",)  # inherited fields live in the base's slots


def test_equality_and_hash() -> None:
    assert Point(1, 2, ["a"]) == Point(1, 2, ["a"])
    assert Point(1, 2, ["a"]) != Point(1, 2, ["b"])
    assert Point(1) != Base(1)  # other classes never compare equal
    assert Point(1).__eq__(Base(1)) is NotImplemented
    # compare=False fields take no part in equality or hashing
    assert Point(1, note="x") == Point(1, note="y")
    assert hash(Point(1, note="x")) == hash(Point(1, note="y"))
    # list fields are hashed by content
    assert hash(Point(1, 2, ["a", "b"])) == hash(Point(1, 2, ["a", "b"]))
    assert len({Point(1, 2, ["a"]), Point(1, 2, ["a"]), Point(1, 2, ["b"])}) == 2


def test_hash_of_dict_and_set_fields() -> None:
    class Bag(Record):
        items: dict[str, list[int]]
        kinds: set[str]

    one, two = Bag({"a": [1], "b": [2]}, {"x", "y"}), Bag({"b": [2], "a": [1]}, {"y", "x"})
    assert hash(one) == hash(two)
    # Sets that are equal but were built in another order iterate in another order (a set's
    # layout depends on its history): their records must still hash alike.
    words = [f"w{i}" for i in range(200)]
    grown = set(words)
    shrunk = set(words + [f"x{i}" for i in range(2000)]) - {f"x{i}" for i in range(2000)}
    assert grown == shrunk
    assert hash(Bag({}, grown)) == hash(Bag({}, shrunk))


def test_repr() -> None:
    assert repr(Point(1, 2, ["a"], "n", "hidden")) == "Point(x=1, y=2, tags=['a'], note='n')"
    assert repr(Child(1)) == "Child(a=1, b='b', c=1.5)"


def test_replace() -> None:
    p = Point(1, 2, ["a"])
    q = p.replace(y=7)
    assert (q.x, q.y, q.tags) == (1, 7, ["a"]) and p.y == 2
    assert q.tags is p.tags  # shallow, like dataclasses.replace
    assert type(Child(1).replace(c=2.0)) is Child
    with pytest.raises(TypeError, match="unknown fields: z"):
        p.replace(z=1)


@pytest.mark.parametrize("record", PICKLED, ids=lambda r: type(r).__name__)
def test_pickle_round_trip(record: Record) -> None:
    clone = pickle.loads(pickle.dumps(record))
    assert clone == record and type(clone) is type(record)
    assert repr(clone) == repr(record)
    with pytest.raises(FrozenInstanceError):
        clone.a = 1  # type: ignore[attr-defined]


def test_copy_and_deepcopy() -> None:
    p = Point(1, 2, ["a"])
    assert copy.copy(p) is p  # immutable: a copy is the record itself
    deep = copy.deepcopy(p)
    assert deep == p and deep is not p and deep.tags is not p.tags
    assert copy.deepcopy(Derived(1, 3)).span == 2


def test_inheritance() -> None:
    c = Child(1, "x", 2.5)
    assert (c.a, c.b, c.c) == (1, "x", 2.5)
    assert Child(a=2).b == "b"
    assert Child.__match_args__ == ("a", "b", "c")
    assert Base(1).b == "b"  # building the child did not change the base's __init__
    assert Child(1) != Base(1)


def test_required_field_after_defaults_is_refused() -> None:
    # As dataclasses (and type checkers) refuse it: the positional order would be ambiguous.
    with pytest.raises(TypeError, match=r"Late\.d: a field without a default follows 'b'"):

        class Late(Base):
            d: int  # type: ignore[misc]


def test_post_init_and_init_false_fields() -> None:
    d = Derived(2, 5)
    assert (d.span, d.history) == (3, [])
    assert Derived.__match_args__ == ("low", "high")
    with pytest.raises(ValueError, match="low above high"):
        Derived(5, 2)
    assert repr(d) == "Derived(low=2, high=5, span=3, history=[])"


def test_init_false_field_without_default_stays_unset() -> None:
    class Lazy(Record):
        a: int
        cached: int = field(init=False)

    lazy = Lazy(1)
    assert not hasattr(lazy, "cached")
    assert repr(lazy) == "Lazy(a=1, cached='<unset>')"
    clone = copy.deepcopy(lazy)
    assert clone.a == 1 and not hasattr(clone, "cached")


def test_match_args() -> None:
    match Point(3, 4):
        case Point(x, y):
            assert (x, y) == (3, 4)
        case _:
            pytest.fail("Point did not match positionally")


def test_mutable_default_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Bad\.items: mutable default list"):

        class Bad(Record):
            items: list[int] = []  # noqa: RUF012


def test_own_init_is_kept() -> None:
    class Custom(Record):
        a: int

        def __init__(self, text: str) -> None:
            object.__setattr__(self, "a", int(text))

    assert Custom("7").a == 7


MYPY_SNIPPET = """
from resolver.util.records import Record, field

class R(Record):
    name: str
    size: int = 0
    items: list[str] = field(default_factory=list)

r = R("a", 1)
r.size = 2
R(name=3)
R("a", items=["x"]).replace(size=4).name.upper()
"""


def test_mypy_reads_records_as_frozen_dataclasses(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")  # a test tool (pyproject [test]), not our module
    source = tmp_path / "snippet.py"
    source.write_text(textwrap.dedent(MYPY_SNIPPET), "utf-8")
    repo = Path(__file__).resolve().parents[2]
    stdout, _, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            str(repo / "pyproject.toml"),
            str(source),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, stdout
    assert len(errors) == 2, stdout
    assert (
        "snippet.py:10:" in errors[0]
        and 'Property "size" defined in "R" is read-only' in (errors[0])
    )
    assert (
        "snippet.py:11:" in errors[1]
        and 'Argument "name" to "R" has incompatible type' in (errors[1])
    )
