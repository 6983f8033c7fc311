"""Configuration of provenance checks: ``require-provenance:`` and ``keyring:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import ConfigError
from resolver.linter.config import Config, load_config
from tests.linter.helpers import write


def test_defaults_require_nothing(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.require_provenance is False and config.keyring is None
    assert not config.requires_provenance("web", "oci://ghcr.io/acme")


@pytest.mark.parametrize("value", ["true", "all"])
def test_true_and_all_require_every_dependency(tmp_path: Path, value: str) -> None:
    write(
        tmp_path, {".chartlock.yaml": f"require-provenance: {value}\nkeyring: keys/trusted.gpg\n"}
    )
    config = load_config(cwd=tmp_path)
    assert config.requires_provenance("anything", "https://charts.example.com")
    assert config.keyring == (tmp_path / "keys" / "trusted.gpg").resolve()


def test_list_matches_repository_globs_and_name_globs() -> None:
    config = Config(
        require_provenance=("oci://ghcr.io/acme/*", "https://charts.example.com/", "db-*")
    )
    assert config.requires_provenance("web", "oci://ghcr.io/acme/charts")
    assert config.requires_provenance("web", "https://charts.example.com")
    assert config.requires_provenance("db-main", "oci://other.io/x")
    assert not config.requires_provenance("web", "oci://ghcr.io/other")
    assert not config.requires_provenance("mydb-x", "oci://other.io/x")


@pytest.mark.parametrize(
    "text",
    ["require-provenance: some\n", "require-provenance: [1]\n", "keyring: ''\n", "keyring: 3\n"],
)
def test_invalid_values_are_config_errors(tmp_path: Path, text: str) -> None:
    write(tmp_path, {".chartlock.yaml": text})
    with pytest.raises(ConfigError):
        load_config(cwd=tmp_path)
