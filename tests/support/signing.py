"""Provenance test material made by the real tools: a throwaway GnuPG key (``gpg --batch
--gen-key``), charts packaged and signed by the real helm (``helm package --sign``), pushed with
their ``.prov`` by ``helm push``, and ``helm pull --verify`` to compare verdicts with."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.registry import Pusher, make_chart


def require_gpg() -> str:
    gpg = shutil.which("gpg")
    if gpg is None:
        if os.environ.get("CHARTLOCK_REQUIRE_INTEGRATION"):
            pytest.fail("gpg is not installed (apt-get install gnupg)")
        pytest.skip("gpg is not installed (apt-get install gnupg)")
    return gpg


@dataclass
class Key:
    name: str  # "Name <email>"
    fingerprint: str
    pubring: Path  # binary public keyring (helm's --keyring for verify)
    pubring_asc: Path  # the same, ASCII-armored
    secring: Path  # legacy secret keyring (helm package --sign --keyring)


def make_key(gpg: str, directory: Path, real_name: str, email: str) -> Key:
    """A new RSA key without passphrase in its own GNUPGHOME under ``directory``."""
    home = directory / "gnupg"
    home.mkdir(parents=True, mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    params = (
        "%no-protection\nKey-Type: RSA\nKey-Length: 2048\n"
        f"Name-Real: {real_name}\nName-Email: {email}\nExpire-Date: 0\n%commit\n"
    )
    subprocess.run(
        [gpg, "--batch", "--gen-key"],
        input=params,
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )

    def export(*args: str) -> bytes:
        return subprocess.run(
            [gpg, "--batch", *args], env=env, check=True, capture_output=True
        ).stdout

    pubring, pubring_asc, secring = (
        directory / "pubring.gpg",
        directory / "pubring.asc",
        directory / "secring.gpg",
    )
    pubring.write_bytes(export("--export"))
    pubring_asc.write_bytes(export("--armor", "--export"))
    secring.write_bytes(export("--export-secret-keys"))
    listing = export("--with-colons", "--fingerprint").decode()
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
    )
    return Key(f"{real_name} <{email}>", fingerprint, pubring, pubring_asc, secring)


def package(
    pusher: Pusher, name: str, version: str, *, key: Key | None, values: str = "", tag: str = ""
) -> Path:
    """``helm package`` (``--sign`` with ``key``); returns the archive (``.prov`` beside it)."""
    src = pusher.work / "src" / f"{name}-{version}-{tag}"
    chart = make_chart(src, name, version, values=values)
    out = pusher.work / "pkg" / f"{name}-{version}-{tag}"
    out.mkdir(parents=True, exist_ok=True)
    args = ["package", str(chart), "-d", str(out)]
    if key is not None:
        args += ["--sign", "--key", key.name, "--keyring", str(key.secring)]
    pusher._run(*args)
    return out / f"{name}-{version}.tgz"


def push_archive(pusher: Pusher, archive: Path, namespace: str) -> str:
    """``helm push`` (uploads ``<archive>.prov`` too when it exists); the manifest digest."""
    result = pusher._run(
        "push", str(archive), f"oci://{pusher.server.host}/{namespace}", "--plain-http"
    )
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("Digest:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"helm push printed no digest: {result.stdout}{result.stderr}")


def helm_pull_verify(pusher: Pusher, ref: str, version: str, keyring: Path, dest: Path) -> bool:
    """Whether ``helm pull --verify --keyring`` accepts the chart (``ref``: oci://… or a
    repository chart URL with ``--repo``)."""
    dest.mkdir(parents=True, exist_ok=True)
    args = [
        pusher.helm,
        "pull",
        ref,
        "--version",
        version,
        "--verify",
        "--keyring",
        str(keyring),
        "-d",
        str(dest),
    ]
    if ref.startswith("oci://"):
        args.append("--plain-http")
    result = subprocess.run(args, env=pusher.env, capture_output=True, text=True, check=False)
    return result.returncode == 0
