"""resolver.cli.online.preconnect: the CLI reads the charts and hands the registry package the
repositories to connect to early (resolver.registry.preconnect knows nothing of charts)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from resolver.cli.online import PRECONNECTED, client_options, preconnect
from resolver.registry.preconnect import Preconnect


def _chart(directory: Path) -> Path:
    (directory / "Chart.yaml").write_text(
        "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n"
        "- {name: a, version: 1.x, repository: 'oci://127.0.0.1:1/ns'}\n"
        "- name: a\n  alias: a2\n  version: ~1.2\n  repository: oci://127.0.0.1:1/ns\n"
        "- name: b\n  version: 1.2.3\n  repository: oci://127.0.0.1:1/ns\n"
        "- name: c\n  version: 1.x\n  repository: https://charts.example.com\n"
        "- name: Bad_Name\n  version: 1.x\n  repository: oci://127.0.0.1:1/ns\n",
        "utf-8",
    )
    return directory


@pytest.mark.parametrize(
    ("flags", "early_lists", "expected"),
    [
        # Ranges list their repository once; the exact version needs only a HEAD; an https
        # index and an invalid OCI reference get no connection.
        ({"plain_http": True}, True, {("127.0.0.1", 1): ["/v2/ns/a/tags/list", None, None]}),
        ({"plain_http": True}, False, {("127.0.0.1", 1): [None, None, None]}),
        ({}, True, {("127.0.0.1", 1): [None, None, None]}),  # nothing early over TLS
        # Any TLS flag switches helm (and chartlock) to TLS: --plain-http is ignored.
        ({"plain_http": True, "ca_file": "ca.pem"}, True, {("127.0.0.1", 1): [None, None, None]}),
    ],
)
def test_preconnect_hands_the_charts_registries_over(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: dict[str, object],
    early_lists: bool,
    expected: dict[tuple[str, int], list[str | None]],
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    opened: list[object] = []
    monkeypatch.setattr(Preconnect, "start", lambda self, targets, **kw: opened.append(targets))
    args = argparse.Namespace(**flags)
    preconnect(args, [_chart(tmp_path)], early_lists=early_lists)
    assert opened == [expected]
    # The session reaches the client through the options built from the same arguments.
    session = getattr(args, PRECONNECTED)
    assert isinstance(session, Preconnect)
    assert client_options(args).preconnected is session


def test_a_chart_that_does_not_load_starts_nothing_and_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    monkeypatch.setattr(Preconnect, "start", lambda self, targets, **kw: opened.append(targets))
    args = argparse.Namespace(plain_http=True)
    preconnect(args, [_chart(tmp_path), tmp_path / "missing"], early_lists=True)
    assert opened == []
    assert client_options(args).preconnected is None


def test_online_commands_skip_httpx_cli_and_trio() -> None:
    """httpx loads its own command line (click, rich, pygments) whenever those are installed,
    and httpcore loads trio: neither is used. After skip_unused_imports, ``import httpx`` loads
    neither and ``httpx.main`` is httpx's own "not installed" stub."""
    code = (
        "import sys\n"
        "from resolver.cli.online import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import httpx, httpcore\n"
        "print(sorted(m for m in ('click', 'rich', 'pygments', 'trio') if sys.modules.get(m)))\n"
        "print(httpx.main.__module__, sys.modules['httpx._main'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "httpx None"]


def test_lock_begins_connections_before_reading_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart without a lock is listed early whatever the configuration says, so the
    configuration (which may say ``strategy: newest``) is read after the connections begin;
    with every chart locked, it decides whether to list early, so it is read first."""
    from resolver.cli import lock as lock_cli

    (tmp_path / "app").mkdir()
    chart = _chart(tmp_path / "app")
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: newest\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    order: list[str] = []

    def fake_start(args: argparse.Namespace, dirs: list[Path], *, early_lists: bool) -> None:
        order.append(f"start early={early_lists}")
        raise SystemExit(0)  # stop before anything goes on the network

    real_strategy = lock_cli._strategy

    def strategy(args: argparse.Namespace) -> str:
        order.append("configuration")
        return real_strategy(args)

    monkeypatch.setattr(lock_cli, "start", fake_start)
    monkeypatch.setattr(lock_cli, "_strategy", strategy)
    args = argparse.Namespace(charts=[str(chart)], upgrade=False, strategy=None, config=None)
    with pytest.raises(SystemExit):
        lock_cli.run(args)
    assert order == ["start early=True"]
    (chart / "Chart.lock").write_text("dependencies: []\n", "utf-8")
    order.clear()
    with pytest.raises(SystemExit):
        lock_cli.run(args)
    assert order == ["configuration", "start early=True"]  # "newest" lists early
    (tmp_path / ".chartlock.yaml").write_text("lock:\n  strategy: conservative\n", "utf-8")
    order.clear()
    with pytest.raises(SystemExit):
        lock_cli.run(args)
    assert order == ["configuration", "start early=False"]
