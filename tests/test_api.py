"""The public API is importable lazily and stays callable after its modules are imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_check_and_lint_are_callable_after_their_modules_are_imported() -> None:
    code = (
        "import resolver, resolver.commands.check, resolver.commands.lint\n"
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


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_no_module_shadows_a_public_name() -> None:
    # Importing a submodule sets it as an attribute of the package: a module named like a
    # public function would replace it (``resolver.resolve`` was once a module).
    import resolver

    modules = {p.stem for p in (ROOT / "resolver").glob("*.py")}
    packages = {p.parent.name for p in (ROOT / "resolver").glob("*/__init__.py")}
    assert not (set(resolver.__all__) & (modules | packages))
    # And in a process that imports every module first, every name is still the API's.
    code = (
        "import importlib, pkgutil, types, resolver\n"
        "for m in pkgutil.walk_packages(resolver.__path__, 'resolver.'):\n"
        "    if m.name not in ('resolver.__main__',):\n"
        "        importlib.import_module(m.name)\n"
        "api = [getattr(resolver, n) for n in resolver.__all__]\n"
        "print([n for n in api if isinstance(n, types.ModuleType)])\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_all_and_dir_list_the_api() -> None:
    import resolver

    public = {name for name in dir(resolver) if not name.startswith("_")}
    assert public == set(resolver.__all__) - {"__version__"}
    for name in ("lint", "check", "resolve", "resolve_async", "Severity", "Report", "Finding"):
        assert name in resolver.__all__
    assert "ClientOptions" in resolver.__all__ and "ResolvedLock" in resolver.__all__
    assert "TYPE_CHECKING" not in dir(resolver)
    with pytest.raises(AttributeError, match="no attribute 'lnt'"):
        resolver.lnt  # noqa: B018  (the module __getattr__ types every name)


def test_help_shows_the_api() -> None:
    import pydoc

    import resolver

    text = pydoc.plain(pydoc.render_doc(resolver))  # typeshed has no pydoc.plaintext
    for expected in ("resolver.lint(", "class Severity", "class Report", "resolve(chart_dir"):
        assert expected in text, expected
    assert "lint(paths" in text and "check(paths" in text


def test_import_stays_cheap() -> None:
    result = _run("import sys, resolver; print(sorted(m for m in sys.modules if 'resolver' in m))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['resolver']"


def test_severity_prints_as_its_name() -> None:
    from resolver import Severity

    assert str(Severity.ERROR) == "error"
    assert f"{Severity.WARNING}" == "warning"
    assert f"{Severity.INFO:>7}" == "   info"
    assert Severity.ERROR > Severity.WARNING > Severity.INFO  # still ordered
    assert Severity.parse(str(Severity.WARNING)) is Severity.WARNING


def test_resolve_rejects_unknown_and_bad_options_before_any_work(tmp_path: Path) -> None:
    import resolver

    with pytest.raises(TypeError, match="plain_htttp"):
        resolver.resolve(tmp_path, plain_htttp=True)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="timeout must be a positive"):
        resolver.resolve(tmp_path, timeout=0)


def test_keywords_replace_the_options_fields() -> None:
    from resolver.api import client_options
    from resolver.registry.options import ClientOptions

    base = ClientOptions(plain_http=True, timeout=5.0, username="u")
    merged = client_options(base, timeout=9.0, password="p")
    assert (merged.plain_http, merged.timeout, merged.username, merged.password) == (
        True,
        9.0,
        "u",
        "p",
    )
    assert base.timeout == 5.0  # the caller's object is not changed
    assert client_options().timeout == ClientOptions().timeout


USER_SCRIPT = """\
from pathlib import Path

import pytest

import resolver
from resolver import ClientOptions, Report, ResolvedLock, Severity


def worst(paths: list[str]) -> Severity | None:
    report: Report = resolver.lint(paths)
    checked: Report = resolver.check(paths)
    for finding in report.sorted() + checked.sorted():
        line: int = finding.line
        label: str = str(finding.severity)
        print(finding.path, line, label, finding.message)
    return report.worst()


def lock(chart: Path) -> list[str]:
    result: ResolvedLock = resolver.resolve(chart, plain_http=True, timeout=10.0)
    again = resolver.resolve(chart, ClientOptions(plain_http=True), username="me")
    return [d.name + d.version for d in result.dependencies + again.dependencies]


async def lock_async(chart: str) -> str:
    return (await resolver.resolve_async(chart, ca_file="ca.pem")).text


print(worst(["."]) is Severity.ERROR, resolver.__version__, resolver.parse_version("1.2.3"))
"""


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def _mypy(tmp_path: Path, cache: Path, script: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user_script.py"
    path.write_text(script, "utf-8")
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            f"--cache-dir={cache}",
            "--config-file=",  # the user's defaults, not chartlock's pyproject settings
            "--python-version=3.10",
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_user_script_passes_mypy_strict(tmp_path: Path, mypy_cache: Path) -> None:
    result = _mypy(tmp_path, mypy_cache, USER_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_mypy_sees_a_misspelled_option_and_a_wrong_type(tmp_path: Path, mypy_cache: Path) -> None:
    script = USER_SCRIPT.replace("plain_http=True, timeout=10.0", "plain_htttp=True")
    script += "x: int = resolver.lint(['.'])\n"
    result = _mypy(tmp_path, mypy_cache, script)
    assert result.returncode == 1, result.stdout
    assert 'Unexpected keyword argument "plain_htttp"' in result.stdout
    assert 'expression has type "Report", variable has type "int"' in result.stdout
