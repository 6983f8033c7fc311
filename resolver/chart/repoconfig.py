"""Helm's repositories.yaml: the ``@name`` → URL map that Helm applies before hashing."""

from __future__ import annotations

from pathlib import Path

from resolver.chart.yaml11 import compose, read_text, to_python
from resolver.chart.yamlnodes import Node
from resolver.errors import InputError
from resolver.util.helmpaths import config_file
from resolver.util.records import Record


class RepoEntry(Record):
    """One repositories.yaml entry (credentials are never shown in its repr)."""

    name: str
    url: str
    username: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    insecure_skip_tls_verify: bool = False
    pass_credentials_all: bool = False

    def __repr__(self) -> str:  # never show credentials
        return f"RepoEntry(name={self.name!r}, url={self.url!r})"


def default_path() -> Path:
    """``$HELM_REPOSITORY_CONFIG``, else ``repositories.yaml`` in helm's configuration home."""
    return config_file("HELM_REPOSITORY_CONFIG", "repositories.yaml")


def load_repositories(path: str | Path | None = None) -> list[RepoEntry]:
    """The repositories, in file order; a missing default file means none."""
    file = Path(path) if path else default_path()
    if not file.exists():
        if path:
            raise InputError(str(file), "no such file")
        return []
    display = str(file)
    root = compose(read_text(file, display), display)
    data = to_python(root) if isinstance(root, Node) else None
    entries: list[RepoEntry] = []
    repos = data.get("repositories") if isinstance(data, dict) else None
    for item in repos or []:
        if not isinstance(item, dict) or not item.get("name") or not item.get("url"):
            continue
        entries.append(
            RepoEntry(
                name=str(item["name"]),
                url=str(item["url"]),
                username=str(item.get("username") or ""),
                password=str(item.get("password") or ""),
                ca_file=str(item.get("caFile") or ""),
                cert_file=str(item.get("certFile") or ""),
                key_file=str(item.get("keyFile") or ""),
                insecure_skip_tls_verify=bool(item.get("insecure_skip_tls_verify")),
                pass_credentials_all=bool(item.get("pass_credentials_all")),
            )
        )
    return entries


def repo_urls(path: str | Path | None = None) -> dict[str, str]:
    """``{name: url}``; the first entry of a name wins, as in Helm's loop."""
    out: dict[str, str] = {}
    for entry in load_repositories(path):
        out.setdefault(entry.name, entry.url)
    return out
