"""The application factory: every request passes the core's hooks in one stated order."""

from __future__ import annotations

from flask import Flask


def names(functions: list) -> list[str]:
    """The core's own hooks, by module and name, in registration order."""
    return [
        f"{f.__module__}.{f.__name__}" for f in functions if f.__module__.startswith("tenantry.")
    ]


def test_request_hooks_run_in_the_documented_order(app: Flask) -> None:
    assert names(app.before_request_funcs[None]) == [
        "tenantry.requestlog.start_timer",
        "tenantry.tenancy.gate.enter_tenant",
        "tenantry.security.refuse_nul_characters",
        "tenantry.security.protect_forms",
        "tenantry.admin.sites.open_platform_scope",
        "tenantry.plugins.runtime.gate",
        "tenantry.request_signals.announce_start",
    ]
    # after_request hooks run in reverse: headers are added before the line is logged.
    assert names(app.after_request_funcs[None]) == [
        "tenantry.requestlog.log_request",
        "tenantry.instrument.note_request",
        "tenantry.request_signals.announce_finish",
        "tenantry.security.add_headers",
    ]
    assert names(app.teardown_request_funcs[None]) == ["tenantry.tenancy.gate.leave_tenant"]


def test_blueprints_add_only_the_members_gate(app: Flask) -> None:
    extra = {name: names(funcs) for name, funcs in app.before_request_funcs.items() if name}
    assert extra == {
        "notes": ["tenantry.auth._members_only"],
        "tasks": ["tenantry.auth._members_only"],
    }
