"""Which language a request speaks, and where its words come from (Flask-Babel).

The locale of a request, the first that applies:

1. the signed-in user's own choice (``tenantry_user.locale``, part of the loaded user);
2. the tenant's default (``tenantry_tenant.locale``, read with the tenant's live state
   in the request's first round trip, so it costs no query of its own);
3. the browser's ``Accept-Language``, among the languages Tenantry speaks;
4. English.

Nothing is looked up until a page first needs a word (Flask-Babel asks once per
request and keeps the answer), and the catalogs are loaded once per process and
locale. Times are shown in the tenant's time zone (UTC on the root host).

Catalogs: the core's in ``tenantry/translations``, each plugin's in its package's
``translations`` directory (``Plugin.translations``), merged into one catalog per
locale; the core's are merged last, so a plugin cannot change the core's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from tenantry.tenancy import locales
from tenantry.tenancy.context import get_tenant
from tenantry.tenancy.timezones import DEFAULT as DEFAULT_TIMEZONE

#: The core's catalogs: ``<locale>/LC_MESSAGES/messages.po`` and its compiled ``.mo``.
CORE_TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask, plugin_translations: Iterable[Path]) -> None:
    """Install Flask-Babel with the core's and the plugins' catalogs."""
    directories = [*(str(Path(path).resolve()) for path in plugin_translations)]
    directories.append(str(CORE_TRANSLATIONS))
    app.config["BABEL_DEFAULT_LOCALE"] = locales.DEFAULT
    app.config["BABEL_DEFAULT_TIMEZONE"] = DEFAULT_TIMEZONE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # {% trans %} blocks fold their whitespace, as `tenantry i18n extract` reads them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["LOCALES"] = locales.LOCALES
    app.jinja_env.globals["current_locale"] = current_locale


def current_locale() -> str:
    """The request's locale code, for ``<html lang>``."""
    return str(get_locale() or locales.DEFAULT)


def select_locale() -> str:
    """The request's language: the user's choice, the tenant's default, the browser's."""
    if not has_request_context():
        return locales.DEFAULT
    chosen = getattr(getattr(current_user, "user", None), "locale", None)
    if chosen in locales.LOCALES:
        return chosen
    tenant = get_tenant()
    if tenant is not None and tenant.locale in locales.LOCALES:
        return tenant.locale
    return request.accept_languages.best_match(locales.LOCALES) or locales.DEFAULT


def select_timezone() -> str:
    """The current tenant's zone (UTC on the root host and outside a tenant)."""
    tenant = get_tenant()
    return tenant.timezone if tenant is not None else DEFAULT_TIMEZONE
