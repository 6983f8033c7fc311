"""The lock writer's two paths give the same bytes: the one without PyYAML (simple strings)
and libyaml's emitter with go-yaml's quoting (everything). The libyaml path is the one the
helm-written fixtures hold to helm's bytes (tests/chart/test_helm_locks.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from resolver.chart.loader import load_lock
from resolver.chart.lockfile import _dump_libyaml, _dump_simple, _simple_scalar, dump_lock
from resolver.chart.models import Dependency
from resolver.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def corpus_locks() -> list[Path]:
    return sorted((ROOT / "fixtures" / "corpus").rglob("Chart.lock")) + sorted(
        (ROOT / "fixtures" / "helm-locks").rglob("Chart.lock")
    )


def test_simple_path_agrees_with_libyaml_on_every_corpus_lock() -> None:
    simple = 0
    files = corpus_locks()
    assert len(files) > 1200
    for path in files:
        try:
            lock = load_lock(path)
        except InputError:
            continue
        deps = lock.dependencies or []
        fast = _dump_simple(deps, lock.digest, lock.generated)
        if fast is not None:
            simple += 1
            assert fast == _dump_libyaml(deps, lock.digest, lock.generated), path
    # Real locks are simple: the fast path is the common one.
    assert simple > 0.8 * len(files)


_ALPHABET = "abyYnN01239._/:@+-eE"


@pytest.mark.parametrize("seed", range(4))
def test_simple_path_agrees_with_libyaml_on_generated_strings(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(2000):
        values = [
            "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 12))) for _ in range(4)
        ]
        if rng.random() < 0.2:
            values[0] = rng.choice(["true", "y", "on", "null", "1.10", "0x1F", "1e3", "1:30"])
        dep = Dependency(name=values[0], version=values[1], repository="oci://r.io/" + values[2])
        dep.extra["digest"] = values[3]
        generated = rng.choice(["2026-01-02T03:04:05.123456789Z", values[3]])
        fast = _dump_simple([dep], "sha256:" + "0" * 64, generated)
        slow = _dump_libyaml([dep], "sha256:" + "0" * 64, generated)
        if fast is not None:
            taken += 1
            assert fast == slow, values
        assert dump_lock([dep], "sha256:" + "0" * 64, generated) == slow
    assert taken > 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", "nginx"),
        ("1.2.3", "1.2.3"),
        ("1.10", '"1.10"'),
        ("true", '"true"'),
        ("y", '"y"'),
        ("2026-01-02T03:04:05Z", '"2026-01-02T03:04:05Z"'),
        ("oci://ghcr.io/org", "oci://ghcr.io/org"),
        ("a b", None),
        ("-x", None),
        ("x:", None),
        ("", None),
        ("é", None),
    ],
)
def test_simple_scalar(text: str, expected: str | None) -> None:
    assert _simple_scalar(text) == expected


def test_signer_key_is_written_in_go_key_order_by_both_paths() -> None:
    """``signer:`` (lock --verify) sorts between repository and version, like helm's keys."""
    dep = Dependency(name="web", repository="oci://ghcr.io/acme", version="1.0.0")
    dep.extra["digest"] = "sha256:" + "a" * 64
    dep.extra["signer"] = "69C6D247365BF88661179D538FC69C18E1545B79"
    fast = _dump_simple([dep], "sha256:" + "0" * 64, "2026-01-01T00:00:00Z")
    assert fast == _dump_libyaml([dep], "sha256:" + "0" * 64, "2026-01-01T00:00:00Z")
    assert fast is not None
    keys = [line.strip("- ").split(":")[0] for line in fast.splitlines()[1:6]]
    assert keys == ["digest", "name", "repository", "signer", "version"]
