"""Provenance (issue 16) against the real registry: charts signed by the real helm with a key
made by the real gpg, pushed with their .prov by helm push; every verdict compared with
``helm pull --verify --keyring``."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from resolver.cli import main
from tests.online.helpers import unique, write_lock, write_parent
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
