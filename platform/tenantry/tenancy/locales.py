"""The languages Tenantry speaks: which codes are valid for a tenant's default and a
user's own choice.

Kept beside ``timezones`` in the tenancy layer because the tenant's and the user's
services validate against it; ``tenantry.i18n`` decides which one a request uses.
"""

from __future__ import annotations

from flask_babel import gettext

from tenantry.errors import ValidationFailed

#: Locale code -> its name in its own language (how a language menu should read).
LOCALES: dict[str, str] = {"en": "English", "de": "Deutsch"}
DEFAULT = "en"


def validate(code: str | None, field: str = "locale") -> str | None:
    """``code`` if Tenantry speaks it, None for "no choice" (empty); else ValidationFailed."""
    code = (code or "").strip()
    if not code:
        return None
    if code not in LOCALES:
        raise ValidationFailed(
            {
                field: gettext(
                    "%(code)s is not a language of this site; choose one of %(known)s",
                    code=repr(code),
                    known=", ".join(LOCALES),
                )
            }
        )
    return code
