"""Where helm 4 keeps its configuration (helm's ``pkg/helmpath``, on top of ``xdg``).

``$HELM_CONFIG_HOME`` wins; else the platform's configuration directory: ``~/Library/Preferences``
on macOS, ``%APPDATA%`` on Windows, ``$XDG_CONFIG_HOME`` (default ``~/.config``) elsewhere, each
with ``helm/`` appended. A file's own variable (``$HELM_REPOSITORY_CONFIG``,
``$HELM_REGISTRY_CONFIG``) wins over all of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def config_home() -> Path:
    """helm's configuration directory."""
    home = os.environ.get("HELM_CONFIG_HOME")
    if home:
        return Path(home)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Preferences" / "helm"
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA", str(Path.home()))) / "helm"
    return Path(os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")) / "helm"


def config_file(variable: str, *relative: str) -> Path:
    """``$variable`` when set, else ``relative`` under :func:`config_home`."""
    explicit = os.environ.get(variable)
    return Path(explicit) if explicit else config_home().joinpath(*relative)


__all__ = ["config_file", "config_home"]
