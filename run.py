"""Production entry point: waitress serving create_app(), nothing else."""

import sys

from tenantry.app import create_app
from tenantry.serve import ServeError, serve
from tenantry.settings import SettingsError, load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    try:
        serve(create_app(settings), settings)
    except ServeError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
