"""Helm provenance files (``.prov``): parse and verify them as helm 4.1.4 does.

A provenance file is an OpenPGP clear-signed document (``helm package --sign``, SHA-512) whose
signed body is the chart's Chart.yaml, a ``...`` line, and a YAML map
``files: {<chart>-<version>.tgz: sha256:<hex>}`` (helm's ``pkg/provenance`` ``messageBlock``).
Helm's ``Signatory.Verify`` checks, in order: that there is a clear-signed block, that its
signature was made by a key in the keyring, and that the ``files`` entry for the archive's file
name equals the archive's sha256. We do the same, but tell the failures apart (they are
different findings: a key you do not trust is not a forgery):

* ``bad-signature``: no clear-signed block, or a signature that does not verify with the
  signer's key (the body or the signature was edited);
* ``unknown-signer``: the signature names a key that is not in the keyring;
* ``hash-mismatch``: the signed body names no archive of this name, or another sha256.

Only the *verified* plaintext (what the OpenPGP library returns after checking the signature)
is parsed, never the text around it.

Keyrings: helm reads a binary keyring only (``openpgp.ReadKeyRing``; an armored one fails with
"tag byte does not have MSB set"); we accept both binary and ASCII-armored keyrings (a
superset), public or secret keys.

OpenPGP is done by ``pysequoia`` (Sequoia-PGP, Rust), imported lazily: it is an optional
dependency (``pip install 'chartlock[provenance]'``); see the README for why this library.
Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resolver.errors import ChartlockError
from resolver.util.records import Record

if TYPE_CHECKING:
    from collections.abc import Sequence

PROV_MEDIA_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"
# helm's provenance files are a few KiB (Chart.yaml + one hash + a signature); a cap keeps a
# hostile registry or repository from feeding us megabytes where a signature belongs.
MAX_PROV_BYTES = 1024 * 1024
INSTALL_HINT = "pip install 'chartlock[provenance]'"

MISSING = "missing"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_SIGNER = "unknown-signer"
HASH_MISMATCH = "hash-mismatch"
SIGNER_CHANGED = "signer-changed"

_BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----"
_SIG_BLOCK = re.compile(
    rb"-----BEGIN PGP SIGNATURE-----\r?\n.*?-----END PGP SIGNATURE-----", re.DOTALL
)


class ProvenanceFailure(Exception):
    """A provenance file that does not vouch for an archive; ``kind`` is one of the constants
    above, ``str()`` a one-line reason."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Signer(Record):
    identities: tuple[str, ...]  # user ids, "Name <email>"
    fingerprint: str  # primary key fingerprint, upper-case hex (as helm prints it)

    def describe(self) -> str:
        """``Signed by: Name <email>, key FINGERPRINT`` (helm verify's facts on one line)."""
        who = ", ".join(self.identities) or "(no user id)"
        return f"Signed by: {who}, key {self.fingerprint}"


class Verification(Record):
    signer: Signer
    file_hash: str  # sha256:<hex>, from the signed body (equal to the archive's)
    filename: str


class Keyring:
    """The certificates of a keyring file, and every key id / fingerprint they hold (primary
    keys and subkeys), to tell an unknown signer from a bad signature."""

    __slots__ = ("certs", "key_ids", "path")

    def __init__(self, certs: Sequence[Any], key_ids: frozenset[str], path: str) -> None:
        self.certs = list(certs)
        self.key_ids = key_ids
        self.path = path

    def knows(self, ids: Sequence[str]) -> bool:
        return any(i.lower() in self.key_ids for i in ids)


def _sequoia() -> Any:
    try:
        import pysequoia
    except ImportError:
        raise ChartlockError(
            f"provenance checks need the OpenPGP library pysequoia: {INSTALL_HINT}"
        ) from None
    return pysequoia


def default_keyring() -> Path:
    """Helm's default ``--keyring``: ``$GNUPGHOME/pubring.gpg`` else ``~/.gnupg/pubring.gpg``
    (helm's ``defaultKeyring``)."""
    import os

    if "GNUPGHOME" in os.environ:  # set, even empty (Go's os.LookupEnv)
        return Path(os.environ["GNUPGHOME"]) / "pubring.gpg"
    return Path.home() / ".gnupg" / "pubring.gpg"


