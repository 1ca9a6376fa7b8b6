"""``python -m lakeproof.refcluster``: run the coordinator."""

from lakeproof.refcluster.cli import main

raise SystemExit(main())
