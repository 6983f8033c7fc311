"""A run that failed never looks clean (issue 9): `verify` against an unreachable registry and
against TLS-mismatched registries, in every report format; and every error about a Chart.yaml
or Chart.lock names ``path:line:column`` (lock, outdated, verify, pull)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from tests.commands.online.helpers import unique, write_lock, write_parent
from tests.support.certs import make_ca_and_server_cert
from tests.support.cli import run_chartlock
from tests.support.registry import Pusher, RegistryServer, free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
FAKE_DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def other_ca_registry(
    registry_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryServer, Path]]:
    """An HTTPS registry, and a CA file from *another* CA than the one that signed its cert."""
    _, cert, key = make_ca_and_server_cert(tmp_path_factory.mktemp("server-ca"))
    other_ca, _, _ = make_ca_and_server_cert(tmp_path_factory.mktemp("other-ca"))
    with RegistryServer(registry_bin, tls=(cert, key)) as server:
        yield server, other_ca


def locked_chart(directory: Path, host: str) -> Path:
    repo = f"oci://{host}/ns"
    chart = write_parent(directory, [("web", "^1.0.0", repo)])
    write_lock(chart, [("web", repo, "1.0.0", FAKE_DIGEST)])
    return chart


def cases(
    registry: RegistryServer, other_ca_registry: tuple[RegistryServer, Path]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    tls_server, other_ca = other_ca_registry
    return {
        "unreachable": (f"127.0.0.1:{free_port()}", ("--plain-http",)),
        "https-expected-plain-server": (registry.host, ()),
        "cert-from-another-ca": (tls_server.host, ("--ca-file", str(other_ca))),
    }


@pytest.mark.parametrize(
    "case", ["unreachable", "https-expected-plain-server", "cert-from-another-ca"]
)
def test_verify_that_could_not_ask_the_registry_fails_in_every_format(
    registry: RegistryServer,
    other_ca_registry: tuple[RegistryServer, Path],
    tmp_path: Path,
    case: str,
) -> None:
    host, flags = cases(registry, other_ca_registry)[case]
    locked_chart(tmp_path / "charts" / "app", host)
    report_schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    sarif_schema = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    for fmt in ("text", "json", "sarif", "github"):
        result = run_chartlock(
            "verify", "--format", fmt, "--timeout", "5", *flags, cwd=tmp_path, env={"NO_COLOR": "1"}
        )
        output = result.stdout + result.stderr
        assert result.returncode == 2, (fmt, output)
        assert "no problems" not in output
        assert "Traceback" not in output
        errors = [
            line for line in result.stderr.splitlines() if line.startswith("chartlock: error:")
        ]
        assert len(errors) == 1 and host in errors[0], result.stderr
        if fmt == "text":
            assert result.stdout.splitlines()[-1].startswith("failed: 1 error")
        elif fmt == "json":
            doc = json.loads(result.stdout)
            jsonschema.Draft202012Validator(report_schema).validate(doc)
            assert doc["findings"] == []
            assert [e["message"] for e in doc["errors"]] == [errors[0].split("error: ", 1)[1]]
        elif fmt == "sarif":
            doc = json.loads(result.stdout)
            jsonschema.Draft7Validator(sarif_schema).validate(doc)
            (invocation,) = doc["runs"][0]["invocations"]
            assert invocation["executionSuccessful"] is False
            (note,) = invocation["toolExecutionNotifications"]
            assert note["level"] == "error" and host in note["message"]["text"]
        else:
            # Anchored at the lock entry the failed request was for.
            assert result.stdout.startswith(
                "::error file=charts/app/Chart.lock,line=5,col=12,title=chartlock error::"
            ), result.stdout


# -- error positions --------------------------------------------------------------------------


def test_lock_bad_range_and_missing_repository_name_the_chart_yaml_position(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    ns = unique("pos")
    pusher.push(ns, "chart1", "1.0.0")
    pusher.push(ns, "other", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    # Three charts depend on chart1: the error must say which one is wrong, and where.
    for name in ("x", "y"):
        write_parent(tmp_path / "charts" / name, [("chart1", "^1.0.0", repo)], name=name)
    write_parent(
        tmp_path / "charts" / "z", [("other", "^1.0.0", repo), ("chart1", ">>1", repo)], name="z"
    )
    result = run_chartlock("lock", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    # dependencies[1].version of charts/z/Chart.yaml: line 9 ("    version: '>>1'"), column 14.
    lines = (tmp_path / "charts" / "z" / "Chart.yaml").read_text("utf-8").splitlines()
    assert lines[8] == "    version: '>>1'"
    assert result.stderr.startswith(
        "chartlock: error: charts/z/Chart.yaml:9:14: dependency 'chart1' has an invalid "
        "version/constraint format"
    ), result.stderr
    assert not list(tmp_path.rglob("Chart.lock"))  # nothing written

    missing = tmp_path / "alias"
    write_parent(missing / "charts" / "w", [("chart1", "^1.0.0", "'@nope'")], name="w")
    repos = tmp_path / "repositories.yaml"
    repos.write_text("apiVersion: v1\nrepositories: []\n", "utf-8")
    result = run_chartlock("lock", "--plain-http", "--repository-config", str(repos), cwd=missing)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "chartlock: error: charts/w/Chart.yaml:7:17: no repository definition for @nope"
    ), result.stderr

    nomatch = tmp_path / "nomatch"
    write_parent(nomatch / "charts" / "v", [("chart1", "^2.0.0", repo)], name="v")
    result = run_chartlock("lock", "--plain-http", cwd=nomatch)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "chartlock: error: charts/v/Chart.yaml:6:14: dependency 'chart1'"
    ), result.stderr
    assert "no version matches '^2.0.0'" in result.stderr


def test_outdated_shows_per_dependency_errors_with_positions_and_fails(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    ns = unique("pos")
    pusher.push(ns, "web", "1.0.0")
    pusher.push(ns, "bad", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    write_parent(tmp_path / "charts" / "app", [("web", "^1.0.0", repo), ("bad", ">>1", repo)])
    for extra in ((), ("--exit-code",)):
        result = run_chartlock("outdated", "--plain-http", *extra, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert (
            "error: charts/app/Chart.yaml:9:14: dependency 'bad' has an invalid "
            "version/constraint format" in result.stdout
        ), result.stdout
        assert "no problems" not in result.stdout
    doc = json.loads(
        run_chartlock("outdated", "--plain-http", "--format", "json", cwd=tmp_path).stdout
    )
    rows = {d["name"]: d for d in doc["charts"][0]["dependencies"]}
    assert rows["bad"]["error"].startswith("charts/app/Chart.yaml:9:14: ")
    assert rows["web"]["error"] is None and rows["web"]["wanted"] == "1.0.0"


def test_verify_and_pull_name_the_lock_position(tmp_path: Path) -> None:
    # Offline: both fail before asking a registry.
    host = f"127.0.0.1:{free_port()}"
    repo = f"oci://{host}/ns"
    nolock = write_parent(tmp_path / "charts" / "nolock", [("web", "^1.0.0", repo)])
    result = run_chartlock("verify", "charts/nolock", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "chartlock: error: charts/nolock/Chart.yaml:5:3: has dependencies but no Chart.lock"
    ), result.stderr
    assert "no problems" not in result.stdout
    assert nolock.is_dir()

    stale = write_parent(tmp_path / "charts" / "stale", [("web", "^1.0.0", repo)])
    write_lock(stale, [("web", repo, "1.0.0", FAKE_DIGEST)])
    chart_yaml = stale / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text("utf-8").replace("^1.0.0", "^1.1.0"), "utf-8")
    result = run_chartlock("pull", "charts/stale", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2
    lock_lines = (stale / "Chart.lock").read_text("utf-8").splitlines()
    digest_line = next(i for i, line in enumerate(lock_lines, 1) if line.startswith("digest:"))
    assert result.stderr.startswith(
        f"chartlock: error: charts/stale/Chart.lock:{digest_line}:9: the lock file (Chart.lock) "
        "is out of sync"
    ), result.stderr


def test_lock_registry_errors_about_a_repository_name_the_dependency(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    ns = unique("pos")
    pusher.push(ns, "chart1", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    write_parent(tmp_path / "charts" / "x", [("chart1", "^1.0.0", repo)], name="x")
    write_parent(
        tmp_path / "charts" / "y", [("chart1", "^1.0.0", repo), ("typo", "^1.0.0", repo)], name="y"
    )
    result = run_chartlock("lock", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2
    # charts/y/Chart.yaml dependencies[1].repository: line 10, column 17.
    assert result.stderr.startswith(
        f"chartlock: error: charts/y/Chart.yaml:10:17: {registry.host}/{ns}/typo: "
    ), result.stderr
    assert not list(tmp_path.rglob("Chart.lock"))


def test_verify_registry_error_names_the_lock_entry_position(tmp_path: Path) -> None:
    # Two charts locked against an unreachable registry: each error says which lock to look at
    # (the locked entry's version), in text and in the JSON report's errors.
    host = f"127.0.0.1:{free_port()}"
    for name in ("a", "b"):
        locked_chart(tmp_path / "charts" / name, host)
    lock_lines = (tmp_path / "charts" / "a" / "Chart.lock").read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(lock_lines, 1) if text.startswith("  version:"))
    result = run_chartlock("verify", "--plain-http", "--timeout", "5", cwd=tmp_path)
    assert result.returncode == 2
    errors = [e for e in result.stderr.splitlines() if e.startswith("chartlock: error:")]
    assert [e.split(": ")[2] for e in errors] == [
        f"charts/a/Chart.lock:{line}:12",
        f"charts/b/Chart.lock:{line}:12",
    ], result.stderr
    assert all(host in e for e in errors)
    doc = json.loads(
        run_chartlock(
            "verify", "--plain-http", "--timeout", "5", "--format", "json", cwd=tmp_path
        ).stdout
    )
    assert [(e["path"], e["line"], e["column"]) for e in doc["errors"]] == [
        ("charts/a/Chart.lock", line, 12),
        ("charts/b/Chart.lock", line, 12),
    ]


def test_lock_missing_tag_names_the_dependency_that_asked_for_it(
    registry: RegistryServer, pusher: Pusher, tmp_path: Path
) -> None:
    # Both charts use the same repository; only charts/y asks for the tag that does not exist.
    ns = unique("pos")
    pusher.push(ns, "chart1", "1.0.0")
    repo = f"oci://{registry.host}/{ns}"
    write_parent(tmp_path / "charts" / "x", [("chart1", "^1.0.0", repo)], name="x")
    write_parent(tmp_path / "charts" / "y", [("chart1", "9.9.9", repo)], name="y")
    result = run_chartlock("lock", "--plain-http", cwd=tmp_path)
    assert result.returncode == 2
    # charts/y/Chart.yaml dependencies[0].version: line 6, column 14.
    assert result.stderr.startswith(
        f"chartlock: error: charts/y/Chart.yaml:6:14: {registry.host}/{ns}/chart1: tag 9.9.9 "
    ), result.stderr
    assert not list(tmp_path.rglob("Chart.lock"))
