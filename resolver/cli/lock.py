"""``chartlock lock``: resolve ranges like Helm and write Chart.lock with digests.

Conservative by default: what is locked stays locked while its range allows it (see
:mod:`resolver.resolution.plan`); ``--upgrade`` re-resolves everything like ``helm
dependency update``, ``--upgrade-package NAME[==VERSION]`` just the named dependencies.
Every run says what changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resolver.cli.common import add_format_option, add_registry_options
from resolver.cli.online import (
    add_chart_arguments,
    add_keyring_option,
    chart_dirs,
    client_options,
    maybe_config,
    provenance_policy,
    start,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.commands.lock import LockOutcome

HELP = "resolve dependencies like helm and write Chart.lock with per-dependency digests"


def configure(parser: argparse.ArgumentParser) -> None:
    add_chart_arguments(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when a lock would change, naming what would change",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="do not write; print the lock(s) that would be written (the summary goes to stderr)",
    )
    parser.add_argument(
        "-U",
        "--upgrade",
        action="store_true",
        help="re-resolve every dependency to the newest version its range allows "
        "(exactly `helm dependency update`); default: keep what is locked",
    )
    parser.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME[==VERSION]",
        help="re-resolve this dependency (name or alias) to the newest version its range "
        "allows, or to VERSION; repeatable",
    )
    parser.add_argument(
        "--strategy",
        choices=("conservative", "newest"),
        help="conservative: keep what is locked (default); newest: as --upgrade, like helm "
        "(overrides the configuration's lock.strategy)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .chartlock.yaml or pyproject.toml found upwards); "
        "`lock: {strategy: newest}` makes --upgrade the default",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="lock only charts whose provenance (.prov) verifies against --keyring, and record "
        "each signer's key fingerprint (`signer:`, ignored by helm); any failure writes nothing "
        "(needs `pip install 'chartlock[provenance]'`)",
    )
    add_keyring_option(parser)
    add_format_option(parser, ("text", "json"))
    add_registry_options(parser)


def _strategy(args: argparse.Namespace) -> str:
    """``lock.strategy`` from the configuration file, if there is one.

    resolver.linter.config (json, jsonschema) is imported only when a file that may hold the
    configuration exists on the way up; most lock runs find none.
    """
    if args.strategy:
        return str(args.strategy)
    if not args.config and not maybe_config(Path.cwd()):
        return "conservative"
    from resolver.util.configfind import find_config

    path = Path(args.config) if args.config else find_config()
    if path is None:
        return "conservative"
    from resolver.linter.config import load_config

    return load_config(path).lock_strategy


def run(args: argparse.Namespace) -> int:
    dirs = chart_dirs(args.charts)
    # The early tag lists only pay off when ranges are resolved: a conservative run over
    # locked charts only HEADs the locked tags. The configuration (which may say "newest")
    # is read after the connections begin, unless it alone decides whether to list early.
    if args.upgrade or any(not _has_lock(d) for d in dirs):
        start(args, dirs, early_lists=True)
        upgrade_all = True if args.upgrade else _strategy(args) == "newest"
    else:
        upgrade_all = _strategy(args) == "newest"
        start(args, dirs, early_lists=upgrade_all)
    from resolver.commands.lock import lock_charts
    from resolver.resolution.plan import Upgrade, parse_upgrade

    packages = parse_upgrade(args.upgrade_package).packages if args.upgrade_package else {}
    upgrade = Upgrade(everything=upgrade_all, packages=packages)
    check_only = args.check or args.dry_run
    policy = provenance_policy(args, args.verify)
    if policy is not None:
        from resolver.commands.lockverify import lock_charts_verified

        outcomes = lock_charts_verified(
            dirs,
            client_options(args),
            policy[0],
            require=policy[1],
            check_only=check_only,
            upgrade=upgrade,
        )
    else:
        outcomes = lock_charts(dirs, client_options(args), check_only=check_only, upgrade=upgrade)
    if args.format == "json":
        import json

        print(json.dumps(_json(outcomes, dry_run=args.dry_run), indent=2))
    else:
        summary = sys.stderr if args.dry_run else sys.stdout
        for o in outcomes:
            summary.write(_summary(o))
        if args.dry_run:
            for o in outcomes:
                if o.text:
                    sys.stdout.write(f"# {_lock_display(o)}\n{o.text}")
    return 1 if args.check and any(o.status == "would change" for o in outcomes) else 0


def _has_lock(chart_dir: Path) -> bool:
    return (chart_dir / "Chart.lock").is_file() or (chart_dir / "requirements.lock").is_file()


def _lock_display(o: LockOutcome) -> str:
    from resolver.commands.lock import lock_path

    return f"{o.display}/{lock_path(o.chart_dir).name}"


def _summary(o: LockOutcome) -> str:
    count = len(o.entries)
    noun = "dependency" if count == 1 else "dependencies"
    from resolver.commands.lock import lock_path

    if o.status == "no dependencies":  # nothing to lock, and no lock file is written
        return f"{o.display}: no dependencies, nothing to lock\n"
    lines = [f"{o.display}: {lock_path(o.chart_dir).name} {o.status} ({count} {noun})"]
    if o.status in ("created", "updated", "would change"):
        lines += [f"  {change.text()}" for change in o.changes]
        if not o.changes:
            # Same entries: only Helm's lock digest moves (Chart.yaml's dependencies changed).
            lines.append("  versions and digests kept; the lock digest follows Chart.yaml")
    return "\n".join(lines) + "\n"


def _json(outcomes: list[LockOutcome], *, dry_run: bool) -> dict[str, object]:
    charts = []
    for o in outcomes:
        item: dict[str, object] = {
            "path": o.display,
            "status": o.status,
            "digest": o.digest,
            "dependencies": [
                {
                    "name": e.name,
                    "repository": e.repository,
                    "version": e.version,
                    "digest": e.content_digest,
                }
                for e in o.entries
            ],
            "changes": [c.to_dict() for c in o.changes] if o.status != "unchanged" else [],
        }
        if dry_run:
            item["lock"] = o.text or None
        charts.append(item)
    return {"charts": charts, "errors": []}  # a failed run prints {"errors": [...]} (cli)
