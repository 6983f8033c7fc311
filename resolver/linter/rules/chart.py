"""Chart.yaml dependency rules (CL101-CL114): what Helm will do with each dependency, read
before it does it.

One checker walks the dependencies of a Chart.yaml (or of requirements.yaml for apiVersion v1
charts) and reports each problem at the offending value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from resolver.chart.models import Chart, Dependency, Mark
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


def _rule(
    rule_id: str,
    name: str,
    summary: str,
    rationale: str,
    fix: str,
    bad: str,
    good: str,
    *,
    severity: Severity = Severity.ERROR,
) -> Rule:
    return register(Rule(rule_id, name, severity, "chart", summary, rationale, fix, bad, good))


VERSION_MISSING = _rule(
    "CL101",
    "dependency-version-missing",
    "A Chart.yaml dependency has no `version`.",
    "Without a version Helm has nothing to resolve: `helm dependency update` fails with an "
    "invalid constraint, and the lock cannot pin anything.",
    "add `version:` with the version or range to use, then run `chartlock lock <chart>`",
    "- name: redis\n  repository: oci://registry-1.docker.io/bitnamicharts",
    "- name: redis\n  version: 17.3.2\n  repository: oci://registry-1.docker.io/bitnamicharts",
)
VERSION_INVALID = _rule(
    "CL102",
    "dependency-version-invalid",
    "A dependency's `version` is not a valid version constraint.",
    "Helm parses it with Masterminds semver and stops with `has an invalid version/constraint "
    "format`; nothing gets locked or built.",
    "write a version (`1.2.3`) or a range (`~1.2.0`, `>=1.2.0 <2.0.0`)",
    "version: 1.2.3@sha256:0f3a...",
    "version: 1.2.3",
)
OCI_VERSION_NOT_STRICT = _rule(
    "CL103",
    "oci-version-not-strict",
    "An OCI dependency's version is a partial or `v`-prefixed version (`1.6`, `v1.2.3`).",
    "For oci:// repositories Helm treats any string that parses as a (loose) version as the "
    "literal tag and pulls `:1.6` - while for an https repository the same `1.6` means the "
    "range >=1.6.0 <1.7.0. The same text means two different things.",
    "write the full version (`1.6.0`), or a range (`~1.6.0`) if you meant one",
    'version: "1.6"\nrepository: oci://ghcr.io/org/charts',
    "version: 1.6.0\nrepository: oci://ghcr.io/org/charts",
    severity=Severity.WARNING,
)
INSECURE_HTTP = _rule(
    "CL104",
    "repository-insecure-http",
    "A dependency is downloaded over plain `http://`.",
    "Index and archives can be replaced in transit; Helm does not verify index digests.",
    "use the `https://` URL of the repository, or its `oci://` registry",
    "repository: http://charts.example.com",
    "repository: https://charts.example.com",
)
CLASSIC_HTTPS = _rule(
    "CL105",
    "repository-classic-https",
    "A dependency comes from a classic https index repository.",
    "Index repositories are re-downloaded whole, carry no immutable digests chartlock can "
    "verify, and need `helm repo add` first; OCI registries are content-addressed.",
    "use the chart's OCI registry if it publishes one (`oci://...`) and `chartlock lock <chart>`",
    "repository: https://charts.bitnami.com/bitnami",
    "repository: oci://registry-1.docker.io/bitnamicharts",
    severity=Severity.INFO,
)
LOCAL_ALIAS = _rule(
    "CL106",
    "repository-local-alias",
    "A dependency names a repository by local alias (`@name`, `alias:name`).",
    "The alias means whatever the local repositories.yaml says: another machine (or CI) may "
    "have no such alias or a different URL, and the lock records the URL, not the alias.",
    "write the repository URL instead of the alias",
    'repository: "@bitnami"',
    "repository: https://charts.bitnami.com/bitnami",
    severity=Severity.WARNING,
)
REPEATS_CHART_NAME = _rule(
    "CL107",
    "repository-repeats-chart-name",
    "An OCI repository already ends with `<charts namespace>/<chart name>`.",
    "Helm appends the dependency name to the repository: `oci://r/charts/app` with name `app` "
    "pulls `r/charts/app/app`, which usually does not exist. (Only flagged when the segment "
    "before the name looks like a chart namespace - `charts`, `helm-charts`, `helm` - since "
    "`oci://ghcr.io/<owner>/<repo>` with a chart named like the repository is a common, "
    "valid layout.)",
    "drop the chart name from the repository (`oci://r/charts`)",
    "name: app\nrepository: oci://ghcr.io/org/charts/app",
    "name: app\nrepository: oci://ghcr.io/org/charts",
)
HAS_TAG_OR_DIGEST = _rule(
    "CL108",
    "repository-has-tag-or-digest",
    "An OCI repository carries a tag or digest (`:1.0`, `@sha256:...`).",
    "Helm builds `<repository>/<name>:<version>` itself; a tag or digest in the repository "
    "makes the reference invalid (`invalid reference`). Digests belong in Chart.lock.",
    "remove the tag or digest from `repository:`; put the version in `version:` and run "
    "`chartlock lock <chart>` to record the digest",
    "repository: oci://ghcr.io/org/charts@sha256:0f3a...",
    "repository: oci://ghcr.io/org/charts",
)
INVALID_OCI_REFERENCE = _rule(
    "CL109",
    "repository-invalid-oci-reference",
    "An OCI repository is not a valid reference (upper case, trailing slash, `OCI://`, "
    "bad characters).",
    "oras rejects the reference (`invalid reference: invalid repository`) and `OCI://` is not "
    "recognised as OCI at all (the scheme test is case-sensitive).",
    "write `oci://host/path` in lower case, without a trailing slash",
    "repository: oci://ghcr.io/MyOrg/charts/",
    "repository: oci://ghcr.io/myorg/charts",
)
DOCKER_HUB_HOST = _rule(
    "CL110",
    "docker-hub-host",
    "An OCI repository uses `docker.io` or `index.docker.io` instead of `registry-1.docker.io`.",
    "Docker Hub's registry API lives at registry-1.docker.io. The lock stores the repository "
    "verbatim, so the same chart locked under two host spellings gives two different locks, "
    "and `index.docker.io` is not a registry endpoint.",
    "write `oci://registry-1.docker.io/...`",
    "repository: oci://docker.io/bitnamicharts",
    "repository: oci://registry-1.docker.io/bitnamicharts",
)
NAME_INVALID = _rule(
    "CL111",
    "chart-name-invalid",
    "A chart or dependency name (or alias) cannot be used by Helm.",
    "Helm refuses a chart name that is a path (`a/b`, `.`, `..`) and aliases outside "
    "`[a-zA-Z0-9_-]`; an OCI dependency's name becomes part of the reference, where upper case "
    "and most punctuation are refused (`invalid reference: invalid repository`).",
    "rename the chart (lower case letters, digits, `-`, `.` and `_`)",
    "- name: My-Chart\n  repository: oci://ghcr.io/org/charts",
    "- name: my-chart\n  repository: oci://ghcr.io/org/charts",
)
DUPLICATE = _rule(
    "CL112",
    "dependency-duplicate",
    "Two dependencies share a name (or alias).",
    "Both become the same subchart `charts/<name>`: one silently replaces the other and their "
    "values collide.",
    "remove the duplicate, or give one of them an `alias:`",
    "- name: redis\n  version: 17.3.2\n- name: redis\n  version: 18.0.0",
    "- name: redis\n  version: 17.3.2\n- name: redis\n  alias: cache\n  version: 18.0.0",
)
REPOSITORY_MISSING = _rule(
    "CL113",
    "dependency-repository-missing",
    "A dependency has no `repository` and no unpacked `charts/<name>/` directory.",
    "With no repository Helm looks for the chart unpacked in `charts/<name>`; when it is not "
    "there, `helm dependency build` fails.",
    "add `repository:` (oci://, https:// or file://), or vendor the chart in `charts/<name>/`",
    "- name: common\n  version: 1.x.x",
    "- name: common\n  version: 1.x.x\n  repository: oci://registry-1.docker.io/bitnamicharts",
)
RANGE_UNBOUNDED = _rule(
    "CL114",
    "dependency-range-unbounded",
    "A dependency's version range has no upper bound (`>=1`, `*`).",
    "The next `chartlock lock` (or `helm dependency update`) may jump to a new major version "
    "with breaking changes.",
    "bound the range (`^1.2.0`, `~1.2.0`, `>=1.2.0 <2.0.0`), then run `chartlock lock <chart>`",
    'version: ">=1.2.0"',
    "version: ^1.2.0",
    severity=Severity.WARNING,
)

REPOSITORY_NOT_URL = _rule(
    "CL115",
    "repository-not-url-or-alias",
    "A dependency's `repository` is neither a URL nor an alias (`repository: stable`).",
    "Helm accepts a URL (`oci://`, `https://`, `file://`...) or a `helm repo add` alias written "
    "`@name` or `alias:name`; a bare word is neither, and `helm dependency update` fails with "
    '"no repository definition for stable ... repositories must be URLs or aliases".',
    "write the repository's URL (`oci://registry/namespace` or `https://charts.example.com`), "
    "or `file://<path>` for a chart in this repository",
    "repository: bitnami",
    "repository: oci://registry-1.docker.io/bitnamicharts",
)
REPOSITORY_NEEDS_PLUGIN = _rule(
    "CL116",
    "repository-needs-plugin",
    "A dependency's `repository` uses a scheme only a Helm plugin understands (`git+https://`, "
    "`s3://`, `gs://`).",
    "Helm itself knows `oci://`, `https://`, `http://` and `file://`; any other scheme needs a "
    "downloader plugin on every machine that builds the chart (`git+https://` is the helm-git "
    "plugin's), and without it helm fails with \"could not find protocol handler for: "
    'git+https". chartlock cannot lock or verify such a dependency: there is no digest to pin.',
    "publish the chart to an OCI registry and depend on `oci://...`, or vendor it with "
    "`file://`; if you keep the plugin, install it wherever helm runs (`helm plugin install "
    "https://github.com/aslafy-z/helm-git`) and suppress this rule with a reason",
    "repository: git+https://github.com/org/charts@charts/app?ref=v1.2.0",
    "repository: oci://ghcr.io/org/charts",
    severity=Severity.WARNING,
)

# Aliases (pkg/chart validateDependency); OCI repository path components (oras).
_ALIAS_RE = re.compile(r"[a-zA-Z0-9_-]+")
_OCI_NAME_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*")
_HOST_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?"
)
_DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io")


def chart_of(target: LintTarget) -> Chart:
    """The target's Chart.yaml, parsed once per lint run (requirements.yaml applied)."""
    chart = target.cache.get("chart")
    if chart is None:
        from resolver.chart.loader import load_requirements, parse_chart

        chart = parse_chart(target.text, target.path, target.display)
        requirements = target.path.parent / "requirements.yaml"
        if requirements.is_file():
            shown = (Path(target.display).parent / "requirements.yaml").as_posix()
            deps, mark = load_requirements(requirements, shown)
            if mark is not None:
                chart = chart.replace(
                    dependencies=deps, marks={**chart.marks, "dependencies": mark}
                )
        target.cache["chart"] = chart
    assert isinstance(chart, Chart)
    return chart


