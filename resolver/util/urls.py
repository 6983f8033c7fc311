"""URL helpers shared by every layer that shows a URL."""

from __future__ import annotations


def strip_query(url: str) -> str:
    """``url`` without its query: a signed download URL's token is never shown (errors, logs)."""
    return url.split("?", 1)[0]


__all__ = ["strip_query"]
