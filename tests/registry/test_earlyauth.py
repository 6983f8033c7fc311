"""resolver.registry.earlyauth: the start-up probe of a TLS registry's challenge and its one
anonymous multi-scope token; RegistryAuth.adopt; preconnect.probe_jobs."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from resolver.registry import earlyauth
from resolver.registry.auth import RegistryAuth
from resolver.registry.credentials import Credential, CredentialStore
from resolver.registry.preconnect import Wanted, probe_jobs
from resolver.registry.proxyenv import Proxy, from_environ
from resolver.registry.reference import Repository
from resolver.registry.tls import client_context
from tests.support.certs import make_ca_and_server_cert
from tests.support.forwardproxy import ForwardProxy

Answer = tuple[int, dict[str, str], bytes]


class Seen:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.authorization: list[str | None] = []


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[str], Answer]], tuple[str, Seen]]]:
    """A loopback HTTP server answering each GET with ``answer(path)``; its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[str], Answer]) -> tuple[str, Seen]:
        seen = Seen()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                seen.paths.append(self.path)
                seen.authorization.append(self.headers.get("Authorization"))
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def never_proxied(scheme: str, host: str, port: int) -> bool:
    return False


def no_tls() -> ssl.SSLContext:
    raise AssertionError("no TLS expected")


SCOPES = ["repository:a/one:pull", "repository:a/two:pull"]


def token_answer(path: str) -> Answer:
    return 200, {"Content-Type": "application/json"}, json.dumps({"token": "tok-1"}).encode()


def test_one_anonymous_token_request_names_every_scope(serve) -> None:  # type: ignore[no-untyped-def]
    base, seen = serve(token_answer)
    header = f'Bearer realm="{base}/token",service="reg",scope="repository:a/one:pull"'
    tokens = earlyauth.anonymous_tokens(header, SCOPES, no_tls, never_proxied, 5.0)
    assert tokens == {scope: "tok-1" for scope in SCOPES}
    assert len(seen.paths) == 1
    query = parse_qs(urlsplit(seen.paths[0]).query)
    assert query == {"service": ["reg"], "scope": SCOPES}
    assert seen.authorization == [None]  # never a credential


def test_the_realm_query_is_kept(serve) -> None:  # type: ignore[no-untyped-def]
    base, seen = serve(token_answer)
    header = f'Bearer realm="{base}/token?account=x",service="reg"'
    assert earlyauth.anonymous_tokens(header, SCOPES[:1], no_tls, never_proxied, 5.0)
    assert parse_qs(urlsplit(seen.paths[0]).query)["account"] == ["x"]


@pytest.mark.parametrize(
    "answer",
    [
        (400, {}, b'{"errors":[{"code":"DENIED"}]}'),  # refuses several scopes
        (200, {}, b"not json"),
        (200, {}, b'{"token": ""}'),
        (200, {}, b'["token"]'),
        (200, {}, b"[" * 100_000),  # too deep, and too large
    ],
)
def test_no_token_when_the_realm_gives_none(serve, answer: Answer) -> None:  # type: ignore[no-untyped-def]
    base, seen = serve(lambda path: answer)
    header = f'Bearer realm="{base}/token",service="reg"'
    assert earlyauth.anonymous_tokens(header, SCOPES, no_tls, never_proxied, 5.0) == {}
    assert len(seen.paths) == 1


def test_no_token_request_for_a_proxied_realm_or_a_basic_challenge(serve) -> None:  # type: ignore[no-untyped-def]
    base, seen = serve(token_answer)
    bearer = f'Bearer realm="{base}/token",service="reg"'
    assert earlyauth.anonymous_tokens(bearer, SCOPES, no_tls, lambda *a: True, 5.0) == {}
    basic = 'Basic realm="registry"'
    assert earlyauth.anonymous_tokens(basic, SCOPES, no_tls, never_proxied, 5.0) == {}
    assert earlyauth.anonymous_tokens(bearer, [], no_tls, never_proxied, 5.0) == {}
    odd = 'Bearer realm="file:///etc/passwd",service="reg"'
    assert earlyauth.anonymous_tokens(odd, SCOPES, no_tls, never_proxied, 5.0) == {}
    assert seen.paths == []