def chart_arg(display: str) -> str:
    """The chart directory as a command argument (``charts/app``, or ``.``)."""
    parent = Path(display).parent.as_posix()
    return parent if parent not in ("", ".") else "."


def at(
    rule: str, message: str, mark: Mark | None, target: LintTarget, *, key: str, fix: str = ""
) -> Problem:
    """A problem at ``mark`` (the offending value); its file when not the target's own."""
    line, column = (mark.line, mark.column) if mark else (1, 1)
    path = mark.path if mark and mark.path != target.display else ""
    return Problem(rule, message, line=line, column=column, key=key, fix=fix, path=path)


@checker(FileKind.CHART)
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
                    "CL112",
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
            "CL111",
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
            "CL111",
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
                "CL111",
                f"dependency name {dep.name!r} {problem}",
                dep.mark("name"),
                target,
                key=dep.name,
            )
    if dep.alias and not _ALIAS_RE.fullmatch(dep.alias):
        yield at(
            "CL111",
            f"alias {dep.alias!r} may only contain letters, digits, '-' and '_'",
            dep.mark("alias"),
            target,
            key=f"alias:{dep.alias}",
            fix="rename the alias (letters, digits, `-` and `_`)",
        )
    yield from _check_version(dep, target, label, oci=oci, lock_fix=lock_fix)
    yield from _check_repository(dep, target, label, lock_fix=lock_fix)


