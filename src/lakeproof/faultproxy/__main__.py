"""``python -m lakeproof.faultproxy``: run the fault proxy (see ``lakeproof.faultproxy.cli``)."""

from lakeproof.faultproxy.cli import main

raise SystemExit(main())
