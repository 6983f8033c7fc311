"""SHA-256 without ``hashlib``: the start-up cost of ``chartlock check``.

``import hashlib`` loads OpenSSL's ``_hashlib`` (about 2.5 ms of a ~45 ms cold ``check`` here,
``python -X importtime``), although a Chart.lock digest hashes a few hundred bytes. CPython's own
SHA-256 module (``_sha256`` up to 3.11, ``_sha2`` from 3.12) loads in ~0.3 ms and gives the same
digest. Builds without it (none known; a distributor may drop it) fall back to ``hashlib``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    class _Hash(Protocol):
        def hexdigest(self) -> str: ...


def _builtin_sha256() -> Callable[[bytes], _Hash]:
    for module in ("_sha2", "_sha256"):  # 3.12+, then 3.10 and 3.11
        try:
            return __import__(module).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    import hashlib  # a build without CPython's own SHA-256

    return hashlib.sha256


_sha256 = _builtin_sha256()


def sha256_hex(data: bytes) -> str:
    """The lower-case hex SHA-256 of ``data`` (what ``hashlib.sha256(data).hexdigest()`` is)."""
    return _sha256(data).hexdigest()


__all__ = ["sha256_hex"]
