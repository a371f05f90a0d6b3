"""The signal catalogue of docs/extending.md: it lists exactly the signals there are, and each
fires once, with the sender, keyword arguments and context the catalogue states."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from blinker import Signal
from doc_examples import DOC
from flask import Flask, Response
from sqlalchemy.orm import Session

import tenantry.signals
import tenantry_notes.signals
from tenantry import db, jobs, tenant_context
from tenantry.plugins import enablement
from tenantry.plugins.runtime import runtime
from tenantry.tenancy import lifecycle
from tenantry.tenancy.context import get_tenant
from tenantry.tenancy.models import Tenant
from tenantry.testing import client_for, csrf_token, do_login
from tenantry_notes import service as notes

ROW = re.compile(r"^\| `([\w.]+)` \|.*\| (yes|caller's) \|$", re.MULTILINE)
MODULES = (tenantry.signals, tenantry_notes.signals)


def catalogue() -> dict[str, str]:
    """Signal path -> what its "in the tenant's context" column says."""
    return dict(ROW.findall(DOC.read_text().split("<!-- catalogue -->", 1)[1]))


def defined() -> dict[str, Signal]:
    return {
        f"{module.__name__}.{name}": value
        for module in MODULES
        for name, value in vars(module).items()
        if isinstance(value, Signal)
    }


def test_the_catalogue_lists_every_signal_there_is_and_no_other() -> None:
    assert set(catalogue()) == set(defined())


class Where:
    """Equal to any value that passes ``check``; says what it expected when it is not."""

    def __init__(self, check: Callable[[Any], bool], expected: str):
        self.check, self.expected = check, expected

    def __eq__(self, other: object) -> bool:
        return self.check(other)

    def __repr__(self) -> str:
        return f"<{self.expected}>"


def tenant_named(slug: str) -> Where:
    return Where(lambda ref: getattr(ref, "slug", None) == slug, f"tenant {slug!r}")


@dataclass
class World:
    """What a case needs: the app, the tenant acme (notes on) with one user, and ``listen``."""

    app: Flask
    email: str
    password: str
    signal: Signal
    calls: list[tuple[Any, dict[str, Any], str | None]] = field(default_factory=list)

    @contextmanager
    def listen(self) -> Iterator[None]:
        """Record every send of the signal under test while the block runs."""

        def receiver(sender: Any, **kwargs: Any) -> None:
            current = get_tenant()
            self.calls.append((sender, kwargs, current.slug if current else None))

        self.signal.connect(receiver)
        try:
            yield
        finally:
            self.signal.disconnect(receiver)

    @property
    def session(self) -> Session:
        return db.session

    def acme(self) -> Tenant:
        return lifecycle.find(db.session, "acme")

    def client(self) -> Any:
        client = client_for(self.app, "acme.localhost")
        do_login(client, (self.email, self.password))
        return client


#: What a case returns: the sender, the keyword arguments and the tenant in context.
Expected = tuple[Any, dict[str, Any], str | None]
CASES: dict[str, Callable[[World], Expected]] = {}


def case(name: str) -> Callable[[Callable[[World], Expected]], Callable[[World], Expected]]:
    def register(function: Callable[[World], Expected]) -> Callable[[World], Expected]:
        CASES[name] = function
        return function

    return register


@case("tenantry.signals.tenant_created")
def _(w: World) -> Expected:
    with w.app.app_context(), w.listen():
        lifecycle.create(w.session, "bravo", "Bravo")
        w.session.commit()
    return tenant_named("bravo"), {}, None


def _status_case(status: str, before: str | None = None) -> Callable[[World], Expected]:
    def run(w: World) -> Expected:
        with w.app.app_context():
            if before:
                lifecycle.set_status(w.session, w.acme(), before)
                w.session.commit()
            with w.listen():
                lifecycle.set_status(w.session, w.acme(), status)
                w.session.commit()
        return tenant_named("acme"), {}, None

    return run


case("tenantry.signals.tenant_suspended")(_status_case("suspended"))
case("tenantry.signals.tenant_resumed")(_status_case("active", before="suspended"))


@case("tenantry.signals.tenant_deleted")
def _(w: World) -> Expected:
    with w.app.app_context(), w.listen():
        lifecycle.delete(w.session, w.acme(), grace_days=3)
        w.session.commit()
    return Where(lambda t: t.slug == "acme" and t.purge_after, "acme, purge date set"), {}, None


@case("tenantry.signals.tenant_deletion_cancelled")
def _(w: World) -> Expected:
    with w.app.app_context():
        lifecycle.delete(w.session, w.acme(), grace_days=3)
        w.session.commit()
        with w.listen():
            lifecycle.cancel_deletion(w.session, w.acme())
            w.session.commit()
    return tenant_named("acme"), {}, None


@case("tenantry.signals.tenant_purged")
def _(w: World) -> Expected:
    with w.app.app_context():
        acme = w.acme()
        lifecycle.delete(w.session, acme)
        rows = sum(lifecycle.row_counts(w.session, acme).values())
        with w.listen():
            lifecycle.purge(w.session, acme)
            w.session.commit()
    assert rows >= 2  # the user and the note at least
    return tenant_named("acme"), {"rows": rows}, None


def _plugin_case(change: Callable[[World, Tenant], Any], **kwargs: Any) -> Any:
    def run(w: World) -> Expected:
        with w.app.app_context(), w.listen():
            change(w, w.acme())
            w.session.commit()
        return tenant_named("acme"), kwargs, None

    return run


def _registry() -> Any:
    return runtime().registry


case("tenantry.signals.plugin_enabled")(
    _plugin_case(lambda w, t: enablement.enable(w.session, _registry(), t, "tasks"), plugin="tasks")
)
case("tenantry.signals.plugin_disabled")(
    _plugin_case(
        lambda w, t: enablement.disable(w.session, _registry(), t, "notes"), plugin="notes"
    )
)
case("tenantry.signals.plugin_settings_changed")(
    _plugin_case(
        lambda w, t: enablement.update_settings(
            w.session, _registry(), t, "notes", {"per_page": 50, "allow_markdown": True}
        ),
        plugin="notes",
        changes=["per_page"],
    )
)
case("tenantry.signals.plugin_locked")(
    _plugin_case(
        lambda w, t: enablement.set_locked(w.session, _registry(), t, "notes", True),
        plugin="notes",
    )
)


@case("tenantry.signals.plugin_unlocked")
def _(w: World) -> Expected:
    with w.app.app_context():
        enablement.set_locked(w.session, _registry(), w.acme(), "notes", True)
        w.session.commit()
        with w.listen():
            enablement.set_locked(w.session, _registry(), w.acme(), "notes", False)
            w.session.commit()
    return tenant_named("acme"), {"plugin": "notes"}, None


@case("tenantry.signals.demo_seeded")
def _(w: World) -> Expected:
    with w.app.app_context(), w.listen():
        result = w.app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return tenant_named("demo"), {}, "demo"


@case("tenantry.signals.tenant_resolved")
def _(w: World) -> Expected:
    with w.listen():
        assert client_for(w.app, "acme.localhost").get("/").status_code == 200
        assert client_for(w.app, "localhost").get("/").status_code == 200  # not for the root
    return w.app, {"tenant": tenant_named("acme")}, "acme"


@case("tenantry.signals.request_started")
def _(w: World) -> Expected:
    with w.listen():
        assert client_for(w.app, "acme.localhost").get("/").status_code == 200
    return w.app, {"tenant": tenant_named("acme")}, "acme"


@case("tenantry.signals.request_finished")
def _(w: World) -> Expected:
    with w.listen():
        assert client_for(w.app, "acme.localhost").get("/nowhere").status_code == 404
    response = Where(
        lambda r: (
            isinstance(r, Response)
            and r.status_code == 404
            and "Content-Security-Policy" in r.headers
        ),
        "the 404 response, security headers set",
    )
    return w.app, {"tenant": tenant_named("acme"), "response": response}, "acme"


@case("tenantry.signals.user_signed_in")
def _(w: World) -> Expected:
    with w.listen():
        w.client()
    user = Where(lambda u: u.record.email == w.email, w.email)
    return w.app, {"user": user, "tenant": tenant_named("acme")}, "acme"


@case("tenantry.signals.user_signed_out")
def _(w: World) -> Expected:
    client = w.client()
    with w.listen():
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    user = Where(lambda u: u.record.email == w.email, w.email)
    return w.app, {"user": user, "tenant": tenant_named("acme")}, "acme"


def stamp(title: str) -> str:
    """A job: writes a note, answers its title."""
    notes.create({"title": title}, None)
    return title


@case("tenantry.signals.job_done")
def _(w: World) -> Expected:
    with w.app.app_context(), tenant_context(w.acme()), w.listen():
        job = jobs.enqueue(stamp, "from a job")
        w.session.commit()  # no jobs_url: the job runs now, after this commit
    kwargs = {
        "job": job,
        "function": f"{__name__}:stamp",
        "result": "from a job",
        "tenant": tenant_named("acme"),
    }
    return w.app, kwargs, "acme"


@case("tenantry_notes.signals.note_created")
def _(w: World) -> Expected:
    with w.app.app_context(), tenant_context(w.acme()), w.listen():
        notes.create({"title": "hello"}, None)
        w.session.commit()
    return Where(lambda n: n.title == "hello", "the note"), {}, "acme"


@case("tenantry_notes.signals.note_deleted")
def _(w: World) -> Expected:
    with w.app.app_context(), tenant_context(w.acme()):
        note = notes.create({"title": "doomed"}, None)
        w.session.commit()
        with w.listen():
            notes.delete(note)
            w.session.commit()
    return Where(lambda n: n.title == "doomed", "the note"), {}, "acme"


@case("tenantry.signals.hosts_changed")
def _(w: World) -> Expected:
    with w.app.app_context(), w.listen():
        lifecycle.rename(w.session, w.acme(), "Acme Renamed")
        w.session.commit()
    return Where(lambda s: isinstance(s, Session), "the session"), {}, None


def test_every_catalogued_signal_has_a_case() -> None:
    assert set(CASES) == set(catalogue())


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_signal_fires_once_as_catalogued(name, app, make_tenant, make_user) -> None:
    acme = make_tenant("acme", "Acme", plugins=["notes"])
    email, password = make_user(acme)
    with app.app_context(), tenant_context(acme):
        notes.create({"title": "a note of acme"}, None)
        db.session.commit()
    world = World(app, email, password, defined()[name])
    sender, kwargs, tenant = CASES[name](world)
    assert len(world.calls) == 1, world.calls
    got_sender, got_kwargs, got_tenant = world.calls[0]
    assert got_sender == sender
    assert got_kwargs == kwargs
    if catalogue()[name] == "yes":
        assert got_tenant == tenant
    else:  # the caller's: these cases call from outside any tenant
        assert got_tenant is None


def test_the_metering_example_counts_each_tenants_requests(app, make_tenant, example) -> None:
    make_tenant("acme", "Acme")
    make_tenant("bravo", "Bravo")
    metering = example("hooks")
    metering.install()
    try:
        for host in ("acme.localhost", "acme.localhost", "bravo.localhost", "localhost"):
            client_for(app, host).get("/")
        client_for(app, "nobody.localhost").get("/")  # no such tenant: not counted
    finally:
        tenantry.signals.request_finished.disconnect(metering.count)
    assert metering.requests_by_tenant == {"acme": 2, "bravo": 1}
