"""A content-addressed cache of registry blobs and manifests.

Layout: ``<root>/blobs/sha256/<hex>``, where ``<hex>`` is the sha256 of the file's bytes, so
chart archives (OCI layers and https index tarballs) and OCI manifests share one store.

* :meth:`BlobCache.get` hashes what it reads; a corrupt entry is deleted and reported as a miss.
* :meth:`BlobCache.put` refuses bytes that do not match their digest, then writes a temporary
  file in the same directory, fsyncs it and renames it into place. Concurrent runs writing the
  same entry are harmless: the content is identical and ``os.replace`` is atomic.

The root is ``$CHARTLOCK_CACHE``, else the platform cache directory (``$XDG_CACHE_HOME/chartlock``
or ``~/.cache/chartlock`` on Linux, ``~/Library/Caches/chartlock`` on macOS,
``%LOCALAPPDATA%\\chartlock\\Cache`` on Windows).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path

from resolver.errors import DigestMismatch
from resolver.util.atomic import atomic_write

log = logging.getLogger("chartlock.cache")

_HEX = frozenset("0123456789abcdef")


def default_cache_dir() -> Path:
    """Where the cache lives when no root is given (see the module docstring)."""
    explicit = os.environ.get("CHARTLOCK_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "chartlock"
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "chartlock" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "chartlock"
    return Path.home() / ".cache" / "chartlock"


def split_digest(digest: str) -> str:
    """The hex part of ``sha256:<64 hex>``; :class:`ValueError` for anything else."""
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or len(hexpart) != 64 or not set(hexpart) <= _HEX:
        raise ValueError(f"unsupported or malformed digest {digest!r}")
    return hexpart


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class BlobCache:
    """See the module docstring. Cheap to construct; directories are made on first write."""

    __slots__ = ("root", "hits", "misses")

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0

    def path(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / split_digest(digest)

    def get(self, digest: str) -> bytes | None:
        """The bytes stored under ``digest``, verified; ``None`` on a miss or a corrupt entry."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        if sha256_digest(data) != digest:
            log.warning("cache entry %s is corrupt; removed, fetching again", path)
            with contextlib.suppress(OSError):
                path.unlink()
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, digest: str, data: bytes) -> bool:
        """Store ``data`` under ``digest``; ``False`` when the cache cannot be written.

        Raises :class:`DigestMismatch` when ``data`` does not hash to ``digest``.
        """
        actual = sha256_digest(data)
        if actual != digest:
            raise DigestMismatch(f"refusing to cache content under {digest}: it hashes to {actual}")
        path = self.path(digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        except OSError as exc:
            log.warning("cannot write the cache at %s: %s", self.root, exc.strerror or exc)
            return False
        return True

    # Manifests are content-addressed too: same store, same verification.
    def get_manifest(self, digest: str) -> bytes | None:
        return self.get(digest)

    def put_manifest(self, digest: str, data: bytes) -> bool:
        return self.put(digest, data)


__all__ = ["BlobCache", "default_cache_dir", "sha256_digest", "split_digest"]
