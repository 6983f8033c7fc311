"""resolver.registry.options.ClientOptions: the one option set of the registry client."""

from __future__ import annotations

import pytest

import resolver
from resolver.registry.options import ClientOptions
from resolver.registry.preconnect import Preconnect
from resolver.util.records import FrozenInstanceError


def test_defaults_are_helms() -> None:
    options = ClientOptions()
    assert (options.plain_http, options.insecure_skip_tls_verify, options.timeout) == (
        False,
        False,
        30.0,
    )
    assert (options.ca_file, options.cert_file, options.key_file) == (None, None, None)
    assert options.max_per_host == 32 and options.preconnected is None


def test_the_public_name_is_this_class() -> None:
    assert resolver.ClientOptions is ClientOptions


def test_repr_never_shows_the_password() -> None:
    options = ClientOptions(username="me", password="s3cr3t-P4ss")
    assert "s3cr3t" not in repr(options) and "username='me'" in repr(options)


def test_options_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        ClientOptions().timeout = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fields", "plain"),
    [
        ({"plain_http": True}, True),
        ({}, False),
        # Helm: any TLS option switches to the TLS client and --plain-http is ignored.
        ({"plain_http": True, "ca_file": "ca.pem"}, False),
        ({"plain_http": True, "insecure_skip_tls_verify": True}, False),
        ({"plain_http": True, "cert_file": "c.pem", "key_file": "k.pem"}, False),
        ({"plain_http": True, "cert_file": "c.pem"}, True),  # half a pair is no TLS option
    ],
)
def test_uses_plain_http(fields: dict[str, object], plain: bool) -> None:
    assert ClientOptions(**fields).uses_plain_http is plain  # type: ignore[arg-type]


def test_merged_replaces_only_what_is_given() -> None:
    base = ClientOptions(plain_http=True, timeout=5.0, username="u")
    merged = base.merged(timeout=9.0, password="p", ca_file=None)
    assert merged == ClientOptions(plain_http=True, timeout=9.0, username="u", password="p")
    assert base.timeout == 5.0


def test_merged_refuses_a_bad_timeout_and_an_unknown_name() -> None:
    for bad in (0, -1.0, "10"):
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            ClientOptions().merged(timeout=bad)
    with pytest.raises(TypeError, match="plain_htttp"):
        ClientOptions().merged(plain_htttp=True)


def test_the_preconnect_session_is_carried_but_not_compared() -> None:
    session = Preconnect()
    carried = ClientOptions(plain_http=True, preconnected=session)
    assert carried.preconnected is session
    assert carried == ClientOptions(plain_http=True)
    assert "Preconnect" not in repr(carried)
