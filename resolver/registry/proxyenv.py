"""Which proxy a request goes through: Go's ``net/http.ProxyFromEnvironment``, as helm uses it.

helm's HTTP clients take their proxy from the environment with Go's rules
(``golang.org/x/net/http/httpproxy``), and chartlock follows the same rules so that a command
that works with helm works with chartlock, and goes where helm's goes. These rules differ from
httpx's and urllib's environment handling, which is why chartlock does not use theirs:

- ``HTTP_PROXY`` applies to ``http://`` URLs, ``HTTPS_PROXY`` to ``https://`` URLs; the
  upper-case name wins, and an empty value counts as unset (``HTTP_PROXY=`` with
  ``http_proxy=x`` uses ``x``). There is no ``ALL_PROXY``.
- ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``, and IPv4-mapped loopback)
  are never proxied, whatever the variables say.
- ``NO_PROXY`` (or ``no_proxy``) is a comma-separated list: ``*`` (nothing is proxied); an IP
  address (``10.1.2.3``, ``::1``) or a CIDR block (``10.0.0.0/8``); a domain name, which matches
  that name and every subdomain (``example.com`` matches ``example.com`` and
  ``r.example.com``), or with a leading ``.`` or ``*.`` only the subdomains; an IP or a domain
  may carry a port (``example.com:5000``, ``[::1]:5000``), and then matches that port only.
  Domain entries never match IP-address hosts, nor IP entries names (no lookups are made).
- A proxy value without a scheme is ``http://`` (``proxy.corp:3128``); a value that does not
  parse as a URL is ignored. ``http://`` and ``https://`` proxies are supported; Go also has
  ``socks5://``, which chartlock refuses with a clear error rather than go direct.
- Credentials in the proxy URL (``http://user:pass@proxy:3128``, percent-decoded) are sent as
  ``Proxy-Authorization: Basic`` to the proxy, never to the registry, and never printed.
- Like Go, when ``REQUEST_METHOD`` is set (a CGI environment, where ``HTTP_PROXY`` may come
  from a request header), ``HTTP_PROXY`` is refused for ``http://`` URLs.

Pure: the environment is a parameter. Cheap to import (the start-up path reads it before the
heavy imports): ``ipaddress`` and ``base64`` are imported only when there is a proxy to decide
about or credentials to encode.
"""

from __future__ import annotations

from urllib.parse import unquote  # already imported by site at start-up

from resolver.util.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ipaddress
    from collections.abc import Mapping

    IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
    IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}
SUPPORTED_SCHEMES = ("http", "https")


class ProxyError(Exception):
    """A proxy applies to the request but cannot be used (unsupported scheme, CGI)."""


class Proxy(Record):
    """A parsed proxy URL. ``authorization`` is the ``Proxy-Authorization`` value, if any;
    ``str()`` never shows it (nor the password)."""

    scheme: str
    host: str
    port: int
    authorization: str | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    __repr__ = __str__


def parse_proxy(value: str) -> Proxy | None:
    """A proxy variable's value as Go reads it; ``None`` when empty or not a usable URL."""
    value = value.strip()
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    if not sep or not scheme or not _is_scheme(scheme):
        # Go: a value that is not "scheme://host" is tried again as "http://" + value.
        scheme, rest = "http", value
    scheme = scheme.lower()
    netloc = rest
    for stop in "/?#":
        netloc = netloc.split(stop, 1)[0]
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        userinfo = ""
    host, port_text = _split_host_port(hostport)
    if host is None or not host:
        return None
    if port_text:
        if not port_text.isdigit() or int(port_text) > 65535:
            return None
        port = int(port_text)
    else:
        port = DEFAULT_PORTS.get(scheme, 0)
    authorization = None
    if at:
        import base64

        user, _, password = userinfo.partition(":")
        raw = f"{unquote(user)}:{unquote(password)}".encode()
        authorization = "Basic " + base64.b64encode(raw).decode("ascii")
    return Proxy(scheme, host.lower(), port, authorization)


def _is_scheme(text: str) -> bool:
    return text[0].isalpha() and all(c.isalnum() or c in "+-." for c in text)


def _split_host_port(text: str) -> tuple[str | None, str]:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port`` → (host without brackets, port or "").
    ``None`` when malformed."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None, ""
        rest = text[end + 1 :]
        if rest and not rest.startswith(":"):
            return None, ""
        return text[1:end], rest[1:]
    if text.count(":") > 1:
        return None, ""  # a bare IPv6 address needs brackets in a URL
    host, _, port = text.partition(":")
    return host, port


