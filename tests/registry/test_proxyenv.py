"""Go's proxy-from-environment rules (golang.org/x/net/http/httpproxy), table-driven.

The tables follow Go's own proxy_test.go (TestProxyForURL, TestUseProxy, TestAllNoProxy,
TestInvalidNoProxy, TestFromEnvironment*), plus the cases where Go differs from httpx/urllib
(loopback never proxied, upper-case names first, empty values skipped).
"""

from __future__ import annotations

import base64

import pytest

from resolver.registry.proxyenv import (
    Proxy,
    ProxyConfig,
    ProxyError,
    from_environ,
    parse_no_proxy,
    parse_proxy,
)


def _decide(cfg: ProxyConfig, url: str) -> str:
    import httpx  # only to split the URL the way the transport sees it

    u = httpx.URL(url)
    proxy = cfg.proxy_for(u.scheme, u.host, u.port)
    return "<nil>" if proxy is None else str(proxy)


# (http_proxy, https_proxy, no_proxy, request URL, wanted proxy) — Go's TestProxyForURL, with the
# default port spelled out (chartlock resolves it when parsing).
PROXY_FOR_URL = [
    ("127.0.0.1:8080", "", "", "http://example.com", "http://127.0.0.1:8080"),
    (
        "cache.corp.example.com:1234",
        "",
        "",
        "http://example.com",
        "http://cache.corp.example.com:1234",
    ),
    ("cache.corp.example.com", "", "", "http://example.com", "http://cache.corp.example.com:80"),
    ("localhost", "", "", "http://example.com", "http://localhost:80"),
    (
        "https://cache.corp.example.com",
        "",
        "",
        "http://example.com",
        "https://cache.corp.example.com:443",
    ),
    ("http://127.0.0.1:8080", "", "", "http://example.com", "http://127.0.0.1:8080"),
    ("https://127.0.0.1:8080", "", "", "http://example.com", "https://127.0.0.1:8080"),
    ("http.proxy.tld", "secure.proxy.tld", "", "http://insecure.tld/", "http://http.proxy.tld:80"),
    ("http.proxy.tld", "secure.proxy.tld", "", "https://secure.tld/", "http://secure.proxy.tld:80"),
    (
        "http.proxy.tld",
        "https://secure.proxy.tld",
        "",
        "https://secure.tld/",
        "https://secure.proxy.tld:443",
    ),
    ("http.proxy.tld", "", "", "https://secure.tld/", "<nil>"),
    ("http.proxy.tld", "", "", "ftp://insecure.tld/", "<nil>"),
    ("", "", "", "http://example.com", "<nil>"),
    ("proxy", "", "example.com", "http://example.com/", "<nil>"),
    ("proxy", "", ".example.com", "http://example.com/", "http://proxy:80"),
    ("proxy", "", "ample.com", "http://example.com/", "http://proxy:80"),
    ("proxy", "", "example.com", "http://foo.example.com/", "<nil>"),
    ("proxy", "", ".foo.com", "http://example.com/", "http://proxy:80"),
    ("proxy", "", ".示例.com", "http://www.示例.com", "<nil>"),
    ("proxy", "", "xn--fsq092h.com", "http://www.示例.com", "<nil>"),
    ("proxy", "", "示例.com", "http://www.xn--fsq092h.com", "<nil>"),
    ("proxy", "", "example.com", "http://[1000::%25.example.com]:123", "http://proxy:80"),
    # chartlock's own: registry-style hosts with ports
    ("proxy:3128", "", "registry.test:5000", "http://registry.test:5000/v2/", "<nil>"),
    ("proxy:3128", "", "registry.test:5000", "http://registry.test:5001/v2/", "http://proxy:3128"),
    ("", "proxy:3128", "registry.test:443", "https://registry.test/v2/", "<nil>"),
    ("", "proxy:3128", "", "https://registry.test:5000/v2/", "http://proxy:3128"),
    ("", "HTTP://Proxy.Corp:3128/", "", "https://r.example/", "http://proxy.corp:3128"),
]


@pytest.mark.parametrize(("http", "https", "no_proxy", "url", "want"), PROXY_FOR_URL)
def test_proxy_for_url(http: str, https: str, no_proxy: str, url: str, want: str) -> None:
    cfg = ProxyConfig(http=http, https=https, no_proxy=no_proxy)
    assert _decide(cfg, url) == want


