"""chartlock configuration: ``.chartlock.yaml`` or ``[tool.chartlock]`` in ``pyproject.toml``.

:func:`load_config` walks up from the working directory to the first directory holding either
file (``.chartlock.yaml`` wins within a directory), validates it against
``schemas/config.schema.json`` (jsonschema is imported only when a file exists) and returns a
:class:`Config`. Every error is one :class:`ConfigError` line naming the file, the key and what
is allowed.

Rule selectors are ids (``CL303``) or prefixes (``CL3``); between ``select`` and ``ignore`` the
more specific selector wins (``select: [CL303]`` with ``ignore: [CL3]`` runs CL303 only).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from resolver.errors import ConfigError
from resolver.linter.findings import Severity
from resolver.util.configfind import find_config
from resolver.util.records import Record, field

SELECTOR_RE = re.compile(r"[A-Z]+[0-9]*")
_SEVERITIES = "error, warning, info"


class RequireDigest(Record):
    """``require-digest``: which missing digests are errors (CL205 charts, CL303 images)."""

    charts: bool = False
    images: bool = False


class Config(Record):
    """Lint settings. Every field has a default; ``Config()`` runs every offline rule.

    Frozen like every record; :meth:`with_overrides` (or ``replace``) makes changed copies."""

    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)  # {id-or-prefix: level}
    fail_on: Severity = Severity.ERROR
    allowed_registries: tuple[str, ...] = ()
    # registry host -> mirror URL for the online commands (resolver.registry.mirrors)
    mirrors: tuple[tuple[str, str], ...] = ()
    require_digest: RequireDigest = field(default_factory=RequireDigest)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ci_globs: tuple[str, ...] = ()
    plugins: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # free-form, for plugins
    # `chartlock lock`: "conservative" keeps what is locked (default); "newest" re-resolves
    # every range on every run, like `helm dependency update` (as if --upgrade were given)
    lock_strategy: str = "conservative"
    # Provenance: True for every dependency, else patterns (repository URL globs or chart-name
    # globs, see :meth:`requires_provenance`); and the keyring (absolute, or None: helm's).
    require_provenance: bool | tuple[str, ...] = False
    keyring: Path | None = None
    # The file this came from (None: defaults); globs are relative to its directory.
    source: Path | None = None
    # Selectors given on the command line ({"--select": (...), "--ignore": (...)}), so that an
    # error about one names the flag, not the configuration file.
    flags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Friendly construction from plain data (policy scripts): lists, strings, dicts.
        set_ = object.__setattr__  # a record is frozen: normalise once, here
        for name in ("select", "ignore", "allowed_registries", "ci_globs", "plugins"):
            set_(self, name, tuple(getattr(self, name)))
        raw_mirrors: Any = self.mirrors  # a mapping (configuration file) or (host, url) pairs
        pairs = raw_mirrors.items() if isinstance(raw_mirrors, Mapping) else raw_mirrors
        set_(self, "mirrors", tuple((str(k), str(v)) for k, v in pairs))
        raw_digest: Any = self.require_digest
        if isinstance(raw_digest, Mapping):
            set_(self, "require_digest", RequireDigest(**raw_digest))
        raw_fail: Any = self.fail_on
        if isinstance(raw_fail, str):
            set_(self, "fail_on", Severity.parse(raw_fail))
        severity = {
            k: (Severity.parse(v) if isinstance(v, str) else Severity(v))
            for k, v in self.severity.items()
        }
        set_(self, "severity", severity)
        set_(self, "per_file_ignores", {k: tuple(v) for k, v in self.per_file_ignores.items()})

    def requires_provenance(self, name: str, repository: str) -> bool:
        """Whether ``require-provenance`` covers a dependency: a pattern with ``://`` (or
        ``@``) matches the repository URL (trailing ``/`` ignored), any other the chart name;
        both as shell globs."""
        from fnmatch import fnmatchcase

        if isinstance(self.require_provenance, bool):
            return self.require_provenance
        for pattern in self.require_provenance:
            if "://" in pattern or pattern.startswith("@"):
                if fnmatchcase(repository.rstrip("/"), pattern.rstrip("/")):
                    return True
            elif fnmatchcase(name, pattern):
                return True
        return False

    @property
    def root(self) -> Path | None:
        """The directory globs are relative to (the config file's), if any."""
        return self.source.parent if self.source else None

    # -- rule selection -------------------------------------------------------------------

    def is_enabled(self, rule_id: str) -> bool:
        """Whether ``rule_id`` runs: the most specific matching select/ignore selector wins."""
        best_select = 0 if not self.select else _specificity(rule_id, self.select)
        best_ignore = _specificity(rule_id, self.ignore)
        if best_select < 0:
            return False
        return best_ignore < best_select or best_ignore < 0

    def severity_for(self, rule_id: str, default: Severity) -> Severity:
        """The configured severity: the longest matching override, else ``default``."""
        best, level = -1, default
        for selector, value in self.severity.items():
            if rule_id.startswith(selector) and len(selector) > best:
                best, level = len(selector), value
        return level

    def with_overrides(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        fail_on: str | None = None,
    ) -> Config:
        """A copy with command-line flags applied: ``--select`` replaces, ``--ignore`` adds."""
        for flag, values in (("--select", select or ()), ("--ignore", ignore)):
            for value in values:
                if not SELECTOR_RE.fullmatch(value):
                    raise ConfigError(
                        flag, f"{value!r} is not a rule id or prefix (like CL303, CL3)"
                    )
        changes: dict[str, Any] = {"ignore": (*self.ignore, *ignore)}
        flags = dict(self.flags)
        if ignore:
            flags["--ignore"] = tuple(ignore)
        if select is not None:
            changes["select"] = tuple(select)
            flags["--select"] = tuple(select)
        changes["flags"] = flags
        if fail_on is not None:
            try:
                changes["fail_on"] = Severity.parse(fail_on)
            except ValueError:
                raise ConfigError(
                    "--fail-on", f"{fail_on!r} is not a severity (allowed: {_SEVERITIES})"
                ) from None
        return self.replace(**changes)


def _specificity(rule_id: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of ``rule_id`` (-1: none matches)."""
    best = -1
    for selector in selectors:
        if rule_id.startswith(selector) and len(selector) > best:
            best = len(selector)
    return best


def split_selectors(text: str) -> list[str]:
    """``"CL1, CL303"`` → ``["CL1", "CL303"]`` (command-line lists)."""
    return [part.strip() for part in text.split(",") if part.strip()]


# -- discovery and loading --------------------------------------------------------------------


def load_config(path: Path | None = None, cwd: Path | None = None) -> Config:
    """Load ``path`` (a .chartlock.yaml or pyproject.toml), or discover one from ``cwd`` up.

    No file: the defaults. Raises :class:`ConfigError` (one line, names the key).
    """
    if path is None:
        found = find_config(cwd)
        if found is None:
            return Config()
        path = found
    elif not path.is_file():
        raise ConfigError(str(path), "no such configuration file")
    display = str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(display, f"cannot read: {exc}") from None
    data = _parse_toml(text, display) if path.name.endswith(".toml") else _parse_yaml(text, display)
    _validate(data, text, display)
    return _build(data, path.resolve())


def _parse_yaml(text: str, display: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            display, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(display, f"must be a mapping of settings, not {type(data).__name__}")
    return data


def _parse_toml(text: str, display: str) -> dict[str, Any]:
    import importlib

    name = "tomllib" if sys.version_info >= (3, 11) else "tomli"
    try:
        toml: Any = importlib.import_module(name)
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(
            display, "reading pyproject.toml on Python 3.10 needs `pip install tomli`"
        ) from None
    try:
        doc = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(display, f"invalid TOML: {exc}") from None
    table = doc.get("tool", {}).get("chartlock", {})
    if not isinstance(table, dict):
        raise ConfigError(display, "[tool.chartlock] must be a table")
    return table


def _schema() -> dict[str, Any]:
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "schemas" / "config.schema.json",  # package data (a copy of schemas/)
        here.parent / "schemas" / "config.schema.json",  # source checkout
    ):
        if candidate.is_file():
            loaded: dict[str, Any] = json.loads(candidate.read_text("utf-8"))
            return loaded
    raise ConfigError("config.schema.json", "the configuration schema is not installed")


def _validate(data: dict[str, Any], text: str, display: str) -> None:
    import importlib

    jsonschema: Any = importlib.import_module("jsonschema")  # only when a config file exists

    schema = _schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if not errors:
        return
    error = errors[0]
    # A failing anyOf/$ref reports its most specific cause.
    error = jsonschema.exceptions.best_match([error]) or error
    keys = [str(k) for k in error.absolute_path]
    message = _describe(error, keys, schema)
    line = _line_of_path(keys, text)
    raise ConfigError(display, message, line=line)


def _describe(error: Any, keys: list[str], schema: dict[str, Any]) -> str:
    where = ".".join(keys) if keys else "configuration"
    allowed_keys = ", ".join(schema["properties"])
    kind = error.validator
    if kind == "additionalProperties" and not keys:
        unknown = sorted(set(error.instance) - set(schema["properties"]))
        return f"unknown key {unknown[0]!r} (allowed: {allowed_keys})"
    if kind == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where}: unknown key {unknown[0]!r} (allowed: {allowed})"
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{where}: {error.instance!r} is not allowed (allowed: {allowed})"
    if kind == "pattern":
        if error.validator_value == SELECTOR_RE.pattern.join("^$"):
            return f"{where}: {error.instance!r} is not a rule id or prefix (like CL303, CL3)"
        return f"{where}: {error.instance!r} is not allowed here"
    if kind == "propertyNames":
        return f"{where}: {error.instance!r} is not a rule id or prefix (like CL303, CL3)"
    if kind == "type":
        expected = error.validator_value
        names = {"array": "a list", "object": "a mapping", "boolean": "true or false"}
        want = names.get(expected, f"a {expected}")
        return f"{where}: expected {want}, got {_type_name(error.instance)}"
    return f"{where}: {error.message}"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null" if value is None else type(value).__name__


def _line_of_path(keys: list[str], text: str) -> int | None:
    """The line of the innermost key of ``keys`` found in order (``lock`` then ``strategy``
    below it), else of the outermost one found: a text search, not a YAML parse, so list
    indices are skipped and a key that cannot be found keeps the previous line."""
    found: int | None = None
    lines = text.splitlines()
    for key in keys:
        if key.isdigit():
            continue
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]")
        start = found or 0
        for number in range(start + 1, len(lines) + 1):
            if pattern.match(lines[number - 1]):
                found = number
                break
    return found


def _line_of(key: str, text: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _build(data: dict[str, Any], source: Path) -> Config:
    digest = data.get("require-digest", {})
    return Config(
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        severity={k: Severity.parse(v) for k, v in data.get("severity", {}).items()},
        fail_on=Severity.parse(data.get("fail-on", "error")),
        allowed_registries=tuple(data.get("allowed-registries", ())),
        mirrors=tuple((str(k), str(v)) for k, v in data.get("mirrors", {}).items()),
        require_digest=RequireDigest(
            charts=bool(digest.get("charts", False)), images=bool(digest.get("images", False))
        ),
        per_file_ignores={k: tuple(v) for k, v in data.get("per-file-ignores", {}).items()},
        ci_globs=tuple(data.get("ci-globs", ())),
        plugins=tuple(data.get("plugins", ())),
        settings=dict(data.get("settings", {})),
        lock_strategy=str(data.get("lock", {}).get("strategy", "conservative")),
        require_provenance=_require_provenance(data.get("require-provenance", False)),
        keyring=(source.parent / data["keyring"]) if "keyring" in data else None,
        source=source,
    )


def _require_provenance(value: Any) -> bool | tuple[str, ...]:
    if value == "all":
        return True
    if isinstance(value, bool):
        return value
    return tuple(str(v) for v in value)


def check_selectors(config: Config, known: Iterable[str]) -> None:
    """Every selector in ``config`` must match some registered rule (after plugins load)."""
    ids = list(known)
    for flag, given in config.flags.items():
        for selector in given:
            if not any(rule_id.startswith(selector) for rule_id in ids):
                raise ConfigError(flag, f"{selector!r} matches no rule (see `chartlock rules`)")
    origin = str(config.source) if config.source else "configuration"
    groups: list[tuple[str, Iterable[str]]] = [
        ("select", config.select),
        ("ignore", config.ignore),
        ("severity", config.severity),
    ]
    groups += [(f"per-file-ignores.{glob}", sel) for glob, sel in config.per_file_ignores.items()]
    for key, selectors in groups:
        for selector in selectors:
            if not any(rule_id.startswith(selector) for rule_id in ids):
                raise ConfigError(
                    origin,
                    f"{key}: {selector!r} matches no rule (see `chartlock rules`)",
                    line=_line_of(key.split(".")[0], _source_text(config)),
                )


def _source_text(config: Config) -> str:
    if config.source is None:
        return ""
    try:
        return config.source.read_text("utf-8")
    except OSError:
        return ""
