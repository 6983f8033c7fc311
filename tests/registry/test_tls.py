"""resolver.registry.tls: Helm's TLS flags to one SSLContext (the client, the index repositories
and the proxy routing transport all build theirs here). End to end, the flags are exercised
against real TLS registries in tests/commands/lock/test_tls.py."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from resolver.registry.tls import client_context
from tests.support.certs import make_ca_and_server_cert


def _subjects(context: ssl.SSLContext) -> list[str]:
    """The common names of the CA certificates ``context`` trusts (loaded so far)."""
    names = []
    for cert in context.get_ca_certs():
        for rdn in cert.get("subject", ()):
            names += [str(p[1]) for p in rdn if isinstance(p, tuple) and p[0] == "commonName"]
    return names


def test_default_verifies_against_the_default_store() -> None:
    context = client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "chartlock test CA" not in _subjects(context)


def test_insecure_skip_tls_verify_checks_nothing() -> None:
    context = client_context(insecure_skip_tls_verify=True, ca_file="/nonexistent/ca.pem")
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_ca_file_is_the_trust_store(tmp_path: Path) -> None:
    ca, _, _ = make_ca_and_server_cert(tmp_path)
    context = client_context(ca_file=str(ca))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert _subjects(context) == ["chartlock test CA"]


def test_a_missing_ca_file_is_an_error() -> None:
    with pytest.raises(OSError):
        client_context(ca_file="/nonexistent/ca.pem")


def test_client_certificate_needs_both_files(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    # Both: the pair is loaded (a key that does not match the certificate would raise).
    client_context(ca_file=str(ca), cert_file=str(cert), key_file=str(key))
    with pytest.raises(ssl.SSLError):
        client_context(ca_file=str(ca), cert_file=str(ca), key_file=str(key))
    # One alone is ignored, as helm ignores it (no error for the missing other half).
    client_context(ca_file=str(ca), cert_file="/nonexistent/cert.pem")
    client_context(ca_file=str(ca), key_file="/nonexistent/key.pem")
