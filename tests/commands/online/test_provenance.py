"""Provenance (issue 16) against the real registry: charts signed by the real helm with a key
made by the real gpg, pushed with their .prov by helm push; every verdict compared with
``helm pull --verify --keyring``."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from resolver.cli.main import main
from tests.commands.online.helpers import unique, write_lock, write_parent
from tests.support.certs import make_ca_and_server_cert
from tests.support.proxy import Proxy
from tests.support.registry import Pusher, RegistryServer
from tests.support.signing import (
    Key,
    helm_pull_verify,
    make_key,
    package,
    push_archive,
    require_gpg,
)

pytestmark = pytest.mark.integration
pytest.importorskip("pysequoia")


@dataclass
class Keys:
    signer: Key
    stranger: Key


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    gpg = require_gpg()
    return Keys(
        make_key(gpg, tmp_path_factory.mktemp("signer"), "Chart Signer", "signer@example.test"),
        make_key(gpg, tmp_path_factory.mktemp("stranger"), "Someone Else", "else@example.test"),
    )


@dataclass
class Case:
    name: str
    version: str
    digest: str
    keyring: Path
    rule: str | None  # the finding expected, None when it verifies


@pytest.fixture(scope="session")
def cases(pusher: Pusher, registry: RegistryServer, keys: Keys) -> tuple[str, dict[str, Case]]:
    ns = unique("prov")
    out: dict[str, Case] = {}

    good = package(pusher, "good", "1.0.0", key=keys.signer)
    out["good"] = Case("good", "1.0.0", push_archive(pusher, good, ns), keys.signer.pubring, None)
    # The same signed chart, checked with a keyring that does not hold the signer's key.
    stranger = package(pusher, "stranger", "1.0.0", key=keys.signer)
    out["unknown"] = Case(
        "stranger", "1.0.0", push_archive(pusher, stranger, ns), keys.stranger.pubring, "CL507"
    )
    # A .prov whose signed body was edited after signing.
    edited = package(pusher, "edited", "1.0.0", key=keys.signer)
    prov = edited.with_name(edited.name + ".prov")
    text = prov.read_text("utf-8")
    assert "type: application\n" in text
    prov.write_text(text.replace("type: application\n", "type: library\n", 1), "utf-8")
    out["edited"] = Case(
        "edited", "1.0.0", push_archive(pusher, edited, ns), keys.signer.pubring, "CL506"
    )
    # An archive re-pushed under the same tag beside the old .prov (not re-signed).
    first = package(pusher, "repushed", "1.0.0", key=keys.signer)
    push_archive(pusher, first, ns)
    second = package(pusher, "repushed", "1.0.0", key=None, values="changed: true\n", tag="b")
    shutil.copy(first.with_name(first.name + ".prov"), second.with_name(second.name + ".prov"))
    out["repushed"] = Case(
        "repushed", "1.0.0", push_archive(pusher, second, ns), keys.signer.pubring, "CL508"
    )
    # No provenance at all.
    unsigned = package(pusher, "unsigned", "1.0.0", key=None)
    out["unsigned"] = Case(
        "unsigned", "1.0.0", push_archive(pusher, unsigned, ns), keys.signer.pubring, "CL505"
    )
    return f"oci://{registry.host}/{ns}", out


def parent(tmp_path: Path, repo: str, case: Case, *, signer: str = "") -> Path:
    chart = write_parent(tmp_path / "app", [(case.name, case.version, repo)])
    lock = write_lock(chart, [(case.name, repo, case.version, case.digest)])
    if signer:  # chartlock's extra per-dependency key (helm ignores it, like digest:)
        text = lock.read_text("utf-8")
        marker = f"  version: {case.version}\n"
        assert marker in text
        lock.write_text(text.replace(marker, f"  signer: {signer}\n" + marker, 1), "utf-8")
    return chart


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


CASES = ["good", "unknown", "edited", "repushed", "unsigned"]


@pytest.mark.parametrize("which", CASES)
def test_verify_provenance_gives_its_rule_and_agrees_with_helm_pull_verify(
    which: str,
    cases: tuple[str, dict[str, Case]],
    pusher: Pusher,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    case = table[which]
    chart = parent(tmp_path, repo, case)
    code, out, err = run(
        capsys,
        "verify",
        str(chart),
        "--plain-http",
        "--no-newer",
        "--provenance",
        "--keyring",
        str(case.keyring),
        "--format",
        "json",
    )
    doc = json.loads(out)
    rules = sorted(f["rule"] for f in doc["findings"])
    assert rules == ([case.rule] if case.rule else []), (out, err)
    assert code == (1 if case.rule else 0), err
    helm_ok = helm_pull_verify(
        pusher, f"{repo}/{case.name}", case.version, case.keyring, tmp_path / "helm"
    )
    assert helm_ok == (case.rule is None)


def test_good_signature_names_the_signer_like_helm_verify(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    chart = parent(tmp_path, repo, table["good"])
    code, out, err = run(
        capsys,
        "verify",
        str(chart),
        "--plain-http",
        "--no-newer",
        "--provenance",
        "--keyring",
        str(keys.signer.pubring_asc),  # armored keyrings work too
    )
    assert code == 0, err
    assert (
        f"good 1.0.0: Signed by: Chart Signer <signer@example.test>, key {keys.signer.fingerprint}"
        in out
    )


def test_recorded_signer_that_differs_is_cl509(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    good = table["good"]
    chart = parent(tmp_path, repo, good, signer=keys.stranger.fingerprint)
    code, out, _ = run(
        capsys,
        "verify",
        str(chart),
        "--plain-http",
        "--no-newer",
        "--provenance",
        "--keyring",
        str(keys.signer.pubring),
        "--format",
        "json",
    )
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["CL509"]
    same = parent(tmp_path / "same", repo, good, signer=keys.signer.fingerprint)
    code, out, _ = run(
        capsys,
        "verify",
        str(same),
        "--plain-http",
        "--no-newer",
        "--provenance",
        "--keyring",
        str(keys.signer.pubring),
        "--format",
        "json",
    )
    assert code == 0, out


def test_without_provenance_flag_nothing_is_checked(
    cases: tuple[str, dict[str, Case]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, table = cases
    chart = parent(tmp_path, repo, table["unsigned"])
    code, out, _ = run(
        capsys, "verify", str(chart), "--plain-http", "--no-newer", "--format", "json"
    )
    assert code == 0 and json.loads(out)["findings"] == []


def test_missing_keyring_is_one_line_error(
    cases: tuple[str, dict[str, Case]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, table = cases
    chart = parent(tmp_path, repo, table["good"])
    code, _, err = run(
        capsys,
        "verify",
        str(chart),
        "--plain-http",
        "--provenance",
        "--keyring",
        str(tmp_path / "nope.gpg"),
    )
    assert code == 2
    assert err.count("\n") == 1 and "cannot read the keyring" in err


# -- pull --verify (OCI) ---------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("CHARTLOCK_CACHE", str(path))
    return path


@pytest.mark.parametrize("which", CASES)
def test_pull_verify_writes_only_verified_archives(
    which: str,
    cases: tuple[str, dict[str, Case]],
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    case = table[which]
    chart = parent(tmp_path, repo, case)
    # Pulled once without --verify first: the archive is in the cache, and must still not be
    # written when its provenance fails.
    assert run(capsys, "pull", str(chart), "--plain-http")[0] == 0
    shutil.rmtree(chart / "charts")
    code, out, err = run(
        capsys, "pull", str(chart), "--plain-http", "--verify", "--keyring", str(case.keyring)
    )
    charts = (
        sorted(p.name for p in (chart / "charts").glob("*")) if (chart / "charts").exists() else []
    )
    if case.rule is None:
        assert code == 0, err
        assert charts == [f"{case.name}-{case.version}.tgz"]
        assert "Signed by: Chart Signer <signer@example.test>, key" in out
    else:
        assert code == 2
        assert charts == []
        assert err.count("\n") == 1 and "provenance" in err and "nothing was written" in err
        kind = {
            "CL505": "missing",
            "CL506": "bad-signature",
            "CL507": "unknown-signer",
            "CL508": "hash-mismatch",
        }[case.rule]
        assert f"provenance {kind}:" in err


def test_pull_verify_keeps_existing_charts_untouched_on_failure(
    cases: tuple[str, dict[str, Case]],
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One bad dependency among good ones: nothing is written, old archives stay."""
    repo, table = cases
    good, bad = table["good"], table["repushed"]
    chart = write_parent(
        tmp_path / "app", [(good.name, good.version, repo), (bad.name, bad.version, repo)]
    )
    write_lock(
        chart,
        [(good.name, repo, good.version, good.digest), (bad.name, repo, bad.version, bad.digest)],
    )
    (chart / "charts").mkdir()
    (chart / "charts" / "good-0.9.0.tgz").write_bytes(b"old")
    code, _, err = run(
        capsys, "pull", str(chart), "--plain-http", "--verify", "--keyring", str(good.keyring)
    )
    assert code == 2, err
    assert sorted(p.name for p in (chart / "charts").iterdir()) == ["good-0.9.0.tgz"]


