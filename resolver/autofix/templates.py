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

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=256)
def _template_text(chart_dir: Path) -> str:
    from resolver.linter.rules.digestkey import template_text

    return template_text(chart_dir)


def reads_key(chart_dir: Path | None, key: str) -> bool:
    """Whether any template of ``chart_dir`` accesses a field named ``key`` (``.digest``)."""
    if chart_dir is None:
        return False
    from resolver.linter.rules.digestkey import reads_field

    return reads_field(_template_text(chart_dir), key)


def clear_cache() -> None:
    _template_text.cache_clear()
