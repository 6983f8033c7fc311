"""``python -m resolver`` is the ``chartlock`` command."""

from resolver.cli import entry

entry()
