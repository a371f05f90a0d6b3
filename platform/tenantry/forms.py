"""The base of every HTML form, the core's, the admins' and plugins' (``tenantry.Form``).

Flask-WTF's form (CSRF included) that fills itself from form encodings only.
Flask-WTF would also read a JSON body as the form's data, and fails with a 500
when that JSON is not an object (``false``, ``[1]``); JSON belongs to APIs,
which validate their own bodies. A form posted as JSON is simply not filled in.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # the caller's own
            if has_request_context() and request.is_json and not (request.form or request.files):
                return None
            return super().wrap_formdata(form, formdata)
