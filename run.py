"""Production entry point: waitress serving create_app(), in ``workers`` processes."""

import sys

from tenantry.app import create_app
from tenantry.serve import ServeError, serve, supervise
from tenantry.settings import SettingsError, load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    if settings.workers > 1:
        sys.exit(supervise([sys.executable, __file__], settings))
    try:
        serve(create_app(settings), settings)
    except ServeError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
