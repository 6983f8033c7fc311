"""One module per CLI sub-command.

Each module defines ``HELP`` (one line), ``configure(parser)`` to add its arguments and
``run(args) -> int`` returning the exit code. Modules import heavy dependencies (httpx,
jsonschema) inside ``run`` only, so that ``chartlock check`` and ``chartlock lint`` start fast.
"""

COMMANDS: tuple[str, ...] = ("check", "lint", "rules", "lock", "verify", "pull", "outdated", "fix")


def entry() -> None:
    """The console-script entry point older installs name (``resolver.cli:entry``; today's is
    ``resolver.cli.console:main``), kept for the scripts they generated. It lives here, not in
    :mod:`resolver.cli.main`, which the console module imports: no import cycle."""
    from resolver.cli.console import main as console_main

    console_main()
