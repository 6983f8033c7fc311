"""Container image rules (CL301-CL306) for values files and templates.

What counts as an image in a values file
----------------------------------------
* a string under a key named ``image`` or ending in ``image``/``Image`` (``initImage``,
  ``kubectlImage``), or an item of a list under such a key: ``image: nginx:1.25``;
* a mapping under such a key that names a repository (``repository``, ``repo`` or ``name``):
  ``image: {registry: docker.io, repository: bitnami/nginx, tag: 1.25.3, digest: ""}``;
* a mapping or an image-looking string (it contains ``/``, ``:`` or ``@``) under a key ending in
  ``images`` (``images: {app: {repository: x, tag: y}}``);
* any other mapping with a ``repository`` that looks like an image (no URL scheme, not a git
  repository) *and* a ``tag``, ``version``, ``digest``, ``sha`` or ``pullPolicy`` key (so a chart
  repository URL or ``git: {repository: ...}`` is never taken for an image).

The tag is ``tag`` (or ``version``, as sigstore's charts write it); the digest is ``digest`` or
``sha`` (``sha256:<hex>`` or bare hex, as prometheus-community writes it), or ``@sha256:...`` in the
repository or tag. Values containing ``{{`` are templated and skipped. A tag key that is present but
empty (``tag: ""``, ``tag: ~``) is Helm's convention for "the chart's appVersion": mutable, but not
missing, so it is reported as CL303. A mapping without any tag key is reported as CL302 even if the
template happens to default it to appVersion: write ``tag: ""`` to say so. A mapping with only
``registry``/``repository`` is reported in a chart's own values.yaml (the defaults), except under
a subchart's key, and never in other values files (overrides; see CL302's rationale).

A reference pinned by digest is never reported as mutable (``nginx:latest@sha256:...`` is fine).
In templates only literal ``image: something`` lines without ``{{`` are checked.

With ``allowed_registries`` configured, every image whose registry host is known (an explicit
``registry:``, the first path component when it contains ``.`` or ``:`` or is ``localhost``,
otherwise ``docker.io``) is also checked against the allow-list (CL601, registered by the policy
module).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeGuard

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
from resolver.linter.rules.imageref import (
    ReferenceError,
    digest_problem,
    has_oci_scheme,
    host_problem,
    is_templated,
    normalize_digest_value,
    parse,
    path_problem,
    tag_problem,
)
from resolver.linter.rules.policy import registry_allowed

TAG_LATEST = register(
    Rule(
        id="CL301",
        name="image-tag-latest",
        severity=Severity.ERROR,
        family="image",
        summary="A container image uses the `latest` tag.",
        rationale="`latest` moves with every push: two installs of the same chart version run "
        "different code, and a rollback does not roll the image back.",
        fix="pin a released tag and its digest, e.g. `nginx:1.27.3@sha256:<digest>`",
        bad="image: nginx:latest",
        good="image: nginx:1.27.3@sha256:<digest>",
    )
)
TAG_MISSING = register(
    Rule(
        id="CL302",
        name="image-tag-missing",
        severity=Severity.ERROR,
        family="image",
        summary="A container image has neither a tag nor a digest.",
        rationale='Without a tag the runtime pulls `latest`, which changes under you. A `tag: ""` '
        "(Helm's appVersion convention) is not missing; it is reported as CL303. Chart or "
        "subchart decides for a mapping with only `repository:` (and `registry:`): a chart's "
        "own values.yaml holds the defaults its templates render, so `image: {repository: "
        "nginx}` there leaves the tag to the template, often to nothing, and is reported. Under "
        "a subchart's key (a dependency's name or alias, a vendored `charts/<name>`, or "
        "`global`), and in any other values file (`values-prod.yaml`, `ci/*.yaml`), the same "
        "mapping overrides an image whose tag the subchart's (or the chart's) own values.yaml "
        "sets, since Helm merges the two: it is not reported there.",
        fix="add a tag and a digest (`tag: 1.27.3` and `digest: sha256:<digest>`), or "
        '`tag: ""` if the chart defaults it to appVersion',
        bad="image: nginx\n\nimage:\n  repository: nginx",
        good="image:\n  repository: nginx\n  tag: 1.27.3\n  digest: sha256:<digest>",
    )
)
NOT_DIGEST_PINNED = register(
    Rule(
        id="CL303",
        name="image-not-pinned-by-digest",
        severity=Severity.WARNING,
        family="image",
        summary="A container image is referenced by tag only, without a `@sha256:` digest.",
        rationale="Tags are mutable: the registry can serve different content under the same "
        "tag. A digest names exactly one image. An empty tag falls back to the chart's "
        "appVersion, which is a tag too.",
        fix="add the digest: `image: repo:tag@sha256:<digest>` or a `digest:` key "
        "(`crane digest repo:tag` prints it)",
        bad="image: nginx:1.27.3",
        good="image: nginx:1.27.3@sha256:<digest>",
    )
)
REFERENCE_INVALID = register(
    Rule(
        id="CL304",
        name="image-reference-invalid",
        severity=Severity.ERROR,
        family="image",
        summary="A container image reference does not follow the distribution reference grammar.",
        rationale="The kubelet rejects the pod (`InvalidImageName`): repositories are lower-case, "
        "tags are at most 128 characters of `[A-Za-z0-9_.-]`, and there are no spaces or "
        "URL schemes.",
        fix="write `[registry/]repository[:tag][@sha256:<digest>]` with a lower-case repository",
        bad="image: MyOrg/App:1.0",
        good="image: myorg/app:1.0",
    )
)
OCI_SCHEME = register(
    Rule(
        id="CL305",
        name="image-uses-oci-scheme",
        severity=Severity.ERROR,
        family="image",
        summary="A container image reference starts with `oci://`.",
        rationale="`oci://` is Helm's scheme for charts; container runtimes take plain "
        "references and fail to pull `oci://...`.",
        fix="drop the `oci://` prefix: `ghcr.io/org/app:1.0`",
        bad="image: oci://ghcr.io/org/app:1.0",
        good="image: ghcr.io/org/app:1.0",
    )
)
DIGEST_MALFORMED = register(
    Rule(
        id="CL306",
        name="image-digest-malformed",
        severity=Severity.ERROR,
        family="image",
        summary="An image digest is not `sha256:` followed by 64 lower-case hex digits.",
        rationale="A truncated or upper-case digest is not a valid reference; the pull fails.",
        fix="copy the full digest (`crane digest repo:tag`)",
        bad="image: nginx@sha256:abc123",
        good="image: nginx@sha256:<64 lower-case hex digits>",
    )
)

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_REPOSITORY_KEYS = ("repository", "repo")
_IMAGE_MAP_REPOSITORY_KEYS = ("repository", "repo", "image", "name")
_TAG_KEYS = ("tag", "version")
_DIGEST_KEYS = ("digest", "sha")
_SHAPE_KEYS = frozenset(("tag", "version", "digest", "sha", "pullPolicy"))
_TEMPLATE_IMAGE_RE = re.compile(r"^(\s*(?:-\s+)?)(image:[ \t]*)(\S.*?)\s*$")


@dataclass(frozen=True)
class _Part:
    """A scalar value and where it starts (1-based)."""

    text: str
    line: int
    column: int


def _part(node: Node) -> _Part:
    value = node.value if isinstance(node, ScalarNode) else ""
    return _Part(str(value), node.start_mark.line + 1, node.start_mark.column + 1)


def _is_str(node: Node | None) -> TypeGuard[ScalarNode]:
    return isinstance(node, ScalarNode) and node.tag == STR_TAG


def _is_image_key(key: str) -> bool:
    return key.lower().endswith("image")


def _is_images_key(key: str) -> bool:
    return key.lower().endswith("images")


def _problem(rule: str, message: str, part: _Part, key: str, fix: str = "") -> Problem:
    return Problem(rule, message, line=part.line, column=part.column, key=key, fix=fix)


def _policy(
    host: str, path: str, display: str, part: _Part, options: CheckOptions
) -> Iterator[Problem]:
    if options.allowed_registries and not registry_allowed(host, options.allowed_registries, path):
        yield _problem(
            "CL601",
            f"registry `{host}` is not allowed (`{display}`)",
            part,
            f"{host}\0{display}",
        )


def check_reference(part: _Part, options: CheckOptions) -> Iterator[Problem]:
    """Rules for one image written as a single string (``image: repo:tag``)."""
    text = part.text
    if not text.strip() or is_templated(text):
        return
    if text != text.strip():
        yield _problem(
            "CL304",
            f"`{text}` is not a valid image reference: leading or trailing whitespace",
            part,
            text,
        )
        return
    if has_oci_scheme(text):
        yield _problem("CL305", f"`{text}` uses the oci:// scheme (it is for charts)", part, text)
        return
    try:
        ref = parse(text)
    except ReferenceError as exc:
        if exc.part == "digest":
            yield _problem("CL306", f"`{text}` has a malformed digest: {exc.reason}", part, text)
        else:
            yield _problem(
                "CL304", f"`{text}` is not a valid image reference: {exc.reason}", part, text
            )
        return
    if ref.digest is None:
        if ref.tag is None:
            yield _problem(
                "CL302", f"`{text}` has no tag and no digest (pulls `latest`)", part, text
            )
        elif ref.tag == "latest":
            yield _problem("CL301", f"`{text}` uses the mutable tag `latest`", part, text)
        else:
            yield _problem(
                "CL303",
                f"`{text}` is not pinned by digest",
                part,
                text,
                fix=f"pin the digest: `{text}@sha256:<digest>` (`crane digest {text}`)",
            )
    yield from _policy(ref.host, ref.path, text, part, options)


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


@dataclass(frozen=True)
class ImageParts:
    """The nodes an image is assembled from (mapping form or sibling keys)."""

    repository: Node
    registry: Node | None = None
    tag: Node | None = None
    digest: Node | None = None
    partial: bool = False  # only registry/repository: an override of a subchart's image


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


def _scalar_state(node: Node | None) -> tuple[_Part | None, str]:
    """``(part, state)``; state is absent, empty (``""``/null), templated or value."""
    if node is None or not isinstance(node, ScalarNode):
        return None, "absent"
    part = _part(node)
    if node.tag == NULL_TAG or not part.text.strip():
        return part, "empty"
    if is_templated(part.text):
        return part, "templated"
    return part, "value"


def check_image_map(
    node: MappingNode, repo_node: Node, options: CheckOptions, *, overrides: bool = True
) -> Iterator[Problem]:
    """Rules for an image written as a mapping (registry/repository/tag/digest).

    ``overrides``: a mapping with only registry/repository may be an override of an image
    whose tag is set elsewhere (False in a chart's own defaults: see CL302).
    """
    parts = _parts_of_map(node, repo_node)
    if parts.partial and not overrides:
        parts = ImageParts(parts.repository, parts.registry, parts.tag, parts.digest)
    return check_image_parts(parts, options)


def check_image_parts(parts: ImageParts, options: CheckOptions) -> Iterator[Problem]:
    """Rules for an image assembled from a repository and optional registry, tag and digest."""
    repo = _part(parts.repository)
    repo_text = repo.text.strip()
    if is_templated(repo_text):
        return
    registry, registry_state = _scalar_state(parts.registry)
    if registry_state == "empty":
        registry = None
    registry_text = registry.text.strip().rstrip("/") if registry is not None else ""
    templated = registry_state == "templated"
    tag, tag_state = _scalar_state(parts.tag)
    digest, digest_state = _scalar_state(parts.digest)
    digest_text = ""
    if digest_state == "empty":
        digest = None
    elif digest is not None:
        digest_text = normalize_digest_value(digest.text)
    if tag_state == "value" and tag is not None and tag.text.strip().startswith("sha256:"):
        # sigstore's charts write the digest as the tag (``version: sha256:...``)
        digest, digest_text, tag_state = tag, tag.text.strip(), "absent"
        tag = None

    name = f"{registry_text}/{repo_text}" if registry_text else repo_text
    display = name
    if tag_state in ("value", "templated") and tag is not None:
        display += f":{tag.text.strip()}"
    if digest_text:
        display += f"@{digest_text}"

    for part in (registry, repo):
        if part is not None and has_oci_scheme(part.text):
            yield _problem(
                "CL305",
                f"`{part.text.strip()}` uses the oci:// scheme (it is for charts)",
                part,
                display,
            )
            return
    if registry is not None and not templated:
        host_text, _, prefix = registry_text.partition("/")
        problem = host_problem(host_text) or (path_problem(prefix) if prefix else None)
        if problem is not None:
            yield _problem(
                "CL304", f"`{registry_text}` is not a valid registry: {problem}", registry, display
            )
            return
    try:
        ref = parse(repo_text)
    except ReferenceError as exc:
        rule = "CL306" if exc.part == "digest" else "CL304"
        what = "has a malformed digest" if rule == "CL306" else "is not a valid image repository"
        yield _problem(rule, f"`{repo_text}` {what}: {exc.reason}", repo, display)
        return
    tag_text = tag.text.strip() if tag is not None else ""
    tag_digest = ""
    if tag_state == "value" and tag is not None:
        tag_text, _, tag_digest = tag_text.partition("@")
        if tag_digest:
            problem = digest_problem(tag_digest)
            if problem is not None:
                yield _problem(
                    "CL306", f"`{tag.text.strip()}` has a malformed digest: {problem}", tag, display
                )
                return
        problem = tag_problem(tag_text)
        if problem is not None:
            yield _problem(
                "CL304", f"`{tag.text.strip()}` is not a valid image tag: {problem}", tag, display
            )
            return
    if digest is not None and not is_templated(digest.text):
        problem = digest_problem(digest_text)
        if problem is not None:
            yield _problem(
                "CL306",
                f"`{digest.text.strip()}` is not a valid digest: {problem}",
                digest,
                display,
            )
            return

    pinned = bool(ref.digest or tag_digest or digest is not None)
    if not pinned and tag_state != "templated":
        if ref.tag is not None and tag_state in ("absent", "empty"):
            # ``repository: nginx:1.2`` with no tag of its own: the tag is in the repository
            tag_text, tag_state, tag = ref.tag, "value", repo
        if tag_state == "absent" and parts.partial:
            pass  # ``image: {repository: x}`` overrides a subchart's repository, not its tag
        elif tag_state == "absent":
            yield _problem(
                "CL302",
                f"`{name}` has no tag and no digest (no `tag` key; pulls `latest` unless the "
                "template defaults it)",
                repo,
                display,
            )
        elif tag_state == "empty" and tag is not None:
            yield _problem(
                "CL303",
                f"`{name}` has an empty tag: it falls back to the chart's appVersion, a mutable "
                "tag, and is not pinned by digest",
                tag,
                display,
                fix="set `tag:` and `digest: sha256:<digest>` (or pin the digest in the template)",
            )
        elif tag_text == "latest" and tag is not None:
            yield _problem("CL301", f"`{display}` uses the mutable tag `latest`", tag, display)
        elif tag is not None:
            yield _problem(
                "CL303",
                f"`{display}` is not pinned by digest",
                tag,
                display,
                fix=f"add `digest: sha256:<digest>` (`crane digest {display}`)",
            )
    if not templated:
        if registry_text:
            host, _, prefix = registry_text.partition("/")
            path = f"{prefix}/{repo_text}" if prefix else repo_text
        else:
            host, path = ref.host, ref.path
        yield from _policy(host, path, display, registry or repo, options)


def _image_candidate(
    node: Node, options: CheckOptions, *, image_key: bool, overrides: bool = True
) -> Iterator[Problem]:
    """A value found under an image-named key (or inside an ``images`` collection)."""
    if _is_str(node):
        yield from check_reference(_part(node), options)
    elif isinstance(node, MappingNode):
        repo = _repository_node(node, image_key=image_key)
        if repo is not None:
            yield from check_image_map(node, repo, options, overrides=overrides)
        else:
            yield from _walk(node, options, overrides=overrides)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _image_candidate(item, options, image_key=image_key, overrides=overrides)


def _walk(root: Node, options: CheckOptions, *, overrides: bool = True) -> Iterator[Problem]:
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
        if _structural_image(node):
            repo = _repository_node(node, image_key=False)
            assert repo is not None
            yield from check_image_map(node, repo, options, overrides=overrides)
            continue
        pending: list[Node] = []
        for key_node, value in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else ""
            if _is_image_key(key) and _is_str(value):
                parts = _sibling_parts(node, key, value)
                if parts is not None:
                    yield from check_image_parts(parts, options)
                else:
                    yield from check_reference(_part(value), options)
            elif _is_image_key(key):
                yield from _image_candidate(value, options, image_key=True, overrides=overrides)
            elif _is_images_key(key) and isinstance(value, MappingNode):
                for _, child in value.value:
                    if _is_str(child):
                        text = str(child.value)
                        if any(ch in text for ch in "/:@"):
                            yield from check_reference(_part(child), options)
                    else:
                        yield from _image_candidate(
                            child, options, image_key=True, overrides=overrides
                        )
            elif _is_images_key(key) and isinstance(value, SequenceNode):
                yield from _image_candidate(value, options, image_key=True, overrides=overrides)
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


def _sorted(problems: Iterator[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column, p.rule))


@checker(FileKind.VALUES)
def check_values(target: LintTarget, options: CheckOptions) -> list[Problem]:
    """Image rules for one values file (a file that is not YAML yields nothing here)."""
    if "mage" not in target.text and "epository" not in target.text:
        return []
    try:
        root = target.yaml_node()
    except InputError:
        return []  # unparsable values are reported by the engine, not once per rule family
    if root is None:
        return []
    subcharts = _subchart_keys(target)
    if subcharts is None or not isinstance(root, MappingNode):
        return _sorted(_walk(root, options))
    # A chart's own values.yaml: its images are defaults, except under a subchart's key.
    out: list[Problem] = []
    for key_node, value in root.value:
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else ""
        piece = MappingNode([(key_node, value)], root.start_mark, root.tag)
        out.extend(_walk(piece, options, overrides=key in subcharts))
    return _sorted(iter(out))


def _subchart_keys(target: LintTarget) -> frozenset[str] | None:
    """For a chart's own ``values.yaml``: the top-level keys that configure other charts
    (dependency names and aliases, vendored ``charts/<name>``, ``global``). ``None`` for any
    other values file (``values-prod.yaml``, ``ci/*.yaml``): those override the defaults, so a
    repository-only image there is an override too."""
    chart_dir = target.chart_dir
    if chart_dir is None or target.path.name != "values.yaml" or target.path.parent != chart_dir:
        return None
    from resolver.chart.loader import load_chart, load_requirements
    from resolver.errors import ChartlockError

    keys = {"global"}
    try:
        chart = load_chart(chart_dir / "Chart.yaml")
        deps = chart.dependencies or []
        if (chart_dir / "requirements.yaml").is_file():
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


def _template_value(line: str) -> tuple[str, int] | None:
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


@checker(FileKind.TEMPLATE)
def check_template(target: LintTarget, options: CheckOptions) -> list[Problem]:
    """Image rules for literal ``image: repo:tag`` lines of a template (no ``{{``)."""
    if "image:" not in target.text:
        return []
    out: list[Problem] = []
    for number, line in enumerate(target.text.splitlines(), start=1):
        if "image:" not in line or "{{" in line or line.lstrip().startswith("#"):
            continue
        found = _template_value(line)
        if found is None:
            continue
        value, column = found
        out.extend(check_reference(_Part(value, number, column + 1), options))
    return out
