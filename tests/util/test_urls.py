"""resolver.util.urls."""

from __future__ import annotations

from resolver.util.urls import strip_query


def test_strip_query_hides_a_signed_urls_token() -> None:
    assert strip_query("https://h/c.tgz?sig=secret&x=1") == "https://h/c.tgz"
    assert strip_query("https://h/c.tgz.prov?X-Amz-Signature=s") == "https://h/c.tgz.prov"
    assert strip_query("https://h/c.tgz") == "https://h/c.tgz"
