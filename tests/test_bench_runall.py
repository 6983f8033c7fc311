"""bench/run_all.py: its table's verdicts, and that every benchmark it names exists and speaks
its ``--json`` protocol (no benchmark is run here: no timed tests)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run_all

ROOT = Path(__file__).resolve().parents[1]


def _verdict(rows: list[dict[str, object]]) -> list[str]:
    lines = run_all.table(rows).splitlines()[2:]
    return [line.split("  ")[-1].strip() for line in lines]


def test_verdicts_follow_the_targets() -> None:
    rows: list[dict[str, object]] = [
        {"key": "lock-https-direct", "label": "a", "chartlock": 0.5, "helm": 8.0, "ratio": 16.0},
        {"key": "lock-https-direct", "label": "b", "chartlock": 1.0, "helm": 8.0, "ratio": 8.0},
        {"key": "shared-per-chart", "label": "c", "chartlock": 50.0, "unit": "ms"},
        {"key": "shared-per-chart", "label": "d", "chartlock": 50.1, "unit": "ms"},
        {"key": "lock-http-direct", "label": "e", "chartlock": 1.0, "helm": 4.0, "ratio": 4.0},
        {"key": "tags", "label": "f", "error": "chartlock: error: timed out"},
        {"key": "tags-10k", "label": "g", "chartlock": None, "helm": 0.4, "ratio": None},
    ]
    assert _verdict(rows) == [
        "pass",
        "FAIL",
        "pass",
        "FAIL",
        "info",
        "ERROR: chartlock: error: timed out",
        "FAIL",
    ]


def test_every_target_names_a_row_some_script_emits() -> None:
    sources = "".join(p.read_text("utf-8") for p in (ROOT / "bench").glob("*.py"))
    emitted = set(re.findall(r'row\(\s*f?"([a-z0-9-]+)', sources))
    emitted |= {f"lock-https-{m}" for m in ("direct", "proxy")}  # f"lock-https-{mode}"
    emitted |= {f"lock-http-{m}" for m in ("direct", "proxy")}  # f"lock-http-{mode}"
    # bench/fix_bench.py: f"fix-{images}{suffix}{part}", 200 images by default
    emitted |= {
        f"fix-200{suffix}{part}"
        for suffix in ("", "-anonymous")
        for part in ("", "-heads", "-tokens")
    }
    # bench/lint_corpus_bench.py: f"lint-corpus-{n}{suffix}", f"lint-corpus-rss-{n}"
    emitted |= {f"lint-corpus-{n}{s}" for n in (250, 1000, 4000) for s in ("", "-one-core")}
    emitted |= {f"lint-corpus-rss-{n}" for n in (250, 1000, 4000)}
    assert set(run_all.TARGETS) <= emitted


@pytest.mark.parametrize("entry", [e for e in run_all.ENTRIES if not e.optional], ids=str)
def test_every_required_script_exists_and_accepts_its_arguments(entry: run_all.Entry) -> None:
    script = ROOT / "bench" / entry.script
    assert script.is_file()
    assert run_all.supports_json(script)
    # --help parses the module and its imports without running anything.
    result = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for option in [a for a in (*entry.args, *entry.quick) if a.startswith("--")]:
        assert option in result.stdout, (entry.name, option)


def test_unknown_name_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "bench/run_all.py", "--only", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown benchmark 'nope'" in result.stderr


def test_a_script_without_json_is_shown_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_all, "BENCH", tmp_path)
    (tmp_path / "old_bench.py").write_text("print('old: 12 charts/s')\n", "utf-8")
    (tmp_path / "new_bench.py").write_text(
        "import json\nprint('report')\n"
        "print(json.dumps({'rows': [{'key': 'k', 'label': 'L', 'chartlock': 2.0}]}))\n"
        "# --json\n",
        "utf-8",
    )
    (tmp_path / "bad_bench.py").write_text("raise SystemExit('broken: no registry')\n", "utf-8")
    env = run_all.bench_env(bytecode=False)
    old = run_all.run(run_all.Entry("old", "old_bench.py", (), ()), False, env)
    assert old == ([{"key": "old", "label": "old (no --json: see above)"}], "old: 12 charts/s")
    rows, report = run_all.run(run_all.Entry("new", "new_bench.py", (), ()), False, env)
    assert report == "report"
    assert json.loads(json.dumps(rows))[0]["chartlock"] == 2.0 and rows[0]["bench"] == "new"
    rows, _ = run_all.run(run_all.Entry("bad", "bad_bench.py", (), ()), False, env)
    assert rows == [{"key": "bad", "label": "bad", "error": "broken: no registry"}]
