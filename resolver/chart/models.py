"""Typed, position-carrying models of Chart.yaml and Chart.lock.

Values are stored the way Helm sees them after loading (go-yaml v2 YAML 1.1 resolution, coercion
into Go strings, ``sanitizeString``), so they can be hashed exactly as Helm hashes them. The text
as written in the file, and where it was written, are kept beside them for the linter.
"""

from __future__ import annotations

from pathlib import Path

from resolver.util.records import Struct

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Mark(Struct):
    """Where a value stands: a path (as given to the loader) and a 1-based line and column."""

    __slots__ = ("column", "line", "path")

    def __init__(self, path: str, line: int, column: int) -> None:
        self.path = path
        self.line = line
        self.column = column


# Field names of a Helm dependency, in Go struct order (the order HashReq writes them).
DEPENDENCY_FIELDS: tuple[str, ...] = (
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
)


class Dependency(Struct):
    """One entry of Chart.yaml ``dependencies`` (or of Chart.lock ``dependencies``).

    String fields hold Helm's view of the value (``version: 1.10`` is ``"1.1"``); ``source``
    holds the scalar text as written for fields that were scalars (``{"version": "1.10"}``) and
    ``quoted`` tells which of those were quoted. ``marks`` maps a field name to the mark of its
    value, and ``"-"`` to the mark of the list item itself. ``extra`` holds non-Helm keys (for
    Chart.lock: the per-dependency ``digest``); they are not hashed.
    """

    __slots__ = (
        "alias",
        "condition",
        "enabled",
        "extra",
        "import_values",
        "index",
        "marks",
        "name",
        "present",
        "quoted",
        "repository",
        "source",
        "tags",
        "version",
    )

    def __init__(
        self,
        name: str = "",
        version: str = "",
        repository: str = "",
        condition: str = "",
        tags: list[str] | None = None,
        enabled: bool = False,
        import_values: list[Any] | None = None,
        alias: str = "",
        extra: dict[str, Any] | None = None,
        present: frozenset[str] = frozenset(),
        source: dict[str, str] | None = None,
        quoted: frozenset[str] = frozenset(),
        marks: dict[str, Mark] | None = None,
        index: int = 0,
    ) -> None:
        self.name = name
        self.version = version
        self.repository = repository
        self.condition = condition
        self.tags: list[str] = tags if tags is not None else []
        self.enabled = enabled
        self.import_values: list[Any] = import_values if import_values is not None else []
        self.alias = alias
        self.extra: dict[str, Any] = extra if extra is not None else {}
        self.present = present
        self.source: dict[str, str] = source if source is not None else {}
        self.quoted = quoted
        self.marks: dict[str, Mark] = marks if marks is not None else {}
        self.index = index

    @property
    def effective_name(self) -> str:
        """The name the subchart goes by in the parent chart: its alias, else its name."""
        return self.alias or self.name

    @property
    def content_digest(self) -> str | None:
        """The per-dependency ``digest`` chartlock writes into Chart.lock entries, if any."""
        value = self.extra.get("digest")
        return value if isinstance(value, str) else None

    def mark(self, key: str) -> Mark | None:
        """The mark of ``key``'s value, falling back to the list item's mark."""
        return self.marks.get(key) or self.marks.get("-")


class Chart(Struct):
    """A chart directory's ``Chart.yaml``.

    ``dependencies`` is ``None`` when the file has no ``dependencies`` key (or it is null):
    Helm writes no lock then.
    """

    __slots__ = (
        "api_version",
        "app_version",
        "dependencies",
        "display_path",
        "lock_file_name",
        "marks",
        "name",
        "path",
        "version",
    )

    def __init__(
        self,
        path: Path,
        api_version: str = "",
        name: str = "",
        version: str = "",
        app_version: str = "",
        dependencies: list[Dependency] | None = None,
        marks: dict[str, Mark] | None = None,
        display_path: str = "",
        lock_file_name: str = "",
    ) -> None:
        self.path = path
        self.api_version = api_version
        self.name = name
        self.version = version
        self.app_version = app_version
        self.dependencies = dependencies
        self.marks: dict[str, Mark] = marks if marks is not None else {}
        self.display_path = display_path
        # The lock file found beside it ("Chart.lock" or "requirements.lock"), if any.
        self.lock_file_name = lock_file_name

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def lock_name(self) -> str:
        """The lock file's name: the one present, else Helm's choice for the apiVersion."""
        if self.lock_file_name:
            return self.lock_file_name
        return "requirements.lock" if self.api_version == "v1" else "Chart.lock"

    @property
    def lock_path(self) -> Path:
        return self.directory / self.lock_name


class Lock(Struct):
    """A ``Chart.lock`` file."""

    __slots__ = ("dependencies", "digest", "display_path", "generated", "marks", "path", "text")

    def __init__(
        self,
        path: Path,
        digest: str = "",
        generated: str = "",
        dependencies: list[Dependency] | None = None,
        marks: dict[str, Mark] | None = None,
        display_path: str = "",
        text: str = "",
    ) -> None:
        self.path = path
        self.digest = digest
        self.generated = generated
        self.dependencies = dependencies
        self.marks: dict[str, Mark] = marks if marks is not None else {}
        self.display_path = display_path
        self.text = text
