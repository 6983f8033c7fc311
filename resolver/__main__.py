"""``python -m resolver`` is the ``chartlock`` command (:mod:`resolver.cli.console`)."""

from resolver.cli.console import main

main()
