"""``chartlock fix``: pin the images the linter finds unpinned (issue 13), in place.

``--diff`` prints a unified diff and writes nothing; ``--check`` writes nothing and exits 1 when
something would change; otherwise the files are rewritten atomically. Findings that are not
fixed automatically (``latest``, missing tags, tags the registry does not serve, appVersion
fallbacks, files whose edit could not be verified) are listed on stderr and make the exit code
1, like ``ruff --fix`` with violations left. A registry that could not be asked makes it 2 (fail
closed: the run could not look).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resolver.cli.common import add_config_option, add_path_arguments, add_registry_options
from resolver.linter.findings import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from resolver.autofix.plan import PlannedEdit
    from resolver.autofix.run import FixResult
    from resolver.linter.config import Config


class ReportWithFixes(Report):
    """A lint report with the SARIF ``fixes`` of its fixable findings (``lint --check``)."""

    __slots__ = ("fixes",)
    fixes: dict[tuple[str, int, int, str], dict[str, object]]


HELP = (
    "pin unpinned container images in values files to their digests, and fix Chart.yaml "
    "repositories, in place"
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_path_arguments(parser, "files or directories to fix")
    add_fix_options(parser)
    add_config_option(parser)
    parser.add_argument(
        "--select", metavar="IDS", help="comma-separated rule ids or prefixes to fix (CL303)"
    )
    parser.add_argument(
        "--ignore", metavar="IDS", help="comma-separated rule ids or prefixes not to fix"
    )
    add_registry_options(parser)


def add_fix_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resolve-latest",
        action="store_true",
        help="replace `latest` by the highest released version tag whose digest is the same, "
        "pinned (1.27.3@sha256:<digest>); left and reported when no version tag matches",
    )
    parser.add_argument(
        "--pin-app-version",
        action="store_true",
        help='pin an empty tag (tag: "", which falls back to the chart\'s appVersion) to '
        "appVersion@sha256:<digest>; appVersion then no longer drives that tag",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--diff", action="store_true", help="print a unified diff of the fixes; write nothing"
    )
    group.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if anything would change",
    )


def _config(args: argparse.Namespace) -> Config:
    from resolver.linter.config import load_config, split_selectors

    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    select = getattr(args, "select", None)
    return config.with_overrides(
        select=split_selectors(select) if select is not None else None,
        ignore=split_selectors(getattr(args, "ignore", None) or ""),
    )


def run(args: argparse.Namespace) -> int:
    config = _config(args)
    result = apply_fix(args, config)
    return exit_code(result, args)


def apply_fix(args: argparse.Namespace, config: Config) -> FixResult:
    """Run the fix for ``args`` (writing unless ``--diff``/``--check``) and print what it did."""
    from resolver.autofix.run import fix
    from resolver.cli.online import CONFIG_MIRRORS, client_options, setup_logging

    setup_logging(args)
    setattr(args, CONFIG_MIRRORS, getattr(config, "mirrors", ()))
    options = client_options(args)
    write = not (getattr(args, "diff", False) or getattr(args, "check", False))
    result = fix(
        args.paths,
        options,
        config=config,
        write=write,
        pin_app_version=bool(getattr(args, "pin_app_version", False)),
        resolve_latest=bool(getattr(args, "resolve_latest", False)),
        progress=sys.stderr,  # shown only on a terminal, for a long run
    )
    if getattr(args, "diff", False):
        sys.stdout.write(result.diff())
    verb = "pinned" if write else "would pin"
    for edit in result.edits:
        if edit.how == "repository":  # Chart.yaml (issue 13, scope 2)
            sys.stderr.write(
                f"{edit.path}:{edit.line}:{edit.column}: {edit.rule} "
                f"{'fixed' if write else 'would fix'} the repository of {edit.image}: "
                f"{edit.old} -> {edit.new}\n"
            )
            continue
        sys.stderr.write(
            f"{edit.path}:{edit.line}:{edit.column}: {edit.rule} {verb} {edit.image} "
            f"({_how(edit.how)})\n"
        )
    for display in result.relocked:
        sys.stderr.write(f"{display}: re-locked (the fixed repository changes the lock)\n")
    for display in sorted(result.changes):
        if not write and display.rsplit("/", 1)[-1] in ("Chart.lock", "requirements.lock"):
            sys.stderr.write(f"{display}: would be re-locked (the fixed repository changes it)\n")
    for skipped in result.skipped:
        sys.stderr.write(
            f"{skipped.path}:{skipped.line}:{skipped.column}: {skipped.rule} not fixed: "
            f"{skipped.reason}\n"
        )
    files = len(result.changes)
    done = "changed" if write else "would change"
    sys.stderr.write(
        f"{len(result.edits)} fix{'es' if len(result.edits) != 1 else ''} in {files} "
        f"file{'s' if files != 1 else ''} ({done}), {len(result.skipped)} not fixed, "
        f"{result.lookups} image{'s' if result.lookups != 1 else ''} looked up\n"
    )
    failed = sum(1 for skipped in result.skipped if skipped.failed)
    if failed:
        sys.stderr.write(
            f"chartlock: error: {failed} lookup{'s' if failed != 1 else ''} could not reach "
            "a registry: those images are neither fixed nor known to be fixable\n"
        )
    return result


def _how(how: str) -> str:
    return {
        "tag": "digest appended to the tag",
        "reference": "digest appended to the reference",
        "digest-key": "written to the digest key the templates read",
        "app-version": "the empty tag pinned to the chart's appVersion",
        "latest": "`latest` replaced by the released version with the same digest",
    }.get(how, how)


def could_not_look(result: FixResult) -> bool:
    """Whether a registry could not be asked about something the run had to look up."""
    return any(skipped.failed for skipped in result.skipped)


def exit_code(result: FixResult, args: argparse.Namespace) -> int:
    """2 when the run could not look (fail closed), else 1 when anything is left unfixed or
    ``--check`` would change a file, else 0."""
    if could_not_look(result):
        return 2
    if getattr(args, "check", False) and result.changes:
        return 1
    return 1 if result.skipped else 0


def sarif_fixes(result: FixResult) -> dict[tuple[str, int, int, str], dict[str, object]]:
    """SARIF ``fixes`` for the findings ``result`` would fix, keyed like the findings (path,
    line, column, rule): one insertion of ``@sha256:...`` after the tag or reference (inside
    its quotes), or of the digest into an empty quoted ``digest: ""``."""
    out: dict[tuple[str, int, int, str], dict[str, object]] = {}
    for edit in result.edits:
        if edit.how == "repository":
            # Chart.yaml (CL104, CL107-CL110): a replacement of the whole scalar. A CL104 edit
            # is only in ``result.edits`` when this run fetched both index.yaml files and found
            # them equal (else it is in ``skipped``), so every edit here is known to be right.
            change = _repository_fix(result, edit)
            if change is not None:
                out[(edit.path, edit.finding_line, edit.finding_column, edit.rule)] = change
            continue
        old, _ = result.changes.get(edit.path, (b"", b""))
        lines = old.decode("utf-8-sig", "replace").split("\n")
        line = lines[edit.line - 1] if 0 < edit.line <= len(lines) else ""
        quoted = 1 if line[edit.column - 1 : edit.column] in ("'", '"') else 0
        column = edit.column + quoted + len(edit.old)
        inserted = edit.digest if edit.how == "digest-key" else "@" + edit.digest
        region = {"startLine": edit.line, "startColumn": column}
        region.update(endLine=edit.line, endColumn=column)
        out[(edit.path, edit.finding_line, edit.finding_column, edit.rule)] = {
            "description": {"text": f"pin {edit.image} (chartlock fix)"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": edit.path},
                    "replacements": [
                        {"deletedRegion": region, "insertedContent": {"text": inserted}}
                    ],
                }
            ],
        }
    return out


def _repository_fix(result: FixResult, edit: PlannedEdit) -> dict[str, object] | None:
    """The SARIF fix of a Chart.yaml repository edit: the scalar's text (with its quotes)
    replaced by what the editor writes there, so applying it gives ``chartlock fix``'s bytes.
    None when the file's edits were refused (then the edit is not in ``result.edits``)."""
    from resolver.autofix.editor import BOM, EditRefused, plan_spans

    old, _ = result.changes.get(edit.path, (b"", b""))
    try:
        text = old[len(BOM) if old.startswith(BOM) else 0 :].decode("utf-8")
        [span] = plan_spans(text, [edit.scalar_edit()])
    except (UnicodeDecodeError, EditRefused, ValueError):
        return None
    start_line, start_column = _line_col(text, span.start)
    end_line, end_column = _line_col(text, span.end)
    region = {"startLine": start_line, "startColumn": start_column}
    region.update(endLine=end_line, endColumn=end_column)
    return {
        "description": {"text": f"{edit.old} -> {edit.new} (chartlock fix)"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": edit.path},
                "replacements": [{"deletedRegion": region, "insertedContent": {"text": span.text}}],
            }
        ],
    }


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (columns count characters, as the
    findings' columns do; lines end at ``\\n``)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def with_fixes(report: Report, result: FixResult) -> Report:
    """``report`` carrying ``result``'s planned fixes (read by the SARIF reporter)."""
    out = ReportWithFixes(
        report.findings,
        report.files_checked,
        report.charts_checked,
        report.errors,
        report.baseline,
    )
    out.fixes = sarif_fixes(result)
    return out
