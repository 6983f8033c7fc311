"""Line-level scanning for :mod:`resolver.chart.yamlfast`: plain scalars, colons, escapes.

Pure functions over one line of text (or the whole text for :func:`printable`); each raises
:class:`Unsupported` where the text leaves the fast composer's subset (or is invalid), so
the caller falls back to PyYAML, which reports errors with its own messages.
"""

from __future__ import annotations


class Unsupported(Exception):
    """The text is outside the subset (or invalid): let PyYAML compose it."""


# Characters that cannot start a plain scalar (libyaml's yaml_parser_fetch_next_token).
INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def printable(text: str) -> bool:
    """Whether every character is one the subset reads as libyaml does.

    Python's printable characters are a subset of YAML's; tabs, carriage returns and YAML 1.1's
    other line breaks (NEL, LS, PS) are not, and send the text to PyYAML. Real values files
    also hold no-break and narrow spaces and zero-width characters (in comments, mostly):
    to YAML they are ordinary content characters (only ' ' and tab are blanks), and the
    composer never strips or splits on them (``lstrip(" ")``, ``split("\\n")``), so space
    separators and format characters are accepted too, except the byte order mark.
    """
    for ch in set(text):  # the distinct characters: a C-level pass, then ~100 checks
        if not ch.isprintable() and ch != "\n":
            import unicodedata

            if ch == "\ufeff" or unicodedata.category(ch) not in ("Zs", "Cf"):
                return False
    return True


def plain_start(line: str, col: int) -> bool:
    """Whether a plain scalar can start at ``col`` (block context)."""
    ch = line[col]
    if ch not in INDICATORS:
        return True
    if ch in "-?:":
        return col + 1 < len(line) and line[col + 1] != " "
    return False


def plain(line: str, col: int) -> tuple[str, bool]:
    """One line of a plain scalar, and whether a comment ends it; ``: `` inside is an error."""
    # ``line[col]`` is never '#' here, so a comment's space is at ``col`` or after.
    hash_ = line.find(" #", col)
    colon = find_colon(line, col)
    if colon != -1 and (hash_ == -1 or colon < hash_):
        raise Unsupported  # "mapping values are not allowed here"
    if hash_ != -1:
        return line[col:hash_].rstrip(" "), True
    return line[col:].rstrip(" "), False


def find_colon(line: str, col: int) -> int:
    """The first ``:`` at or after ``col`` followed by a space or the line's end, or -1."""
    colon = line.find(":", col)
    last = len(line) - 1
    while colon != -1 and colon != last and line[colon + 1] != " ":
        colon = line.find(":", colon + 1)
    return colon


def trailing(line: str, at: int) -> None:
    """After a complete value only spaces and a comment may follow."""
    rest = line[at:]
    stripped = rest.lstrip(" ")
    if stripped and (stripped[0] != "#" or len(stripped) == len(rest)):
        raise Unsupported


def unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    at = 0
    end = len(body)
    while at < end:
        ch = body[at]
        if ch != "\\":
            out.append(ch)
            at += 1
            continue
        if at + 1 == end:
            raise Unsupported  # an escaped line break
        code = body[at + 1]
        if code in ESCAPES:
            out.append(ESCAPES[code])
            at += 2
        elif code in HEX_ESCAPES:
            width = HEX_ESCAPES[code]
            digits = body[at + 2 : at + 2 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise Unsupported
            value = int(digits, 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                raise Unsupported
            out.append(chr(value))
            at += 2 + width
        else:
            raise Unsupported
    return "".join(out)
