"""helm's configuration paths (pkg/helmpath): the file's own variable, then HELM_CONFIG_HOME,
then the platform directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from resolver.chart.repoconfig import default_path
from resolver.registry.credentials import helm_registry_config
from resolver.util.helmpaths import config_file, config_home


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HELM_CONFIG_HOME",
        "XDG_CONFIG_HOME",
        "HELM_REPOSITORY_CONFIG",
        "HELM_REGISTRY_CONFIG",
        "APPDATA",
    ):
        monkeypatch.delenv(name, raising=False)


def test_helm_config_home_wins_over_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELM_CONFIG_HOME", "/h")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/x")
    assert config_home() == Path("/h")
    assert default_path() == Path("/h/repositories.yaml")
    assert helm_registry_config() == Path("/h/registry/config.json")


def test_the_files_own_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELM_CONFIG_HOME", "/h")
    monkeypatch.setenv("HELM_REPOSITORY_CONFIG", "/r.yaml")
    monkeypatch.setenv("HELM_REGISTRY_CONFIG", "/c.json")
    assert default_path() == Path("/r.yaml")
    assert helm_registry_config() == Path("/c.json")
    assert config_file("NOT_SET_ANYWHERE", "a", "b") == Path("/h/a/b")


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CONFIG_HOME": "/x"}, "/x/helm"),
        ("linux", {}, "~/.config/helm"),
        ("darwin", {"XDG_CONFIG_HOME": "/x"}, "~/Library/Preferences/helm"),
        ("win32", {"APPDATA": "/appdata"}, "/appdata/helm"),
    ],
)
def test_the_platform_directory(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config_home() == Path(expected).expanduser()
