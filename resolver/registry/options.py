"""The registry client's options: Helm's registry flags, in one record.

Every way into the client builds one of these: the CLI from its flags
(:func:`resolver.cli.online.client_options`), the library from its keywords
(:func:`resolver.api.client_options`), and :class:`resolver.registry.client.RegistryClient`
takes it as it is. Import-light (no httpx): the CLI builds options before the heavy imports.
"""

from __future__ import annotations

from resolver.util.records import Record, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

    from resolver.registry.preconnect import Preconnect


class ClientOptions(Record):
    """Registry/transport options (Helm's flags). ``repr()`` never shows the password."""

    plain_http: bool = False
    insecure_skip_tls_verify: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float = 30.0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    repository_config: str | None = None
    max_per_host: int = 32
    # ((registry host, mirror URL), ...): a mirrored registry is served by its mirror
    # (resolver.registry.mirrors; the `mirrors:` configuration key and `--mirror HOST=URL`)
    mirrors: tuple[tuple[str, str], ...] = ()
    # The connections begun while chartlock was starting (resolver.registry.preconnect), for
    # the client's transport to take; not an option, so neither compared nor shown.
    preconnected: Preconnect | None = field(default=None, compare=False, repr=False)

    @property
    def tls_options(self) -> bool:
        """Whether any TLS flag is given (``--ca-file``, ``--cert-file`` with ``--key-file``,
        ``--insecure-skip-tls-verify``)."""
        pair = bool(self.cert_file and self.key_file)
        return bool(self.ca_file or pair or self.insecure_skip_tls_verify)

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context of these flags (:func:`resolver.registry.tls.client_context`)."""
        from resolver.registry.tls import client_context

        return client_context(
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
        )

    @property
    def uses_plain_http(self) -> bool:
        """Whether requests go over plain HTTP. Helm: any TLS option switches to the TLS client
        and ``--plain-http`` is ignored."""
        return self.plain_http and not self.tls_options

    def merged(self, **given: object) -> ClientOptions:
        """These options with the ``given`` fields replaced; ``None`` means "not given"
        (the library's keywords, :func:`resolver.api.resolve`)."""
        timeout = given.get("timeout")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        return self.replace(**{name: value for name, value in given.items() if value is not None})


__all__ = ["ClientOptions"]
