"""Registry failures in words: transport errors, over-large bodies, unknown manifests."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from resolver.errors import RegistryError
from resolver.registry.bounds import BodyTooLarge, loads, size_text
from resolver.registry.messages import describe
from resolver.registry.reference import Repository
from resolver.registry.scrub import printable


def attempts(attempt: int) -> str:
    return f" (after {attempt} attempts)" if attempt > 1 else ""


def too_large(exc: BodyTooLarge, limit: str) -> str:
    host = printable(exc.host)
    if exc.budget:
        return (
            f"{host} sent more than this run reads in all ({size_text(exc.cap)} of tag lists "
            "and manifests together)"
        )
    if exc.announced is not None:
        said = f"{host} announced a body of {exc.announced} bytes"
    else:
        said = f"{host} sent more than {size_text(exc.cap)}"
    return f"{said} ({limit or 'the limit is ' + size_text(exc.cap)})"


def manifest_unknown(repo: Repository, what: str) -> RegistryError:
    return repo.error(
        f"{repo}: {what} does not exist (manifest unknown); check the version, or push the chart",
        code="MANIFEST_UNKNOWN",
        status=404,
    )


def transport_error(exc: httpx.HTTPError) -> str:
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS certificate verification failed (see --ca-file)"
        if "WRONG_VERSION_NUMBER" in text or "record layer" in text:
            return "TLS handshake failed (is it a plain-HTTP registry? see --plain-http)"
        if text.startswith("proxy "):  # resolver.registry.tunnel: the proxy is unreachable
            return f"cannot connect through the {text}"
        return f"cannot connect: {connect_reason(text)}"
    if isinstance(exc, httpx.DecodingError):
        return f"the response could not be decoded ({printable(text, 60)})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed or the response was malformed"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset while reading"
    return type(exc).__name__


# What an OS or TLS error message says, in words; the first match wins (the text of a failed
# connect to several addresses lists each address's error).
_CONNECT_REASONS = (
    (("refused", "Errno 111", "Errno 61", "Connect call failed"), "connection refused"),
    (
        (
            "Name or service not known",
            "nodename nor servname",
            "No address associated",
            "Errno -2",
            "Errno -5",
            "Errno 8]",
            "getaddrinfo failed",
        ),
        "host name not known",
    ),
    (("Temporary failure in name resolution", "Errno -3"), "host name lookup failed"),
    (("Network is unreachable", "Errno 101"), "network unreachable"),
    (("No route to host", "Errno 113"), "no route to host"),
    (("timed out", "Errno 110"), "timed out"),
    (("reset", "Errno 104"), "connection reset"),
    (("CERTIFICATE", "SSL", "TLS"), "TLS handshake failed"),
)


def connect_reason(text: str) -> str:
    """Why a connection failed, in a few words, from the error's text."""
    for needles, reason in _CONNECT_REASONS:
        if any(needle in text for needle in needles):
            return reason
    return printable(text, 80) or "unknown error"


def status_error(
    response: httpx.Response,
    repo: Repository,
    what: str,
    scrub: Callable[[str], str],
    *,
    from_registry: bool = True,
) -> RegistryError:
    """The error for an unexpected status: the registry's error code in words
    (:func:`resolver.registry.messages.describe`), or the status, naming the host when it is
    not the registry (a Link or a redirect named it). ``scrub`` removes the credentials in
    use from the registry-sent text."""

    def show(text: str, limit: int) -> str:
        return printable(scrub(text), limit)

    code, detail = "", ""
    try:
        data = loads(response.content)  # an error body: cut at MAX_ERROR_BYTES
        first = (data.get("errors") or [{}])[0]
        code = str(first.get("code") or "")
        detail = str(first.get("message") or "")
    except (ValueError, AttributeError, TypeError, IndexError, KeyError):
        pass
    status = response.status_code
    host = response.url.netloc.decode("ascii", "replace")
    if not from_registry:
        # Not the registry: a Link or a redirect named this host. Say so, and name it.
        message = f"{repo}: {what}: {show(host, 80)} (not the registry) answered HTTP {status}"
        if status in (401, 403):
            message += (
                "; chartlock sends credentials only to the registry and its token realm, "
                "never to other hosts its responses point to"
            )
        return repo.error(scrub(message), status=status)
    code, detail = show(code, 60), show(detail, 200)
    if not code:
        code = {401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS"}.get(status, "")
    if code:
        message = describe(code, repo.registry, repo.path, detail)
        if code == "MANIFEST_UNKNOWN" and what:
            message = f"{repo}: {what}: manifest unknown; check the version, or push the chart"
    else:
        message = f"{repo}: {what}: unexpected HTTP status {status}"
    return repo.error(scrub(message), code=code, status=status)
