"""Typed, position-carrying models of Chart.yaml and Chart.lock.

Values are stored the way Helm sees them after loading (go-yaml v2 YAML 1.1 resolution, coercion
into Go strings, ``sanitizeString``), so they can be hashed exactly as Helm hashes them. The text
as written in the file, and where it was written, are kept beside them for the linter.
"""

from __future__ import annotations

from pathlib import Path

from resolver.util.records import Record, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Mark(Record):
    """Where a value stands: a path (as given to the loader) and a 1-based line and column."""

    path: str
    line: int
    column: int


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


class Dependency(Record):
    """One entry of Chart.yaml ``dependencies`` (or of Chart.lock ``dependencies``).

    String fields hold Helm's view of the value (``version: 1.10`` is ``"1.1"``); ``source``
    holds the scalar text as written for fields that were scalars (``{"version": "1.10"}``) and
    ``quoted`` tells which of those were quoted. ``marks`` maps a field name to the mark of its
    value, and ``"-"`` to the mark of the list item itself. ``extra`` holds non-Helm keys (for
    Chart.lock: the per-dependency ``digest``); they are not hashed.
    """

    name: str = ""
    version: str = ""
    repository: str = ""
    condition: str = ""
    tags: list[str] = field(default_factory=list)
    enabled: bool = False
    import_values: list[Any] = field(default_factory=list)
    alias: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    source: dict[str, str] = field(default_factory=dict)
    quoted: frozenset[str] = frozenset()
    marks: dict[str, Mark] = field(default_factory=dict)
    index: int = 0

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


class Chart(Record):
    """A chart directory's ``Chart.yaml``.

    ``dependencies`` is ``None`` when the file has no ``dependencies`` key (or it is null):
    Helm writes no lock then. ``lock_file_name`` is the lock file found beside it
    (``Chart.lock`` or ``requirements.lock``), if any.
    """

    path: Path
    api_version: str = ""
    name: str = ""
    version: str = ""
    app_version: str = ""
    dependencies: list[Dependency] | None = None
    marks: dict[str, Mark] = field(default_factory=dict)
    display_path: str = ""
    lock_file_name: str = ""

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


class Lock(Record):
    """A ``Chart.lock`` file."""

    path: Path
    digest: str = ""
    generated: str = ""
    dependencies: list[Dependency] | None = None
    marks: dict[str, Mark] = field(default_factory=dict)
    display_path: str = ""
    text: str = ""
