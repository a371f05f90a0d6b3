"""``python -m tenantry``: the ``tenantry`` command (how ``serve --workers`` starts each worker)."""

from tenantry.cli import main

main()