def test_exchange_refuses_oversized_and_chunked_answers(serve) -> None:  # type: ignore[no-untyped-def]
    big, _ = serve(lambda path: (200, {}, b"x" * (earlyauth.MAX_ANSWER_BYTES + 1)))
    port = int(big.rsplit(":", 1)[1])
    with pytest.raises(ValueError, match="too large"):
        earlyauth.exchange("http", "127.0.0.1", port, "h", "/", no_tls, 5.0)
    chunked, _ = serve(lambda path: (200, {"Transfer-Encoding": "chunked"}, b"0\r\n\r\n"))
    port = int(chunked.rsplit(":", 1)[1])
    with pytest.raises(ValueError, match="chunked"):
        earlyauth.exchange("http", "127.0.0.1", port, "h", "/", no_tls, 5.0)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, Seen]]:
    """A TLS server (its own CA) answering /v2/ with a Bearer challenge for a loopback realm
    that hands out anonymous tokens (the realm over plain HTTP, on another port)."""
    seen = Seen()
    realm = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen, realm_base=""))
    realm_base = f"http://127.0.0.1:{realm.server_address[1]}"
    registry = ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen, realm_base=realm_base))
    ca, cert, key = make_ca_and_server_cert(tmp_path / "certs")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    registry.socket = context.wrap_socket(registry.socket, server_side=True)
    for server in (realm, registry):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield registry.server_address[1], ca, seen
    for server in (realm, registry):
        server.shutdown()
        server.server_close()


