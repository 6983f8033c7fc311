"""Planning image pins (pure): findings + the values file's text + digests -> edits.

For each CL303 finding (a tag without a digest) in a values file, the scalar the finding points
at is one of:

* the whole reference (``image: nginx:1.27``, a list item, ``repository: nginx:1.27`` with no
  tag key): it becomes ``nginx:1.27@sha256:<digest>``;
* the tag of a mapping or of sibling keys (``tag: 1.27``, ``version:``, ``imageTag:``): when the
  mapping also has an empty ``digest:`` key (``imageDigest:`` for the sibling layout) *and* the
  chart's templates read that key, the digest goes there (``digest: sha256:<digest>``); otherwise
  the tag becomes ``1.27@sha256:<digest>``, the form helm templates render as
  ``repo:1.27@sha256:...`` and Renovate reads as ``currentDigest``.

Never pinned silently (reported as skipped): ``latest`` (CL301), a missing tag (CL302), an empty
tag that falls back to the chart's ``appVersion`` (a CL303 without a tag of its own), and any
image whose digest the registry did not give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from resolver.autofix.editor import ScalarEdit
from resolver.autofix.lookup import ImageKey, Resolved
from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import yaml

_DIGEST_KEYS = {"tag": "digest", "version": "digest", "imageTag": "imageDigest"}
PIN_RULES = frozenset(("CL303",))
REPORTED_RULES = frozenset(("CL301", "CL302", "CL303"))


class Target(Record):
    """One image to pin in one file."""

    path: str  # the display path of the values file
    rule: str
    line: int
    column: int
    old: str  # the scalar's current value
    image: ImageKey
    whole: bool  # the scalar is the whole reference (else: the tag)
    digest_key: str = ""  # the empty digest key beside the tag, if any
    digest_line: int = 0
    digest_column: int = 0
    digest_old: str = ""
    pin_base: str = ""  # what goes before ``@sha256:``, when not ``old`` (the appVersion)
    latest: bool = False  # --resolve-latest: the mutable tag is replaced by a released one


class PlannedEdit(Record):
    """A change ``fix`` makes (or would make, with ``--diff``/``--check``)."""

    path: str
    rule: str
    line: int
    column: int
    old: str
    new: str
    image: str
    digest: str
    how: str  # "tag", "reference", "digest-key", "app-version" or "latest"
    # where the finding this fixes points (the tag, when the digest goes to the digest key)
    finding_line: int = 0
    finding_column: int = 0

    def scalar_edit(self) -> ScalarEdit:
        return ScalarEdit(self.line, self.column, self.old, self.new)


class Skipped(Record):
    """A finding ``fix`` reports instead of fixing, and why."""

    path: str
    rule: str
    line: int
    column: int
    reason: str
    # The run could not look (a registry that could not be asked): exit 2, not 1.
    failed: bool = False


class _Slot(Record):
    node: yaml.ScalarNode
    parent: yaml.MappingNode | None
    key: str


def scalar_slots(text: str) -> dict[tuple[int, int], _Slot]:
    """Every value scalar of a values file by its 1-based start, with its mapping and key."""
    import yaml

    from resolver.autofix.editor import _compose, _line_col, _pieces

    slots: dict[tuple[int, int], _Slot] = {}
    for shift, piece in _pieces(text):
        root = _compose(piece)
        stack: list[yaml.Node] = [root] if root is not None else []
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                for item in node.value:
                    if isinstance(item, yaml.ScalarNode):
                        where = _line_col(text, item.start_mark.index + shift)
                        slots.setdefault(where, _Slot(item, None, ""))
                    else:
                        stack.append(item)
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(value, yaml.ScalarNode):
                        where = _line_col(text, value.start_mark.index + shift)
                        name = key.value if isinstance(key, yaml.ScalarNode) else ""
                        slots.setdefault(where, _Slot(value, node, str(name)))
                    else:
                        stack.append(value)
    return slots


def _empty_sibling(parent: yaml.MappingNode, key: str) -> yaml.ScalarNode | None:
    import yaml

    for key_node, value in parent.value:
        if (
            isinstance(key_node, yaml.ScalarNode)
            and key_node.value == key
            and isinstance(value, yaml.ScalarNode)
            and value.style in ("'", '"')
            and value.value == ""
        ):
            return value
    return None


def find_targets(
    path: str,
    text: str,
    findings: Iterable[tuple[str, int, int, str]],
    app_version: str = "",
    resolve_latest: bool = False,
) -> Iterator[Target | Skipped]:
    """``findings``: ``(rule, line, column, key)`` of one values file (the image rules').
    ``app_version``: the chart's appVersion, when an empty tag may be pinned to it
    (``--pin-app-version``)."""
    from resolver.autofix.editor import EditRefused
    from resolver.linter.rules.imageref import ReferenceError, parse

    try:
        slots = scalar_slots(text)
    except EditRefused as exc:
        for rule, line, column, _ in findings:
            yield Skipped(path, rule, line, column, exc.reason)
        return
    for rule, line, column, key in findings:
        if rule == "CL301" and resolve_latest:
            target = _latest_target(path, rule, line, column, key, slots)
            if target is not None:
                yield target
                continue
        if rule == "CL301":
            yield Skipped(
                path,
                rule,
                line,
                column,
                "`latest` is not pinned silently: pin a released tag (or its digest) yourself",
            )
            continue
        if rule == "CL302":
            yield Skipped(path, rule, line, column, "no tag: choose a released tag first")
            continue
        slot = slots.get((line, column))
        if slot is None:
            yield Skipped(path, rule, line, column, "no YAML scalar starts at this position")
            continue
        value = str(slot.node.value)
        try:
            ref = parse(key)
        except ReferenceError:
            yield Skipped(path, rule, line, column, f"`{key}` is not an image reference")
            continue
        if ref.tag is None and app_version and value.strip() in ("", "~", "null"):
            # the explicit --pin-app-version: `tag: ""` -> `tag: "<appVersion>@sha256:..."`
            image = ImageKey(ref.host, ref.path, app_version)
            yield Target(path, rule, line, column, value, image, False, pin_base=app_version)
            continue
        if ref.tag is None or not value.strip():
            yield Skipped(
                path,
                rule,
                line,
                column,
                "an empty tag falls back to the chart's "
                "appVersion: pinning it would stop appVersion from driving the tag",
            )
            continue
        image = ImageKey(ref.host, ref.path, ref.tag)
        if value == key or value.endswith(":" + ref.tag):
            yield Target(path, rule, line, column, value, image, whole=True)
        elif value.strip() == ref.tag:
            digest_key = _DIGEST_KEYS.get(slot.key, slot.key + "Digest")
            sibling = _empty_sibling(slot.parent, digest_key) if slot.parent else None
            if sibling is None:
                yield Target(path, rule, line, column, value, image, whole=False)
            else:
                d_line, d_column = _line_col_of(text, sibling, slots)
                yield Target(
                    path, rule, line, column, value, image, False, digest_key, d_line, d_column, ""
                )
        else:
            yield Skipped(path, rule, line, column, f"cannot tell where `{key}` is written")


def _latest_target(
    path: str,
    rule: str,
    line: int,
    column: int,
    key: str,
    slots: dict[tuple[int, int], _Slot],
) -> Target | None:
    """``--resolve-latest``: the `latest` tag (or reference ending in `:latest`) to replace."""
    from resolver.linter.rules.imageref import ReferenceError, parse

    slot = slots.get((line, column))
    try:
        ref = parse(key)
    except ReferenceError:
        return None
    if slot is None or ref.tag is None or ref.digest is not None:
        return None
    value = str(slot.node.value)
    image = ImageKey(ref.host, ref.path, ref.tag)
    if value.endswith(":" + ref.tag):
        return Target(path, rule, line, column, value, image, True, latest=True)
    if value.strip() == ref.tag:
        return Target(path, rule, line, column, value, image, False, latest=True)
    return None


def _line_col_of(
    text: str, node: yaml.ScalarNode, slots: dict[tuple[int, int], _Slot]
) -> tuple[int, int]:
    for where, slot in slots.items():
        if slot.node is node:
            return where
    return (0, 0)


def plan_edits(
    targets: Iterable[Target],
    digests: dict[ImageKey, Resolved],
    reads_key: Callable[[str, str], bool],
) -> Iterator[PlannedEdit | Skipped]:
    """Edits for ``targets``; ``reads_key(path, key)``: the templates of the chart of the
    values file ``path`` read a field named ``key``."""
    for target in targets:
        found = digests.get(target.image)
        if target.latest:
            if found is None or not found.version:
                why = found.error if found is not None else "not looked up"
                yield Skipped(
                    target.path,
                    target.rule,
                    target.line,
                    target.column,
                    f"{target.image}: {why}",
                    failed=found is not None and found.failed,
                )
                continue
            display = f"{target.image}@{found.digest}"
            stem = target.old[: len(target.old) - len(target.image.tag)]
            yield PlannedEdit(
                target.path,
                target.rule,
                target.line,
                target.column,
                target.old,
                f"{stem}{found.version}@{found.digest}",
                f"{display} = {found.version}",
                found.digest,
                "latest",
                target.line,
                target.column,
            )
            continue
        if found is None or not found.digest:
            reason = found.error if found is not None else "not looked up"
            yield Skipped(
                target.path,
                target.rule,
                target.line,
                target.column,
                f"no digest for {target.image}: {reason}",
                failed=found is not None and found.failed,
            )
            continue
        display = f"{target.image}@{found.digest}"
        if target.digest_key and not target.pin_base and reads_key(target.path, target.digest_key):
            yield PlannedEdit(
                target.path,
                target.rule,
                target.digest_line,
                target.digest_column,
                target.digest_old,
                found.digest,
                display,
                found.digest,
                "digest-key",
                target.line,
                target.column,
            )
            continue
        how = "app-version" if target.pin_base else "reference" if target.whole else "tag"
        yield PlannedEdit(
            target.path,
            target.rule,
            target.line,
            target.column,
            target.old,
            f"{target.pin_base or target.old}@{found.digest}",
            display,
            found.digest,
            how,
            target.line,
            target.column,
        )
