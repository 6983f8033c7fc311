"""The registry auth dance as an ``httpx.Auth`` flow: 401 → (token) → retry.

The first request to a host goes out without credentials. A ``Basic`` challenge is answered with
the stored credential; a ``Bearer`` challenge with a token from its realm (a ``registrytoken``
as is; an ``identitytoken`` through the OAuth2 refresh grant; else a GET with Basic credentials
or anonymously). Tokens are cached per (host, scope) and reused by every later request, so a run
asks for one token per repository. Once a host's challenge is known, a token for a new scope is
fetched before the request, which saves the 401 round trip.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Generator
from typing import Any

import httpx

from resolver.errors import RegistryError
from resolver.registry.bounds import CAP_EXTENSION, MAX_TOKEN_BYTES, loads
from resolver.registry.challenges import Challenge as Challenge
from resolver.registry.challenges import parse_challenges as parse_challenges
from resolver.registry.challenges import preferred
from resolver.registry.credentials import Credential, CredentialStore
from resolver.registry.scrub import printable, scrub, variants

SCOPE_EXTENSION = "chartlock_scope"


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 else host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def basic_header(cred: Credential) -> str:
    raw = f"{cred.username}:{cred.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class RegistryAuth(httpx.Auth):
    """Challenge/response for OCI registries, with a token cache shared across requests."""

    requires_response_body = True

    def __init__(self, credentials: CredentialStore, *, allow_plain_http: bool = False) -> None:
        self.credentials = credentials
        self.allow_plain_http = allow_plain_http
        self.tokens: dict[tuple[str, str], str] = {}
        self.challenges: dict[str, Challenge] = {}
        self.token_requests = 0
        # Every credential looked up and every token received, in each printable form: error
        # messages are scrubbed of these before they are shown (resolver.registry.scrub).
        self.secrets: set[str] = set()

    def remember(self, cred: Credential) -> None:
        if not cred.empty:
            self.secrets |= variants(
                cred.username, cred.password, cred.identity_token, cred.registry_token
            )

    def __repr__(self) -> str:
        return f"RegistryAuth(hosts={sorted(self.challenges)})"

    def adopt(self, host: str, header: str, tokens: dict[str, str]) -> None:
        """What :mod:`resolver.registry.earlyauth` learnt of ``host`` before the client
        started: its challenge (``WWW-Authenticate`` ``header``, received from that host in this
        run, so a credential may now go with the first request, as after any 401) and,
        when no credential exists for the host, the anonymous ``tokens`` it got per scope (a
        host with credentials gets its own tokens, which may grant more). Never replaces what
        the client learnt itself."""
        challenge = preferred(parse_challenges(header))
        if challenge is None or host in self.challenges:
            return
        import logging

        logging.getLogger("chartlock.registry").debug(
            "%s: %s challenge learnt at start-up", host, challenge.scheme
        )
        self.challenges[host] = challenge
        if challenge.scheme != "bearer" or not tokens:
            return
        cred = self.credentials.get(_host_key(host))
        self.remember(cred)
        if not cred.empty:
            return
        for scope, token in tokens.items():
            self.tokens.setdefault((host, scope), token)
            self.secrets |= variants("", "", token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        host = request.url.netloc.decode("ascii")
        scope = str(request.extensions.get(SCOPE_EXTENSION, ""))
        known = self.challenges.get(host)
        if known is not None:
            yield from self._authorize(request, host, scope, known, fresh=False)
        response = yield request
        if response.status_code != 401:
            return
        challenges = parse_challenges(response.headers.get("WWW-Authenticate", ""))
        challenge = preferred(challenges)
        if challenge is None:
            return
        self.challenges[host] = challenge
        if challenge.scheme == "bearer" and challenge.params.get("scope"):
            scope = challenge.params["scope"]
        had = "Authorization" in request.headers
        authorized = yield from self._authorize(request, host, scope, challenge, fresh=had)
        if authorized:
            yield request

    def _authorize(
        self, request: httpx.Request, host: str, scope: str, challenge: Challenge, *, fresh: bool
    ) -> Generator[httpx.Request, httpx.Response, bool]:
        cred = self.credentials.get(_host_key(host))
        self.remember(cred)
        if challenge.scheme == "basic":
            if cred.empty:
                return False
            self._refuse_plain_http(request, host)
            request.headers["Authorization"] = basic_header(cred)
            return True
        key = (host, scope)
        token = None if fresh else self.tokens.get(key)
        if token is None:
            token = yield from self._fetch_token(request, host, scope, challenge, cred)
            if token is None:
                return False
            self.tokens[key] = token
            self.secrets |= variants("", "", token)
        request.headers["Authorization"] = f"Bearer {token}"
        return True

    def _fetch_token(
        self,
        request: httpx.Request,
        host: str,
        scope: str,
        challenge: Challenge,
        cred: Credential,
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        if cred.registry_token:
            return cred.registry_token
        realm = challenge.params.get("realm", "")
        if not realm:
            raise RegistryError(f"{host}: bearer challenge without a realm", registry=host)
        service = challenge.params.get("service", "")
        self.token_requests += 1
        if cred.identity_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": cred.identity_token,
                "client_id": "chartlock",
                "service": service,
                "scope": scope,
            }
            token_request = httpx.Request("POST", realm, data=form)
        else:
            params: dict[str, Any] = {"service": service}
            if scope:
                params["scope"] = scope
            token_request = httpx.Request("GET", realm, params=params)
            if cred.username or cred.password:
                self._refuse_plain_http(token_request, token_request.url.netloc.decode())
                token_request.headers["Authorization"] = basic_header(cred)
        token_request.extensions[CAP_EXTENSION] = MAX_TOKEN_BYTES
        # The deadline of the request that needs the token covers the token request too.
        response = yield token_request
        if response.status_code != 200:
            raise RegistryError(
                f"{host}: token request to {self._show(_redact(realm))} failed with status "
                f"{response.status_code} (scope {scope or '-'}); check your credentials",
                registry=host,
                status=response.status_code,
                code="UNAUTHORIZED" if response.status_code in (401, 403) else "",
            )
        try:
            data = loads(response.content)
        except ValueError:  # also a nesting bomb (see resolver.registry.bounds.loads)
            data = None
        if not isinstance(data, dict):
            data = {}
        token = data.get("token") or data.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryError(
                f"{host}: token endpoint {self._show(_redact(realm))} returned no token",
                registry=host,
            )
        return token

    def _show(self, text: str) -> str:
        """A registry-named URL fit to print: scrubbed, then one printable line."""
        return printable(scrub(text, self.secrets), 120)

    def _refuse_plain_http(self, request: httpx.Request, host: str) -> None:
        if request.url.scheme == "http" and not self.allow_plain_http and not is_loopback(host):
            raise RegistryError(
                f"{host}: refusing to send credentials over plain HTTP to a non-loopback host; "
                "use TLS, or pass --plain-http if you mean it",
                registry=host,
            )


def _host_key(host: str) -> str:
    return host


def _redact(url: str) -> str:
    return url.split("?", 1)[0]
