"""``python -m resolver`` is the ``chartlock`` command (:mod:`resolver.console`)."""

from resolver.console import main

main()
