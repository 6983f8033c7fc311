"""Shared set-up for the registry benchmarks of issue 14 (bench/*_bench.py import it).

* ``seed_tags`` (tests/support/registry.py): thousands of tags in a real CNCF distribution
  registry without pushing each one, all pointing at a manifest the real helm pushed. Only
  versions a benchmark's ranges pick are pulled, and those are real pushes (``helm dependency
  update`` downloads what it picks and checks the chart inside).
* ``https_token_registry``: a registry like ghcr.io or Docker Hub: HTTPS with its own CA,
  anonymous Bearer tokens from a separate realm (HTTPS too), both behind a TCP proxy adding
  ``delay`` each way (tests/support/latency.py: below TLS, so it works for HTTPS).
* ``timed``, ``clean_env``, ``chartlock_cmd``, ``emit``: timing and the ``--json`` row protocol
  that bench/run_all.py reads (one JSON object ``{"rows": [...]}`` on the last stdout line).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.certs import make_ca_and_server_cert  # noqa: E402
from tests.support.latency import LatencyProxy  # noqa: E402
from tests.support.registry import Pusher, RegistryServer  # noqa: E402
from tests.support.tokenserver import ISSUER, SERVICE, TokenServer  # noqa: E402

PROXY_NAME = "registry.test"  # resolved only by tests/support/forwardproxy.py


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without proxy variables (each benchmark sets the ones it measures), with
    this checkout first on ``PYTHONPATH`` so ``python -m resolver`` runs this tree."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def chartlock_cmd(given: str = "") -> list[str]:
    """``--chartlock`` if given, else this checkout's ``python -m resolver``. (The installed
    ``chartlock`` may be another checkout's, or a pyenv shim that adds a bash start-up.)"""
    return given.split() if given else [sys.executable, "-m", "resolver"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd[:4])} ... failed:\n{result.stdout[-800:]}{result.stderr[-800:]}"
        )
    return elapsed


def range_chart(directory: Path, host: str, deps: int) -> Path:
    """A chart with ``deps`` dependencies ``dep00``... on ``oci://host/bench``, range ``^1.0.0``
    (the lock benchmarks' chart)."""
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  - name: dep{i:02d}\n    version: ^1.0.0\n    repository: oci://{host}/bench\n"
        for i in range(deps)
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: bench\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    return directory


