"""resolver.util.digest: SHA-256 without hashlib (start-up cost), same digests."""

from __future__ import annotations

import builtins
import hashlib

import pytest

from resolver.util import digest


@pytest.mark.parametrize(
    "data", [b"", b"abc", b"\x00\xff" * 3, "ünïcode".encode(), bytes(range(256)) * 1000]
)
def test_sha256_hex_is_hashlibs(data: bytes) -> None:
    assert digest.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_uses_cpythons_own_module_not_openssl() -> None:
    assert digest._sha256 is not hashlib.sha256
    assert digest._sha256.__module__ in ("_sha2", "_sha256")


def test_falls_back_to_hashlib_without_the_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_builtin_sha(name: str, *args: object, **kwargs: object) -> object:
        if name in ("_sha2", "_sha256"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_builtin_sha)
    sha = digest._builtin_sha256()
    assert sha is hashlib.sha256
    assert sha(b"abc").hexdigest() == hashlib.sha256(b"abc").hexdigest()
