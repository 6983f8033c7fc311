"""Lint rules: the registry (:mod:`resolver.linter.rules.base`) and the built-in rule modules.

Importing this package is cheap: it re-exports the registry API only. The engine calls
:func:`load_builtin_rules` to import the rule modules, which register their rules and checkers.
"""

from __future__ import annotations

import importlib

from resolver.linter.findings import Severity
from resolver.linter.rules.base import (
    CHECKERS,
    RULES,
    Checker,
    CheckOptions,
    FileKind,
    LintTarget,
    Problem,
    Rule,
    checker,
    get_rule,
    register,
    to_finding,
)

# Rule families, in documentation order.
BUILTIN_MODULES: tuple[str, ...] = (
    "meta",
    "chart",
    "lock",
    "images",
    "digestkey",
    "ci",
    "online",
    "policy",
)


def load_builtin_rules() -> dict[str, Rule]:
    """Import every built-in rule module (once) and return the registry.

    A module that does not exist yet is skipped (rule families are written independently);
    any other import error propagates.
    """
    for name in BUILTIN_MODULES:
        module = f"resolver.linter.rules.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return RULES


__all__ = [
    "BUILTIN_MODULES",
    "CHECKERS",
    "RULES",
    "CheckOptions",
    "Checker",
    "FileKind",
    "LintTarget",
    "Problem",
    "Rule",
    "Severity",
    "checker",
    "get_rule",
    "load_builtin_rules",
    "register",
    "to_finding",
]