def _handler(seen: Seen, *, realm_base: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.paths.append(self.path)
            seen.authorization.append(self.headers.get("Authorization"))
            if realm_base:  # the registry
                self.send_response(401)
                self.send_header(
                    "WWW-Authenticate", f'Bearer realm="{realm_base}/token",service="reg"'
                )
                body = b'{"errors":[{"code":"UNAUTHORIZED"}]}'
            else:
                self.send_response(200)
                body = json.dumps({"access_token": "anon-tok"}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def test_the_probe_learns_the_challenge_and_one_token_over_verified_tls(
    tls_server: tuple[int, Path, Seen],
) -> None:
    port, ca, seen = tls_server
    netloc = f"127.0.0.1:{port}"
    jobs = [earlyauth.Job(netloc, "127.0.0.1", port, SCOPES)]
    probes = earlyauth.start(jobs, lambda: client_context(ca_file=str(ca)), never_proxied, 5.0)
    probe = probes[netloc]
    assert probe.done.wait(10)
    assert probe.challenge.startswith("Bearer realm=")
    assert probe.tokens == {scope: "anon-tok" for scope in SCOPES}
    assert seen.paths[0] == "/v2/"
    assert parse_qs(urlsplit(seen.paths[1]).query)["scope"] == SCOPES
    assert seen.authorization == [None, None]


@pytest.mark.parametrize("authorized", [True, False])
def test_the_probe_tunnels_through_an_http_proxy(
    tls_server: tuple[int, Path, Seen], authorized: bool
) -> None:
    port, ca, seen = tls_server
    netloc = f"127.0.0.1:{port}"
    with ForwardProxy(credentials=("proxyuser", "pr0xy-pass")) as forward:
        value = "Basic " + base64.b64encode(b"proxyuser:pr0xy-pass").decode()
        proxy = Proxy("http", "127.0.0.1", forward.port, value if authorized else None)
        jobs = [earlyauth.Job(netloc, "127.0.0.1", port, SCOPES, proxy)]
        probes = earlyauth.start(jobs, lambda: client_context(ca_file=str(ca)), never_proxied, 5.0)
        assert probes[netloc].done.wait(10)
        assert netloc in forward.targets()  # CONNECT went through the proxy
    if authorized:
        assert probes[netloc].challenge.startswith("Bearer realm=")
        assert probes[netloc].tokens == {scope: "anon-tok" for scope in SCOPES}
        assert seen.paths[0] == "/v2/"
    else:  # 407: given up, nothing reached the registry
        assert (probes[netloc].challenge, probes[netloc].tokens) == ("", {})
        assert seen.paths == []


def test_the_probe_gives_up_on_an_untrusted_certificate(
    tls_server: tuple[int, Path, Seen],
) -> None:
    port, _, seen = tls_server
    netloc = f"127.0.0.1:{port}"
    jobs = [earlyauth.Job(netloc, "127.0.0.1", port, SCOPES)]
    probes = earlyauth.start(jobs, lambda: client_context(), never_proxied, 5.0)
    assert probes[netloc].done.wait(10)
    assert (probes[netloc].challenge, probes[netloc].tokens) == ("", {})
    assert seen.paths == []  # nothing sent to a server that failed verification


def test_the_probe_of_a_refused_port_finishes_empty() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        jobs = [earlyauth.Job("x", "127.0.0.1", port, SCOPES)]
        probes = earlyauth.start(jobs, lambda: client_context(), never_proxied, 5.0)
        assert probes["x"].done.wait(10)
    assert (probes["x"].challenge, probes["x"].tokens) == ("", {})


class Store(CredentialStore):
    def __init__(self, creds: dict[str, Credential]) -> None:
        self.creds = creds

    def get(self, host: str) -> Credential:
        return self.creds.get(host, Credential())


CHALLENGE = 'Bearer realm="https://auth.example/token",service="reg"'


def test_adopt_keeps_anonymous_tokens_only_without_credentials() -> None:
    auth = RegistryAuth(Store({"private.example": Credential("u", "p")}))
    tokens = {SCOPES[0]: "anon-tok"}
    auth.adopt("public.example", CHALLENGE, tokens)
    auth.adopt("private.example", CHALLENGE, tokens)
    assert auth.tokens == {("public.example", SCOPES[0]): "anon-tok"}
    assert set(auth.challenges) == {"public.example", "private.example"}
    assert "anon-tok" in auth.secrets  # scrubbed from error messages like any token


def test_adopt_never_replaces_what_the_client_learnt() -> None:
    auth = RegistryAuth(Store({}))
    auth.adopt("r.example", 'Basic realm="first"', {})
    auth.adopt("r.example", CHALLENGE, {SCOPES[0]: "anon-tok"})
    assert auth.challenges["r.example"].scheme == "basic"
    assert auth.tokens == {}
    auth.adopt("n.example", "Negotiate", {SCOPES[0]: "anon-tok"})  # nothing chartlock answers
    assert "n.example" not in auth.challenges


def repo(host: str, path: str) -> Repository:
    return Repository(host, path)


def test_probe_jobs_one_per_registry_with_each_scope_once_and_its_proxy() -> None:
    wanted = [
        Wanted(repo("r.example", "a/one"), True),
        Wanted(repo("r.example", "a/two"), False),
        Wanted(repo("r.example", "a/one"), True),
        Wanted(repo("other.example:5000", "b"), True),
        Wanted(repo("proxied.example", "c"), True),
    ]
    environ = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "r.example,other.example"}
    jobs = probe_jobs(wanted, from_environ(environ))
    assert [(j.netloc, j.host, j.port, j.scopes, str(j.proxy)) for j in jobs] == [
        ("r.example", "r.example", 443, SCOPES, "None"),
        ("other.example:5000", "other.example", 5000, ["repository:b:pull"], "None"),
        ("proxied.example", "proxied.example", 443, ["repository:c:pull"], "http://127.0.0.1:9"),
    ]
    # Not through an https:// proxy (TLS inside TLS: left to the transport).
    https_proxy = from_environ({**environ, "HTTPS_PROXY": "https://127.0.0.1:9"})
    assert [j.netloc for j in probe_jobs(wanted, https_proxy)] == [
        "r.example",
        "other.example:5000",
    ]
    without = probe_jobs(wanted, from_environ({}), tokens=False)
    assert [(j.netloc, j.scopes) for j in without] == [
        ("r.example", []),
        ("other.example:5000", []),
        ("proxied.example", []),
    ]
