"""Random charts for the differential test against `helm dependency update`.

:func:`push_pool` pushes a pool of chart versions (prereleases, build metadata, 0.x) with the
real helm; :func:`generate_chart` writes a Chart.yaml with 1-4 OCI dependencies and random
ranges; :func:`compare_chart` runs helm and chartlock on copies of one chart directory and
returns the comparison, so hidden generated charts can be run the same way.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from resolver.chart.loader import load_chart, load_lock
from tests.support.registry import Pusher
from tests.support.tools import helm_env

POOL: dict[str, list[str]] = {
    "alpha": [
        "0.1.0",
        "0.1.1",
        "0.2.0",
        "0.10.0",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "1.1.0+build.1",
        "1.2.0-rc.1",
        "1.2.0",
        "1.5.0-alpha.1",
        "2.0.0-beta",
        "2.0.0",
        "2.1.3",
        "3.0.0-rc.1",
    ],
    "beta": [
        "0.0.1",
        "0.0.2",
        "0.3.0",
        "0.3.5",
        "1.0.0-alpha",
        "1.0.0",
        "1.3.0",
        "1.3.1+meta",
        "1.4.0",
        "2.0.0",
        "2.2.0-rc.2",
        "2.2.0",
    ],
    "gamma": ["1.0.0", "1.0.0+b.2", "1.0.0+b.1", "1.1.0", "4.0.0-0", "4.0.0", "10.0.0"],
}


def push_pool(pusher: Pusher, namespace: str = "diff") -> None:
    for name, versions in POOL.items():
        for version in versions:
            pusher.push(namespace, name, version)


def _core(v: str) -> tuple[int, int, int]:
    base = v.split("+")[0].split("-")[0]
    major, minor, patch = (int(x) for x in base.split("."))
    return major, minor, patch


def random_constraint(rng: random.Random, versions: list[str]) -> str:
    v = rng.choice(versions)
    major, minor, patch = _core(v)
    w = rng.choice(versions)
    lo, hi = sorted([v, w], key=_core)
    kinds = [
        lambda: v,  # exact (incl. +build and prerelease)
        lambda: f"{major}.x",
        lambda: f"{major}.{minor}.x",
        lambda: f"{major}.x.x",
        lambda: rng.choice(["*", "x", "X"]),
        lambda: f"~{major}.{minor}",
        lambda: f"~{major}.{minor}.{patch}",
        lambda: f"~{major}",
        lambda: f"^{major}.{minor}.{patch}",
        lambda: f"^{major}.{minor}",
        lambda: f"{lo.split('+')[0]} - {hi.split('+')[0]}",
        lambda: f">={major}.{minor}.0 <{major + 1}.0.0",
        lambda: f">={major}.{minor}.0, <{major + 1}.0.0",
        lambda: f"~{major}.{minor}.0-0",
        lambda: f">={major}.0.0-0",
        lambda: f"^{major}.0.0 || >={major + 1}.0.0-0 <{major + 2}.0.0",
        lambda: f"{major}.{minor} || {major + 1}.x",
        lambda: f">{major}.{minor}",
        lambda: f"<={major}.{minor}",
        lambda: f"!={v.split('+')[0]}",
        lambda: f">={major}.{minor}.{patch} <{major}.{minor + 1}.0-0",
        lambda: f"=v{major}.{minor}",
        lambda: f"{major}.{minor}",
        lambda: f">= {major}.{minor}.{patch}",
        lambda: f"~> {major}.{minor}",
        lambda: f"{major + 5}.x",  # usually nothing matches: both must fail
    ]
    return str(rng.choice(kinds)())


def generate_chart(directory: Path, rng: random.Random, registry_host: str, namespace: str) -> Path:
    names = list(POOL)
    deps = []
    for i in range(rng.randint(1, 4)):
        name = rng.choice(names)
        constraint = random_constraint(rng, POOL[name])
        deps.append(
            f"  - name: {name}\n    alias: d{i}\n    version: {constraint!r}\n"
            f"    repository: oci://{registry_host}/{namespace}\n"
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: generated\nversion: 0.1.0\ndependencies:\n" + "".join(deps),
        "utf-8",
    )
    return directory


def write_stale_lock(
    chart_dir: Path, digests: dict[tuple[str, str, str], str], namespace: str
) -> bool:
    """A Chart.lock pinning each dependency to the OLDEST pool version its range allows (with
    its real digest), as if locked long ago; False when some range allows none (no lock)."""
    from resolver.chart.lockfile import dump_lock
    from resolver.chart.models import Dependency
    from resolver.semver import parse_constraint, parse_version

    entries = []
    for dep in load_chart(chart_dir / "Chart.yaml").dependencies or []:
        try:
            constraint = parse_constraint(dep.version)
        except ValueError:
            return False
        allowed = sorted(
            (v for v in POOL[dep.name] if constraint.allows(parse_version(v))),
            key=lambda v: parse_version(v),
        )
        if not allowed:
            return False
        version = allowed[0]
        entry = Dependency(name=dep.name, repository=dep.repository, version=version)
        entry.extra["digest"] = digests[(namespace, dep.name, version)]
        entries.append(entry)
    text = dump_lock(entries, "sha256:" + "0" * 64, "2024-01-01T00:00:00Z")
    (chart_dir / "Chart.lock").write_text(text, "utf-8")
    return True


@dataclass
class Comparison:
    chart: Path
    helm_ok: bool
    ours_ok: bool
    helm_versions: list[str]
    our_versions: list[str]
    helm_digest: str
    our_digest: str
    build_ok: bool | None
    detail: str

    @property
    def agree(self) -> bool:
        if self.helm_ok != self.ours_ok:
            return False
        if not self.helm_ok:
            return True
        return (
            self.helm_versions == self.our_versions
            and self.helm_digest == self.our_digest
            and bool(self.build_ok)
        )


def compare_chart(
    helm: str,
    chart_dir: Path,
    work: Path,
    *,
    plain_http: bool = True,
    lock_args: tuple[str, ...] = (),
) -> Comparison:
    """Run `helm dependency update` and `chartlock lock` (with ``lock_args``, e.g.
    ``--upgrade``) on copies of ``chart_dir``."""
    helm_copy, our_copy = work / "helm" / chart_dir.name, work / "ours" / chart_dir.name
    for copy in (helm_copy, our_copy):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(chart_dir, copy)
    flag = ["--plain-http"] if plain_http else []
    h = subprocess.run(
        [helm, "dependency", "update", str(helm_copy), *flag],
        env=helm_env(work / "helm-env-update"),
        capture_output=True,
        text=True,
        check=False,
    )
    o = subprocess.run(
        [sys.executable, "-m", "resolver", "lock", str(our_copy), *flag, *lock_args],
        capture_output=True,
        text=True,
        check=False,
    )
    helm_ok = h.returncode == 0 and (helm_copy / "Chart.lock").exists()
    ours_ok = o.returncode == 0 and (our_copy / "Chart.lock").exists()
    hv: list[str] = []
    ov: list[str] = []
    hd = od = ""
    if helm_ok:
        lock = load_lock(helm_copy / "Chart.lock")
        hv, hd = [d.version for d in lock.dependencies or []], lock.digest
    if ours_ok:
        lock = load_lock(our_copy / "Chart.lock")
        ov, od = [d.version for d in lock.dependencies or []], lock.digest
    build_ok = None
    if ours_ok:
        b = subprocess.run(
            [helm, "dependency", "build", str(our_copy), *flag],
            env=helm_env(work / "helm-env-build"),
            capture_output=True,
            text=True,
            check=False,
        )
        build_ok = b.returncode == 0
    deps = load_chart(chart_dir / "Chart.yaml").dependencies or []
    detail = (
        f"{chart_dir}: ranges={[d.version for d in deps]} helm={h.returncode} {hv} "
        f"ours={o.returncode} {ov} {o.stderr.strip()[-300:]} helm-err={h.stderr.strip()[-200:]}"
    )
    return Comparison(chart_dir, helm_ok, ours_ok, hv, ov, hd, od, build_ok, detail)
