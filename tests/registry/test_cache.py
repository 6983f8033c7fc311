"""The content-addressed cache: verified reads, verified atomic writes, platform directory."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from resolver.errors import DigestMismatch
from resolver.registry.cache import BlobCache, default_cache_dir


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_put_get_layout_and_corruption(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    data = b"chart bytes"
    d = digest(data)
    assert cache.get(d) is None
    assert cache.put(d, data)
    path = tmp_path / "blobs" / "sha256" / d.split(":")[1]
    assert path.read_bytes() == data
    assert cache.get(d) == data
    assert cache.put(d, data)  # idempotent
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    path.write_bytes(b"corrupt")
    assert cache.get(d) is None
    assert not path.exists()
    assert cache.get_manifest(d) is None and cache.put_manifest(d, data)
    assert cache.get(d) == data


def test_put_refuses_bytes_that_do_not_match(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    with pytest.raises(DigestMismatch):
        cache.put(digest(b"a"), b"b")
    assert not any(tmp_path.rglob("*")) or all(p.is_dir() for p in tmp_path.rglob("*"))
    with pytest.raises(ValueError):
        cache.path("md5:abc")
    with pytest.raises(ValueError):
        cache.path("sha256:../../etc/passwd")


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = BlobCache(blocker / "sub")
    assert cache.put(digest(b"a"), b"a") is False


def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHARTLOCK_CACHE", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("CHARTLOCK_CACHE")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert default_cache_dir() == tmp_path / "xdg" / "chartlock"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert default_cache_dir() == Path.home() / ".cache" / "chartlock"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_cache_dir() == Path.home() / "Library" / "Caches" / "chartlock"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert default_cache_dir() == tmp_path / "local" / "chartlock" / "Cache"


def test_concurrent_writers(tmp_path: Path) -> None:
    import threading

    data = b"same content" * 1000
    d = digest(data)
    caches = [BlobCache(tmp_path) for _ in range(8)]
    threads = [threading.Thread(target=c.put, args=(d, data)) for c in caches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert BlobCache(tmp_path).get(d) == data
    assert len(list((tmp_path / "blobs" / "sha256").iterdir())) == 1
