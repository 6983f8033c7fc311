"""Property tests: parsers never fail with anything but their own one-line errors; the version
order is a total order; loaders survive arbitrary YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver.chart.loader import parse_chart, parse_lock
from resolver.chart.lockfile import dump_lock, hash_req
from resolver.errors import InputError, InvalidConstraint, InvalidVersion
from resolver.semver import parse_constraint, parse_version

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERSION_CHARS = st.sampled_from(list("0123456789.-+vVxX*^~<>=!|, abz_\t\n"))
version_text = st.text(VERSION_CHARS, max_size=24)
numbers = st.integers(min_value=0, max_value=30).map(str)
versions = st.builds(
    lambda a, b, c, pre, meta: (
        f"{a}.{b}.{c}" + (f"-{pre}" if pre else "") + (f"+{meta}" if meta else "")
    ),
    numbers,
    numbers,
    numbers,
    st.sampled_from(["", "alpha", "alpha.1", "beta.2", "rc.1", "0", "1", "x-y"]),
    st.sampled_from(["", "b1", "001"]),
)


@SETTINGS
@given(version_text)
def test_version_parser_only_raises_invalid_version(text: str) -> None:
    for strict in (False, True):
        try:
            v = parse_version(text, strict=strict)
        except InvalidVersion as exc:
            assert "\n" not in str(exc)  # one line, whatever the input
            continue
        again = parse_version(str(v))
        assert again == v and str(again) == str(v)


@SETTINGS
@given(version_text, versions)
def test_constraint_parser_only_raises_invalid_constraint(text: str, version: str) -> None:
    try:
        c = parse_constraint(text)
    except InvalidConstraint:
        return
    v = parse_version(version)
    assert isinstance(c.allows(v), bool)
    assert isinstance(c.allows(v, include_prerelease=True), bool)
    # Masterminds: String() of a parsed constraint parses again and means the same.
    assert parse_constraint(str(c)).allows(v) == c.allows(v)


@SETTINGS
@given(versions, versions, versions)
def test_ordering_is_a_total_order(a: str, b: str, c: str) -> None:
    x, y, z = parse_version(a), parse_version(b), parse_version(c)
    assert x.compare(y) == -y.compare(x)
    assert (x.compare(y) == 0) == (x == y)
    if x <= y and y <= z:
        assert x <= z
    if x == y:
        assert hash(x) == hash(y)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["y", "on", "010", "0x1F", "1e3", "1:30", "~", "2006-01-02", "<&>"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "name",
                        "version",
                        "repository",
                        "dependencies",
                        "tags",
                        "alias",
                        "digest",
                        "import-values",
                        "enabled",
                        "condition",
                        "generated",
                        "Name",
                    ]
                ),
                st.text(max_size=6),
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True)


@SETTINGS
@given(yaml_values)
def test_loaders_survive_arbitrary_yaml(value: Any) -> None:
    text = _dump(value)
    for parse in (parse_chart, parse_lock):
        try:
            model = parse(text, Path("x"), "x.yaml")
        except InputError as exc:
            assert str(exc).startswith("x.yaml")
            continue
        deps = getattr(model, "dependencies", None)
        assert hash_req(deps, deps).startswith("sha256:")
        if deps is not None and parse is parse_lock:
            dump_lock(deps, "sha256:x", "2026-01-01T00:00:00Z")


@SETTINGS
@given(st.text(max_size=200))
def test_loaders_survive_arbitrary_text(text: str) -> None:
    for parse in (parse_chart, parse_lock):
        try:
            parse(text, Path("x"), "x.yaml")
        except InputError as exc:
            assert "\n" not in str(exc)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(chart_value=yaml_values, values_value=yaml_values, ci_text=st.text(max_size=300))
def test_lint_engine_survives_arbitrary_files(
    chart_value: Any, values_value: Any, ci_text: str, tmp_path_factory: Any
) -> None:
    from resolver.commands.lint import lint
    from resolver.linter.config import Config

    root = tmp_path_factory.mktemp("fuzz")
    chart = root / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(_dump(chart_value), "utf-8")
    (chart / "Chart.lock").write_text(_dump(values_value), "utf-8")
    (chart / "values.yaml").write_text(_dump(values_value), "utf-8")
    (chart / "templates" / "deploy.yaml").write_text(f"image: {ci_text[:40]}\n", "utf-8")
    (root / "build.sh").write_text(ci_text, "utf-8")
    report = lint([root], Config(), cwd=root)
    for finding in report.findings:
        assert finding.rule.startswith("CL")
        assert finding.line >= 0 and "\n" not in finding.message
