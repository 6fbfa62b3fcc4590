"""``python -m tensorlite``: the same command as the ``tensorlite`` console script."""

from tensorlite.cli import main

raise SystemExit(main())
