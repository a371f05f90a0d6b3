"""``python -m tenantry``: the ``tenantry`` command (the reloader and ``serve --workers``
start the server this way)."""

from tenantry.cli import main

main()
