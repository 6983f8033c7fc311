"""GitHub Actions workflow commands: ``::error file=...,line=...,col=...,title=...::message``."""

from __future__ import annotations

from resolver.linter.findings import Report, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for f in report.sorted():
        props = [f"file={_prop(f.path)}"]
        if f.line:
            props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
        props.append(f"title={_prop(f'{f.rule} {f.name}')}")
        message = f.message + (f" (fix: {f.fix})" if f.fix else "")
        lines.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(message)}")
    for error in report.error_dicts():
        # A failed run is an error annotation too, never a silent pass.
        props = []
        if error["path"]:
            props.append(f"file={_prop(str(error['path']))}")
            if error["line"]:
                props.append(f"line={error['line']}")
                if error["column"]:
                    props.append(f"col={error['column']}")
        props.append("title=chartlock error")
        lines.append(f"::error {','.join(props)}::{_data(str(error['message']))}")
    return "\n".join(lines)
