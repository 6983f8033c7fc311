"""``python -m resolver`` is the ``chartlock`` command."""

import sys

from resolver.cli import main

sys.exit(main())
