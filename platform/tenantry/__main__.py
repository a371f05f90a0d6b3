"""``python -m tenantry``: the ``tenantry`` command (the reloader starts the server this way)."""

from tenantry.cli import main

main()
