"""Does a chart's templates read an image's ``digest:`` key?

flipt #284: a chart shipped ``image.digest`` in its values that no template read, so the
"pinned" image was not pinned at all. ``chartlock fix`` writes a digest into such a key only when
the templates read it, and otherwise pins the tag (``tag: 1.2@sha256:...``, which every
template that renders ``repo:tag`` carries through).

"Reads" is a text search, since templates are Go templates, not YAML: a field access
``.digest`` (or ``.imageDigest`` for the sibling layout) in any file under the chart's
``templates/`` or an unpacked subchart's (``charts/*/templates/``, where library charts such as
Bitnami's ``common`` build image names from ``.imageRoot.digest``). A key the templates do not
mention is certainly unused; one they mention may still be unused in an odd chart.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path


def _template_files(chart_dir: Path) -> list[Path]:
    roots = [chart_dir / "templates"]
    charts = chart_dir / "charts"
    if charts.is_dir():
        roots.extend(child / "templates" for child in sorted(charts.iterdir()) if child.is_dir())
    files: list[Path] = []
    for root in roots:
        for folder, _, names in os.walk(root):
            files.extend(Path(folder) / name for name in sorted(names))
    return files


@lru_cache(maxsize=256)
def _template_text(chart_dir: Path) -> str:
    parts: list[str] = []
    for path in _template_files(chart_dir):
        try:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "\n".join(parts)


def reads_key(chart_dir: Path | None, key: str) -> bool:
    """Whether any template of ``chart_dir`` accesses a field named ``key`` (``.digest``)."""
    if chart_dir is None:
        return False
    pattern = re.compile(r"\." + re.escape(key) + r"\b")
    return pattern.search(_template_text(chart_dir)) is not None


def clear_cache() -> None:
    _template_text.cache_clear()
