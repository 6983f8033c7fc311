"""Configuration: discovery (.chartlock.yaml, pyproject.toml), validation errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import ConfigError
from resolver.linter.config import Config, load_config
from resolver.linter.findings import Severity
from resolver.util.configfind import find_config
from tests.linter.helpers import write


def test_defaults_without_a_file(tmp_path: Path) -> None:
    assert load_config(cwd=tmp_path).select == ()


def test_chartlock_yaml_found_walking_up(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".chartlock.yaml": """
        select: [CL1, CL303]
        ignore: [CL105]
        severity: {CL114: error}
        fail-on: warning
        allowed-registries: [ghcr.io/myorg]
        require-digest: {images: true}
        per-file-ignores: {"legacy/**": [CL1]}
        ci-globs: ["deploy/*.groovy"]
        plugins: [acme.rules]
    """,
            "a/b/.keep": "",
        },
    )
    config = load_config(cwd=tmp_path / "a" / "b")
    assert config.source == (tmp_path / ".chartlock.yaml").resolve()
    assert config.select == ("CL1", "CL303")
    assert config.severity == {"CL114": Severity.ERROR}
    assert config.fail_on is Severity.WARNING
    assert config.require_digest.images and not config.require_digest.charts
    assert config.per_file_ignores == {"legacy/**": ("CL1",)}
    assert config.is_enabled("CL114") and not config.is_enabled("CL105")
    assert not config.is_enabled("CL201")


def test_pyproject_tool_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n\n[tool.chartlock]\nignore = ["CL105"]\n'
            '[tool.chartlock.severity]\nCL3 = "warning"\n',
            "sub/pyproject.toml": '[project]\nname = "y"\n',  # no [tool.chartlock]: keep walking
        },
    )
    config = load_config(cwd=tmp_path / "sub")
    assert config.ignore == ("CL105",)
    assert config.severity_for("CL303", Severity.ERROR) is Severity.WARNING
    assert find_config(tmp_path / "sub") == (tmp_path / "pyproject.toml").resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("selekt: [CL1]\n", "unknown key 'selekt' (allowed: select, ignore, severity,"),
        ("fail-on: fatal\n", "fail-on: 'fatal' is not allowed (allowed: error, warning, info)"),
        ("select: CL1\n", "select: expected a list, got the string 'CL1'"),
        ("select: [cl1]\n", "select.0: 'cl1' is not a rule id or prefix (like CL303, CL3)"),
        ("severity: {CL1: loud}\n", "severity.CL1: 'loud' is not allowed (allowed: error,"),
        (
            "require-digest: {image: true}\n",
            "require-digest: unknown key 'image' (allowed: charts, images)",
        ),
        ("a: [\n", "invalid YAML"),
        (
            "lock: {strategy: oldest}\n",
            "lock.strategy: 'oldest' is not allowed (allowed: conservative, newest)",
        ),
        ("lock: {stratgy: newest}\n", "lock: unknown key 'stratgy' (allowed: strategy)"),
    ],
)
def test_errors_name_file_key_and_allowed_values(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".chartlock.yaml").write_text("# settings\n" + text)
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    error = str(info.value)
    assert error.startswith(str(tmp_path / ".chartlock.yaml") + ":")
    assert message in error
    assert "\n" not in error


def test_lock_strategy(tmp_path: Path) -> None:
    assert Config().lock_strategy == "conservative"
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: newest\n")
    assert load_config(cwd=tmp_path).lock_strategy == "newest"
    (tmp_path / ".chartlock.yaml").unlink()
    write(tmp_path, {"pyproject.toml": '[tool.chartlock.lock]\nstrategy = "conservative"\n'})
    assert load_config(cwd=tmp_path).lock_strategy == "conservative"


def test_error_carries_the_line(tmp_path: Path) -> None:
    (tmp_path / ".chartlock.yaml").write_text("select: [CL1]\n\nfail-on: never\n")
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.line == 3


def test_selectors_must_match_a_rule(tmp_path: Path) -> None:
    import resolver

    (tmp_path / ".chartlock.yaml").write_text("ignore: [CL999]\n")
    with pytest.raises(ConfigError, match=r"ignore: 'CL999' matches no rule"):
        resolver.lint(cwd=tmp_path)


def test_missing_plugin_is_a_config_error(tmp_path: Path) -> None:
    import resolver

    (tmp_path / ".chartlock.yaml").write_text("plugins: [no_such_plugin_module]\n")
    with pytest.raises(ConfigError, match=r"plugins: cannot import 'no_such_plugin_module'"):
        resolver.lint(cwd=tmp_path)


def test_cli_overrides() -> None:
    config = Config(select=("CL1",), ignore=("CL105",)).with_overrides(
        select=["CL2"], ignore=["CL205"], fail_on="warning"
    )
    assert config.select == ("CL2",)
    assert config.ignore == ("CL105", "CL205")
    assert config.fail_on is Severity.WARNING
    with pytest.raises(ConfigError, match="--select: 'cl2' is not a rule id"):
        Config().with_overrides(select=["cl2"])


def test_lock_reads_the_configuration_only_when_a_file_may_hold_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    from resolver.cli.online import maybe_config
    from resolver.util.configfind import CONFIG_FILES, PYPROJECT

    root = Path(__file__).resolve().parents[2]
    chart = tmp_path / "work" / "app"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    code = (
        "import sys; from resolver.cli.main import main\n"
        "code = main(['lock', 'app'])\n"
        "print(code, 'resolver.linter.config' in sys.modules)\n"
    )

    def run() -> str:
        env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=chart.parent,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        return result.stdout.strip().splitlines()[-1]

    assert not maybe_config(chart.parent)
    assert run() == "0 False"
    for name in (*CONFIG_FILES, PYPROJECT):
        (tmp_path / name).write_text("")
        assert maybe_config(chart.parent)
        (tmp_path / name).unlink()
    (tmp_path / ".chartlock.yaml").write_text("lock: {strategy: newest}\n")
    assert run() == "0 True"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("select: [CL1]\nlock:\n  # how\n  strategy: newst\n", 4),
        ("severity:\n  CL101: warning\n  CL102: loud\n", 3),
        ("lock:\n  stratgy: newest\n", 1),  # the unknown key is reported on its mapping
    ],
)
def test_nested_error_carries_its_own_line(tmp_path: Path, text: str, line: int) -> None:
    (tmp_path / ".chartlock.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(cwd=tmp_path)
    assert info.value.line == line, str(info.value)