class _Matchers:
    """NO_PROXY, parsed: IP entries, CIDR blocks, domain suffixes."""

    __slots__ = ("everything", "ips", "networks", "domains")

    def __init__(self) -> None:
        self.everything = False
        self.ips: list[tuple[IPAddress, str]] = []
        self.networks: list[IPNetwork] = []
        # (suffix with a leading ".", port or "", whether the bare name matches too)
        self.domains: list[tuple[str, str, bool]] = []


def parse_no_proxy(value: str) -> _Matchers:
    import ipaddress

    out = _Matchers()
    for raw in value.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            out.everything = True
            return out
        if "/" in entry:
            try:
                out.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                pass  # Go: not a CIDR block, so it falls through to the other forms
            else:
                continue
        host, port = _split_entry(entry)
        if not host:
            continue  # ":80" and the like: malformed, ignored
        ip = _parse_ip(host)
        if ip is not None:
            out.ips.append((ip, port))
            continue
        if host.startswith("*."):
            host = host[1:]
        bare = not host.startswith(".")
        if bare:
            host = "." + host
        out.domains.append((_ascii(host), port, bare))
    return out


def _split_entry(entry: str) -> tuple[str, str]:
    """A NO_PROXY entry as Go's ``net.SplitHostPort`` would split it, else the whole entry."""
    if entry.startswith("["):
        end = entry.find("]")
        if end > 0 and entry[end + 1 : end + 2] == ":":
            return entry[1:end], entry[end + 2 :]
        return entry, ""
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    return entry, ""


def _parse_ip(text: str) -> IPAddress | None:
    import ipaddress

    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # Go compares 1.2.3.4 and ::ffff:1.2.3.4 as equal
    return ip


def _ascii(name: str) -> str:
    if name.isascii():
        return name
    try:
        return ".".join(
            label.encode("idna").decode("ascii") if label else "" for label in name.split(".")
        )
    except UnicodeError:
        return name


class ProxyConfig:
    """The proxy settings of one environment; :meth:`proxy_for` decides per request."""

    __slots__ = ("http", "https", "no_proxy", "cgi", "_matchers")

    def __init__(
        self, http: str = "", https: str = "", no_proxy: str = "", cgi: bool = False
    ) -> None:
        self.http = parse_proxy(http)
        self.https = parse_proxy(https)
        self.no_proxy = no_proxy
        self.cgi = cgi
        self._matchers: _Matchers | None = None

    @property
    def empty(self) -> bool:
        """No proxy at all: every request goes direct (the usual case, decided for free)."""
        return self.http is None and self.https is None

    def proxy_for(self, scheme: str, host: str, port: int | None = None) -> Proxy | None:
        """The proxy for a request to ``scheme://host:port``, or ``None`` to go direct.

        ``host`` without brackets. Raises :class:`ProxyError` when a proxy applies but must
        not or cannot be used.
        """
        scheme = scheme.lower()
        if scheme == "https":
            proxy = self.https
        elif scheme == "http":
            proxy = self.http
            if proxy is not None and self.cgi:
                raise ProxyError(
                    "refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set); "
                    "see golang.org/s/cgihttpproxy"
                )
        else:
            return None
        if proxy is None:
            return None
        if port is None:
            port = DEFAULT_PORTS[scheme]
        if not self._use_proxy(host, str(port)):
            return None
        if proxy.scheme not in SUPPORTED_SCHEMES:
            raise ProxyError(
                f"proxy {proxy} from the environment: chartlock supports http:// and https:// "
                "proxies only"
            )
        return proxy

    def _use_proxy(self, host: str, port: str) -> bool:
        host = host.strip("[]")
        if host == "localhost":
            return False
        ip = _parse_ip(host)
        if ip is not None and ip.is_loopback:
            return False
        if self._matchers is None:
            self._matchers = parse_no_proxy(self.no_proxy)
        m = self._matchers
        if m.everything:
            return False
        if ip is not None:
            for entry, entry_port in m.ips:
                if entry == ip and (not entry_port or entry_port == port):
                    return False
            for network in m.networks:
                if ip.version == network.version and ip in network:
                    return False
            return True  # domain entries never match an IP address
        name = _ascii(host.lower().strip())
        for suffix, entry_port, bare in m.domains:
            matched = name.endswith(suffix) or (bare and name == suffix[1:])
            if matched and (not entry_port or entry_port == port):
                return False
        return True


def from_environ(environ: Mapping[str, str]) -> ProxyConfig:
    """Go's ``httpproxy.FromEnvironment``: upper-case names first, empty values skipped."""
    return ProxyConfig(
        http=_first(environ, "HTTP_PROXY", "http_proxy"),
        https=_first(environ, "HTTPS_PROXY", "https_proxy"),
        no_proxy=_first(environ, "NO_PROXY", "no_proxy"),
        cgi=bool(environ.get("REQUEST_METHOD")),
    )


def _first(environ: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return ""