def _check_version(
    dep: Dependency, target: LintTarget, label: str, *, oci: bool, lock_fix: str
) -> Iterator[Problem]:
    from resolver.semver import parse_constraint, parse_version

    version = dep.version
    if "version" not in dep.present or not version.strip():
        yield at(
            "CL101",
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
            "CL102",
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
                    "CL103",
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
            "CL114",
            f"dependency {label!r} version range {written!r} has no upper bound",
            mark,
            target,
            key=f"{label}:{version}",
            fix=f"bound the range (e.g. `^1.2.0`, `>=1.2.0 <2.0.0`), {lock_fix}",
        )


def _check_repository(
    dep: Dependency, target: LintTarget, label: str, *, lock_fix: str
) -> Iterator[Problem]:
    repo = dep.repository
    mark = dep.mark("repository")
    key = f"{label}:{repo}"
    if not repo:
        chart_dir = target.path.parent
        if dep.name and not os.path.isdir(chart_dir / "charts" / dep.name):
            yield at(
                "CL113",
                f"dependency {label!r} has no repository and charts/{dep.name}/ does not exist",
                mark,
                target,
                key=f"{label}:norepo",
            )
        return
    lowered = repo.lower()
    if repo.startswith("@") or repo.startswith("alias:"):
        yield at(
            "CL106",
            f"dependency {label!r} uses the local repository alias {repo!r}",
            mark,
            target,
            key=key,
            fix=f"write the repository's URL instead of {repo!r}, {lock_fix}",
        )
        return
    if lowered.startswith("http://"):
        yield at(
            "CL104",
            f"dependency {label!r} is downloaded over plain HTTP ({repo})",
            mark,
            target,
            key=key,
            fix=f"use `{'https://' + repo[len('http://') :]}` (or the chart's oci:// "
            f"registry), {lock_fix}",
        )
        return
    if lowered.startswith("https://"):
        yield at(
            "CL105",
            f"dependency {label!r} comes from the https index repository {repo}",
            mark,
            target,
            key=key,
        )
        return
    if lowered.startswith("oci://"):
        yield from _check_oci(dep, target, label, repo, mark, lock_fix)
        return
    yield from _check_other_repository(repo, label, mark, target, key)


