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
    from resolver.registry.options import ClientOptions
    from resolver.registry.preconnect import Wanted


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
    from resolver.cli.common import add_config_option as add_option

    add_option(parser, ", for require-provenance:, keyring: and mirrors:")


def load_keyring_option(args: argparse.Namespace, configured: Path | None = None) -> Keyring:
    """The keyring of ``--keyring``, else the configuration's, else helm's default."""
    from resolver.chart.provenance import default_keyring, load_keyring

    path = getattr(args, "keyring", None)
    return load_keyring(Path(path) if path else configured or default_keyring())


def maybe_config(cwd: Path) -> bool:
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
    if config_path or maybe_config(Path.cwd()):
        from resolver.util.configfind import find_config

        path = Path(config_path) if config_path else find_config()
        if path is not None:
            from resolver.linter.config import load_config

            config = load_config(path)
    if not forced and (config is None or not config.require_provenance):
        return None
    keyring = load_keyring_option(args, config.keyring if config else None)
    if forced or config is None:
        return keyring, None
    return keyring, config.requires_provenance


def provenance_args(
    args: argparse.Namespace, forced: bool
) -> tuple[Keyring | None, Callable[[str, str], bool] | None]:
    """:func:`provenance_policy` as the command cores' ``keyring`` and ``require`` arguments
    (both ``None``: no provenance is checked)."""
    policy = provenance_policy(args, forced)
    return policy if policy is not None else (None, None)


def start(
    args: argparse.Namespace, dirs: list[Path] | None = None, *, early_lists: bool = False
) -> list[Path]:
    """What every online command does first: find the charts (unless given ``dirs``), begin
    the connections to their registries (:func:`preconnect`), then set up logging (before
    the command core imports httpx: :func:`setup_logging`)."""
    found = chart_dirs(args.charts) if dirs is None else dirs
    preconnect(args, found, early_lists=early_lists)
    setup_logging(args)
    return found


def _registry_flags(args: argparse.Namespace) -> ClientOptions:
    """The flags added by ``add_registry_options``, without the password (read once, from
    standard input, by :func:`client_options`)."""
    from resolver.registry.options import ClientOptions

    return ClientOptions(
        plain_http=bool(getattr(args, "plain_http", False)),
        insecure_skip_tls_verify=bool(getattr(args, "insecure_skip_tls_verify", False)),
        ca_file=getattr(args, "ca_file", None),
        cert_file=getattr(args, "cert_file", None),
        key_file=getattr(args, "key_file", None),
        timeout=float(getattr(args, "timeout", 30.0)),
        username=getattr(args, "username", None),
        repository_config=getattr(args, "repository_config", None),
    )


def client_options(args: argparse.Namespace) -> ClientOptions:
    """:class:`ClientOptions` from the flags added by ``add_registry_options``, with the
    connections :func:`preconnect` began for this run and the registry mirrors."""
    return _registry_flags(args).replace(
        password=read_password(args),
        preconnected=getattr(args, PRECONNECTED, None),
        mirrors=_mirrors(args),
    )


# The attribute of the parsed arguments that carries this run's preconnected sockets from
# preconnect() (called first, before the heavy imports) to client_options().
PRECONNECTED = "_chartlock_preconnected"
# The attribute carrying the configuration's ``mirrors:`` when the command loaded it already
# (``chartlock fix``), so that it is not read twice.
CONFIG_MIRRORS = "_config_mirrors"


