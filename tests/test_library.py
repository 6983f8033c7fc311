"""``resolver.resolve`` as a library against a real registry (charts pushed by the real helm)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.registry import Pusher, RegistryServer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """\
import sys
import resolver

chart = sys.argv[1]
first = resolver.resolve(chart, plain_http=True)
# The README's import: it once replaced resolver.resolve by a module of the same name.
from resolver.registry.options import ClientOptions
second = resolver.resolve(chart, ClientOptions(plain_http=True))
for lock in (first, second):
    print(lock.changed, [(d.name, d.version, d.digest) for d in lock.dependencies])
print(first.digest == second.digest, first.chart_dir == second.chart_dir)
"""


def test_resolve_twice_in_one_process(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    for version in ("1.0.0", "1.1.0"):
        pusher.push("lib", "web", version)
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"  - name: web\n    version: ^1.0.0\n    repository: oci://{registry.host}/lib\n",
        "utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(chart)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    digest = pusher.digests[("lib", "web", "1.1.0")]
    expected = f"True [('web', '1.1.0', '{digest}')]"
    assert result.stdout.splitlines() == [expected, expected, "True True"]
    assert not (chart / "Chart.lock").exists()  # the library writes nothing
