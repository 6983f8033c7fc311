"""``chartlock fix`` (issue 13): pin what the linter finds, in place, byte-surgically.

* :mod:`resolver.autofix.editor`: replace scalars by their byte spans, re-parse and verify.
* :mod:`resolver.autofix.plan`: findings + digests -> edits (pure).
* :mod:`resolver.autofix.templates`: does a chart's templates read an image's ``digest:`` key.
* :mod:`resolver.autofix.lookup`: tag -> digest with one manifest ``HEAD`` per distinct image.
* :mod:`resolver.autofix.run`: the command core (plan, diff, apply atomically).
"""
