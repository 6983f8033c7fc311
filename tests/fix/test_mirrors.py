"""Registry mirrors (containerd hosts.toml / podman registries.conf semantics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import ConfigError
from resolver.linter.config import load_config
from resolver.registry.mirrors import (
    base_url,
    canonical_host,
    mirror_for,
    normalize,
    parse_mirror,
    repository_path,
)
from tests.support.cli import run_chartlock


def test_docker_hub_official_image_goes_to_library_path_on_the_mirror() -> None:
    mirrors = normalize([("docker.io", "http://127.0.0.1:5000/")])
    assert base_url(mirrors, "docker.io", "nginx") == "http://127.0.0.1:5000/v2/library/nginx"


def test_mirror_url_with_a_path_keeps_it() -> None:
    mirrors = normalize([("ghcr.io", "https://artifactory.example/docker-remote")])
    assert (
        base_url(mirrors, "ghcr.io", "org/app")
        == "https://artifactory.example/docker-remote/v2/org/app"
    )


@pytest.mark.parametrize("alias", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_docker_hub_aliases_share_a_mirror(alias: str) -> None:
    mirrors = normalize([("docker.io", "http://m:1")])
    assert mirror_for(mirrors, alias) == "http://m:1"
    assert canonical_host(alias.upper()) == "docker.io"


def test_unmirrored_registry_has_no_base() -> None:
    mirrors = normalize([("docker.io", "http://m:1")])
    assert base_url(mirrors, "quay.io", "a/b") is None
    assert mirror_for((), "docker.io") is None


def test_later_pair_wins_for_a_host() -> None:
    mirrors = normalize([("docker.io", "http://a:1"), ("registry-1.docker.io", "http://b:2")])
    assert mirrors == (("docker.io", "http://b:2"),)


def test_repository_path_only_prefixes_single_component_hub_names() -> None:
    assert repository_path("docker.io", "bitnami/nginx") == "bitnami/nginx"
    assert repository_path("ghcr.io", "nginx") == "nginx"


def test_parse_mirror() -> None:
    assert parse_mirror("quay.io=HTTPS://mirror.example:8443/q/") == (
        "quay.io",
        "https://mirror.example:8443/q",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("docker.io", "expected HOST=URL"),
        ("docker.io=ftp://x", "not an http:// or https:// mirror URL"),
        ("docker.io=127.0.0.1:5000", "not an http:// or https:// mirror URL"),
        ("docker.io=http://", "not an http:// or https:// mirror URL"),
        ("bad host=http://x", "is not a registry host"),
        ("docker.io=http://u:p@x", "no query, fragment or credentials"),
        ("docker.io=http://x/?a=b", "no query, fragment or credentials"),
    ],
)
def test_malformed_mirrors_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_mirror(text)


def test_cli_refuses_a_malformed_mirror_with_one_line(tmp_path: Path) -> None:
    result = run_chartlock("fix", "--mirror", "docker.io=ftp://x", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "--mirror: 'ftp://x' is not an http:// or https:// mirror URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_mirrors_are_validated_by_the_schema(tmp_path: Path) -> None:
    (tmp_path / ".chartlock.yaml").write_text("mirrors:\n  docker.io: ftp://x\n", "utf-8")
    with pytest.raises(ConfigError):
        load_config(tmp_path / ".chartlock.yaml")


def test_config_mirrors_are_read(tmp_path: Path) -> None:
    (tmp_path / ".chartlock.yaml").write_text(
        "mirrors:\n  docker.io: http://127.0.0.1:5000\n", "utf-8"
    )
    config = load_config(tmp_path / ".chartlock.yaml")
    assert config.mirrors == (("docker.io", "http://127.0.0.1:5000"),)