# Go's TestUseProxy: (host, whether it is proxied) with this NO_PROXY and port 80.
GO_NO_PROXY = (
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, "
    "10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, "
    "2002:db8:a::45/64"
)
USE_PROXY = [
    ("localhost", False),
    ("127.0.0.1", False),
    ("127.0.0.2", False),
    ("[::1]", False),
    ("[::2]", True),
    ("192.168.1.1", False),
    ("192.168.1.2", True),
    ("192.168.1.3", False),
    ("192.168.1.4", True),
    ("10.0.0.2", False),
    ("[2001:db8::52:0:1]", False),
    ("[2001:db8::52:0:2]", True),
    ("[2001:db8::52:0:3]", False),
    ("[2002:db8:a::123]", False),
    ("[fe80::424b:c8be:1643:a1b6]", True),
    ("barbaz.net", True),
    ("www.barbaz.net", False),
    ("foobar.com", False),
    ("www.foobar.com", False),
    ("foofoobar.com", True),
    ("baz.com", True),
    ("localhost.net", True),
    ("local.localhost", True),
    ("barbarbaz.net", True),
    ("wildcard.io", True),
    ("nested.wildcard.io", False),
    ("awildcard.io", True),
]


@pytest.mark.parametrize(("host", "proxied"), USE_PROXY)
def test_no_proxy_matching(host: str, proxied: bool) -> None:
    cfg = ProxyConfig(http="http://proxy.example:3128", no_proxy=GO_NO_PROXY)
    got = cfg.proxy_for("http", host.strip("[]"), 80)
    assert (got is not None) == proxied


@pytest.mark.parametrize(("host", "proxied"), USE_PROXY)
def test_no_proxy_star_matches_everything(host: str, proxied: bool) -> None:
    cfg = ProxyConfig(http="proxy:3128", https="proxy:3128", no_proxy="*")
    assert cfg.proxy_for("http", host.strip("[]"), 80) is None
    assert cfg.proxy_for("https", host.strip("[]"), 443) is None


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "proxied"),
    [
        (":1", "example.com", 80, True),  # Go's TestInvalidNoProxy: malformed, ignored
        ("[]:80", "example.com", 80, True),
        ("10.0.0.0/33, example.com", "example.com", 80, False),  # bad CIDR skipped, rest kept
        ("a.test, *, b.test", "c.test", 80, False),  # '*' anywhere in the list
        ("EXAMPLE.com", "example.com", 80, False),  # entries are case-insensitive
        ("example.com:5000", "example.com", 5000, False),
        ("example.com:5000", "example.com", 443, True),
        ("::ffff:10.1.2.3", "10.1.2.3", 80, False),  # IPv4-mapped equals IPv4 (Go's IP.Equal)
        ("10.0.0.0/8", "::ffff:10.9.9.9", 80, False),
        ("example.com", "10.0.0.1", 80, True),  # domain entries never match an address
        ("10.0.0.1", "host10.test", 80, True),  # and no name is looked up
        ("  r.test  ,, ", "r.test", 80, False),  # spaces and empty items
    ],
)
def test_no_proxy_edge_cases(no_proxy: str, host: str, port: int, proxied: bool) -> None:
    cfg = ProxyConfig(http="proxy:3128", no_proxy=no_proxy)
    assert (cfg.proxy_for("http", host, port) is not None) == proxied


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "[::1]"]
)
def test_loopback_is_never_proxied(host: str) -> None:
    """Go's rule (httpx and urllib proxy these): no NO_PROXY needed."""
    cfg = ProxyConfig(http="proxy:3128", https="proxy:3128")
    assert cfg.proxy_for("http", host, 5000) is None
    assert cfg.proxy_for("https", host, 5000) is None


@pytest.mark.parametrize("host", ["LOCALHOST", "localhost.", "vm", "10.0.0.1", "0.0.0.0"])
def test_other_hosts_are_proxied(host: str) -> None:
    """Only the exact name ``localhost`` and loopback addresses are special (as in Go)."""
    cfg = ProxyConfig(http="proxy:3128")
    assert cfg.proxy_for("http", host, 80) == parse_proxy("proxy:3128")


@pytest.mark.parametrize(
    ("environ", "want_http", "want_https", "no_proxy"),
    [
        ({"HTTP_PROXY": "a:1", "http_proxy": "b:2"}, "http://a:1", None, ""),
        ({"http_proxy": "b:2"}, "http://b:2", None, ""),
        ({"HTTP_PROXY": "", "http_proxy": "b:2"}, "http://b:2", None, ""),
        ({"HTTPS_PROXY": "s:1", "https_proxy": "t:2"}, None, "http://s:1", ""),
        ({"https_proxy": "https://t:2"}, None, "https://t:2", ""),
        ({"NO_PROXY": "x", "no_proxy": "y", "HTTP_PROXY": "a:1"}, "http://a:1", None, "x"),
        ({"NO_PROXY": "", "no_proxy": "y"}, None, None, "y"),
        ({"ALL_PROXY": "a:1", "all_proxy": "a:1"}, None, None, ""),  # Go has no ALL_PROXY
    ],
)
def test_from_environ(
    environ: dict[str, str], want_http: str | None, want_https: str | None, no_proxy: str
) -> None:
    cfg = from_environ(environ)
    assert (str(cfg.http) if cfg.http else None) == want_http
    assert (str(cfg.https) if cfg.https else None) == want_https
    assert cfg.no_proxy == no_proxy
    assert cfg.empty == (want_http is None and want_https is None)


