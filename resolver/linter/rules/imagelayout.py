"""Where the images are in a values file or a template: the layouts charts write them in.

The recognition rules are documented in :mod:`resolver.linter.rules.images` (what counts as an
image); this module finds them, the rules there judge them. An image is a :class:`Part` (one
string: ``image: repo:tag``) or an :class:`ImageParts` (a repository with optional registry,
tag and digest nodes: a mapping or sibling keys).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import TypeGuard

from resolver.chart.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode
from resolver.linter.rules.base import LintTarget
from resolver.linter.rules.imageref import is_templated
from resolver.util.records import Record

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_REPOSITORY_KEYS = ("repository", "repo")
_IMAGE_MAP_REPOSITORY_KEYS = ("repository", "repo", "image", "name")
_TAG_KEYS = ("tag", "version")
_DIGEST_KEYS = ("digest", "sha")
_SHAPE_KEYS = frozenset(("tag", "version", "digest", "sha", "pullPolicy"))
_TEMPLATE_IMAGE_RE = re.compile(r"^(\s*(?:-\s+)?)(image:[ \t]*)(\S.*?)\s*$")


class Part(Record):
    """A scalar value and where it starts (1-based)."""

    text: str
    line: int
    column: int


def part_of(node: Node) -> Part:
    value = node.value if isinstance(node, ScalarNode) else ""
    return Part(str(value), node.start_mark.line + 1, node.start_mark.column + 1)


def _is_str(node: Node | None) -> TypeGuard[ScalarNode]:
    return isinstance(node, ScalarNode) and node.tag == STR_TAG


def _get(node: MappingNode, keys: tuple[str, ...]) -> tuple[str, Node] | None:
    for key_node, value in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value in keys:
            return str(key_node.value), value
    return None


def _keys(node: MappingNode) -> set[str]:
    return {str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)}


def _repository_node(node: MappingNode, *, image_key: bool) -> ScalarNode | None:
    """The repository of an image mapping, or ``None`` when ``node`` is not one."""
    for key in _IMAGE_MAP_REPOSITORY_KEYS if image_key else _REPOSITORY_KEYS:
        found = _get(node, (key,))
        if found is not None and _is_str(found[1]) and str(found[1].value).strip():
            return found[1]
    return None


def _looks_like_image_repository(text: str) -> bool:
    text = text.strip()
    return not (
        "://" in text
        or text.endswith(".git")
        or text.startswith("git@")
        or text.startswith("@")
        or text.startswith("alias:")
        or text.startswith("file:")
    )


class ImageParts(Record):
    """The nodes an image is assembled from (mapping form or sibling keys)."""

    repository: Node
    registry: Node | None = None
    tag: Node | None = None
    digest: Node | None = None
    partial: bool = False  # only registry/repository: an override of a subchart's image


# What the walk finds: one string, or the parts of an image.
Image = Part | ImageParts

_PARTIAL_KEYS = frozenset(("registry", "repository", "repo", "image", "name"))


def _parts_of_map(node: MappingNode, repo_node: Node) -> ImageParts:
    registry = _get(node, ("registry",))
    tag = _get(node, _TAG_KEYS)
    if tag is not None and tag[0] == "version" and not isinstance(tag[1], ScalarNode):
        tag = None  # ``version: {...}`` is something else
    digest = _get(node, _DIGEST_KEYS)
    return ImageParts(
        repo_node,
        registry[1] if registry is not None else None,
        tag[1] if tag is not None else None,
        digest[1] if digest is not None else None,
        partial=_keys(node) <= _PARTIAL_KEYS,
    )


def scalar_state(node: Node | None) -> tuple[Part | None, str]:
    """``(part, state)``; state is absent, empty (``""``/null), templated or value."""
    if node is None or not isinstance(node, ScalarNode):
        return None, "absent"
    part = part_of(node)
    if node.tag == NULL_TAG or not part.text.strip():
        return part, "empty"
    if is_templated(part.text):
        return part, "templated"
    return part, "value"


def _image_map(node: MappingNode, repo_node: Node, *, overrides: bool = True) -> ImageParts:
    """An image written as a mapping (registry/repository/tag/digest).

    ``overrides``: a mapping with only registry/repository may be an override of an image
    whose tag is set elsewhere (False in a chart's own defaults: see CL302).
    """
    parts = _parts_of_map(node, repo_node)
    if parts.partial and not overrides:
        parts = ImageParts(parts.repository, parts.registry, parts.tag, parts.digest)
    return parts


def _image_candidate(node: Node, *, image_key: bool, overrides: bool = True) -> Iterator[Image]:
    """A value found under an image-named key (or inside an ``images`` collection)."""
    if _is_str(node):
        yield part_of(node)
    elif isinstance(node, MappingNode):
        repo = _repository_node(node, image_key=image_key)
        if repo is not None:
            yield _image_map(node, repo, overrides=overrides)
        else:
            yield from find_images(node, overrides=overrides)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _image_candidate(item, image_key=image_key, overrides=overrides)


def find_images(root: Node, *, overrides: bool = True) -> Iterator[Image]:
    """Every image in a values tree, in document order (each node once, aliases included).

    ``overrides``: see :func:`_image_map`."""
    stack: list[Node] = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # aliases: each node once
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
            continue
        if not isinstance(node, MappingNode):
            continue
        # The hot loop of the image rules (every mapping of every values file): each key's
        # text once, and the structural test only where a repository key is.
        keys = [str(k.value) if isinstance(k, ScalarNode) else "" for k, _ in node.value]
        if ("repository" in keys or "repo" in keys) and _structural_image(node):
            repo = _repository_node(node, image_key=False)
            assert repo is not None
            yield _image_map(node, repo, overrides=overrides)
            continue
        if "image" not in "\0".join(keys).lower():  # most mappings: no image key at all
            stack.extend(reversed([value for _, value in node.value]))
            continue
        pending: list[Node] = []
        for (_, value), key in zip(node.value, keys, strict=True):
            lower = key.lower()
            if lower.endswith("image"):
                if not _is_str(value):
                    yield from _image_candidate(value, image_key=True, overrides=overrides)
                    continue
                parts = _sibling_parts(node, key, value)
                if parts is not None:
                    yield parts
                else:
                    yield part_of(value)
            elif not lower.endswith("images"):
                pending.append(value)
            elif isinstance(value, MappingNode):
                for _, child in value.value:
                    if _is_str(child):
                        text = str(child.value)
                        if any(ch in text for ch in "/:@"):
                            yield part_of(child)
                    else:
                        yield from _image_candidate(child, image_key=True, overrides=overrides)
            elif isinstance(value, SequenceNode):
                yield from _image_candidate(value, image_key=True, overrides=overrides)
            else:
                pending.append(value)
        stack.extend(reversed(pending))


def _sibling_parts(node: MappingNode, key: str, value: Node) -> ImageParts | None:
    """``image: repo`` with its tag/digest in sibling keys (``imageTag``, ``tag``, ``digest``)."""
    if key == "image":
        tag_keys: tuple[str, ...] = ("imageTag", "imageVersion", "tag")
        digest_keys: tuple[str, ...] = ("imageDigest", "digest")
    else:
        tag_keys, digest_keys = (key + "Tag", key + "Version"), (key + "Digest",)
    tag = _get(node, tag_keys)
    digest = _get(node, digest_keys)
    registry = _get(node, ("registry",)) if key == "image" else None
    if tag is None and digest is None and registry is None:
        return None
    return ImageParts(
        value,
        registry[1] if registry is not None else None,
        tag[1] if tag is not None and isinstance(tag[1], ScalarNode) else None,
        digest[1] if digest is not None and isinstance(digest[1], ScalarNode) else None,
    )


def _structural_image(node: MappingNode) -> bool:
    repo = _repository_node(node, image_key=False)
    if repo is None or not _looks_like_image_repository(str(repo.value)):
        return False
    return bool(_keys(node) & _SHAPE_KEYS)


def subchart_keys(target: LintTarget) -> frozenset[str] | None:
    """For a chart's own ``values.yaml``: the top-level keys that configure other charts
    (dependency names and aliases, vendored ``charts/<name>``, ``global``). ``None`` for any
    other values file (``values-prod.yaml``, ``ci/*.yaml``): those override the defaults, so a
    repository-only image there is an override too."""
    chart_dir = target.chart_dir
    if chart_dir is None or target.path.name != "values.yaml" or target.path.parent != chart_dir:
        return None
    from resolver.chart.loader import load_chart, load_requirements
    from resolver.errors import ChartlockError
    from resolver.linter.rules.chartfile import cached_chart

    keys = {"global"}
    has_requirements = (chart_dir / "requirements.yaml").is_file()
    # The chart rules parsed the Chart.yaml already (it sorts before values.yaml): no reload.
    # With a requirements.yaml, its dependencies replace the chart's only when it lists some
    # (below), unlike the cached chart's: read both then.
    try:
        cached = None if has_requirements else cached_chart(target, chart_dir / "Chart.yaml")
        chart = cached or load_chart(chart_dir / "Chart.yaml")
        deps = chart.dependencies or []
        if has_requirements:
            deps = (
                load_requirements(chart_dir / "requirements.yaml", "requirements.yaml")[0] or deps
            )
    except ChartlockError:
        return None  # the chart's own findings say why; do not guess here
    for dep in deps:
        keys.update(name for name in (dep.name, dep.alias) if name)
    with contextlib.suppress(OSError):  # no charts/ folder
        keys.update(entry.name for entry in os.scandir(chart_dir / "charts") if entry.is_dir())
    return frozenset(keys)


def template_value(line: str) -> tuple[str, int] | None:
    """``(value, 0-based column)`` of a literal ``image:`` line, or ``None``."""
    match = _TEMPLATE_IMAGE_RE.match(line)
    if match is None:
        return None
    raw = match.group(3)
    start = match.start(3)
    if raw[0] in "\"'":
        end = raw.find(raw[0], 1)
        if end < 0:
            return None
        return raw[1:end], start
    hash_at = raw.find(" #")
    if hash_at >= 0:
        raw = raw[:hash_at].rstrip()
    if raw[0] in "|>&*!{[":
        return None
    return raw, start
