"""``python -m runner``: the same as the ``rcgrad`` command."""

from runner.cli import main

raise SystemExit(main())
