"""Chart.yaml repository rules (CL104-CL110, CL113, CL115, CL116): can Helm fetch each
dependency from where its ``repository:`` says, and is that a place worth locking against?

Run by the Chart.yaml checker (:mod:`resolver.linter.rules.chart`) for each dependency.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from resolver.chart.models import Dependency, Mark
from resolver.linter.findings import Severity
from resolver.linter.rules.base import LintTarget, Problem, Rule, register
from resolver.linter.rules.chartfile import at

INSECURE_HTTP = register(
    Rule(
        id="CL104",
        name="repository-insecure-http",
        severity=Severity.ERROR,
        family="chart",
        summary="A dependency is downloaded over plain `http://`.",
        rationale="Index and archives can be replaced in transit; Helm does not verify index "
        "digests.",
        fix="use the `https://` URL of the repository, or its `oci://` registry",
        bad="repository: http://charts.example.com",
        good="repository: https://charts.example.com",
    )
)
CLASSIC_HTTPS = register(
    Rule(
        id="CL105",
        name="repository-classic-https",
        severity=Severity.INFO,
        family="chart",
        summary="A dependency comes from a classic https index repository.",
        rationale="Index repositories are re-downloaded whole, carry no immutable digests "
        "chartlock can verify, and need `helm repo add` first; OCI registries are "
        "content-addressed.",
        fix="use the chart's OCI registry if it publishes one (`oci://...`) and `chartlock lock "
        "<chart>`",
        bad="repository: https://charts.bitnami.com/bitnami",
        good="repository: oci://registry-1.docker.io/bitnamicharts",
    )
)
LOCAL_ALIAS = register(
    Rule(
        id="CL106",
        name="repository-local-alias",
        severity=Severity.WARNING,
        family="chart",
        summary="A dependency names a repository by local alias (`@name`, `alias:name`).",
        rationale="The alias means whatever the local repositories.yaml says: another machine (or "
        "CI) may have no such alias or a different URL, and the lock records the URL, not the "
        "alias.",
        fix="write the repository URL instead of the alias",
        bad='repository: "@bitnami"',
        good="repository: https://charts.bitnami.com/bitnami",
    )
)
REPEATS_CHART_NAME = register(
    Rule(
        id="CL107",
        name="repository-repeats-chart-name",
        severity=Severity.ERROR,
        family="chart",
        summary="An OCI repository already ends with `<charts namespace>/<chart name>`.",
        rationale="Helm appends the dependency name to the repository: `oci://r/charts/app` with "
        "name `app` pulls `r/charts/app/app`, which usually does not exist. (Only flagged when "
        "the segment before the name looks like a chart namespace - `charts`, `helm-charts`, "
        "`helm` - since `oci://ghcr.io/<owner>/<repo>` with a chart named like the repository is "
        "a common, valid layout.)",
        fix="drop the chart name from the repository (`oci://r/charts`)",
        bad="name: app\nrepository: oci://ghcr.io/org/charts/app",
        good="name: app\nrepository: oci://ghcr.io/org/charts",
    )
)
HAS_TAG_OR_DIGEST = register(
    Rule(
        id="CL108",
        name="repository-has-tag-or-digest",
        severity=Severity.ERROR,
        family="chart",
        summary="An OCI repository carries a tag or digest (`:1.0`, `@sha256:...`).",
        rationale="Helm builds `<repository>/<name>:<version>` itself; a tag or digest in the "
        "repository makes the reference invalid (`invalid reference`). Digests belong in "
        "Chart.lock.",
        fix="remove the tag or digest from `repository:`; put the version in `version:` and run "
        "`chartlock lock <chart>` to record the digest",
        bad="repository: oci://ghcr.io/org/charts@sha256:0f3a...",
        good="repository: oci://ghcr.io/org/charts",
    )
)
INVALID_OCI_REFERENCE = register(
    Rule(
        id="CL109",
        name="repository-invalid-oci-reference",
        severity=Severity.ERROR,
        family="chart",
        summary="An OCI repository is not a valid reference (upper case, trailing slash, "
        "`OCI://`, bad characters).",
        rationale="oras rejects the reference (`invalid reference: invalid repository`) and "
        "`OCI://` is not recognised as OCI at all (the scheme test is case-sensitive).",
        fix="write `oci://host/path` in lower case, without a trailing slash",
        bad="repository: oci://ghcr.io/MyOrg/charts/",
        good="repository: oci://ghcr.io/myorg/charts",
    )
)
DOCKER_HUB_HOST = register(
    Rule(
        id="CL110",
        name="docker-hub-host",
        severity=Severity.ERROR,
        family="chart",
        summary="An OCI repository uses `docker.io` or `index.docker.io` instead of "
        "`registry-1.docker.io`.",
        rationale="Docker Hub's registry API lives at registry-1.docker.io. The lock stores the "
        "repository verbatim, so the same chart locked under two host spellings gives two "
        "different locks, and `index.docker.io` is not a registry endpoint.",
        fix="write `oci://registry-1.docker.io/...`",
        bad="repository: oci://docker.io/bitnamicharts",
        good="repository: oci://registry-1.docker.io/bitnamicharts",
    )
)
REPOSITORY_MISSING = register(
    Rule(
        id="CL113",
        name="dependency-repository-missing",
        severity=Severity.ERROR,
        family="chart",
        summary="A dependency has no `repository` and no unpacked `charts/<name>/` directory.",
        rationale="With no repository Helm looks for the chart unpacked in `charts/<name>`; when "
        "it is not there, `helm dependency build` fails.",
        fix="add `repository:` (oci://, https:// or file://), or vendor the chart in "
        "`charts/<name>/`",
        bad="- name: common\n  version: 1.x.x",
        good="- name: common\n  version: 1.x.x\n  repository: "
        "oci://registry-1.docker.io/bitnamicharts",
    )
)
REPOSITORY_NOT_URL = register(
    Rule(
        id="CL115",
        name="repository-not-url-or-alias",
        severity=Severity.ERROR,
        family="chart",
        summary="A dependency's `repository` is neither a URL nor an alias (`repository: stable`).",
        rationale="Helm accepts a URL (`oci://`, `https://`, `file://`...) or a `helm repo add` "
        "alias written `@name` or `alias:name`; a bare word is neither, and `helm dependency "
        'update` fails with "no repository definition for stable ... repositories must be URLs or '
        'aliases".',
        fix="write the repository's URL (`oci://registry/namespace` or "
        "`https://charts.example.com`), or `file://<path>` for a chart in this repository",
        bad="repository: bitnami",
        good="repository: oci://registry-1.docker.io/bitnamicharts",
    )
)
REPOSITORY_NEEDS_PLUGIN = register(
    Rule(
        id="CL116",
        name="repository-needs-plugin",
        severity=Severity.WARNING,
        family="chart",
        summary="A dependency's `repository` uses a scheme only a Helm plugin understands "
        "(`git+https://`, `s3://`, `gs://`).",
        rationale="Helm itself knows `oci://`, `https://`, `http://` and `file://`; any other "
        "scheme needs a downloader plugin on every machine that builds the chart (`git+https://` "
        "is the helm-git plugin's), and without it helm fails with \"could not find protocol "
        'handler for: git+https". chartlock cannot lock or verify such a dependency: there is no '
        "digest to pin.",
        fix="publish the chart to an OCI registry and depend on `oci://...`, or vendor it with "
        "`file://`; if you keep the plugin, install it wherever helm runs (`helm plugin install "
        "https://github.com/aslafy-z/helm-git`) and suppress this rule with a reason",
        bad="repository: git+https://github.com/org/charts@charts/app?ref=v1.2.0",
        good="repository: oci://ghcr.io/org/charts",
    )
)
_HOST_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?"
)
_DOCKER_HUB_ALIASES = ("docker.io", "index.docker.io")


def check_repository(
    dep: Dependency, target: LintTarget, label: str, *, lock_fix: str
) -> Iterator[Problem]:
    repo = dep.repository
    mark = dep.mark("repository")
    key = f"{label}:{repo}"
    if not repo:
        chart_dir = target.path.parent
        if dep.name and not os.path.isdir(chart_dir / "charts" / dep.name):
            yield at(
                REPOSITORY_MISSING,
                f"dependency {label!r} has no repository and charts/{dep.name}/ does not exist",
                mark,
                target,
                key=f"{label}:norepo",
            )
        return
    lowered = repo.lower()
    if repo.startswith("@") or repo.startswith("alias:"):
        yield at(
            LOCAL_ALIAS,
            f"dependency {label!r} uses the local repository alias {repo!r}",
            mark,
            target,
            key=key,
            fix=f"write the repository's URL instead of {repo!r}, {lock_fix}",
        )
        return
    if lowered.startswith("http://"):
        yield at(
            INSECURE_HTTP,
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
            CLASSIC_HTTPS,
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
            REPOSITORY_NOT_URL,
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
        REPOSITORY_NEEDS_PLUGIN,
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
            INVALID_OCI_REFERENCE,
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
    cut = tag_or_digest_at(rest)
    if cut >= 0:
        clean = rest[:cut].rstrip("/")
        yield at(
            HAS_TAG_OR_DIGEST,
            f"dependency {label!r} repository {repo!r} carries {rest[cut:]!r}",
            mark,
            target,
            key=key,
            fix=f"write `oci://{clean}` and put the version in `version:`, {lock_fix}",
        )
        return
    if not host or not _HOST_RE.fullmatch(host):
        yield at(
            INVALID_OCI_REFERENCE,
            f"dependency {label!r} repository {repo!r} has no valid registry host",
            mark,
            target,
            key=key,
        )
        return
    if host.lower() in _DOCKER_HUB_ALIASES:
        fixed = f"oci://registry-1.docker.io/{path}".rstrip("/")
        yield at(
            DOCKER_HUB_HOST,
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
                INVALID_OCI_REFERENCE,
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
                REPEATS_CHART_NAME,
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


def tag_or_digest_at(rest: str) -> int:
    """Where a tag or digest starts in an ``oci://`` repository given without its scheme: a
    ``:`` after the host, or any ``@`` (CL108); -1 when there is none. ``chartlock fix`` cuts
    there too."""
    host, _, path = rest.partition("/")
    cuts = [rest.find("@")]
    if ":" in path:
        cuts.append(len(host) + 1 + path.index(":"))
    return min((c for c in cuts if c >= 0), default=-1)
