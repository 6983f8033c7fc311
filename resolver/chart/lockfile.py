"""Helm's lock digest (``HashReq``) and Helm's Chart.lock bytes, plus safe writing.

* :func:`hash_req` is ``internal/resolver.HashReq``: sha256 over Go's JSON of
  ``[2][]*Dependency{req, lock}``.
* :func:`dump_lock` writes what ``helm dependency update`` writes (sigs.k8s.io/yaml: sorted
  keys, go-yaml v2 quoting) with optional extra keys per entry, ``digest`` and ``signer`` (the
  provenance key fingerprint, ``lock --verify``), which Helm ignores when reading and does not
  hash.
* :func:`write_lock` replaces the file atomically and never writes through a symlink.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from resolver.chart.gojson import encode_string, marshal
from resolver.chart.models import Dependency
from resolver.chart.yaml11 import _BASE60_RE, resolve_plain
from resolver.errors import WriteError
from resolver.util.atomic import atomic_write
from resolver.util.digest import sha256_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import yaml

# --- the digest -------------------------------------------------------------------------


def dependency_json(dep: Dependency) -> str:
    """One ``chart.Dependency`` as Go marshals it (struct order, omitempty)."""
    parts = [f'"name":{encode_string(dep.name)}']
    if dep.version:
        parts.append(f'"version":{encode_string(dep.version)}')
    parts.append(f'"repository":{encode_string(dep.repository)}')
    if dep.condition:
        parts.append(f'"condition":{encode_string(dep.condition)}')
    if dep.tags:
        parts.append('"tags":[' + ",".join(encode_string(t) for t in dep.tags) + "]")
    if dep.enabled:
        parts.append('"enabled":true')
    if dep.import_values:
        parts.append(f'"import-values":{marshal(dep.import_values)}')
    if dep.alias:
        parts.append(f'"alias":{encode_string(dep.alias)}')
    return "{" + ",".join(parts) + "}"


def _deps_json(deps: Sequence[Dependency] | None) -> str:
    if deps is None:
        return "null"
    return "[" + ",".join(dependency_json(d) for d in deps) + "]"


def hash_req_bytes(req: Sequence[Dependency] | None, lock: Sequence[Dependency] | None) -> bytes:
    return f"[{_deps_json(req)},{_deps_json(lock)}]".encode("utf-8", "surrogatepass")


def hash_req(req: Sequence[Dependency] | None, lock: Sequence[Dependency] | None) -> str:
    """``HashReq(req, lock)``: ``sha256:<hex>`` of Go's JSON of ``[req, lock]``."""
    return "sha256:" + sha256_hex(hash_req_bytes(req, lock))


def hash_v2_req(req: Sequence[Dependency] | None) -> str:
    """``HashV2Req``: Helm 2's digest, ``{"dependencies": req}``, for apiVersion v1 locks."""
    data = '{"dependencies":' + _deps_json(req) + "}"
    return "sha256:" + sha256_hex(data.encode("utf-8", "surrogatepass"))


def repo_alias_name(repository: str) -> str | None:
    """``@name`` / ``alias:name`` → ``name``; ``None`` for anything else."""
    if repository.startswith("@"):
        return repository[1:]
    if repository.startswith("alias:"):
        return repository[len("alias:") :]
    return None


def rewrite_repo_aliases(
    req: Sequence[Dependency] | None,
    lock: Sequence[Dependency] | None,
    repo_urls: Mapping[str, str] | None,
) -> list[Dependency] | None:
    """Helm's ``resolveRepoNames`` rewrite, applied before hashing.

    ``@name``/``alias:name`` becomes that repository's URL from repositories.yaml. Offline, when
    the name is not configured, the lock entry at the same position (which Helm wrote with the
    URL it resolved) supplies it.
    """
    if req is None:
        return None
    out: list[Dependency] = []
    for i, dep in enumerate(req):
        name = repo_alias_name(dep.repository)
        if name is None:
            out.append(dep)
            continue
        url = (repo_urls or {}).get(name)
        if url is None and lock is not None and i < len(lock):
            url = lock[i].repository
        out.append(dep.replace(repository=url) if url is not None else dep)
    return out


# --- the bytes ----------------------------------------------------------------------------


def _go_dumper() -> Any:
    """libyaml's emitter with no implicit resolvers: quoting is decided by go-yaml's rules.

    Built on first use: PyYAML is imported only when a lock is written.
    """
    import yaml

    base: Any = getattr(yaml, "CDumper", yaml.Dumper)
    return type("_GoDumper", (base,), {"yaml_implicit_resolvers": {}})


def _needs_double_quotes(text: str) -> bool:
    """go-yaml v2 ``stringv``: quote when the plain form would not read back as a string."""
    value = resolve_plain(text)
    # A GoTimestamp is a str subclass: timestamps are quoted too.
    return type(value) is not str or bool(_BASE60_RE.fullmatch(text))


def _scalar(text: str) -> yaml.ScalarNode:
    import yaml

    if "\n" in text:
        style: str | None = "|"
    elif _needs_double_quotes(text):
        style = '"'
    else:
        style = None
    return yaml.ScalarNode("tag:yaml.org,2002:str", str(text), style=style)


def _mapping(items: Mapping[str, str | yaml.Node]) -> yaml.MappingNode:
    import yaml

    pairs = []
    for key in sorted(items):
        value = items[key]
        node = value if isinstance(value, yaml.Node) else _scalar(value)
        pairs.append((_scalar(key), node))
    return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)


