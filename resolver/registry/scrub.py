"""Take the credentials in use out of text a registry sent back before it is printed.

A registry (or a proxy in front of it) may echo the request's credentials in an error body or a
header: ``alice:s3cret``, ``Basic YWxpY2U6czNjcmV0``, a bearer token. Every form chartlock sent
or could have sent is replaced by ``***``: the user name, the password, the base64 of
``user:password``, identity and registry tokens and bearer tokens, as is and percent-encoded.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

MASK = "***"
# Shorter secrets (a user name like "bob") are only masked as whole words, so that a message
# such as "bobcat: not found" keeps its meaning; longer ones wherever they appear.
_WHOLE_WORD_BELOW = 6


def variants(username: str = "", password: str = "", *tokens: str) -> set[str]:
    """Every printable form of these credentials worth masking."""
    out: set[str] = set()
    if username or password:
        pair = f"{username}:{password}".encode()
        out.add(base64.b64encode(pair).decode("ascii"))
        out.add(base64.b64encode(pair).decode("ascii").rstrip("="))
    for value in (username, password, *tokens):
        if value:
            out.add(value)
            out.add(quote(value, safe=""))
    return {v for v in out if v}


def scrub(text: str, secrets: set[str] | frozenset[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first, so that a secret
    containing another is masked whole)."""
    if not secrets or not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) >= _WHOLE_WORD_BELOW:
            text = text.replace(secret, MASK)
        else:
            pattern = r"(?<![A-Za-z0-9])" + re.escape(secret) + r"(?![A-Za-z0-9])"
            text = re.sub(pattern, MASK, text)
    return text


def printable(text: str, limit: int = 80) -> str:
    """Registry-sent text fit for one line: control characters dropped, at most ``limit``."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