def parse_keyring(data: bytes, path: str = "keyring") -> Keyring:
    """A keyring from its bytes (binary or ASCII-armored, public or secret keys)."""
    ps = _sequoia()
    try:
        certs = ps.Cert.split_bytes(data) if data.strip() else []
        pile = ps.packet.PacketPile.from_bytes(data) if data.strip() else []
    except Exception:  # the library raises RuntimeError with a Rust backtrace: not shown
        raise ChartlockError(f"{path}: not an OpenPGP keyring") from None
    key_tags = [  # not hashable
        ps.packet.Tag.PublicKey,
        ps.packet.Tag.PublicSubkey,
        ps.packet.Tag.SecretKey,
        ps.packet.Tag.SecretSubkey,
    ]
    ids: set[str] = set()
    for packet in pile:
        if packet.tag in key_tags:
            if packet.fingerprint:
                ids.add(str(packet.fingerprint).lower())
            if packet.key_id:
                ids.add(str(packet.key_id).lower())
    return Keyring(certs, frozenset(ids), path)


def load_keyring(path: Path) -> Keyring:
    """:func:`parse_keyring` of a file; a one-line error when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChartlockError(
            f"{path}: cannot read the keyring: {exc.strerror or exc}; pass --keyring FILE "
            "(a public keyring: gpg --export > pubring.gpg)"
        ) from None
    return parse_keyring(data, str(path))


def archive_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _signed_body(prov: bytes, keyring: Keyring) -> tuple[bytes, str]:
    """The verified plaintext and the signing certificate's fingerprint."""
    ps = _sequoia()
    if _BEGIN not in prov or not _SIG_BLOCK.search(prov):
        raise ProvenanceFailure(BAD_SIGNATURE, "no clear-signed OpenPGP block in the .prov")
    asked: list[str] = []

    def store(ids: list[str]) -> list[Any]:
        asked.extend(str(i) for i in ids)
        return keyring.certs  # the library picks the key (primary or subkey) it needs

    try:
        result = ps.verify(bytes=prov, store=store)
    except Exception:  # RuntimeError with a backtrace; its text says no more than we do
        if asked and not keyring.knows(asked):
            shown = ", ".join(sorted({i.upper() for i in asked}))
            raise ProvenanceFailure(
                UNKNOWN_SIGNER, f"signed by key {shown}, which is not in the keyring {keyring.path}"
            ) from None
        raise ProvenanceFailure(
            BAD_SIGNATURE,
            "the OpenPGP signature does not verify with the signer's key (the signed body or "
            "the signature was altered, or the key is expired or revoked)",
        ) from None
    valid = list(result.valid_sigs)
    if not valid:
        raise ProvenanceFailure(BAD_SIGNATURE, "the OpenPGP signature does not verify")
    return bytes(result.bytes), str(valid[0].certificate).upper()


def _identities(keyring: Keyring, fingerprint: str) -> tuple[str, ...]:
    for cert in keyring.certs:
        if str(cert.fingerprint).upper() == fingerprint:
            return tuple(str(uid) for uid in cert.user_ids)
    return ()


def signed_files(body: bytes) -> dict[str, str]:
    """The ``files:`` map of a signed body (helm's ``ParseMessageBlock``: split at
    ``\\n...\\n``, the second part is YAML)."""
    import yaml

    parts = body.split(b"\n...\n")
    if len(parts) < 2:
        raise ProvenanceFailure(HASH_MISMATCH, "the signed body has no `...` line and no files")
    try:
        doc = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        raise ProvenanceFailure(HASH_MISMATCH, "the signed files list is not YAML") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def verify_provenance(prov: bytes, digest: str, filename: str, keyring: Keyring) -> Verification:
    """Check ``prov`` for the archive called ``filename`` whose sha256 is ``digest``
    (``sha256:<hex>``); raise :class:`ProvenanceFailure` otherwise."""
    body, fingerprint = _signed_body(prov, keyring)
    files = signed_files(body)
    signed = files.get(filename)
    if signed is None:
        raise ProvenanceFailure(
            HASH_MISMATCH, f"the provenance names no file {filename!r} (it signs {sorted(files)})"
        )
    if signed.strip().lower() != digest.lower():
        raise ProvenanceFailure(
            HASH_MISMATCH,
            f"the provenance signs {filename} as {signed}, but the archive is {digest}",
        )
    return Verification(Signer(_identities(keyring, fingerprint), fingerprint), digest, filename)


def check_signer(verification: Verification, recorded: str) -> None:
    """``signer-changed`` when Chart.lock recorded another key for this dependency."""
    if recorded and recorded.strip().upper() != verification.signer.fingerprint:
        raise ProvenanceFailure(
            SIGNER_CHANGED,
            f"signed by key {verification.signer.fingerprint}, but Chart.lock records "
            f"{recorded.strip().upper()}",
        )


__all__ = [
    "MAX_PROV_BYTES",
    "PROV_MEDIA_TYPE",
    "Keyring",
    "ProvenanceFailure",
    "Signer",
    "Verification",
    "archive_digest",
    "check_signer",
    "default_keyring",
    "load_keyring",
    "parse_keyring",
    "signed_files",
    "verify_provenance",
]
