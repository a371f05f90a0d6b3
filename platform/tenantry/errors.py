"""What a refused change raises, wherever it came from (a page, the API, an admin, the CLI).

Services raise these; every entry point shows them the same way: the CLI prints
the message, a form puts each field's message under that field, the JSON API
answers 422 with ``errors``. Nothing here is a bug: a bug is any other exception.
"""

from __future__ import annotations


class Refused(Exception):
    """A rule refused a change; the message says why, for the person who asked."""


class ValidationFailed(Refused):
    """Input that breaks a rule, with one message per field (``"(form)"`` for the whole)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))
