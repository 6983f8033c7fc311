"""Generated documentation: ``docs/rules.md`` from the rule registry (rendered by
:mod:`resolver.linter.docs`), and ``docs/cli.md`` (the command reference) from the argparse
parsers (:mod:`resolver.cli.clidocs`).

python -m resolver.cli.docs          # rewrite docs/rules.md and docs/cli.md
python -m resolver.cli.docs --check  # exit 1 when either is stale
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from resolver.linter.docs import render_markdown

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def generate() -> str:
    from resolver.linter.rules import load_builtin_rules

    return render_markdown(load_builtin_rules().values())


def main(argv: Sequence[str] | None = None) -> int:
    from resolver.cli import clidocs

    args = list(sys.argv[1:] if argv is None else argv)
    code = 0
    for path, text in ((DOC_PATH, generate()), (clidocs.DOC_PATH, clidocs.generate())):
        if "--check" in args:
            current = path.read_text("utf-8") if path.is_file() else ""
            if current != text:
                sys.stderr.write(f"{path} is stale: run `python -m resolver.cli.docs`\n")
                code = 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
