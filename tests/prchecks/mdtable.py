"""A small GitHub-flavoured-Markdown table reader, to prove the Markdown output is tables."""

from __future__ import annotations

import re

_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


def split_row(line: str) -> list[str]:
    """Cells of ``| a | b \\| c |``: split on pipes that no backslash escapes."""
    assert line.startswith("|") and line.endswith("|"), line
    cells: list[str] = []
    current = ""
    i = 1
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            current += line[i : i + 2]
            i += 2
            continue
        if ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
        i += 1
    return cells


def tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every table: (header cells, body rows); asserts the GFM shape of each."""
    found: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            header = split_row(block[0])
            assert len(block) >= 2 and _SEPARATOR.match(block[1]), block[:2]
            assert len(split_row(block[1])) == len(header)
            rows = [split_row(row) for row in block[2:]]
            for row in rows:
                assert len(row) == len(header), row
            found.append((header, rows))
            block = []
    return found
