"""Run the image and CI checkers directly on fixture files (no engine needed)."""

from __future__ import annotations

from pathlib import Path

from resolver.linter.rules.base import CheckOptions, FileKind, LintTarget, Problem
from resolver.linter.rules.ci import check_ci
from resolver.linter.rules.images import check_template, check_values

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "lint"


def target(path: Path, kind: FileKind, text: str | None = None) -> LintTarget:
    return LintTarget(
        path=path,
        display=path.name,
        kind=kind,
        text=path.read_text(encoding="utf-8") if text is None else text,
    )


def run(kind: FileKind, text: str, options: CheckOptions | None = None) -> list[Problem]:
    """Check ``text`` as a file of ``kind``."""
    name = {FileKind.VALUES: "values.yaml", FileKind.TEMPLATE: "t.yaml", FileKind.CI: "ci.sh"}
    tgt = target(Path(name[kind]), kind, text)
    opts = options or CheckOptions()
    if kind is FileKind.VALUES:
        return list(check_values(tgt, opts))
    if kind is FileKind.TEMPLATE:
        return list(check_template(tgt, opts))
    return list(check_ci(tgt, opts))


def run_file(path: Path, options: CheckOptions | None = None) -> list[Problem]:
    if path.parent.name == "templates":
        kind = FileKind.TEMPLATE
    elif path.name.startswith("values"):
        kind = FileKind.VALUES
    else:
        kind = FileKind.CI
    return run(kind, path.read_text(encoding="utf-8"), options)


def ids(problems: list[Problem]) -> list[str]:
    return [p.rule.id for p in problems]
