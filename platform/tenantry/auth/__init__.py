"""Accounts: tenant users, operators, Flask-Login wiring, throttled login, API tokens."""

from __future__ import annotations

from flask import Blueprint, Flask, abort
from flask_login import current_user, login_required

from tenantry.auth import (
    account_views,
    identity,
    invitation_views,
    reset_views,
    session_store,
    throttle,
)
from tenantry.auth.views import bp
from tenantry.settings import Settings

#: Modules whose routes join the auth blueprint (imported for that).
ROUTES = (account_views, invitation_views, reset_views)


def members_only(bp: Blueprint) -> Blueprint:
    """Require a logged-in user of the current tenant for every route of ``bp``.

    Anonymous visitors go to the login page (API calls get 401); anyone who is
    not a user of this tenant gets 403.
    """

    @bp.before_request
    @login_required
    def _members_only() -> None:
        if current_user.user is None:
            abort(403)

    return bp


def init_auth(app: Flask, settings: Settings) -> None:
    identity.init_app(app)
    app.session_interface = session_store.interface(settings)
    throttle.init_app(app, settings.redis_url, settings.login_rate_limit, settings.reset_rate_limit)
    app.register_blueprint(bp)
