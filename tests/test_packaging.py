"""What an installed copy needs: the JSON Schemas ship inside the package, identical to the
top-level schemas/ that README.md documents for editors and CI."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_schemas_match_the_top_level_ones() -> None:
    top = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    packaged = sorted(p.name for p in (ROOT / "resolver" / "schemas").glob("*.json"))
    assert top == packaged and top
    for name in top:
        assert (ROOT / "schemas" / name).read_bytes() == (
            ROOT / "resolver" / "schemas" / name
        ).read_bytes(), f"resolver/schemas/{name} is stale: cp schemas/*.json resolver/schemas/"
