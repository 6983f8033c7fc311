"""Shared fixtures: the real helm, a real registry with charts pushed by helm."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Pusher, RegistryServer
from tests.support.tokenserver import TokenServer
from tests.support.tools import require_helm, require_registry

# The tests talk to loopback servers only, and the proxy tests set the proxy variables they
# need: a proxy in the environment of whoever runs the suite (urllib, helm and httpx would each
# apply it by their own rules) must not reach them.
for _name in (
    *("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"),
    *("ALL_PROXY", "all_proxy", "REQUEST_METHOD"),
):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def helm_bin() -> str:
    return require_helm()


@pytest.fixture(scope="session")
def registry_bin() -> str:
    return require_registry()


@pytest.fixture(scope="session")
def registry(registry_bin: str) -> Iterator[RegistryServer]:
    with RegistryServer(registry_bin) as server:
        yield server


@pytest.fixture(scope="session")
def pusher(
    helm_bin: str, registry: RegistryServer, tmp_path_factory: pytest.TempPathFactory
) -> Pusher:
    return Pusher(helm_bin, registry, tmp_path_factory.mktemp("push"))


@pytest.fixture(scope="session")
def basic_registry(registry_bin: str) -> Iterator[RegistryServer]:
    with RegistryServer(registry_bin, username="chartuser", password="s3cr3t-P4ss") as server:
        yield server


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    server = TokenServer(
        tmp_path_factory.mktemp("token"), username="tokenuser", password="t0ken-S3cret"
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(registry_bin: str, token_server: TokenServer) -> Iterator[RegistryServer]:
    with RegistryServer(registry_bin, extra_auth=token_server.registry_auth_config()) as server:
        server.username, server.password = token_server.username, token_server.password
        yield server