def timed_or_exit(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds ``cmd`` took; a failing command stops the benchmark (it would time as fast)."""
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {result.stderr[-800:]}")
    return elapsed


def version_grid(count: int) -> list[str]:
    """``count`` distinct semver tags: majors and minors 0-9, patches as needed."""
    patches = max(1, -(-count // 100))
    out = [f"{a}.{b}.{c}" for a in range(10) for b in range(10) for c in range(patches)]
    return out[:count]


def write_chart(directory: Path, name: str, deps: list[tuple[str, str, str]]) -> Path:
    """A chart with ``deps`` as (name, version range, repository URL)."""
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f'  - name: {dep}\n    version: "{rng}"\n    repository: {repo}\n'
        for dep, rng, repo in deps
    )
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 0.1.0\ndependencies:\n{body}", "utf-8"
    )
    return directory


def locked_versions(chart: Path) -> dict[str, str]:
    """name -> version from a Chart.lock (either tool's)."""
    import yaml

    data = yaml.safe_load((chart / "Chart.lock").read_text("utf-8"))
    return {d["name"]: str(d["version"]) for d in data.get("dependencies") or []}


class _TlsTokenServer(TokenServer):
    """The tests' token server, answering over HTTPS (Docker Hub's and ghcr.io's realms are
    HTTPS). The TLS handshake runs in the handler thread, not in the accept loop."""

    def __init__(self, workdir: Path, cert: Path, key: Path) -> None:
        super().__init__(workdir, anonymous=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(
            self.httpd.socket, server_side=True, do_handshake_on_connect=False
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])


@dataclass
class HttpsSetup:
    ca: Path
    registries: dict[str, str]  # mode ("direct" or "proxy") -> host:port the charts name
    latency: list[LatencyProxy]  # every delaying proxy (connections are counted)

    def connections(self) -> int:
        return sum(p.connections for p in self.latency)


@contextlib.contextmanager
def https_token_registry(
    registry_bin: str,
    helm: str,
    work: Path,
    push: Callable[[Pusher, RegistryServer], None],
    *,
    delay: float,
    modes: tuple[str, ...] = ("direct",),
) -> Iterator[HttpsSetup]:
    """Charts pushed by ``push`` (over plain HTTP, anonymous), then served read-only over
    HTTPS + anonymous Bearer tokens, ``delay`` away each way (registry and realm alike).

    Mode ``direct`` names the registry and realm ``127.0.0.1``; mode ``proxy`` names both
    ``registry.test`` (set ``HTTPS_PROXY`` to a tests/support/forwardproxy.py proxy mapping it to
    127.0.0.1: Go never proxies loopback addresses). The realm is in the registry's
    configuration, so each mode gets its own registry process on the same storage."""
    ca, cert, key = make_ca_and_server_cert(work / "tls", (PROXY_NAME,))
    plain = RegistryServer(registry_bin).start()
    try:
        push(Pusher(helm, plain, work / "push"), plain)
        plain.stop()
        tokens = _TlsTokenServer(work, cert, key).start()
        with contextlib.ExitStack() as stack:
            stack.callback(tokens.stop)
            token_hop = quiet(
                stack.enter_context(LatencyProxy(f"127.0.0.1:{tokens.port}", delay=delay))
            )
            hosts: dict[str, str] = {}
            latency = [token_hop]
            for mode in modes:
                name = PROXY_NAME if mode == "proxy" else "127.0.0.1"
                realm = f"https://{name}:{token_hop.port}/token"
                auth = (
                    f"auth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n"
                    f"    issuer: {ISSUER}\n    rootcertbundle: {tokens.bundle}\n"
                )
                server = RegistryServer(registry_bin, tls=(cert, key), extra_auth=auth)
                shutil.rmtree(server.workdir, ignore_errors=True)
                server.workdir = plain.workdir  # the pushed charts; close() must not delete it
                server.close = server.stop  # type: ignore[method-assign]
                stack.enter_context(server)
                hop = quiet(stack.enter_context(LatencyProxy(server.host, delay=delay)))
                latency.append(hop)
                hosts[mode] = f"{name}:{hop.port}"
            yield HttpsSetup(ca=ca, registries=hosts, latency=latency)
    finally:
        plain.close()


def quiet(proxy: LatencyProxy) -> LatencyProxy:
    """No tracebacks from connections a client left open when the proxy stops."""
    proxy.loop.call_soon_threadsafe(proxy.loop.set_exception_handler, lambda *_: None)
    return proxy


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def row(
    key: str,
    label: str,
    *,
    chartlock: float | None,
    helm: float | None = None,
    unit: str = "s",
    ratio: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One line of run_all.py's table. ``ratio``: helm / chartlock unless given (higher is
    better for chartlock); ``key`` selects the issue-14 target in run_all.py."""
    if ratio is None and chartlock and helm:
        ratio = helm / chartlock
    return {
        "key": key,
        "label": label,
        "chartlock": chartlock,
        "helm": helm,
        "unit": unit,
        "ratio": ratio,
        **extra,
    }


def emit(rows: list[dict[str, Any]], enabled: bool) -> None:
    """Print the rows as the last stdout line (``--json``)."""
    if enabled:
        print(json.dumps({"rows": rows, "load_average": load_average()}), flush=True)


def profiled(cmd: list[str], out: Path) -> list[str]:
    """``cmd`` (``python -m resolver ...``) under cProfile, writing ``out``."""
    if cmd[1:3] != ["-m", "resolver"]:
        raise SystemExit("--profile needs the default chartlock command (python -m resolver)")
    return [cmd[0], str(ROOT / "bench" / "_profile_run.py"), str(out), *cmd[3:]]


def profile_summary(path: Path, top: int = 12) -> str:
    """The functions with the most own time, and the resolver/ functions with the most
    cumulative time, each with its share of the profiled run's total."""
    import pstats

    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        filename, line, func = key
        if "/resolver/" in filename:
            filename = "resolver/" + filename.split("/resolver/", 1)[1]
        else:
            filename = filename.rsplit("/", 1)[-1]
        return f"{filename}:{line}({func})"

    own = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    ours = [kv for kv in entries.items() if "/resolver/" in kv[0][0]]
    cumulative = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:top]
    lines = [f"profile {path.name}: {total:.2f} s of CPU-visible time"]
    lines.append("  own time:")
    for key, (_, calls, tt, _ct, _) in own:
        lines.append(f"    {tt:7.3f} s {tt / total:6.1%} {calls:>9} calls  {name(key)}")
    lines.append("  cumulative (resolver/):")
    for key, (_, calls, _tt, ct, _) in cumulative:
        lines.append(f"    {ct:7.3f} s {ct / total:6.1%} {calls:>9} calls  {name(key)}")
    return "\n".join(lines)
