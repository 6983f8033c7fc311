"""Combine the results of ci/github/run-checks.sh for action.yml (standard library only).

Reads, for each check that ran, ``<check>.rc`` and ``<check>.err`` and, for report checks,
``<check>.json``, ``<check>.md`` and ``<check>.sarif`` (lock-check: ``<check>.txt``) in
``--out``. Writes one SARIF file with a run per check (``automationDetails.id`` =
``chartlock/<check>/``, so code scanning keeps them apart), appends a Markdown summary to
``$GITHUB_STEP_SUMMARY`` (and writes it to ``summary.md``), sets the step outputs ``findings``,
``errors``, ``sarif``, ``summary-file`` and ``exit-code`` in ``$GITHUB_OUTPUT``, and exits
with the step's exit code: 2 when a check failed, 1 when a finding is at or above
``--fail-on`` (or a lock would change), else 0.

Annotations (workflow commands) are printed for the findings of every report check, once per
place and message (check and lint share rules), limited to the lines a unified diff
``--changed`` adds when given: a reviewer sees what the pull request did, and GitHub's limit
on annotations per step is not spent on old findings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

SEVERITIES = {"info": 1, "warning": 2, "error": 3}
REPORT_CHECKS = ("check", "lint", "verify")
LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(diff: str) -> dict[str, set[int]]:
    """Lines added or changed on the new side of a unified diff (``--unified=0``), by path."""
    lines: dict[str, set[int]] = {}
    path = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            path = target[2:] if target.startswith("b/") else ""
            if path:
                lines.setdefault(path, set())
        elif (m := _HUNK.match(line)) and path:
            start, count = int(m.group(1)), int(m.group(2) or "1")
            lines[path].update(range(start, start + count))
    return lines


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: dict[str, Any]) -> str:
    """One ``::error file=...`` command, as ``chartlock --format github`` writes it."""
    props = [f"file={_prop(str(finding['path']))}"]
    if finding.get("line"):
        props.append(f"line={finding['line']}")
        if finding.get("column"):
            props.append(f"col={finding['column']}")
    props.append(f"title={_prop(str(finding['rule']) + ' ' + str(finding['name']))}")
    message = str(finding["message"]) + (f" (fix: {finding['fix']})" if finding.get("fix") else "")
    return (
        f"::{LEVELS.get(str(finding['severity']), 'warning')} {','.join(props)}::{_data(message)}"
    )


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except OSError:
        return ""


def _errors(stderr: str) -> list[str]:
    prefix = "chartlock: error: "
    return [line[len(prefix) :] for line in stderr.splitlines() if line.startswith(prefix)]


def _quote(lines: list[str]) -> list[str]:
    quoted = [line.replace("`", "'") for line in lines]
    return [f"> - `{line}`" for line in quoted]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fail-on", default="error", choices=sorted(SEVERITIES))
    parser.add_argument("--summary", default="true")
    parser.add_argument("--annotations", default="changed", choices=("changed", "all", "none"))
    parser.add_argument("--changed", type=Path, help="unified diff of the pull request")
    parser.add_argument("checks", nargs="*")
    args = parser.parse_args(argv)
    out: Path = args.out
    threshold = SEVERITIES[args.fail_on]

    exit_code = 0
    findings = 0
    errors = 0
    runs: list[object] = []
    annotations: dict[tuple[object, ...], str] = {}
    changed = changed_lines(_read(args.changed)) if args.changed else None
    sections: list[str] = []
    for check in args.checks:
        rc_text = _read(out / f"{check}.rc").strip()
        rc = int(rc_text) if rc_text.isdigit() else 2
        stderr_errors = _errors(_read(out / f"{check}.err"))
        failed = rc not in (0, 1)
        if failed:
            errors += max(len(stderr_errors), 1)
            exit_code = 2
        command = "lock --check" if check == "lock-check" else check
        if check in REPORT_CHECKS:
            report = _read(out / f"{check}.json")
            if report:
                items = json.loads(report).get("findings", [])
                findings += len(items)
                for f in items:
                    on_changed = changed is None or f.get("line") in changed.get(f["path"], ())
                    if args.annotations != "none" and on_changed:
                        place = (f["path"], f["line"], f["column"], f["rule"], f["message"])
                        annotations.setdefault(place, annotation(f))
                worst = max((SEVERITIES.get(f.get("severity"), 0) for f in items), default=0)
                if worst >= threshold and exit_code == 0:
                    exit_code = 1
            sarif = _read(out / f"{check}.sarif")
            if sarif:
                for run in json.loads(sarif).get("runs", []):
                    run["automationDetails"] = {"id": f"chartlock/{check}/"}
                    runs.append(run)
            markdown = _read(out / f"{check}.md").strip()
            if markdown.startswith("## chartlock"):
                markdown = f"## chartlock {command}" + markdown[len("## chartlock") :]
        elif check == "lock-check":
            text = _read(out / f"{check}.txt").strip()
            if rc == 1 and exit_code == 0:
                exit_code = 1
            verdict = "a Chart.lock would change" if rc == 1 else "every Chart.lock is current"
            markdown = f"## chartlock {command}: {'failed' if failed else verdict}"
            if text:
                markdown += "\n\n```text\n" + text.replace("```", "'''") + "\n```"
        else:  # an unknown check: run-checks.sh wrote the error
            markdown = ""
        if failed and "**The run failed**" not in markdown:
            # No report says why (e.g. a bad option or configuration): quote stderr.
            why = stderr_errors or [f"chartlock {command} exited with code {rc}"]
            head = markdown or f"## chartlock {command}: the run failed"
            caution = ["> [!CAUTION]", f"> **The run failed** (exit code {rc}):", *_quote(why)]
            first, _, rest = head.partition("\n")
            markdown = "\n".join([first, "", *caution, *([rest.strip()] if rest.strip() else [])])
        sections.append(markdown)

    for line in annotations.values():
        print(line)
    sarif_path = out / "chartlock.sarif"
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    }
    sarif_path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")

    summary = "\n\n".join(sections) + "\n"
    summary_path = out / "summary.md"
    summary_path.write_text(summary, "utf-8")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and args.summary == "true":
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"findings={findings}\nerrors={errors}\n")
        handle.write(f"sarif={sarif_path if runs else ''}\nexit-code={exit_code}\n")
        handle.write(f"summary-file={summary_path}\n")
    if exit_code == 2:
        print(f"::error title=chartlock::{errors} error(s) stopped chartlock; see the summary")
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
