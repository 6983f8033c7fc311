"""``chartlock fix`` (issue 13): pin what the linter finds, in place, byte-surgically.

* :mod:`resolver.fix.editor`: replace scalars by their byte spans, re-parse and verify.
* :mod:`resolver.fix.plan`: findings + digests -> edits (pure).
* :mod:`resolver.fix.templates`: does a chart's templates read an image's ``digest:`` key.
* :mod:`resolver.fix.lookup`: tag -> digest with one manifest ``HEAD`` per distinct image.
* :mod:`resolver.fix.run`: the command core (plan, diff, apply atomically).
"""
