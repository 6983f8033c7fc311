"""Chart.yaml dependency rules (CL101-CL103, CL111, CL112, CL114; the repository rules of the
same family are in :mod:`resolver.linter.rules.repository`): what Helm will do with each
dependency, read before it does it.

One checker walks the dependencies of a Chart.yaml (or of requirements.yaml for apiVersion v1
charts) and reports each problem at the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from resolver.chart.models import Chart, Dependency
from resolver.errors import InvalidConstraint, InvalidVersion
from resolver.linter.findings import Severity
from resolver.linter.rules.base import (
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    checker,
    register,
)
from resolver.linter.rules.chartfile import at, chart_arg, chart_of
from resolver.linter.rules.repository import (
    CLASSIC_HTTPS,
    DOCKER_HUB_HOST,
    HAS_TAG_OR_DIGEST,
    INSECURE_HTTP,
    INVALID_OCI_REFERENCE,
    LOCAL_ALIAS,
    REPEATS_CHART_NAME,
    REPOSITORY_MISSING,
    REPOSITORY_NEEDS_PLUGIN,
    REPOSITORY_NOT_URL,
    check_repository,
)

VERSION_MISSING = register(
    Rule(
        id="CL101",
        name="dependency-version-missing",
        severity=Severity.ERROR,
        family="chart",
        summary="A Chart.yaml dependency has no `version`.",
        rationale="Without a version Helm has nothing to resolve: `helm dependency update` fails "
        "with an invalid constraint, and the lock cannot pin anything.",
        fix="add `version:` with the version or range to use, then run `chartlock lock <chart>`",
        bad="- name: redis\n  repository: oci://registry-1.docker.io/bitnamicharts",
        good="- name: redis\n  version: 17.3.2\n  repository: "
        "oci://registry-1.docker.io/bitnamicharts",
    )
)
VERSION_INVALID = register(
    Rule(
        id="CL102",
        name="dependency-version-invalid",
        severity=Severity.ERROR,
        family="chart",
        summary="A dependency's `version` is not a valid version constraint.",
        rationale="Helm parses it with Masterminds semver and stops with `has an invalid "
        "version/constraint format`; nothing gets locked or built.",
        fix="write a version (`1.2.3`) or a range (`~1.2.0`, `>=1.2.0 <2.0.0`)",
        bad="version: 1.2.3@sha256:0f3a...",
        good="version: 1.2.3",
    )
)


OCI_VERSION_NOT_STRICT = register(
    Rule(
        id="CL103",
        name="oci-version-not-strict",
        severity=Severity.WARNING,
        family="chart",
        summary="An OCI dependency's version is a partial or `v`-prefixed version (`1.6`, "
        "`v1.2.3`).",
        rationale="For oci:// repositories Helm treats any string that parses as a (loose) "
        "version as the literal tag and pulls `:1.6` - while for an https repository the same "
        "`1.6` means the range >=1.6.0 <1.7.0. The same text means two different things.",
        fix="write the full version (`1.6.0`), or a range (`~1.6.0`) if you meant one",
        bad='version: "1.6"\nrepository: oci://ghcr.io/org/charts',
        good="version: 1.6.0\nrepository: oci://ghcr.io/org/charts",
    )
)
NAME_INVALID = register(
    Rule(
        id="CL111",
        name="chart-name-invalid",
        severity=Severity.ERROR,
        family="chart",
        summary="A chart or dependency name (or alias) cannot be used by Helm.",
        rationale="Helm refuses a chart name that is a path (`a/b`, `.`, `..`) and aliases "
        "outside `[a-zA-Z0-9_-]`; an OCI dependency's name becomes part of the reference, where "
        "upper case and most punctuation are refused (`invalid reference: invalid repository`).",
        fix="rename the chart (lower case letters, digits, `-`, `.` and `_`)",
        bad="- name: My-Chart\n  repository: oci://ghcr.io/org/charts",
        good="- name: my-chart\n  repository: oci://ghcr.io/org/charts",
    )
)


DUPLICATE = register(
    Rule(
        id="CL112",
        name="dependency-duplicate",
        severity=Severity.ERROR,
        family="chart",
        summary="Two dependencies share a name (or alias).",
        rationale="Both become the same subchart `charts/<name>`: one silently replaces the other "
        "and their values collide.",
        fix="remove the duplicate, or give one of them an `alias:`",
        bad="- name: redis\n  version: 17.3.2\n- name: redis\n  version: 18.0.0",
        good="- name: redis\n  version: 17.3.2\n- name: redis\n  alias: cache\n  version: 18.0.0",
    )
)
RANGE_UNBOUNDED = register(
    Rule(
        id="CL114",
        name="dependency-range-unbounded",
        severity=Severity.WARNING,
        family="chart",
        summary="A dependency's version range has no upper bound (`>=1`, `*`).",
        rationale="The next `chartlock lock` (or `helm dependency update`) may jump to a new "
        "major version with breaking changes.",
        fix="bound the range (`^1.2.0`, `~1.2.0`, `>=1.2.0 <2.0.0`), then run `chartlock lock "
        "<chart>`",
        bad='version: ">=1.2.0"',
        good="version: ^1.2.0",
    )
)


# Aliases (pkg/chart validateDependency); OCI repository path components (oras).
_ALIAS_RE = re.compile(r"[a-zA-Z0-9_-]+")
_OCI_NAME_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*")


# The rules this module's checker reports.
CHART_RULES = (
    VERSION_MISSING,
    VERSION_INVALID,
    OCI_VERSION_NOT_STRICT,
    INSECURE_HTTP,
    CLASSIC_HTTPS,
    LOCAL_ALIAS,
    REPEATS_CHART_NAME,
    HAS_TAG_OR_DIGEST,
    INVALID_OCI_REFERENCE,
    DOCKER_HUB_HOST,
    NAME_INVALID,
    DUPLICATE,
    REPOSITORY_MISSING,
    RANGE_UNBOUNDED,
    REPOSITORY_NOT_URL,
    REPOSITORY_NEEDS_PLUGIN,
)


@checker(FileKind.CHART, emits=CHART_RULES)
def check_chart_yaml(target: LintTarget, options: CheckOptions) -> Iterator[Problem]:
    chart = chart_of(target)
    yield from _check_own_name(chart, target)
    deps = chart.dependencies or []
    lock_fix = f"then run `chartlock lock {chart_arg(target.display)}`"
    names: dict[str, Dependency] = {}
    for dep in deps:
        yield from _check_dependency(dep, target, lock_fix)
        effective = dep.effective_name
        if effective:
            first = names.setdefault(effective, dep)
            if first is not dep:
                field = "alias" if dep.alias else "name"
                yield at(
                    DUPLICATE,
                    f"dependency {effective!r} is listed twice (also at line {_line(first)})",
                    dep.mark(field),
                    target,
                    key=f"{effective}#{dep.index}",
                )


def _line(dep: Dependency) -> int:
    mark = dep.mark("name")
    return mark.line if mark else 0


def _check_own_name(chart: Chart, target: LintTarget) -> Iterator[Problem]:
    """What ``helm lint`` refuses: a path as the name (``a/b``, ``.``, ``..``)."""
    name = chart.name
    if "name" not in chart.marks or not name:
        return
    if name in (".", "..") or "/" in name or "\\" in name:
        yield at(
            NAME_INVALID,
            f"chart name {name!r} is not a plain name (Helm requires it to equal its base name)",
            chart.marks["name"],
            target,
            key=name,
        )


def _name_problem(name: str, *, oci: bool) -> str:
    """Why Helm cannot fetch a dependency called ``name`` ("" when it can)."""
    if oci:
        # The name becomes the last path components of the OCI reference.
        if all(_OCI_NAME_RE.fullmatch(part) for part in name.split("/")):
            return ""
        if name.lower() != name:
            return "has upper case letters, which OCI registries refuse"
        return "is not a valid OCI repository name (lower case letters, digits, '.', '_', '-')"
    if name in (".", ".."):
        return "is not a name"
    if "/" in name or "\\" in name:
        return "must not contain a path separator"
    return ""


def _check_dependency(dep: Dependency, target: LintTarget, lock_fix: str) -> Iterator[Problem]:
    label = dep.effective_name or f"#{dep.index + 1}"
    repo = dep.repository
    oci = repo.startswith("oci://")
    # CL111: names
    if not dep.name:
        yield at(
            NAME_INVALID,
            f"dependency {label} has no name",
            dep.mark("name"),
            target,
            key=f"noname#{dep.index}",
            fix="add `name:` with the chart's name",
        )
    else:
        problem = _name_problem(dep.name, oci=oci)
        if problem:
            yield at(
                NAME_INVALID,
                f"dependency name {dep.name!r} {problem}",
                dep.mark("name"),
                target,
                key=dep.name,
            )
    if dep.alias and not _ALIAS_RE.fullmatch(dep.alias):
        yield at(
            NAME_INVALID,
            f"alias {dep.alias!r} may only contain letters, digits, '-' and '_'",
            dep.mark("alias"),
            target,
            key=f"alias:{dep.alias}",
            fix="rename the alias (letters, digits, `-` and `_`)",
        )
    yield from _check_version(dep, target, label, oci=oci, lock_fix=lock_fix)
    yield from check_repository(dep, target, label, lock_fix=lock_fix)


def _check_version(
    dep: Dependency, target: LintTarget, label: str, *, oci: bool, lock_fix: str
) -> Iterator[Problem]:
    from resolver.semver import parse_constraint, parse_version

    version = dep.version
    if "version" not in dep.present or not version.strip():
        yield at(
            VERSION_MISSING,
            f"dependency {label!r} has no version",
            dep.mark("version"),
            target,
            key=f"{label}:version",
        )
        return
    mark = dep.mark("version")
    written = dep.source.get("version", version)
    try:
        constraint = parse_constraint(version)
    except InvalidConstraint as exc:
        yield at(
            VERSION_INVALID,
            f"dependency {label!r} version {written!r} is not a valid constraint ({exc})",
            mark,
            target,
            key=f"{label}:{version}",
        )
        return
    local = not dep.repository or dep.repository.startswith("file://")
    if oci:
        try:
            parsed = parse_version(version)
        except InvalidVersion:
            parsed = None
        if parsed is not None:
            try:
                parse_version(version, strict=True)
            except InvalidVersion:
                full = f"{parsed.major}.{parsed.minor}.{parsed.patch}"
                yield at(
                    OCI_VERSION_NOT_STRICT,
                    f"dependency {label!r} version {written!r} is pulled as the literal OCI tag "
                    f"{version!r} (not the range an https repository would read)",
                    mark,
                    target,
                    key=f"{label}:{version}",
                    fix=f"write `version: {full}` (or a range like `~{full}`), {lock_fix}",
                )
            return  # an exact tag: bounded by definition
    if not local and not constraint.has_upper_bound():
        yield at(
            RANGE_UNBOUNDED,
            f"dependency {label!r} version range {written!r} has no upper bound",
            mark,
            target,
            key=f"{label}:{version}",
            fix=f"bound the range (e.g. `^1.2.0`, `>=1.2.0 <2.0.0`), {lock_fix}",
        )
