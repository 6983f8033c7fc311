"""Report renderers: ``text``, ``json``, ``sarif``, ``github``."""

from __future__ import annotations

from resolver.findings import Report


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render ``report`` in ``fmt``; the result ends without a trailing newline."""
    if fmt == "text":
        from resolver.reporters.text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from resolver.reporters.json_ import render_json

        return render_json(report)
    if fmt == "sarif":
        from resolver.reporters.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from resolver.reporters.github import render_github

        return render_github(report)
    raise ValueError(f"unknown format {fmt!r}")