# -- https index repository: .tgz + .tgz.prov ------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class IndexRepo:
    url: str
    ca: Path
    repos: Path  # repositories.yaml (caFile) for chartlock
    digests: dict[str, str]  # chart name -> sha256 of its archive


@pytest.fixture(scope="session")
def index_repo(
    pusher: Pusher, keys: Keys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IndexRepo]:
    base = tmp_path_factory.mktemp("provrepo")
    ca, cert, key = make_ca_and_server_cert(base / "certs")
    serve = base / "serve" / "charts"
    serve.mkdir(parents=True)

    def place(archive: Path, *, with_prov: bool = True) -> None:
        shutil.copy(archive, serve / archive.name)
        prov = archive.with_name(archive.name + ".prov")
        if with_prov and prov.exists():
            shutil.copy(prov, serve / prov.name)

    place(package(pusher, "igood", "1.0.0", key=keys.signer, tag="idx"))
    place(package(pusher, "istranger", "1.0.0", key=keys.signer, tag="idx"))
    edited = package(pusher, "iedited", "1.0.0", key=keys.signer, tag="idx")
    prov = edited.with_name(edited.name + ".prov")
    prov.write_text(
        prov.read_text("utf-8").replace("type: application\n", "type: library\n", 1), "utf-8"
    )
    place(edited)
    first = package(pusher, "irepushed", "1.0.0", key=keys.signer, tag="idx")
    second = package(pusher, "irepushed", "1.0.0", key=None, values="changed: 1\n", tag="idx2")
    place(second)  # the new archive ...
    shutil.copy(first.with_name(first.name + ".prov"), serve / (first.name + ".prov"))  # old prov
    place(package(pusher, "iunsigned", "1.0.0", key=None, tag="idx"))

    def handler(*a: object, **k: object) -> _Quiet:
        return _Quiet(*a, directory=str(serve.parent), **k)  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    url = f"https://127.0.0.1:{httpd.server_address[1]}/charts"
    pusher._run("repo", "index", str(serve), "--url", url)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    repos = base / "repositories.yaml"
    repos.write_text(
        f"apiVersion: v1\nrepositories:\n- name: signed\n  url: {url}\n  caFile: {ca}\n", "utf-8"
    )
    digests = {
        p.name.rsplit("-", 1)[0]: "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest()
        for p in serve.glob("*.tgz")
    }
    yield IndexRepo(url, ca, repos, digests)
    httpd.shutdown()
    httpd.server_close()


