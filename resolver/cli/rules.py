"""``chartlock rules``: the rule registry (ids, names, severities, documentation)."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "list the lint rules (or explain one: chartlock rules CL103)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", metavar="RULE", help="show one rule in full")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


def run(args: argparse.Namespace) -> int:
    from resolver.errors import ChartlockError
    from resolver.linter.docs import rule_dict, rule_text
    from resolver.linter.fixable import is_fixable
    from resolver.linter.rules import load_builtin_rules

    rules = sorted(load_builtin_rules().values(), key=lambda r: r.id)
    if args.rule:
        chosen = [r for r in rules if r.id == args.rule.upper() or r.name == args.rule.lower()]
        if not chosen:
            raise ChartlockError(f"no rule {args.rule!r} (see `chartlock rules`)")
        rules = chosen
    if args.format == "json":
        sys.stdout.write(json.dumps([rule_dict(r) for r in rules], indent=2) + "\n")
    elif args.rule:
        sys.stdout.write(rule_text(rules[0]) + "\n")
    else:
        width = max((len(r.name) for r in rules), default=0)
        for r in rules:
            online = " (online)" if r.online else ""
            online += " (fixable)" if is_fixable(r.id) else ""
            sys.stdout.write(
                f"{r.id}  {r.name:<{width}}  {r.severity.label:<7}  {r.summary}{online}\n"
            )
    return 0
