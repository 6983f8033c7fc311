"""Registry credentials from Helm's and Docker's config files, in Helm's order.

1. Helm's registry config (``$HELM_REGISTRY_CONFIG``, else ``$HELM_CONFIG_HOME/registry/
   config.json``, else the platform default), 2. Docker's (``$DOCKER_CONFIG/config.json``, else
   ``~/.docker/config.json``). In each: ``credHelpers[host]``, then ``credsStore``, then ``auths``
   (exact key, then any key whose host part matches). Helpers run as
   ``docker-credential-<name> get``. Secrets never appear in ``repr``/``str``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from resolver.util.helmpaths import config_file
from resolver.util.records import Record

DOCKER_HUB_KEY = "https://index.docker.io/v1/"


class Credential(Record):
    """A registry credential; ``repr()`` and ``str()`` name which secrets it holds, never
    their values."""

    username: str = ""
    password: str = ""
    identity_token: str = ""  # OAuth2 refresh token
    registry_token: str = ""  # bearer token used as is

    def __repr__(self) -> str:
        kinds = [
            k
            for k, v in (
                ("password", self.password),
                ("identitytoken", self.identity_token),
                ("registrytoken", self.registry_token),
            )
            if v
        ]
        return f"Credential(username={self.username!r}, secrets={kinds})"

    __str__ = __repr__

    @property
    def empty(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)


def helm_registry_config() -> Path:
    """``$HELM_REGISTRY_CONFIG``, else ``registry/config.json`` in helm's configuration home."""
    return config_file("HELM_REGISTRY_CONFIG", "registry", "config.json")


def docker_config() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def server_key(host: str) -> str:
    """The config key Docker and oras use for a host (Docker Hub has a legacy URL)."""
    return DOCKER_HUB_KEY if host in ("docker.io", "registry-1.docker.io") else host


def _hostname(key: str) -> str:
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.split("/", 1)[0]


def _from_entry(entry: dict[str, object]) -> Credential:
    username = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            username, password = decoded.split(":", 1)
    return Credential(
        username=username,
        password=password,
        identity_token=str(entry.get("identitytoken") or ""),
        registry_token=str(entry.get("registrytoken") or ""),
    )


def run_helper(name: str, server: str, timeout: float = 30.0) -> Credential:
    """``docker-credential-<name> get`` with the server address on stdin."""
    try:
        result = subprocess.run(
            [f"docker-credential-{name}", "get"],
            input=server,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Credential()
    if result.returncode != 0:
        return Credential()
    try:
        data = json.loads(result.stdout)
    except ValueError:
        return Credential()
    username = str(data.get("Username") or "")
    secret = str(data.get("Secret") or "")
    if username == "<token>":
        return Credential(identity_token=secret)
    return Credential(username=username, password=secret)


class CredentialStore:
    """Look up credentials for a registry host (cached per host for the run)."""

    __slots__ = ("files", "_cache")

    def __init__(self, files: list[Path] | None = None) -> None:
        self.files = files if files is not None else [helm_registry_config(), docker_config()]
        self._cache: dict[str, Credential] = {}

    def __repr__(self) -> str:
        return f"CredentialStore(files={[str(f) for f in self.files]})"

    def get(self, host: str) -> Credential:
        if host not in self._cache:
            self._cache[host] = self._lookup(host)
        return self._cache[host]

    def _lookup(self, host: str) -> Credential:
        key = server_key(host)
        for file in self.files:
            try:
                config = json.loads(file.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(config, dict):
                continue
            cred = self._from_config(config, key)
            if not cred.empty:
                return cred
        return Credential()

    def _from_config(self, config: dict[str, object], key: str) -> Credential:
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict) and isinstance(helpers.get(key), str):
            return run_helper(str(helpers[key]), key)
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            return run_helper(store, key)
        auths = config.get("auths")
        if not isinstance(auths, dict):
            return Credential()
        entry = auths.get(key)
        if not isinstance(entry, dict):
            wanted = _hostname(key)
            entry = next(
                (v for k, v in auths.items() if isinstance(v, dict) and _hostname(k) == wanted),
                None,
            )
        return _from_entry(entry) if isinstance(entry, dict) else Credential()


class StaticCredentials(CredentialStore):
    """``--username``/``--password``: the same credential for every host, like Helm."""

    __slots__ = ("_credential",)

    def __init__(self, username: str, password: str) -> None:
        super().__init__(files=[])
        self._credential = Credential(username=username, password=password)

    def get(self, host: str) -> Credential:
        return self._credential