# Downloader plugins for the schemes Helm leaves to them (Helm's getter.Providers).
_PLUGINS = {
    "git": "the helm-git plugin (https://github.com/aslafy-z/helm-git)",
    "s3": "the helm-s3 plugin (https://github.com/hypnoglow/helm-s3)",
    "gs": "the helm-gcs plugin (https://github.com/hayorov/helm-gcs)",
}
# url.ParseRequestURI accepts an absolute URI (a scheme) or an absolute path; Helm treats
# anything else that is not `@name`/`alias:name` as a missing repository name.
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _check_other_repository(
    repo: str, label: str, mark: Mark | None, target: LintTarget, key: str
) -> Iterator[Problem]:
    """Neither ``@alias``, http(s) nor oci: a ``file://`` path, a plugin scheme, or no URL."""
    scheme_match = _SCHEME_RE.match(repo)
    if scheme_match is None:
        if repo.startswith("/"):
            return  # an absolute path is a URL to Helm (it fails later, as a repository)
        yield at(
            "CL115",
            f"dependency {label!r} repository {repo!r} is neither a URL nor an alias: helm "
            f'refuses it ("no repository definition for {repo}")',
            mark,
            target,
            key=key,
        )
        return
    scheme = scheme_match.group(1).lower()
    if scheme in ("file", "http", "https", "oci"):
        return  # Helm's own schemes (a malformed one fails in Helm's getter, not here)
    family = scheme.split("+", 1)[0]
    plugin = _PLUGINS.get(family, f"a Helm downloader plugin for `{scheme}://`")
    yield at(
        "CL116",
        f"dependency {label!r} repository {repo!r} needs {plugin}; helm alone fails "
        f'("could not find protocol handler for: {scheme}") and chartlock cannot lock it',
        mark,
        target,
        key=key,
    )


