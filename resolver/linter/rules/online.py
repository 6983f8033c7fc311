"""Online rules (CL501-CL504): what only the registry can tell. Run by `chartlock verify` and
`chartlock lint --online`."""

from __future__ import annotations

from resolver.linter.findings import Severity
from resolver.linter.rules.base import Rule, register

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

# Provenance (``chartlock verify --provenance``, ``require-provenance:``): helm's ``.prov``
# files, checked as ``helm verify`` checks them (resolver/chart/provenance.py).
PROVENANCE_MISSING = register(
    Rule(
        id="CL505",
        name="provenance-missing",
        severity=Severity.ERROR,
        family="online",
        summary="A locked chart that must be signed has no provenance file.",
        rationale="Without a `.prov` nothing says who published the chart; `helm pull --verify` "
        "refuses it, while `helm dependency build --verify` only warns and installs it.",
        fix="ask the publisher to `helm package --sign` and push the `.prov` with the chart, or "
        "drop the dependency from `require-provenance:`",
        bad="an OCI manifest with no application/vnd.cncf.helm.chart.provenance.v1.prov layer",
        good="a chart pushed with its provenance layer (or served with its .tgz.prov)",
        online=True,
    )
)
PROVENANCE_BAD_SIGNATURE = register(
    Rule(
        id="CL506",
        name="provenance-bad-signature",
        severity=Severity.ERROR,
        family="online",
        summary="A locked chart's provenance signature does not verify.",
        rationale="The signed body or the signature was altered after signing: the provenance "
        "vouches for nothing.",
        fix="do not use this chart; ask the publisher to re-sign and re-push it",
        bad="a .prov whose Chart.yaml or files list was edited after `helm package --sign`",
        good="a .prov exactly as `helm package --sign` wrote it",
        online=True,
    )
)
PROVENANCE_UNKNOWN_SIGNER = register(
    Rule(
        id="CL507",
        name="provenance-unknown-signer",
        severity=Severity.ERROR,
        family="online",
        summary="A locked chart is signed by a key that is not in the keyring.",
        rationale="A valid signature by a key you do not trust proves nothing about who "
        "published the chart.",
        fix="if you trust the signer, add their public key to the keyring (`--keyring`, "
        "`keyring:`); otherwise do not use the chart",
        bad="signed by key 0123ABCD..., which is not in the keyring",
        good="signed by a key in the keyring",
        online=True,
    )
)
PROVENANCE_HASH_MISMATCH = register(
    Rule(
        id="CL508",
        name="provenance-hash-mismatch",
        severity=Severity.ERROR,
        family="online",
        summary="A locked chart's archive is not the one its provenance signs.",
        rationale="The archive was replaced (for example re-pushed under the same tag beside "
        "the old `.prov`): the signature is genuine but for other content.",
        fix="do not use this chart; ask the publisher to re-sign the archive",
        bad="files: {web-1.0.0.tgz: sha256:aaa...} while the chart layer is sha256:bbb...",
        good="the signed sha256 equals the chart layer digest (or the archive's sha256)",
        online=True,
    )
)
PROVENANCE_SIGNER_CHANGED = register(
    Rule(
        id="CL509",
        name="provenance-signer-changed",
        severity=Severity.ERROR,
        family="online",
        summary="A locked chart is now signed by another key than the one Chart.lock records.",
        rationale="Both keys may be in the keyring, but a change of signer for the same "
        "dependency deserves a review.",
        fix="investigate; to accept the new key, delete the entry's `signer:` line from "
        "Chart.lock and run `chartlock lock --verify`",
        bad="signer: AAAA... in Chart.lock, chart signed by BBBB...",
        good="the recorded signer signed the chart",
        online=True,
    )
)
