"""`chartlock outdated` against a real registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver.cli.main import main
from tests.commands.online.helpers import unique, write_lock, write_parent
from tests.support.registry import Pusher, RegistryServer

pytestmark = pytest.mark.integration


def test_outdated_text_and_json(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("o")
    for version in ("1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "2.1.0-beta.1"):
        pusher.push(ns, "web", version)
    pusher.push(ns, "db", "0.1.0")
    pusher.push(ns, "db", "0.2.0-rc.1")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(
        tmp_path / "app",
        [("web", "^1.0.0", repo), ("db", "~0.1.0-0", repo), ("new", "1.0.0", "file://../new")],
    )
    write_lock(
        chart,
        [
            ("web", repo, "1.0.0", None),
            ("db", repo, "0.1.0", None),
            ("new", "file://../new", "1.0.0", None),
        ],
    )
    assert main(["outdated", str(chart), "--plain-http", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {d["name"]: d for d in doc["charts"][0]["dependencies"]}
    assert (rows["web"]["locked"], rows["web"]["wanted"], rows["web"]["latest"]) == (
        "1.0.0",
        "1.2.0",
        "2.0.0",
    )
    assert rows["web"]["outdated"] is True
    assert rows["web"]["moves_on_upgrade"] is True
    # The range admits prereleases, so "latest" does too.
    assert (rows["db"]["locked"], rows["db"]["wanted"], rows["db"]["latest"]) == (
        "0.1.0",
        "0.1.0",
        "0.2.0-rc.1",
    )
    assert rows["db"]["outdated"] is False
    assert rows["db"]["moves_on_upgrade"] is False
    assert rows["new"]["kind"] == "file" and rows["new"]["moves_on_upgrade"] is False

    assert main(["outdated", str(chart), "--plain-http"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "CHART",
        "DEPENDENCY",
        "CONSTRAINT",
        "LOCKED",
        "WANTED",
        "LATEST",
        "REPOSITORY",
    ]
    web = next(line for line in lines if " web " in line)
    assert web.split()[1:7] == ["web", "^1.0.0", "1.0.0", "*", "1.2.0", "2.0.0"]
    assert "* `chartlock lock --upgrade` would move it to WANTED" in out
    db = next(line for line in lines if " db " in line)
    assert "*" not in db
    assert main(["outdated", str(chart), "--plain-http", "--exit-code"]) == 1
    capsys.readouterr()


def test_outdated_without_lock_and_registry_errors(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique("o")
    pusher.push(ns, "web", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    chart = write_parent(tmp_path / "app", [("web", "~1.0", repo), ("gone", "1.x", repo)])
    code = main(["outdated", str(chart), "--plain-http", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    doc = json.loads(captured.out)
    rows = {d["name"]: d for d in doc["charts"][0]["dependencies"]}
    assert rows["web"]["locked"] is None and rows["web"]["wanted"] == "1.0.0"
    assert rows["gone"]["error"]
    assert f"{ns}/gone" in captured.err
