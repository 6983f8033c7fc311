"""Run one chartlock command under cProfile: ``python bench/_profile_run.py OUT ARGS...``.

``python -m cProfile -m resolver`` writes nothing: chartlock leaves with ``os._exit`` (see
resolver/cli/console.py), so this calls ``resolver.cli.main.main`` itself, imports included,
and writes the profile before exiting with its code.
"""

from __future__ import annotations

import cProfile
import sys

if __name__ == "__main__":
    out, args = sys.argv[1], sys.argv[2:]
    sys.argv = ["chartlock", *args]
    profile = cProfile.Profile()
    profile.enable()
    from resolver.cli.main import main

    code = main()
    profile.disable()
    profile.dump_stats(out)
    sys.exit(code)
