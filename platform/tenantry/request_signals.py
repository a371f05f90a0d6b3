"""Sending the request lifecycle's signals (``tenantry.signals``) from request hooks.

They run on every request, so each first asks whether anything listens: with no
receivers a request pays one attribute read per signal. Sign-ins and sign-outs are
relayed from Flask-Login's own signals, adding the tenant, so a plugin's receivers are
gated like any other (Flask-Login's carry no tenant); every way of signing in that
goes through ``login_user`` is covered.
"""

from __future__ import annotations

from typing import Any

import flask_login
from flask import Flask, Response, current_app

from tenantry.signals import request_finished, request_started, user_signed_in, user_signed_out
from tenantry.tenancy.context import get_tenant


def announce_start() -> None:
    """before_request, after the core's checks: ``request_started``."""
    if request_started.receivers:
        request_started.send(current_app._get_current_object(), tenant=get_tenant())  # type: ignore[attr-defined]


def announce_finish(response: Response) -> Response:
    """after_request, once the headers are set: ``request_finished``."""
    if request_finished.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        request_finished.send(app, tenant=get_tenant(), response=response)
    return response


def _signed_in(app: Flask, user: Any, **_extra: Any) -> None:
    user_signed_in.send(app, user=user, tenant=get_tenant())


def _signed_out(app: Flask, user: Any, **_extra: Any) -> None:
    user_signed_out.send(app, user=user, tenant=get_tenant())


def relay_sign_ins() -> None:
    """Connect the relays (once per process: connecting again changes nothing)."""
    flask_login.user_logged_in.connect(_signed_in, weak=False)
    flask_login.user_logged_out.connect(_signed_out, weak=False)
