"""Which rules ``chartlock fix`` (and ``lint --fix``) can fix, and how (issue 13).

Kept apart from the rule declarations so that the rule modules stay as they are; ``chartlock
rules``, docs/rules.md and SARIF's ``fixes`` read it.
"""

from __future__ import annotations

from resolver.linter.rules.images import NOT_DIGEST_PINNED
from resolver.linter.rules.repository import (
    DOCKER_HUB_HOST,
    HAS_TAG_OR_DIGEST,
    INSECURE_HTTP,
    INVALID_OCI_REFERENCE,
    REPEATS_CHART_NAME,
)

_RELOCK = (
    " Only that scalar's bytes change (its quoting kept); when the chart has a Chart.lock, "
    "`chartlock fix` then re-locks the chart, since the lock records the repository verbatim "
    "(`--check` and `--diff` write neither file)."
)

FIXABLE: dict[str, str] = {
    NOT_DIGEST_PINNED.id: (
        "`chartlock fix` (or `chartlock lint --fix`) looks the tag up with one manifest `HEAD` "
        "per distinct image (a multi-arch tag gives its image index digest, never one "
        "platform's) and pins it in place, changing only that value's bytes:\n\n"
        "* a reference string (`image: nginx:1.27.3`, a list item, `repository: nginx:1.27.3`) "
        "becomes `nginx:1.27.3@sha256:<digest>`;\n"
        '* a mapping\'s tag (`tag: 1.27.3`, `version:`, `imageTag:`) with an empty `digest: ""` '
        "(`imageDigest:`) that the chart's templates read: the digest goes into that key "
        "(`digest: sha256:<digest>`);\n"
        "* any other tag becomes `tag: 1.27.3@sha256:<digest>`, which `repo:{{ tag }}` templates "
        "render as `repo:1.27.3@sha256:<digest>` and Renovate reads as `currentDigest`.\n\n"
        "Not pinned silently (reported as not fixed): an empty tag that falls back to the "
        "chart's appVersion, and a tag the registry does not have. `--diff` shows the change, "
        "`--check` fails when there is one; `--mirror docker.io=http://mirror:5000` (or "
        "`mirrors:` in the configuration) sends the lookups to a mirror."
    ),
    # issue 13, scope 2: the mechanical Chart.yaml repository fixes (resolver.autofix.chartrepo)
    INSECURE_HTTP.id: "`chartlock fix` writes `https://` for `http://` only when the https URL "
    "(same host, port and path) serves the same index.yaml: both are fetched and their charts, "
    "versions, URLs and digests compared (`--repository-config` supplies a CA file); otherwise "
    "the repository is left and reported as not fixed." + _RELOCK,
    REPEATS_CHART_NAME.id: "`chartlock fix` drops the trailing `/<chart name>` from the "
    "`oci://` repository." + _RELOCK,
    HAS_TAG_OR_DIGEST.id: "`chartlock fix` drops the tag or digest from the `oci://` repository "
    "(and a chart name it leaves at the end, as CL107)." + _RELOCK,
    INVALID_OCI_REFERENCE.id: "`chartlock fix` drops trailing slashes from an `oci://` "
    "repository (other CL109 problems, such as upper case, are left to you)." + _RELOCK,
    DOCKER_HUB_HOST.id: "`chartlock fix` writes `registry-1.docker.io` for `docker.io` and "
    "`index.docker.io` in an `oci://` repository." + _RELOCK,
}

FIX_EXAMPLES: dict[str, tuple[str, str]] = {
    NOT_DIGEST_PINNED.id: (
        "image:\n  repository: nginx\n  tag: 1.27.3  # web\nsidecar: ghcr.io/org/agent:2.0",
        "image:\n  repository: nginx\n  tag: 1.27.3@sha256:<digest>  # web\n"
        "sidecar: ghcr.io/org/agent:2.0@sha256:<digest>",
    ),
}


FIX_EXAMPLES.update(
    {
        DOCKER_HUB_HOST.id: (
            "dependencies:\n  - name: redis\n    version: ~17.3\n"
            "    repository: oci://docker.io/bitnamicharts  # hub",
            "dependencies:\n  - name: redis\n    version: ~17.3\n"
            "    repository: oci://registry-1.docker.io/bitnamicharts  # hub",
        ),
        REPEATS_CHART_NAME.id: (
            "dependencies:\n  - name: app\n    version: 1.2.0\n"
            "    repository: oci://ghcr.io/org/charts/app/",
            "dependencies:\n  - name: app\n    version: 1.2.0\n"
            "    repository: oci://ghcr.io/org/charts",
        ),
    }
)


def is_fixable(rule_id: str) -> bool:
    return rule_id in FIXABLE