def test_cgi_refuses_http_proxy_for_http_only() -> None:
    """Go's CGI guard: HTTP_PROXY may come from a request header there."""
    cfg = from_environ(
        {"HTTP_PROXY": "10.1.2.3:8080", "HTTPS_PROXY": "s:1", "REQUEST_METHOD": "GET"}
    )
    with pytest.raises(ProxyError, match="CGI"):
        cfg.proxy_for("http", "example.com", 80)
    assert str(cfg.proxy_for("https", "example.com", 443)) == "http://s:1"
    assert from_environ({"HTTP_PROXY": "p:1", "REQUEST_METHOD": ""}).proxy_for(
        "http", "example.com"
    ) == parse_proxy("p:1")


@pytest.mark.parametrize("value", ["socks5://127.0.0.1", "foo://host", "socks5h://p:1080"])
def test_unsupported_proxy_schemes_are_errors_not_direct(value: str) -> None:
    """Go would use (or fail on) them; going direct instead would bypass the user's proxy."""
    cfg = ProxyConfig(http=value, https=value)
    with pytest.raises(ProxyError, match="http:// and https:// proxies only"):
        cfg.proxy_for("https", "registry.example", 443)
    # ...but only when the proxy applies
    assert (
        ProxyConfig(https=value, no_proxy="registry.example").proxy_for(
            "https", "registry.example", 443
        )
        is None
    )


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("proxy.corp:3128", ("http", "proxy.corp", 3128)),
        ("proxy.corp", ("http", "proxy.corp", 80)),
        ("https://proxy.corp", ("https", "proxy.corp", 443)),
        ("http://[::1]:3128/", ("http", "::1", 3128)),
        ("[fd00::1]:3128", ("http", "fd00::1", 3128)),
        ("http://user:pw@proxy:1/some/path?x#y", ("http", "proxy", 1)),
        ("socks5://127.0.0.1", ("socks5", "127.0.0.1", 1080)),
        ("  http://p:1  ", ("http", "p", 1)),
    ],
)
def test_parse_proxy(value: str, want: tuple[str, str, int]) -> None:
    proxy = parse_proxy(value)
    assert proxy is not None
    assert (proxy.scheme, proxy.host, proxy.port) == want


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "http://",
        "http://proxy:99999",
        "http://proxy:port",
        "http://::1:80",
        "http://[::1",
    ],
)
def test_unusable_proxy_values_are_ignored(value: str) -> None:
    """Go ignores a value it cannot parse (the request goes direct)."""
    assert parse_proxy(value) is None
    assert ProxyConfig(http=value).proxy_for("http", "example.com", 80) is None


@pytest.mark.parametrize(
    ("value", "pair"),
    [
        ("http://alice:s3cret@proxy:3128", "alice:s3cret"),
        ("http://alice%40corp:p%3Ass%2Fw@proxy:3128", "alice@corp:p:ss/w"),
        ("http://alice@proxy:3128", "alice:"),  # Go sends the user with an empty password
        ("http://a:b@c@proxy:3128", "a:b@c"),  # the last '@' ends the userinfo
    ],
)
def test_proxy_credentials(value: str, pair: str) -> None:
    proxy = parse_proxy(value)
    assert proxy is not None
    assert proxy.host == "proxy"
    assert proxy.authorization == "Basic " + base64.b64encode(pair.encode()).decode()
    password = pair.split(":", 1)[1]
    for shown in (str(proxy), repr(proxy)):
        assert "alice" not in shown
        assert not password or password not in shown
        assert proxy.authorization not in shown


def test_no_credentials_no_header() -> None:
    proxy = parse_proxy("http://proxy:3128")
    assert proxy is not None and proxy.authorization is None


def test_proxy_equality() -> None:
    assert parse_proxy("proxy:3128") == Proxy("http", "proxy", 3128, None)
    assert parse_proxy("http://u:p@proxy:3128") != parse_proxy("http://proxy:3128")
    assert hash(parse_proxy("proxy:3128")) == hash(Proxy("http", "proxy", 3128, None))
    assert parse_proxy("proxy:3128") != "http://proxy:3128"


def test_parse_no_proxy_kinds() -> None:
    m = parse_no_proxy("a.test, .b.test, *.c.test:81, 10.0.0.1, 10.0.0.0/8, [::2]:5000")
    assert m.domains == [(".a.test", "", True), (".b.test", "", False), (".c.test", "81", False)]
    assert [(str(ip), port) for ip, port in m.ips] == [("10.0.0.1", ""), ("::2", "5000")]
    assert [str(n) for n in m.networks] == ["10.0.0.0/8"]
    assert not m.everything
    assert parse_no_proxy("x, *").everything
