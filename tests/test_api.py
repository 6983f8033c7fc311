"""The public API is importable lazily and stays callable after its modules are imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_check_and_lint_are_callable_after_their_modules_are_imported() -> None:
    code = (
        "import resolver, resolver.checking, resolver.linting\n"
        "r = resolver.check(['fixtures/lint/lock/clean'])\n"
        "l = resolver.lint(['fixtures/example'])\n"
        "print(len(r.findings), l.charts_checked)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "2"]  # app, common (app/charts/cache is part of app)


def test_lazy_names_resolve() -> None:
    import resolver

    for name in resolver.__all__:
        assert getattr(resolver, name) is not None
    assert resolver.parse_constraint("~1.2").allows(resolver.parse_version("1.2.9"))
