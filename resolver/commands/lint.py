"""``chartlock lint``: the command core. Finds the configuration, runs the lint engine
(:mod:`resolver.linter.engine`) and, with ``--online``, the registry rules.

    import resolver
    report = resolver.lint(["charts/"], resolver.Config(select=["CL1"]))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from resolver.errors import ChartlockError
from resolver.linter.config import Config, load_config
from resolver.linter.engine import OnlineCheck, run_lint
from resolver.linter.findings import Finding, Report

TYPE_CHECKING = False  # typing stays off the start-up path
if TYPE_CHECKING:
    from typing import Any


def lint(
    paths: Sequence[str | Path] = (".",),
    config: Config | None = None,
    *,
    cwd: Path | None = None,
    online: bool = False,
    online_options: Any = None,
) -> Report:
    """Lint the charts and CI files under ``paths`` (relative to ``cwd``, default: the cwd).

    ``config`` defaults to the discovered configuration
    (:func:`resolver.linter.config.load_config`).
    ``online`` also runs the registry rules CL501-CL504 (``resolver.commands.verify``), with
    ``online_options`` (:class:`resolver.commands.lock.ClientOptions`).
    Raises :class:`~resolver.errors.ConfigError` for a bad configuration and
    :class:`~resolver.errors.InputError` for a path that does not exist or holds nothing to lint.
    Files that cannot be read at all and internal checker failures go to ``report.errors`` (the
    CLI exits 2); files that read but do not parse are CL003 findings.
    """
    base = Path(os.path.abspath(cwd or Path.cwd()))
    if config is None:
        config = load_config(cwd=base)
    return run_lint(paths, config, base, online=_online(online_options) if online else None)


def _online(options: Any) -> OnlineCheck:
    """The registry rules for the engine: ``verify``'s findings for the linted charts."""

    def check(charts: list[Path]) -> list[Finding]:
        try:
            from resolver.commands.verify import verify_findings
        except ModuleNotFoundError as exc:
            raise ChartlockError(
                f"--online needs resolver.commands.verify, which is not available ({exc})"
            ) from None
        return list(verify_findings(charts, options))

    return check