def _check_oci(
    dep: Dependency, target: LintTarget, label: str, repo: str, mark: Mark | None, lock_fix: str
) -> Iterator[Problem]:
    key = f"{label}:{repo}"
    if not repo.startswith("oci://"):
        fixed = "oci://" + repo[len("oci://") :]
        yield at(
            "CL109",
            f"dependency {label!r} repository {repo!r} has scheme "
            f"{repo[:6]!r}: Helm only recognises lower-case oci://",
            mark,
            target,
            key=key,
            fix=f"write `{fixed}`",
        )
        return
    rest = repo[len("oci://") :]
    host, _, path = rest.partition("/")
    # CL108: a tag or digest (a ':' after the host, or any '@').
    cuts = [rest.find("@")]
    if ":" in path:
        cuts.append(len(host) + 1 + path.index(":"))
    cut = min((c for c in cuts if c >= 0), default=-1)
    if cut >= 0:
        clean = rest[:cut].rstrip("/")
        yield at(
            "CL108",
            f"dependency {label!r} repository {repo!r} carries {rest[cut:]!r}",
            mark,
            target,
            key=key,
            fix=f"write `oci://{clean}` and put the version in `version:`, {lock_fix}",
        )
        return
    if not host or not _HOST_RE.fullmatch(host):
        yield at(
            "CL109",
            f"dependency {label!r} repository {repo!r} has no valid registry host",
            mark,
            target,
            key=key,
        )
        return
    if host.lower() in _DOCKER_HUB_ALIASES:
        fixed = f"oci://registry-1.docker.io/{path}".rstrip("/")
        yield at(
            "CL110",
            f"dependency {label!r} repository {repo!r} uses the Docker Hub host {host!r}",
            mark,
            target,
            key=key,
            fix=f"write `{fixed}`, {lock_fix}",
        )
    if path:
        problem = _oci_path_problem(path)
        if problem:
            fixed = "oci://" + host + "/" + "/".join(s for s in path.lower().split("/") if s)
            yield at(
                "CL109",
                f"dependency {label!r} repository {repo!r} {problem}",
                mark,
                target,
                key=key,
                fix=f"write `{fixed}`, {lock_fix}",
            )
            return
        segments = path.split("/")
        if (
            dep.name
            and len(segments) >= 2
            and segments[-1] == dep.name
            and any(word in segments[-2] for word in ("chart", "helm"))
        ):
            parent = f"oci://{host}/{path.rsplit('/', 1)[0]}" if "/" in path else f"oci://{host}"
            yield at(
                "CL107",
                f"dependency {label!r} repository {repo!r} already ends with the chart name: "
                f"Helm pulls {host}/{path}/{dep.name}",
                mark,
                target,
                key=key,
                fix=f"write `repository: {parent}`, {lock_fix}",
            )


def _oci_path_problem(path: str) -> str:
    from resolver.registry.reference import REPOSITORY_PATH_RE

    if REPOSITORY_PATH_RE.fullmatch(path):
        return ""
    if path.endswith("/"):
        return "ends with '/' (Helm would ask for '<path>//<name>')"
    if "//" in path:
        return "has an empty path segment ('//')"
    if path != path.lower():
        return "has upper case letters, which OCI registries refuse"
    return "is not a valid OCI repository path (lower case letters, digits, '.', '_', '-')"