def index_case(repo: IndexRepo, keys: Keys, which: str) -> Case:
    name = "i" + ("stranger" if which == "unknown" else which)
    keyring = keys.stranger.pubring if which == "unknown" else keys.signer.pubring
    rule = {
        "good": None,
        "unknown": "CL507",
        "edited": "CL506",
        "repushed": "CL508",
        "unsigned": "CL505",
    }[which]
    return Case(name, "1.0.0", repo.digests[name], keyring, rule)


@pytest.mark.parametrize("which", CASES)
def test_https_repository_provenance_verify_pull_and_helm_agree(
    which: str,
    index_repo: IndexRepo,
    keys: Keys,
    pusher: Pusher,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = index_case(index_repo, keys, which)
    chart = parent(tmp_path, index_repo.url, case)
    common = ["--keyring", str(case.keyring), "--repository-config", str(index_repo.repos)]
    code, out, err = run(
        capsys, "verify", str(chart), "--no-newer", "--provenance", "--format", "json", *common
    )
    rules = [f["rule"] for f in json.loads(out)["findings"]]
    assert rules == ([case.rule] if case.rule else []), (out, err)
    assert code == (1 if case.rule else 0), err

    code, out, err = run(capsys, "pull", str(chart), "--verify", *common)
    written = sorted(p.name for p in (chart / "charts").glob("*"))
    if case.rule is None:
        assert code == 0, err
        assert written == [f"{case.name}-1.0.0.tgz"]
        assert (
            f"Signed by: Chart Signer <signer@example.test>, key {keys.signer.fingerprint}" in out
        )
    else:
        assert code == 2 and written == [], err

    (tmp_path / "helm").mkdir()
    env_ok = subprocess.run(
        [
            pusher.helm,
            "pull",
            case.name,
            "--repo",
            index_repo.url,
            "--version",
            "1.0.0",
            "--verify",
            "--keyring",
            str(case.keyring),
            "--ca-file",
            str(index_repo.ca),
            "-d",
            str(tmp_path / "helm"),
        ],
        env=pusher.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (env_ok.returncode == 0) == (case.rule is None), env_ok.stderr


def test_helm_dependency_build_accepts_a_lock_with_signer_keys(
    cases: tuple[str, dict[str, Case]], keys: Keys, pusher: Pusher, tmp_path: Path
) -> None:
    repo, table = cases
    chart = parent(tmp_path, repo, table["good"], signer=keys.signer.fingerprint)
    assert f"signer: {keys.signer.fingerprint}" in (chart / "Chart.lock").read_text("utf-8")
    build = subprocess.run(
        [pusher.helm, "dependency", "build", str(chart), "--plain-http"],
        env=pusher.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (chart / "charts" / "good-1.0.0.tgz").is_file()


# -- lock --verify ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", CASES)
def test_lock_verify_records_the_signer_or_writes_nothing(
    which: str,
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    case = table[which]
    chart = write_parent(tmp_path / "app", [(case.name, "^1.0.0", repo)])
    code, out, err = run(
        capsys, "lock", str(chart), "--plain-http", "--verify", "--keyring", str(case.keyring)
    )
    lock = chart / "Chart.lock"
    if case.rule is None:
        assert code == 0, err
        text = lock.read_text("utf-8")
        assert f"  signer: {keys.signer.fingerprint}\n" in text
        assert f"- digest: {case.digest}\n" in text
        # and verify --provenance accepts what was locked
        code, out, err = run(
            capsys,
            "verify",
            str(chart),
            "--plain-http",
            "--no-newer",
            "--provenance",
            "--keyring",
            str(case.keyring),
        )
        assert code == 0, out + err
    else:
        assert code == 2, out
        assert not lock.exists()
        assert err.count("\n") == 1 and "no lock was written" in err


def test_lock_verify_failure_leaves_an_existing_lock_alone(
    cases: tuple[str, dict[str, Case]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, table = cases
    bad = table["unsigned"]
    chart = write_parent(tmp_path / "app", [(bad.name, "^1.0.0", repo)])
    assert run(capsys, "lock", str(chart), "--plain-http")[0] == 0
    before = (chart / "Chart.lock").read_bytes()
    code, _, err = run(
        capsys,
        "lock",
        str(chart),
        "--plain-http",
        "--verify",
        "--keyring",
        str(bad.keyring),
        "--upgrade",
    )
    assert code == 2 and "provenance missing" in err
    assert (chart / "Chart.lock").read_bytes() == before


def test_lock_verify_adds_signers_to_an_unchanged_lock(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    good = table["good"]
    chart = write_parent(tmp_path / "app", [(good.name, "^1.0.0", repo)])
    assert run(capsys, "lock", str(chart), "--plain-http")[0] == 0
    assert "signer:" not in (chart / "Chart.lock").read_text("utf-8")
    code, _, err = run(
        capsys, "lock", str(chart), "--plain-http", "--verify", "--keyring", str(good.keyring)
    )
    assert code == 0, err
    assert f"signer: {keys.signer.fingerprint}" in (chart / "Chart.lock").read_text("utf-8")


@pytest.mark.parametrize("which", ["good", "edited"])
def test_lock_verify_https_repository(
    which: str,
    index_repo: IndexRepo,
    keys: Keys,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = index_case(index_repo, keys, which)
    chart = write_parent(tmp_path / "app", [(case.name, "^1.0.0", index_repo.url)])
    code, _, err = run(
        capsys,
        "lock",
        str(chart),
        "--verify",
        "--keyring",
        str(case.keyring),
        "--repository-config",
        str(index_repo.repos),
    )
    if case.rule is None:
        assert code == 0, err
        assert f"signer: {keys.signer.fingerprint}" in (chart / "Chart.lock").read_text("utf-8")
    else:
        assert code == 2 and "provenance bad-signature" in err
        assert not (chart / "Chart.lock").exists()


# -- configuration: require-provenance / keyring ----------------------------------------------


def test_config_requires_provenance_for_matching_dependencies_only(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    good, unsigned = table["good"], table["unsigned"]
    chart = write_parent(
        tmp_path / "app", [(good.name, good.version, repo), (unsigned.name, "1.0.0", repo)]
    )
    write_lock(
        chart,
        [(good.name, repo, "1.0.0", good.digest), (unsigned.name, repo, "1.0.0", unsigned.digest)],
    )
    shutil.copy(keys.signer.pubring, tmp_path / "trusted.gpg")
    config = tmp_path / ".chartlock.yaml"
    # Only "good*" must be signed: the unsigned dependency is not checked.
    config.write_text("require-provenance: ['good*']\nkeyring: trusted.gpg\n", "utf-8")
    args = ["--plain-http", "--config", str(config)]
    code, out, err = run(capsys, "verify", str(chart), "--no-newer", *args)
    assert code == 0, out + err
    assert "good 1.0.0: Signed by: Chart Signer" in out and "unsigned" not in out
    assert run(capsys, "pull", str(chart), *args)[0] == 0
    # Every dependency: the unsigned one is CL505, and pull writes nothing.
    config.write_text("require-provenance: all\nkeyring: trusted.gpg\n", "utf-8")
    shutil.rmtree(chart / "charts")
    code, out, _ = run(capsys, "verify", str(chart), "--no-newer", "--format", "json", *args)
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["CL505"]
    code, _, err = run(capsys, "pull", str(chart), *args)
    assert code == 2 and "provenance missing" in err
    assert not (chart / "charts").exists() or not any((chart / "charts").iterdir())
    # A repository pattern that does not match: nothing required.
    config.write_text(
        "require-provenance: ['oci://elsewhere.example/*']\nkeyring: trusted.gpg\n", "utf-8"
    )
    assert run(capsys, "verify", str(chart), "--no-newer", *args)[0] == 0


def test_fails_closed_where_helm_dependency_build_verify_only_warns(
    cases: tuple[str, dict[str, Case]],
    pusher: Pusher,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """helm 4.1.4 installs an OCI dependency without provenance under `dependency build
    --verify` (a warning only); chartlock pull --verify refuses it."""
    repo, table = cases
    case = table["unsigned"]
    helm_chart = parent(tmp_path / "helm", repo, case)
    build = subprocess.run(
        [
            pusher.helm,
            "dependency",
            "build",
            str(helm_chart),
            "--plain-http",
            "--verify",
            "--keyring",
            str(case.keyring),
        ],
        env=pusher.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (helm_chart / "charts" / "unsigned-1.0.0.tgz").is_file()
    ours = parent(tmp_path / "ours", repo, case)
    code, _, err = run(
        capsys, "pull", str(ours), "--plain-http", "--verify", "--keyring", str(case.keyring)
    )
    assert code == 2 and "provenance missing" in err
    assert not (ours / "charts").exists()


def test_lock_verify_refuses_a_locked_version_re_signed_by_another_key(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    good = table["good"]
    chart = parent(tmp_path, repo, good, signer=keys.stranger.fingerprint)
    before = (chart / "Chart.lock").read_bytes()
    code, _, err = run(
        capsys, "lock", str(chart), "--plain-http", "--verify", "--keyring", str(good.keyring)
    )
    assert code == 2, err
    assert "signer-changed" in err and keys.stranger.fingerprint in err
    assert (chart / "Chart.lock").read_bytes() == before
    # Removing the signer: line accepts the (trusted) key.
    text = before.decode().replace(f"  signer: {keys.stranger.fingerprint}\n", "")
    (chart / "Chart.lock").write_text(text, "utf-8")
    code, _, err = run(
        capsys, "lock", str(chart), "--plain-http", "--verify", "--keyring", str(good.keyring)
    )
    assert code == 0, err
    assert f"signer: {keys.signer.fingerprint}" in (chart / "Chart.lock").read_text("utf-8")


def test_config_driven_lock_records_required_signers_and_plain_lock_keeps_them(
    cases: tuple[str, dict[str, Case]],
    keys: Keys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    good, unsigned = table["good"], table["unsigned"]
    chart = write_parent(tmp_path / "app", [("good", "1.0.0", repo), ("unsigned", "^1.0.0", repo)])
    config = tmp_path / "chartlock.yaml"
    config.write_text(f"require-provenance: [good]\nkeyring: {good.keyring}\n", "utf-8")
    code, _, err = run(capsys, "lock", str(chart), "--plain-http", "--config", str(config))
    assert code == 0, err
    text = (chart / "Chart.lock").read_text("utf-8")
    assert text.count("signer:") == 1 and f"signer: {keys.signer.fingerprint}" in text
    # A later plain lock that changes something else keeps the recorded signer.
    yaml_text = (chart / "Chart.yaml").read_text("utf-8").replace("'^1.0.0'", "'~1.0.0'")
    (chart / "Chart.yaml").write_text(yaml_text, "utf-8")
    config.write_text("lock: {strategy: conservative}\n", "utf-8")
    code, _, err = run(capsys, "lock", str(chart), "--plain-http", "--config", str(config))
    assert code == 0, err
    after = (chart / "Chart.lock").read_text("utf-8")
    assert after != text and f"signer: {keys.signer.fingerprint}" in after
    assert unsigned.digest in after


def test_provenance_is_read_by_the_locked_digest_never_by_tag(
    cases: tuple[str, dict[str, Case]],
    registry: RegistryServer,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, table = cases
    good = table["good"]
    with Proxy(registry.host) as proxy:
        repo = cases[0].replace(registry.host, proxy.host)
        chart = parent(tmp_path, repo, good)
        # verify reads only the provenance blob (the signed sha256 is checked against the chart
        # layer digest); pull reads the archive and the provenance.
        for args, blobs in (
            (["verify", "--no-newer", "--provenance"], 1),
            (["pull", "--verify"], 2),
        ):
            proxy.log.clear()
            code, _, err = run(
                capsys,
                args[0],
                str(chart),
                "--plain-http",
                *args[1:],
                "--keyring",
                str(good.keyring),
            )
            assert code == 0, err
            gets = [path for method, path in proxy.log if method == "GET"]
            assert any(p.endswith(f"/good/manifests/{good.digest}") for p in gets), gets
            assert not any(p.endswith("/good/manifests/1.0.0") for p in gets), gets
            assert sum("/good/blobs/" in p for p in gets) == blobs, gets


def test_verify_checks_oci_and_https_dependencies_of_one_chart_together(
    cases: tuple[str, dict[str, Case]],
    index_repo: IndexRepo,
    keys: Keys,
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, table = cases
    deps = [
        ("good", repo, table["good"].digest),
        ("unsigned", repo, table["unsigned"].digest),
        ("igood", index_repo.url, index_repo.digests["igood"]),
        ("iedited", index_repo.url, index_repo.digests["iedited"]),
    ]
    chart = write_parent(tmp_path / "app", [(n, "1.0.0", r) for n, r, _ in deps])
    write_lock(chart, [(n, r, "1.0.0", d) for n, r, d in deps])
    common = ["--keyring", str(keys.signer.pubring), "--repository-config", str(index_repo.repos)]
    code, out, err = run(
        capsys,
        "verify",
        str(chart),
        "--plain-http",
        "--no-newer",
        "--provenance",
        *common,
        "--format",
        "json",
    )
    assert code == 1, err
    found = sorted((f["rule"], f["message"].split()[0]) for f in json.loads(out)["findings"])
    assert found == [("CL505", "unsigned"), ("CL506", "iedited")]
    code, out, _ = run(
        capsys, "verify", str(chart), "--plain-http", "--no-newer", "--provenance", *common
    )
    assert "good 1.0.0: Signed by: Chart Signer" in out
    assert "igood 1.0.0: Signed by: Chart Signer" in out