def _mirrors(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The configuration's ``mirrors:`` then the ``--mirror`` flags (a flag wins for its host).
    The configuration is read only when a file could exist (:func:`maybe_config`) and
    mentions ``mirrors``."""
    from resolver.registry.mirrors import normalize

    pairs: list[tuple[str, str]] = []
    if hasattr(args, CONFIG_MIRRORS):  # the command loaded the configuration already
        pairs.extend(getattr(args, CONFIG_MIRRORS))
    else:
        config_path = getattr(args, "config", None)
        if config_path or maybe_config(Path.cwd()):
            from resolver.util.configfind import find_config

            path = Path(config_path) if config_path else find_config()
            # Loading validates the file (jsonschema, ~0.1 s): only when it can name mirrors,
            # since this runs before preconnect, i.e. before the heavy imports.
            if path is not None and _names_mirrors(path):
                from resolver.linter.config import load_config

                pairs.extend(load_config(path).mirrors)
    pairs.extend(getattr(args, "mirror", None) or [])
    try:
        return normalize(pairs)
    except ValueError as exc:
        raise ChartlockError(f"mirrors: {exc}") from None


def _names_mirrors(path: Path) -> bool:
    try:
        return b"mirrors" in path.read_bytes()
    except OSError:
        return True  # load_config reports it


def preconnect(args: argparse.Namespace, dirs: list[Path], *, early_lists: bool = False) -> None:
    """Begin the connections to the charts' registries before the heavy imports, and with
    ``early_lists`` (``lock``) the tag-list requests of the dependencies whose version is a
    range (:mod:`resolver.registry.preconnect`, which knows nothing of charts: the
    repositories are read here). Never raises: a chart that does not load is reported later,
    by the command, and then nothing starts early."""
    from resolver.registry.preconnect import start_for

    try:
        wanted = _wanted(dirs, early_lists=early_lists)
        if getattr(args, "mirror", None) or maybe_config(Path.cwd()):
            # A mirrored registry is never contacted (issue 13): no early connection to it.
            from resolver.registry.mirrors import mirror_for

            mirrors = _mirrors(args)
            wanted = [w for w in wanted if mirror_for(mirrors, w.repository.registry) is None]
    except Exception:
        return
    flags = _registry_flags(args)
    session = start_for(
        wanted,
        plain_http=flags.uses_plain_http,
        tls=flags.tls_context,
        timeout=flags.timeout,
        # --username: that user's tokens, not anonymous ones (the client asks for them).
        anonymous=flags.username is None,
    )
    setattr(args, PRECONNECTED, session)


def _wanted(dirs: list[Path], *, early_lists: bool) -> list[Wanted]:
    """Every OCI dependency of the charts in ``dirs``, and whether ``lock`` lists its tags at
    once (with ``early_lists``: a version range, not Helm's exact-version short cut)."""
    from resolver.chart.loader import load_chart
    from resolver.chart.models import Dependency
    from resolver.errors import RegistryError
    from resolver.registry.preconnect import Wanted
    from resolver.registry.reference import oci_chart_repository
    from resolver.resolution.pick import exact_oci_version

    wanted = []
    for chart_dir in dirs:
        chart = load_chart(chart_dir / "Chart.yaml")
        for dep in chart.dependencies or ():
            if not dep.repository.startswith("oci://"):
                continue
            try:
                repo = oci_chart_repository(dep.repository, dep.name)
            except RegistryError:
                continue
            ranged = early_lists and not exact_oci_version(Dependency(version=dep.version))
            wanted.append(Wanted(repo, ranged))
    return wanted


def skip_unused_imports() -> None:
    """The CLI runs on asyncio only. httpcore imports ``trio`` when it is installed (~100 ms of
    start-up, for nothing here); mark it absent unless something already imported it.

    Likewise httpx's own command line (``httpx._main``), which ``import httpx`` loads whenever
    click, rich and pygments are installed (they often are: check-jsonschema, pip-tools...):
    17 ms of a lock's start-up measured here, for a program chartlock never runs. Marked
    absent, ``httpx.main`` becomes httpx's "not installed" stub."""
    for name in ("trio", "httpx._main"):
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]


def setup_logging(args: argparse.Namespace) -> None:
    """``-v``: log requests (methods, URLs without query strings, status; never headers).

    Also the start-up of every online command (see :func:`skip_unused_imports`).
    """
    skip_unused_imports()
    import logging

    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.DEBUG, format="chartlock: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    else:
        logging.basicConfig(level=logging.WARNING, format="chartlock: warning: %(message)s")
