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

from collections.abc import Iterator

from resolver.chart.yamlnodes import MappingNode, ScalarNode
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
from resolver.linter.rules.imagelayout import (
    Image,
    ImageParts,
    Part,
    find_images,
    part_of,
    scalar_state,
    subchart_keys,
    template_value,
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
from resolver.linter.rules.policy import REGISTRY_NOT_ALLOWED, registry_allowed

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


def _problem(rule: Rule, message: str, part: Part, key: str, fix: str = "") -> Problem:
    return Problem(rule, message, line=part.line, column=part.column, key=key, fix=fix)


def _policy(
    host: str, path: str, display: str, part: Part, options: CheckOptions
) -> Iterator[Problem]:
    if options.allowed_registries and not registry_allowed(host, options.allowed_registries, path):
        yield _problem(
            REGISTRY_NOT_ALLOWED,
            f"registry `{host}` is not allowed (`{display}`)",
            part,
            f"{host}\0{display}",
        )


def check_reference(part: Part, options: CheckOptions) -> Iterator[Problem]:
    """Rules for one image written as a single string (``image: repo:tag``)."""
    text = part.text
    if not text.strip() or is_templated(text):
        return
    if text != text.strip():
        yield _problem(
            REFERENCE_INVALID,
            f"`{text}` is not a valid image reference: leading or trailing whitespace",
            part,
            text,
        )
        return
    if has_oci_scheme(text):
        yield _problem(
            OCI_SCHEME, f"`{text}` uses the oci:// scheme (it is for charts)", part, text
        )
        return
    try:
        ref = parse(text)
    except ReferenceError as exc:
        if exc.part == "digest":
            yield _problem(
                DIGEST_MALFORMED, f"`{text}` has a malformed digest: {exc.reason}", part, text
            )
        else:
            yield _problem(
                REFERENCE_INVALID,
                f"`{text}` is not a valid image reference: {exc.reason}",
                part,
                text,
            )
        return
    if ref.digest is None:
        if ref.tag is None:
            yield _problem(
                TAG_MISSING, f"`{text}` has no tag and no digest (pulls `latest`)", part, text
            )
        elif ref.tag == "latest":
            yield _problem(TAG_LATEST, f"`{text}` uses the mutable tag `latest`", part, text)
        else:
            yield _problem(
                NOT_DIGEST_PINNED,
                f"`{text}` is not pinned by digest",
                part,
                text,
                fix=f"pin the digest: `{text}@sha256:<digest>` (`crane digest {text}`)",
            )
    yield from _policy(ref.host, ref.path, text, part, options)


def check_image_parts(parts: ImageParts, options: CheckOptions) -> Iterator[Problem]:
    """Rules for an image assembled from a repository and optional registry, tag and digest."""
    repo = part_of(parts.repository)
    repo_text = repo.text.strip()
    if is_templated(repo_text):
        return
    registry, registry_state = scalar_state(parts.registry)
    if registry_state == "empty":
        registry = None
    registry_text = registry.text.strip().rstrip("/") if registry is not None else ""
    templated = registry_state == "templated"
    tag, tag_state = scalar_state(parts.tag)
    digest, digest_state = scalar_state(parts.digest)
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
                OCI_SCHEME,
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
                REFERENCE_INVALID,
                f"`{registry_text}` is not a valid registry: {problem}",
                registry,
                display,
            )
            return
    try:
        ref = parse(repo_text)
    except ReferenceError as exc:
        rule = DIGEST_MALFORMED if exc.part == "digest" else REFERENCE_INVALID
        what = (
            "has a malformed digest"
            if rule is DIGEST_MALFORMED
            else "is not a valid image repository"
        )
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
                    DIGEST_MALFORMED,
                    f"`{tag.text.strip()}` has a malformed digest: {problem}",
                    tag,
                    display,
                )
                return
        problem = tag_problem(tag_text)
        if problem is not None:
            yield _problem(
                REFERENCE_INVALID,
                f"`{tag.text.strip()}` is not a valid image tag: {problem}",
                tag,
                display,
            )
            return
    if digest is not None and not is_templated(digest.text):
        problem = digest_problem(digest_text)
        if problem is not None:
            yield _problem(
                DIGEST_MALFORMED,
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
                TAG_MISSING,
                f"`{name}` has no tag and no digest (no `tag` key; pulls `latest` unless the "
                "template defaults it)",
                repo,
                display,
            )
        elif tag_state == "empty" and tag is not None:
            yield _problem(
                NOT_DIGEST_PINNED,
                f"`{name}` has an empty tag: it falls back to the chart's appVersion, a mutable "
                "tag, and is not pinned by digest",
                tag,
                display,
                fix="set `tag:` and `digest: sha256:<digest>` (or pin the digest in the template)",
            )
        elif tag_text == "latest" and tag is not None:
            yield _problem(TAG_LATEST, f"`{display}` uses the mutable tag `latest`", tag, display)
        elif tag is not None:
            yield _problem(
                NOT_DIGEST_PINNED,
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


def _sorted(problems: Iterator[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column, p.rule.id))


# The rules the image checkers report (CL601 with allowed-registries).
IMAGE_RULES = (
    TAG_LATEST,
    TAG_MISSING,
    NOT_DIGEST_PINNED,
    REFERENCE_INVALID,
    OCI_SCHEME,
    DIGEST_MALFORMED,
    REGISTRY_NOT_ALLOWED,
)


@checker(FileKind.VALUES, emits=IMAGE_RULES)
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
    subcharts = subchart_keys(target)
    if subcharts is None or not isinstance(root, MappingNode):
        return _sorted(_check_images(find_images(root), options))
    # A chart's own values.yaml: its images are defaults, except under a subchart's key.
    out: list[Problem] = []
    for key_node, value in root.value:
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else ""
        piece = MappingNode([(key_node, value)], root.start_mark, root.tag)
        out.extend(_check_images(find_images(piece, overrides=key in subcharts), options))
    return _sorted(iter(out))


def _check_images(images: Iterator[Image], options: CheckOptions) -> Iterator[Problem]:
    for image in images:
        if isinstance(image, Part):
            yield from check_reference(image, options)
        else:
            yield from check_image_parts(image, options)


@checker(FileKind.TEMPLATE, emits=IMAGE_RULES)
def check_template(target: LintTarget, options: CheckOptions) -> list[Problem]:
    """Image rules for literal ``image: repo:tag`` lines of a template (no ``{{``)."""
    if "image:" not in target.text:
        return []
    out: list[Problem] = []
    for number, line in enumerate(target.text.splitlines(), start=1):
        if "image:" not in line or "{{" in line or line.lstrip().startswith("#"):
            continue
        found = template_value(line)
        if found is None:
            continue
        value, column = found
        out.extend(check_reference(Part(value, number, column + 1), options))
    return out
