"""CL307: an image ``digest:`` key that no template of the chart reads (issue 13).

flipt #284: a chart shipped ``image.digest`` in its values.yaml that its templates never used,
so setting it "pinned" nothing: the pod still pulled by tag. This rule reports a non-empty
``digest:`` (``imageDigest:`` beside ``image:``) in a chart's values file when no file under the
chart's ``templates/`` (or an unpacked subchart's ``charts/*/templates/``) accesses a field of
that name (``.digest``). Templates are Go templates, so "reads" is a text search for the field
access; a chart whose subcharts are not unpacked (``charts/*.tgz``, or dependencies not yet
downloaded) is not judged, since their templates may read it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from resolver.chart.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode
from resolver.errors import InputError
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

DIGEST_KEY_UNUSED = register(
    Rule(
        id="CL307",
        name="image-digest-key-unused",
        severity=Severity.WARNING,
        family="image",
        summary="An image `digest:` is set in the values but no template of the chart reads it.",
        rationale="The digest is silently ignored: the image is still pulled by its mutable tag "
        "(flipt #284). Pinning tools that write the `digest:` key believe the image pinned.",
        fix="render the digest in the template (`{{ if .digest }}@{{ .digest }}{{ end }}`), or "
        "pin the tag itself (`tag: 1.27.3@sha256:<digest>`; `chartlock fix` does this)",
        bad='image:\n  repository: nginx\n  tag: 1.27.3\n  digest: "sha256:<digest>"  '
        "# templates use only repository:tag",
        good="image:\n  repository: nginx\n  tag: 1.27.3@sha256:<digest>",
    )
)

_REPOSITORY_KEYS = frozenset(("repository", "repo", "image", "name"))
_DIGEST_KEYS = {"digest": "digest", "imageDigest": "imageDigest"}


def template_files(chart_dir: Path) -> list[Path]:
    """Every file under ``templates/`` and under each unpacked subchart's ``templates/``."""
    roots = [chart_dir / "templates"]
    charts = chart_dir / "charts"
    if charts.is_dir():
        roots.extend(child / "templates" for child in sorted(charts.iterdir()) if child.is_dir())
    files: list[Path] = []
    for root in roots:
        for folder, _, names in os.walk(root):
            files.extend(Path(folder) / name for name in sorted(names))
    return files


def template_text(chart_dir: Path) -> str:
    parts: list[str] = []
    for path in template_files(chart_dir):
        try:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "\n".join(parts)


def reads_field(text: str, key: str) -> bool:
    """Whether template ``text`` accesses a field named ``key`` (``.digest``)."""
    return re.search(r"\." + re.escape(key) + r"\b", text) is not None


def _judgeable(chart_dir: Path) -> bool:
    """Subcharts that are archives or not downloaded may read the key: not judged."""
    charts = chart_dir / "charts"
    if charts.is_dir() and any(p.suffix == ".tgz" for p in charts.iterdir()):
        return False
    try:
        chart_text = (chart_dir / "Chart.yaml").read_text("utf-8", "replace")
    except OSError:
        return False
    if re.search(r"^dependencies:\s*\S", chart_text, re.MULTILINE):
        return charts.is_dir() and not any(p.suffix == ".tgz" for p in charts.iterdir())
    return (chart_dir / "templates").is_dir()


def _digest_nodes(root: Node) -> list[tuple[str, ScalarNode]]:
    out: list[tuple[str, ScalarNode]] = []
    stack: list[Node] = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            keys = {str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)}
            for key_node, value in node.value:
                key = str(key_node.value) if isinstance(key_node, ScalarNode) else ""
                is_digest = key in _DIGEST_KEYS and (
                    (key == "imageDigest" and "image" in keys) or bool(keys & _REPOSITORY_KEYS)
                )
                if (
                    is_digest
                    and isinstance(value, ScalarNode)
                    and str(value.value).strip()
                    and value.tag == "tag:yaml.org,2002:str"
                    and "{{" not in str(value.value)
                ):
                    out.append((key, value))
                else:
                    stack.append(value)
    return out


@checker(FileKind.VALUES, emits=(DIGEST_KEY_UNUSED,))
def check_digest_keys(target: LintTarget, options: CheckOptions) -> list[Problem]:
    if "igest" not in target.text or target.chart_dir is None:
        return []
    try:
        root = target.yaml_node()
    except InputError:
        return []
    if root is None:
        return []
    found = _digest_nodes(root)
    if not found or not _judgeable(target.chart_dir):
        return []
    text = template_text(target.chart_dir)
    out: list[Problem] = []
    for key, node in found:
        if reads_field(text, key):
            continue
        out.append(
            Problem(
                DIGEST_KEY_UNUSED,
                f"`{key}: {str(node.value).strip()}` is set but no template reads `.{key}`: "
                "the image is pulled by its tag, not this digest",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                key=f"{key}\0{node.value}",
                fix="render it in the template, or pin the tag (`tag: <tag>@sha256:...`)",
            )
        )
    return out
