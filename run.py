"""Production entry point: waitress serving create_app(), in ``workers`` processes."""

import sys

from tenantry.app import STARTUP_ERRORS, create_app
from tenantry.serve import ServeError, serve, supervise
from tenantry.settings import load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
        app = create_app(settings)
    except STARTUP_ERRORS as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    if settings.workers > 1:
        sys.exit(supervise([sys.executable, __file__], settings))
    try:
        serve(app, settings)
    except ServeError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
