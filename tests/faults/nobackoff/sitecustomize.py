"""Imported at start-up by every chartlock subprocess of the fault tests: tests/faults/conftest.py
puts this directory on ``PYTHONPATH``.

It does to ``resolver.registry.retry.pause`` (the registry client's one back-off seam) what the
conftest's monkeypatch does in the test process: the wait is recorded, not slept through. Each
wait asked for is appended, in seconds, to the file ``$CHARTLOCK_TEST_PAUSES`` names, so a test
can check that a back-off or a ``Retry-After`` was asked for without timing anything. Production
code has no switch for this; nothing is imported here but what start-up already imported.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

SEAM = "resolver.registry.retry"


async def _recorded_pause(seconds: float) -> None:
    import asyncio

    path = os.environ.get("CHARTLOCK_TEST_PAUSES")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{seconds!r}\n")
    await asyncio.sleep(0)  # still a turn of the event loop, as a real pause is


class _PatchSeam:
    """Finds :data:`SEAM` like the path finder would, and patches it once it has run."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != SEAM:
            return None
        spec = PathFinder.find_spec(name, path)
        loader = spec.loader if spec is not None else None
        if loader is None:
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            module.pause = _recorded_pause  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _PatchSeam)
