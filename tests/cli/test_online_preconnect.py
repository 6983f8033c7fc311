"""resolver.cli.online.preconnect: the CLI reads the charts and hands the registry package the
repositories to connect to early (resolver.registry.preconnect knows nothing of charts)."""

from __future__ import annotations

import argparse
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
