"""Online rules (CL501-CL504): what only the registry can tell. Run by `chartlock verify` and
`chartlock lint --online`."""

from __future__ import annotations

from resolver.findings import Severity
from resolver.rules.base import Rule, register

TAG_MOVED = register(
    Rule(
        id="CL501",
        name="tag-moved",
        severity=Severity.ERROR,
        family="online",
        summary="A locked tag now points at a different manifest than the lock records.",
        rationale="Someone re-pushed the tag: the chart you would deploy is not the one you "
        "locked and reviewed.",
        fix="investigate the re-push; then `chartlock lock --upgrade-package NAME <chart>` to "
        "accept the new content (plain `chartlock lock` refuses it)",
        bad="digest: sha256:aaa... in Chart.lock, registry now serves sha256:bbb...",
        good="the registry serves the locked digest",
        online=True,
    )
)
NOT_A_CHART = register(
    Rule(
        id="CL502",
        name="not-a-helm-chart",
        severity=Severity.ERROR,
        family="online",
        summary="A locked reference is not a Helm chart (wrong config media type).",
        rationale="A container image or other artifact was pushed where a chart was expected.",
        fix="point the dependency at the chart repository, or push the chart",
        bad="config media type application/vnd.oci.image.config.v1+json",
        good="config media type application/vnd.cncf.helm.config.v1+json",
        online=True,
    )
)
VERSION_GONE = register(
    Rule(
        id="CL503",
        name="locked-version-gone",
        severity=Severity.ERROR,
        family="online",
        summary="A locked version no longer exists in the registry.",
        rationale="`helm dependency build` will fail: the tag was deleted.",
        fix="run `chartlock lock --upgrade-package NAME <chart>` to pick an existing version",
        bad="version: 1.2.3 locked, tag 1.2.3 deleted",
        good="a locked version that exists",
        online=True,
    )
)
NEWER_IN_RANGE = register(
    Rule(
        id="CL504",
        name="newer-version-in-range",
        severity=Severity.INFO,
        family="online",
        summary="A newer version allowed by the range exists.",
        rationale="The lock is older than what `chartlock lock --upgrade` would pick today.",
        fix="run `chartlock lock --upgrade-package NAME <chart>` (or `--upgrade` for all)",
        bad="~1.2.0 locked at 1.2.3 while 1.2.5 exists",
        good="the lock holds the newest allowed version",
        online=True,
    )
)
