"""Chaos: lock, verify, pull and outdated against the real registry through a seeded fault
proxy, 160 runs.

Every request may be answered by a fault chosen from the run's profile (500, 502/503 with
``Retry-After``, 429 and 429 storms, a reset before the response or in the middle of the body,
a truncated body, a ``Content-Length`` shorter than the body, stalls within and beyond
``--timeout``, an HTML page with status 200). The promises, for every run:

* no traceback, no asyncio noise, in stderr;
* exit 0 only with the fault-free result (the same Chart.lock entries and digests, the same
  archives, the same report), so no wrong digest is ever written;
* otherwise exit 2, every stderr line a ``chartlock: error:`` line, and the chart's files
  exactly as they were.

Decisions are seeded by (run, method, path, occurrence), so a run's faults do not depend on
the order in which its concurrent requests arrive.

The faults that make a manifest ``GET`` the only source of a digest (a ``HEAD`` without
``Docker-Content-Digest``, then an HTML page or another manifest) have their own case, which
fails until digests are proven (issue 10, scope 1).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from tests.faults.conftest import run_chartlock, snapshot
from tests.support.proxy import RESET, TRUNCATE, Proxy
from tests.support.registry import Pusher, RegistryServer

pytestmark = pytest.mark.integration

SEED = 20261201
# Seconds per request (--timeout); "stall-long" goes beyond it. Short, to keep the test's wall
# time down: a request slowed by the loaded machine past it fails cleanly, which is allowed.
TIMEOUT = "1"
NOISE = (
    "Traceback",
    "unhandled exception",
    "never retrieved",
    "Task was destroyed",
    "Exception ignored",
    "RuntimeWarning",
)
HTML = b"<!doctype html><html><body>Please log in to continue</body></html>"

# Faults that take no part of the upstream answer.
CANNED = ("500", "503", "429", "reset", "truncate", "html200")
# Faults applied to the upstream answer.
MUTATIONS = ("reset-mid-body", "short-length", "stall", "stall-long")
KINDS = CANNED + MUTATIONS + ("storm429",)


class ChaosProxy(Proxy):
    """The test suite's fault proxy with seeded per-request faults (``profile``, ``p``)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, hook=self._decide)
        self.seed = ""
        self.kinds: tuple[str, ...] = ()
        self.p = 0.0
        self.storm = 0  # this many first requests of the run are 429
        self.manifest_get_faults = False  # only for the digest-proof case
        self.injected: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self._local = threading.local()
        self._decide_lock = threading.Lock()

    def arm(self, seed: str, kinds: tuple[str, ...], p: float, storm: int = 0) -> None:
        with self._decide_lock:
            self.seed, self.kinds, self.p, self.storm = seed, kinds, p, storm
            self._seen.clear()

    def disarm(self) -> None:
        self.arm("", (), 0.0)

    def _decide(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        with self._decide_lock:
            key = f"{method} {path}"
            self._seen[key] += 1
            n = self._seen[key]
            order = sum(self._seen.values())
            seed, kinds, p, storm = self.seed, self.kinds, self.p, self.storm
        self._local.mutation = None
        if not seed:
            return None
        rng = random.Random(f"{seed}:{key}:{n}")
        if order <= storm:
            return self._count("storm429", (429, {"Retry-After": "0"}, b""))
        if not kinds or rng.random() >= p:
            return None
        kind = rng.choice(kinds)
        by_tag = "/manifests/" in path and "/manifests/sha256:" not in path
        if kind == "html200" and by_tag:
            # A HEAD answered 200 without Docker-Content-Digest sends the client to a GET whose
            # body it hashes unchecked: that is the digest-proof case below, not this one.
            return None
        if kind in MUTATIONS:
            if kind == "short-length" and by_tag and method == "GET":
                return None  # the same: a cut manifest hashed by tag (digest-proof case)
            self._local.mutation = (kind, rng.random())
            self._count(kind, None)
            return None
        json_error = b'{"errors":[{"code":"UNAVAILABLE","message":"chaos"}]}'
        canned: dict[str, tuple[int, dict[str, str], bytes]] = {
            "500": (500, {"Content-Type": "application/json"}, json_error),
            "503": (503, {"Retry-After": "1", "Content-Type": "text/plain"}, b"busy"),
            "429": (429, {"Retry-After": rng.choice(["0", "0", "0", "1"])}, json_error),
            "reset": (RESET, {}, b""),
            "truncate": (TRUNCATE, {"Content-Type": "application/json"}, b'{"tags":["1.'),
            "html200": (200, {"Content-Type": "text/html; charset=utf-8"}, HTML),
        }
        return self._count(kind, canned[kind])

    def _count(
        self, kind: str, answer: tuple[int, dict[str, str], bytes] | None
    ) -> tuple[int, dict[str, str], bytes] | None:
        with self._decide_lock:
            self.injected[kind] += 1
        return answer

    def _reply(  # type: ignore[override]
        self,
        req: BaseHTTPRequestHandler,
        method: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        mutation = getattr(self._local, "mutation", None)
        self._local.mutation = None
        if mutation is not None:
            kind, x = mutation
            if kind == "stall":
                time.sleep(0.05 + 0.3 * x)  # within --timeout: the run goes on
            elif kind == "stall-long":
                time.sleep(float(TIMEOUT) + 0.3)  # beyond it: the request fails
            elif kind == "reset-mid-body" and method == "GET" and len(body) >= 2:
                self._send_head(req, status, headers, len(body))
                req.wfile.write(body[: max(1, int(len(body) * x))])
                req.wfile.flush()
                _reset(req)
                return
            elif kind == "short-length" and method == "GET" and len(body) >= 2:
                cut = 1 + int(x * min(40, len(body) - 1))
                self._send_head(req, status, headers, len(body) - cut)
                req.wfile.write(body)  # the rest is left on the connection
                return
        Proxy._reply(req, method, status, headers, body)

    @staticmethod
    def _send_head(
        req: BaseHTTPRequestHandler, status: int, headers: dict[str, str], length: int
    ) -> None:
        req.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                req.send_header(key, value)
        req.send_header("Content-Length", str(length))
        req.end_headers()


def _reset(req: BaseHTTPRequestHandler) -> None:
    req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    req.connection.close()
    req.close_connection = True


@dataclass
class Lane:
    """One worker: its own proxy (so the registry URLs in its charts are its own) and the
    fault-free results through that proxy."""

    proxy: ChaosProxy
    root: Path
    lockable: Path = field(init=False)  # Chart.yaml moved on: lock rewrites Chart.lock
    synced: Path = field(init=False)  # Chart.lock in sync: verify, pull, outdated
    baseline: dict[str, tuple[int, object]] = field(default_factory=dict)


def write_app(directory: Path, host: str, web: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: web\n    version: {web!r}\n    repository: oci://{host}/faults\n"
        f"  - name: web\n    alias: old\n    version: '1.0.0'\n"
        f"    repository: oci://{host}/faults\n",
        "utf-8",
    )
    return directory


def lock_entries(chart: Path) -> tuple[str, list[tuple[str, str, str, str | None]]]:
    lock = load_lock(chart / "Chart.lock")
    deps = [(d.name, d.repository, d.version, d.content_digest) for d in lock.dependencies or []]
    return lock.digest, deps


def chart_result(command: str, chart: Path, stdout: str) -> object:
    """What must equal the fault-free run's result."""
    if command == "lock":
        return lock_entries(chart)
    if command == "pull":
        return {k: v for k, v in snapshot(chart).items() if k.startswith("charts/")}
    text = stdout.replace(str(chart), "<chart>")
    return [line.split() for line in text.splitlines()]  # column widths follow the path


def args_for(command: str, chart: Path) -> list[str]:
    return [command, str(chart), "--plain-http", "--timeout", TIMEOUT]


def run_one(lane: Lane, name: str, command: str) -> tuple[int, str, str, Path]:
    template = lane.lockable if command == "lock" else lane.synced
    work = lane.root / name
    shutil.copytree(template, work)
    env = {"CHARTLOCK_CACHE": str(lane.root / f"{name}-cache")}  # pulls use the network
    run = run_chartlock(*args_for(command, work), env=env)
    return run.code, run.stdout, run.stderr, work


def make_lane(fault_registry: RegistryServer, root: Path, proxy: ChaosProxy) -> Lane:
    lane = Lane(proxy, root)
    lane.lockable = write_app(root / "lockable", proxy.host, "~1.1.0")
    first = run_chartlock("lock", str(lane.lockable), "--plain-http")
    assert first.code == 0, first.stderr
    text = (lane.lockable / "Chart.yaml").read_text("utf-8").replace("~1.1.0", "^1.0.0")
    (lane.lockable / "Chart.yaml").write_text(text, "utf-8")
    lane.synced = root / "synced"
    shutil.copytree(lane.lockable, lane.synced)
    assert run_chartlock("lock", str(lane.synced), "--plain-http").code == 0
    for command in ("lock", "verify", "pull", "outdated"):
        code, stdout, stderr, work = run_one(lane, f"baseline-{command}", command)
        assert code in (0, 1) and "Traceback" not in stderr, (command, code, stderr)
        lane.baseline[command] = (code, chart_result(command, work, stdout))
    return lane


def check_run(lane: Lane, name: str, command: str, digests: dict[str, str]) -> tuple[str, str]:
    template = lane.lockable if command == "lock" else lane.synced
    before = snapshot(template)
    code, stdout, stderr, work = run_one(lane, name, command)
    where = f"{name}: {command}"
    assert not any(word in stderr for word in NOISE), (where, stderr)
    if code == 2:
        lines = stderr.splitlines()
        assert lines and all(line.startswith("chartlock: error: ") for line in lines), (
            where,
            stderr,
        )
        assert snapshot(work) == before, where  # nothing written, no temp file left
        return "failed cleanly", stderr
    want_code, want = lane.baseline[command]
    assert code == want_code, (where, code, stdout, stderr)
    assert chart_result(command, work, stdout) == want, (where, stdout, stderr)
    if command == "lock":
        for name_, _, version, digest in lock_entries(work)[1]:
            assert digest == digests[version], (where, name_, version, digest)
    return "same as fault-free", ""


PROFILES: list[tuple[tuple[str, ...], float, int]] = [
    (("500", "503", "429"), 0.3, 0),
    (("reset", "reset-mid-body", "truncate"), 0.3, 0),
    (("short-length", "html200"), 0.3, 0),
    (("stall", "503", "429"), 0.4, 0),
    ((), 0.0, 25),  # a 429 storm: the first 25 requests of the run
    (("stall-long",), 0.15, 0),
    (KINDS[:-1], 0.2, 0),
    (KINDS[:-1], 0.5, 6),
]


def test_chaos(fault_registry: RegistryServer, pusher: Pusher, tmp_path: Path) -> None:
    digests = {v: pusher.digests[("faults", "web", v)] for v in ("1.0.0", "1.1.0", "1.2.0")}
    rng = random.Random(SEED)
    lanes_n, runs_per_lane = 3, 54
    outcomes: Counter[str] = Counter()
    timings: dict[str, float] = defaultdict(float)
    timings_lock = threading.Lock()
    start = time.monotonic()
    with contextlib.ExitStack() as stack:
        proxies = [stack.enter_context(ChaosProxy(fault_registry.host)) for _ in range(lanes_n)]
        lanes = [
            make_lane(fault_registry, tmp_path / f"lane{i}", proxy)
            for i, proxy in enumerate(proxies)
        ]
        plans = [
            [
                (
                    f"run{lane_i}-{j}",
                    ("lock", "verify", "pull", "outdated")[j % 4],
                    rng.choice(PROFILES),
                )
                for j in range(runs_per_lane)
            ]
            for lane_i in range(lanes_n)
        ]

        def drive(lane_i: int) -> list[str]:
            lane, results = lanes[lane_i], []
            for name, command, (kinds, p, storm) in plans[lane_i]:
                lane.proxy.arm(f"{SEED}:{name}", kinds, p, storm)
                began = time.monotonic()
                try:
                    kind, _ = check_run(lane, name, command, digests)
                finally:
                    lane.proxy.disarm()
                took = time.monotonic() - began
                with timings_lock:
                    timings[command] += took
                    timings[f"{kinds[:2]} {storm}"] += took
                results.append(kind)
            return results

        with ThreadPoolExecutor(max_workers=lanes_n) as pool:
            for results in pool.map(drive, range(lanes_n)):
                outcomes.update(results)
        injected: Counter[str] = sum((proxy.injected for proxy in proxies), Counter())
    elapsed = time.monotonic() - start
    total = sum(outcomes.values())
    print(f"chaos: {total} runs in {elapsed:.1f} s: {dict(outcomes)}; faults {dict(injected)}")
    spent = sorted(timings.items(), key=lambda item: -item[1])
    print("seconds spent:", {k: round(v, 1) for k, v in spent})
    assert total >= 150
    assert outcomes["same as fault-free"] >= 20 and outcomes["failed cleanly"] >= 20, outcomes
    assert all(injected[kind] > 0 for kind in KINDS), injected  # every kind was exercised


# --- digests proven, not assumed ----------------------------------------------------------


def _manifest_faults(kind: str, other_manifest: bytes) -> Callable[..., object]:
    def hook(
        method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        if "/manifests/" not in path or "/manifests/sha256:" in path:
            return None
        if method == "HEAD":  # 200, but no Docker-Content-Digest: the client falls back to GET
            return 200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, b""
        if kind == "html200":
            return 200, {"Content-Type": "text/html"}, HTML
        return 200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, other_manifest

    return hook


@pytest.mark.parametrize("kind", ["html200", "wrong-manifest"])
def test_chaos_manifest_get_is_proven(
    fault_registry: RegistryServer, pusher: Pusher, tmp_path: Path, kind: str
) -> None:
    """A manifest GET whose body is an HTML page, or another manifest than the tag's, never
    becomes a digest in Chart.lock: exit 2 and the files unchanged, or the right digests."""
    digests = {v: pusher.digests[("faults", "web", v)] for v in ("1.0.0", "1.1.0", "1.2.0")}
    # JSON, served as a manifest, that is not one (a proxy routing to the wrong endpoint).
    other = b'{"name":"faults/web","tags":["1.0.0","1.1.0","1.2.0"]}'
    with Proxy(fault_registry.host) as proxy:
        chart = write_app(tmp_path / "app", proxy.host, "^1.0.0")
        before = snapshot(chart)
        proxy.hook = _manifest_faults(kind, other)  # type: ignore[assignment]
        for i in range(5):
            run = run_chartlock(*args_for("lock", chart))
            assert not any(word in run.stderr for word in NOISE), run.stderr
            if run.code == 0:
                for _, _, version, digest in lock_entries(chart)[1]:
                    assert digest == digests[version], (i, version, digest)
                (chart / "Chart.lock").unlink()
            else:
                assert run.code == 2, run.stderr
                assert snapshot(chart) == before
    assert os.listdir(chart) == ["Chart.yaml"]
