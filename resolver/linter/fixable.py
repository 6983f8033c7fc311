"""Which rules ``chartlock fix`` (and ``lint --fix``) can fix, and how (issue 13).

Kept apart from the rule declarations so that the rule modules stay as they are; ``chartlock
rules``, docs/rules.md and SARIF's ``fixes`` read it.
"""

from __future__ import annotations

FIXABLE: dict[str, str] = {
    "CL303": (
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
}

FIX_EXAMPLES: dict[str, tuple[str, str]] = {
    "CL303": (
        "image:\n  repository: nginx\n  tag: 1.27.3  # web\nsidecar: ghcr.io/org/agent:2.0",
        "image:\n  repository: nginx\n  tag: 1.27.3@sha256:<digest>  # web\n"
        "sidecar: ghcr.io/org/agent:2.0@sha256:<digest>",
    ),
}


def is_fixable(rule_id: str) -> bool:
    return rule_id in FIXABLE
