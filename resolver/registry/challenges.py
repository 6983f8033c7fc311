"""``WWW-Authenticate`` challenges: parsed here, import-light (no httpx), for the auth flow
(:mod:`resolver.registry.auth`) and the early probe of :mod:`resolver.registry.earlyauth`."""

from __future__ import annotations

import re

from resolver.util.lazyre import LazyPattern
from resolver.util.records import Record

# Compiled on first use: a registry that asks for no credentials sends no challenge.
_PARAM_RE = LazyPattern(
    globals(), "_PARAM_RE", r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))'
)


class Challenge(Record):
    """One ``WWW-Authenticate`` challenge."""

    scheme: str  # "basic" | "bearer"
    params: dict[str, str]


def parse_challenges(header: str) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` (several challenges, quoted or token parameter values)."""
    out: list[Challenge] = []
    pos = 0
    text = header.strip()
    while pos < len(text):
        m = re.match(r"\s*,?\s*([A-Za-z][A-Za-z0-9_-]*)", text[pos:])
        if not m:
            break
        scheme = m.group(1).lower()
        pos += m.end()
        params: dict[str, str] = {}
        while True:
            pm = re.match(r"\s*,?\s*", text[pos:])
            start = pos + (pm.end() if pm else 0)
            p = _PARAM_RE.match(text, start)
            if not p:
                break
            params[p.group(1).lower()] = (
                p.group(2).replace('\\"', '"') if p.group(2) is not None else p.group(3)
            )
            pos = p.end()
        out.append(Challenge(scheme, params))
    return out


def preferred(challenges: list[Challenge]) -> Challenge | None:
    """The challenge chartlock answers: Bearer before Basic; ``None`` for neither."""
    return next((c for c in challenges if c.scheme == "bearer"), None) or next(
        (c for c in challenges if c.scheme == "basic"), None
    )
