"""The one TLS context builder: Helm's TLS flags to an ``ssl.SSLContext``.

Used by the registry client's transport (built lazily, on the first ``https://`` request: loading
a certificate store costs milliseconds a plain-HTTP run need not pay), by the https index
repositories and by the proxy routing transport, so a flag means the same thing everywhere.
"""

from __future__ import annotations

import ssl


def client_context(
    *,
    insecure_skip_tls_verify: bool = False,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> ssl.SSLContext:
    """A client TLS context: no verification with ``insecure_skip_tls_verify``; else the
    certificates of ``ca_file`` when given, else httpx's default store (certifi); the client
    certificate ``cert_file``/``key_file`` when both are given (helm ignores one alone). HTTP/1.1
    is offered by ALPN: chartlock's transport speaks nothing else."""
    if insecure_skip_tls_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_file or (cert_file and key_file):
        context = ssl.create_default_context(cafile=ca_file or None)
    else:
        import httpx

        context = httpx.create_ssl_context()
    if cert_file and key_file:
        context.load_cert_chain(cert_file, key_file)
    context.set_alpn_protocols(["http/1.1"])
    return context
