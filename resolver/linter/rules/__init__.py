"""Lint rules: the registry (:mod:`resolver.linter.rules.base`) and the built-in rule modules.

Importing this package is cheap: it re-exports the registry API only. The engine calls
:func:`load_builtin_rules` to import the rule modules, which register their rules and checkers.
"""

from __future__ import annotations

from resolver.linter.findings import Severity
from resolver.linter.rules.base import (
    CHECKERS,
    EMITS,
    RULES,
    Checker,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    UnregisteredRule,
    checker,
    get_rule,
    register,
    to_finding,
)

# Rule families, in documentation order.
BUILTIN_MODULES: tuple[str, ...] = (
    "meta",
    "chart",
    "repository",
    "lock",
    "images",
    "digestkey",
    "ci",
    "online",
    "policy",
)


def load_builtin_rules() -> dict[str, Rule]:
    """Import every built-in rule module (once) and return the registry.

    Every module must import: a missing or broken built-in module is a bug in chartlock, never
    a smaller rule set (its ImportError propagates).
    """
    import importlib  # here: importing this package (check does, for the registry) stays cheap

    for name in BUILTIN_MODULES:
        importlib.import_module(f"resolver.linter.rules.{name}")
    return RULES


__all__ = [
    "BUILTIN_MODULES",
    "CHECKERS",
    "EMITS",
    "RULES",
    "CheckOptions",
    "Checker",
    "FileKind",
    "LintTarget",
    "Problem",
    "Rule",
    "Severity",
    "UnregisteredRule",
    "checker",
    "get_rule",
    "load_builtin_rules",
    "register",
    "to_finding",
]
