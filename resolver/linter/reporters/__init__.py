"""Report renderers: ``text``, ``json``, ``sarif``, ``github``, ``markdown``, ``gitlab``."""

from __future__ import annotations

from resolver.linter.findings import Report


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render ``report`` in ``fmt``; the result ends without a trailing newline."""
    if fmt == "text":
        from resolver.linter.reporters.text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from resolver.linter.reporters.json_ import render_json

        return render_json(report)
    if fmt == "sarif":
        from resolver.linter.reporters.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from resolver.linter.reporters.github import render_github

        return render_github(report)
    if fmt == "markdown":
        import os

        from resolver.linter.reporters.markdown import link_base_from_env, render_markdown

        return render_markdown(report, link_base=link_base_from_env(os.environ))
    if fmt == "gitlab":
        from resolver.linter.reporters.gitlab import render_gitlab

        return render_gitlab(report)
    raise ValueError(f"unknown format {fmt!r}")
