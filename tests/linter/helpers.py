"""Helpers for the lint tests: write small trees, run the engine, pick findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import resolver
from resolver.linter.config import Config
from resolver.linter.findings import Finding, Report

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "lint"


def write(base: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return base


def run(base: Path, config: Config | None = None, paths: tuple[str, ...] = (".",)) -> Report:
    report: Report = resolver.lint(paths, config or Config(), cwd=base)
    return report


def where(findings: list[Finding], rule: str | None = None) -> list[tuple[str, str, int, int]]:
    return [(f.rule, f.path, f.line, f.column) for f in findings if rule in (None, f.rule)]


CHART = """
apiVersion: v2
name: app
version: 1.0.0
dependencies:
  - name: redis
    version: ">=17.0.0"
    repository: oci://registry-1.docker.io/bitnamicharts
"""