def lock_entry(dep: Dependency) -> dict[str, str]:
    """The keys Helm writes for one lock entry, plus chartlock's per-dependency digest."""
    entry = {"name": dep.name, "repository": dep.repository}
    if dep.version:
        entry["version"] = dep.version
    digest = dep.content_digest
    if digest:
        entry["digest"] = digest
    signer = dep.extra.get("signer")
    if isinstance(signer, str) and signer:
        entry["signer"] = signer
    return entry


def dump_lock(dependencies: Sequence[Dependency], digest: str, generated: str) -> str:
    """Chart.lock text as helm 4.1.4 writes it (with optional per-entry ``digest`` keys)."""
    fast = _dump_simple(dependencies, digest, generated)
    if fast is not None:
        return fast
    return _dump_libyaml(dependencies, digest, generated)


_SIMPLE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/:@+-")


def _simple_scalar(text: str) -> str | None:
    """The emitted form of a string that libyaml writes the same way at any width (letters,
    digits and ``._/:@+-``, starting with a letter or digit, no ``:`` at the end), else None.

    Such a string has no space to fold at, nothing to escape and no indicator: it is plain
    unless go-yaml would quote it (``true``, ``1.10``, timestamps...), then double-quoted.
    """
    if not text or not text[0].isalnum() or text[-1] == ":" or not _SIMPLE_CHARS.issuperset(text):
        return None
    return f'"{text}"' if _needs_double_quotes(text) else text


def _dump_simple(dependencies: Sequence[Dependency], digest: str, generated: str) -> str | None:
    """:func:`dump_lock` without PyYAML for locks whose every string is simple (see
    :func:`_simple_scalar`); None otherwise. The tests hold it to the libyaml path."""
    if not dependencies:
        return None
    lines = ["dependencies:"]
    for dep in dependencies:
        prefix = "- "
        for key, value in sorted(lock_entry(dep).items()):
            out = _simple_scalar(value)
            if out is None:
                return None
            lines.append(f"{prefix}{key}: {out}")
            prefix = "  "
    for key, value in (("digest", digest), ("generated", generated)):
        out = _simple_scalar(value)
        if out is None:
            return None
        lines.append(f"{key}: {out}")
    return "\n".join(lines) + "\n"


def _dump_libyaml(dependencies: Sequence[Dependency], digest: str, generated: str) -> str:
    import yaml

    seq = yaml.SequenceNode(
        "tag:yaml.org,2002:seq",
        [_mapping(lock_entry(d)) for d in dependencies],
        flow_style=False,
    )
    root = _mapping({"dependencies": seq, "digest": digest, "generated": generated})
    text: str = yaml.serialize(
        root,
        Dumper=_go_dumper(),
        allow_unicode=True,
        width=80,
        indent=2,
        explicit_start=False,
    )
    return text


def go_rfc3339nano(ns: int | None = None) -> str:
    """``time.Now()`` as Go's ``MarshalJSON`` writes it: local zone, trimmed nanoseconds."""
    if ns is None:
        ns = time.time_ns()
    secs, nanos = divmod(ns, 1_000_000_000)
    local = time.localtime(secs)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", local)
    if nanos:
        text += ("." + f"{nanos:09d}").rstrip("0")
    offset = local.tm_gmtoff or 0
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


# --- writing ------------------------------------------------------------------------------


# Directories this process holds a lock on (real path -> depth): ``flock`` locks belong to an
# open file description, so a second ``open`` + ``flock`` of the same directory by the same
# process would wait for itself.
_held: dict[str, int] = {}


@contextlib.contextmanager
def directory_lock(directory: Path, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive advisory lock on the chart directory (POSIX ``flock`` on the directory).

    Two chartlock processes updating the same chart serialise here; no file is created (a
    stray lock file in a user's chart would be worse than none). Re-entrant within a process.
    ``on_wait`` is called once when another process holds the lock, before waiting for it.
    Where ``flock`` is unavailable or refused (Windows, some network file systems) this
    locks nothing: the compare-and-swap of :func:`write_lock` still detects the other writer.
    """
    key = os.path.realpath(directory)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock, rename is still atomic
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # not lockable here (see above)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the lock


def write_lock(path: Path, text: str, *, expected: str | bytes | None = None) -> bool:
    """Atomically replace ``path`` with ``text``; ``False`` when the bytes are already equal.

    ``expected`` (the content read before resolving, ``""`` for "no file") makes the write a
    compare-and-swap: if another process changed the file meanwhile, nothing is written and
    :class:`WriteError` says so.
    """
    if isinstance(expected, str):
        expected = expected.encode("utf-8")
    if path.is_symlink():
        raise WriteError(f'the {path.name} file is a symlink to "{os.readlink(path)}"')
    if path.is_dir():
        raise WriteError(f"{path}: is a directory, cannot write the lock file")
    data = text.encode("utf-8")
    directory = path.parent
    with directory_lock(directory):
        try:
            current: bytes | None = path.read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise WriteError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if expected is not None and (current or b"") != expected:
            raise WriteError(
                f"{path}: changed by another process while chartlock was resolving (another "
                "lock run, or an editor?); nothing written: run again"
            )
        if current == data:
            return False
        atomic_write(path, data)
    return True
