"""chartlock: Helm-exact dependency locking, verification and linting.

The public API is loaded lazily so that importing :mod:`resolver` stays cheap (offline commands
never import httpx)::

    import resolver
    report = resolver.lint(["charts/"])
    lock = resolver.resolve("charts/app")
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "parse_version": "resolver.semver",
    "parse_constraint": "resolver.semver",
    "Version": "resolver.semver",
    "Constraint": "resolver.semver",
    "load_chart": "resolver.loader",
    "load_lock": "resolver.loader",
    "hash_req": "resolver.lockfile",
    "check": "resolver.checking",
    "lint": "resolver.linting",
    "Config": "resolver.config",
    "resolve": "resolver.api",
    "resolve_async": "resolver.api",
    "Finding": "resolver.findings",
    "Report": "resolver.findings",
    "Severity": "resolver.findings",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
