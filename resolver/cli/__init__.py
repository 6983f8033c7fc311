"""One module per CLI sub-command.

Each module defines ``HELP`` (one line), ``configure(parser)`` to add its arguments and
``run(args) -> int`` returning the exit code. Modules import heavy dependencies (httpx,
jsonschema) inside ``run`` only, so that ``chartlock check`` and ``chartlock lint`` start fast.
"""

COMMANDS: tuple[str, ...] = ("check", "lint", "rules", "lock", "verify", "pull", "outdated", "fix")
