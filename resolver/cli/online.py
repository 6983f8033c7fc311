"""What the online commands (verify, pull, outdated) share: chart arguments and client options.

Imports nothing heavy at module level: httpx is imported by the command cores, inside ``run()``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from resolver.errors import ChartlockError

TYPE_CHECKING = False

if TYPE_CHECKING:
    from resolver.chart.provenance import Keyring
    from resolver.commands.lock import ClientOptions


def add_chart_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "charts",
        nargs="*",
        default=["."],
        metavar="CHART_DIR",
        help="chart directories, or directories to search for charts (default: .)",
    )


def chart_dirs(paths: Sequence[str]) -> list[Path]:
    """The charts under ``paths`` (chart directories, their Chart.yaml/Chart.lock, or
    directories holding charts), found like every other command finds them
    (:func:`resolver.chart.discovery.find_charts`); raises for a path that is missing or holds
    none."""
    from resolver.chart.discovery import find_charts

    return find_charts(paths or ["."])


def read_password(args: argparse.Namespace) -> str | None:
    """``--password-stdin``: one line from standard input (never echoed or logged).

    A password without a user name would be silently unused: refused, like helm's
    ``registry login`` wants ``-u USER --password-stdin``.
    """
    if not getattr(args, "password_stdin", False):
        return None
    if not getattr(args, "username", None):
        raise ChartlockError("--password-stdin needs --username (the password is that user's)")
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def add_keyring_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keyring",
        metavar="FILE",
        help="OpenPGP keyring with the keys trusted to sign charts, binary or ASCII-armored "
        "(default: $GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg, as helm)",
    )


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .chartlock.yaml or pyproject.toml found upwards), "
        "for require-provenance: and keyring:",
    )


def load_keyring_option(args: argparse.Namespace, configured: Path | None = None) -> Keyring:
    """The keyring of ``--keyring``, else the configuration's, else helm's default."""
    from resolver.chart.provenance import default_keyring, load_keyring

    path = getattr(args, "keyring", None)
    return load_keyring(Path(path) if path else configured or default_keyring())


def _maybe_config(cwd: Path) -> bool:
    """Whether a configuration file could be found upwards (same names as resolver.linter.config);
    most runs find none and skip importing resolver.linter.config (jsonschema)."""
    names = (".chartlock.yaml", ".chartlock.yml", "pyproject.toml")
    start = cwd.resolve()
    return any((d / name).is_file() for d in (start, *start.parents) for name in names)


def provenance_policy(
    args: argparse.Namespace, forced: bool
) -> tuple[Keyring, Callable[[str, str], bool] | None] | None:
    """What provenance to check: ``None`` (nothing), or the keyring and which dependencies
    (``None``: all, as with ``forced`` — ``--provenance``/``--verify``; else the
    configuration's ``require-provenance:`` predicate over (name, repository))."""
    config_path = getattr(args, "config", None)
    config = None
    if config_path or _maybe_config(Path.cwd()):
        from resolver.linter.config import find_config, load_config

        path = Path(config_path) if config_path else find_config()
        config = load_config(path) if path is not None else None
    if not forced and (config is None or not config.require_provenance):
        return None
    keyring = load_keyring_option(args, config.keyring if config else None)
    if forced or config is None:
        return keyring, None
    return keyring, config.requires_provenance


def client_options(args: argparse.Namespace) -> ClientOptions:
    """:class:`ClientOptions` from the flags added by ``add_registry_options``."""
    from resolver.commands.lock import ClientOptions

    return ClientOptions(
        plain_http=bool(getattr(args, "plain_http", False)),
        insecure_skip_tls_verify=bool(getattr(args, "insecure_skip_tls_verify", False)),
        ca_file=getattr(args, "ca_file", None),
        cert_file=getattr(args, "cert_file", None),
        key_file=getattr(args, "key_file", None),
        timeout=float(getattr(args, "timeout", 30.0)),
        username=getattr(args, "username", None),
        password=read_password(args),
        repository_config=getattr(args, "repository_config", None),
        mirrors=_mirrors(args),
    )


def _mirrors(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The config's ``mirrors:`` then ``--mirror`` flags (a flag wins for its host)."""
    from resolver.registry.mirrors import normalize

    pairs: list[tuple[str, str]] = []
    if hasattr(args, "_config_mirrors"):  # the command loaded the configuration already
        pairs.extend(args._config_mirrors)
    else:
        config_path = getattr(args, "config", None)
        if config_path or _maybe_config(Path.cwd()):
            from resolver.linter.config import find_config, load_config

            path = Path(config_path) if config_path else find_config()
            if path is not None:
                pairs.extend(load_config(path).mirrors)
    pairs.extend(getattr(args, "mirror", None) or [])
    try:
        return normalize(pairs)
    except ValueError as exc:
        raise ChartlockError(f"mirrors: {exc}") from None


def preconnect(args: argparse.Namespace, dirs: list[Path], *, early_lists: bool = False) -> None:
    """Begin the connections to the charts' registries before the heavy imports, and with
    ``early_lists`` the tag-list requests (:mod:`resolver.registry.preconnect`)."""
    from resolver.registry.preconnect import start_for_charts

    tls_options = bool(
        getattr(args, "ca_file", None)
        or (getattr(args, "cert_file", None) and getattr(args, "key_file", None))
        or getattr(args, "insecure_skip_tls_verify", False)
    )
    plain_http = bool(getattr(args, "plain_http", False)) and not tls_options
    start_for_charts(dirs, plain_http=plain_http, early_lists=early_lists)


def avoid_trio_import() -> None:
    """The CLI runs on asyncio only. httpcore imports ``trio`` when it is installed (~100 ms of
    start-up, for nothing here); mark it absent unless something already imported it."""
    if "trio" not in sys.modules:
        sys.modules["trio"] = None  # type: ignore[assignment]


def setup_logging(args: argparse.Namespace) -> None:
    """``-v``: log requests (methods, URLs without query strings, status; never headers).

    Also the start-up of every online command (see :func:`avoid_trio_import`).
    """
    avoid_trio_import()
    import logging

    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.DEBUG, format="chartlock: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    else:
        logging.basicConfig(level=logging.WARNING, format="chartlock: warning: %(message)s")
