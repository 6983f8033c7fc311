"""resolver.chart.provenance on its own: keys made and bodies signed in memory by Sequoia (the
integration tests in tests/commands/online/test_provenance.py use the real gpg and helm)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from resolver.chart.provenance import (
    ProvenanceFailure,
    Signer,
    Verification,
    check_signer,
    default_keyring,
    load_keyring,
    parse_keyring,
    signed_files,
    verify_provenance,
)
from resolver.errors import ChartlockError

ps = pytest.importorskip("pysequoia")
DIGEST = "sha256:" + "ab" * 32
BODY = (
    b"apiVersion: v2\nname: web\nversion: 1.0.0\n\n...\nfiles:\n  web-1.0.0.tgz: " + DIGEST.encode()
)


@pytest.fixture(scope="module")
def key() -> object:
    return ps.Tsk.generate("Unit Signer <unit@example.test>")


@pytest.fixture(scope="module")
def other() -> object:
    return ps.Tsk.generate("Other Person <other@example.test>")


def sign(tsk: object, body: bytes = BODY) -> bytes:
    return bytes(ps.sign(tsk.signer(), body, mode=ps.SignatureMode.CLEAR))  # type: ignore[attr-defined]


def ring(*tsks: object) -> bytes:
    return b"".join(bytes(t.extract_certificate()) for t in tsks)  # type: ignore[attr-defined]


def test_good_signature_by_a_signing_subkey_names_the_primary_key(key: object) -> None:
    keyring = parse_keyring(ring(key))
    result = verify_provenance(sign(key), DIGEST, "web-1.0.0.tgz", keyring)
    assert result.signer.identities == ("Unit Signer <unit@example.test>",)
    fingerprint = result.signer.fingerprint
    assert fingerprint == fingerprint.upper() and len(fingerprint) == 40
    assert fingerprint.lower() in keyring.key_ids  # the primary key, not the subkey
    assert result.signer.describe() == (
        f"Signed by: Unit Signer <unit@example.test>, key {fingerprint}"
    )


def test_a_keyring_with_several_keys_finds_the_signer(key: object, other: object) -> None:
    result = verify_provenance(sign(key), DIGEST, "web-1.0.0.tgz", parse_keyring(ring(other, key)))
    assert result.signer.identities == ("Unit Signer <unit@example.test>",)


def test_armored_keyring(key: object) -> None:
    armored = str(key.extract_certificate()).encode()  # type: ignore[attr-defined]
    assert armored.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    verify_provenance(sign(key), DIGEST, "web-1.0.0.tgz", parse_keyring(armored))


def test_unknown_signer(key: object, other: object) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(sign(key), DIGEST, "web-1.0.0.tgz", parse_keyring(ring(other)))
    assert info.value.kind == "unknown-signer"
    assert "not in the keyring" in str(info.value)


def test_empty_keyring_is_an_unknown_signer(key: object) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(sign(key), DIGEST, "web-1.0.0.tgz", parse_keyring(b""))
    assert info.value.kind == "unknown-signer"


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.replace(b"name: web", b"name: wab"),
        lambda p: p.replace(DIGEST.encode(), b"sha256:" + b"cd" * 32),
        lambda p: p.replace(
            b"-----BEGIN PGP SIGNATURE-----\n\n", b"-----BEGIN PGP SIGNATURE-----\n\nAA"
        ),
    ],
)
def test_edited_body_or_signature_is_a_bad_signature(key: object, edit: object) -> None:
    prov = edit(sign(key))  # type: ignore[operator]
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(prov, DIGEST, "web-1.0.0.tgz", parse_keyring(ring(key)))
    assert info.value.kind == "bad-signature"


@pytest.mark.parametrize("prov", [b"", b"hello", b"-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n"])
def test_not_clear_signed_is_a_bad_signature(key: object, prov: bytes) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(prov, DIGEST, "web-1.0.0.tgz", parse_keyring(ring(key)))
    assert info.value.kind == "bad-signature"


def test_other_archive_digest_is_a_hash_mismatch(key: object) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(
            sign(key), "sha256:" + "00" * 32, "web-1.0.0.tgz", parse_keyring(ring(key))
        )
    assert info.value.kind == "hash-mismatch"
    assert DIGEST in str(info.value)


def test_other_file_name_is_a_hash_mismatch(key: object) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(sign(key), DIGEST, "web-2.0.0.tgz", parse_keyring(ring(key)))
    assert info.value.kind == "hash-mismatch"
    assert "names no file 'web-2.0.0.tgz'" in str(info.value)


@pytest.mark.parametrize(
    "body", [b"name: web\nfiles:\n  web-1.0.0.tgz: x\n", b"name: web\n...\nfiles: [\n"]
)
def test_a_validly_signed_body_without_files_is_a_hash_mismatch(key: object, body: bytes) -> None:
    with pytest.raises(ProvenanceFailure) as info:
        verify_provenance(sign(key, body), DIGEST, "web-1.0.0.tgz", parse_keyring(ring(key)))
    assert info.value.kind == "hash-mismatch"


def test_signed_files_reads_helms_message_block() -> None:
    assert signed_files(BODY) == {"web-1.0.0.tgz": DIGEST}
    assert signed_files(b"a: 1\n...\nother: 2\n") == {}


def test_check_signer() -> None:
    verification = Verification(Signer(("A <a@x>",), "AB" * 20), DIGEST, "web-1.0.0.tgz")
    check_signer(verification, "")
    check_signer(verification, "ab" * 20)
    with pytest.raises(ProvenanceFailure) as info:
        check_signer(verification, "CD" * 20)
    assert info.value.kind == "signer-changed"


def test_keyring_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ChartlockError) as info:
        load_keyring(tmp_path / "missing.gpg")
    assert "cannot read the keyring" in str(info.value) and "\n" not in str(info.value)
    bad = tmp_path / "bad.gpg"
    bad.write_bytes(b"\x99garbage")
    with pytest.raises(ChartlockError) as info:
        load_keyring(bad)
    assert str(info.value) == f"{bad}: not an OpenPGP keyring"


def test_default_keyring_follows_gnupghome_like_helm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNUPGHOME", "/somewhere")
    assert default_keyring() == Path("/somewhere/pubring.gpg")
    monkeypatch.delenv("GNUPGHOME")
    monkeypatch.setenv("HOME", "/home/u")
    assert default_keyring() == Path("/home/u/.gnupg/pubring.gpg")


def test_missing_library_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pysequoia", None)
    with pytest.raises(ChartlockError) as info:
        parse_keyring(b"")
    assert "pip install 'chartlock[provenance]'" in str(info.value)


def _manifest(prov: dict[str, object] | None) -> bytes:
    import json

    layers: list[dict[str, object]] = [
        {
            "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            "digest": "sha256:" + "1" * 64,
            "size": 10,
        }
    ]
    if prov is not None:
        layers.insert(0, prov)
    return json.dumps(
        {
            "schemaVersion": 2,
            "config": {
                "mediaType": "application/vnd.cncf.helm.config.v1+json",
                "digest": "sha256:" + "2" * 64,
                "size": 2,
            },
            "layers": layers,
        }
    ).encode()


PROV_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov"


@pytest.mark.parametrize(
    ("prov", "digest", "size"),
    [
        (None, "", 0),
        (
            {"mediaType": PROV_TYPE, "digest": "sha256:" + "3" * 64, "size": 700},
            "sha256:" + "3" * 64,
            700,
        ),
        ({"mediaType": PROV_TYPE, "digest": "md5:abc", "size": 700}, "", 0),
        (
            {"mediaType": PROV_TYPE, "digest": "sha256:" + "3" * 64, "size": -1},
            "sha256:" + "3" * 64,
            0,
        ),
    ],
)
def test_manifest_names_its_provenance_layer(
    prov: dict[str, object] | None, digest: str, size: int
) -> None:
    from resolver.registry.client import parse_chart_manifest
    from resolver.registry.reference import Repository

    parsed = parse_chart_manifest(
        _manifest(prov), "sha256:" + "9" * 64, Repository("r.io", "ns/web")
    )
    assert (parsed.prov_digest, parsed.prov_size) == (digest, size)


@pytest.mark.parametrize(
    ("digest", "size", "kind"),
    [
        ("", 0, "missing"),
        ("sha256:" + "3" * 64, 0, "bad-signature"),
        ("sha256:" + "3" * 64, 2 * 1024 * 1024, "bad-signature"),
    ],
)
def test_provenance_layer_is_refused_before_any_request(digest: str, size: int, kind: str) -> None:
    import asyncio

    from resolver.commands.provfetch import fetch_oci_prov
    from resolver.registry.client import ChartManifest
    from resolver.registry.reference import Repository

    class NoClient:
        async def fetch_blob(self, *args: object) -> bytes:
            raise AssertionError("no request expected")

    manifest = ChartManifest(
        "sha256:" + "9" * 64, "", "sha256:" + "1" * 64, 10, "", b"", digest, size
    )
    with pytest.raises(ProvenanceFailure) as info:
        asyncio.run(fetch_oci_prov(NoClient(), Repository("r.io", "ns/web"), manifest, "here"))  # type: ignore[arg-type]
    assert info.value.kind == kind
