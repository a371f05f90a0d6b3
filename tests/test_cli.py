"""The ``tenantry`` command: what each subcommand does, says, and exits with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

import tenantry
from tenantry.auth.models import User
from tenantry.testing import PASSWORD

NEW_PASSWORD = "another-long-password"


@pytest.fixture
def run(app: Flask) -> Callable[..., Result]:
    """``run("tenants", "create", "acme", input=...)``: invoke a command as the CLI would.

    The ``tenantry`` script (a FlaskGroup) pushes an app context around every command; the
    test runner invokes ``app.cli`` directly, so the context is pushed here the same way.
    """
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None) -> Result:
        with app.app_context():
            return runner.invoke(args=list(args), input=input)

    return invoke


def assert_clean_failure(result: Result, message: str) -> None:
    """Exit status 1, the reason on the output, and no traceback."""
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def tenant_row(app: Flask, slug: str) -> Any:
    from tenantry.db import db
    from tenantry.tenancy.models import Tenant

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            return None
        db.session.expunge(tenant)
        return tenant


def user_count(app: Flask, slug: str) -> int:
    from tenantry.db import db
    from tenantry.tenancy.context import all_tenants
    from tenantry.tenancy.models import Tenant

    with app.app_context(), all_tenants():
        return db.session.scalar(
            select(func.count()).select_from(User).join(Tenant).where(Tenant.slug == slug)
        )


def password_matches(app: Flask, slug: str, email: str, password: str) -> bool:
    from tenantry.db import db
    from tenantry.tenancy.context import tenant_context

    tenant = tenant_row(app, slug)
    with app.app_context(), tenant_context(tenant):
        user = db.session.scalar(select(User).where(User.email == email))
        return user.check_password(password)


def domains_of(app: Flask, slug: str) -> list[str]:
    from tenantry.db import db
    from tenantry.tenancy.models import Domain, Tenant

    with app.app_context():
        return list(
            db.session.scalars(select(Domain.hostname).join(Tenant).where(Tenant.slug == slug))
        )


# --- tenants ------------------------------------------------------------------------------------


def test_tenants_create_makes_an_active_tenant_and_prints_its_address(app, run):
    result = run("tenants", "create", "acme", "--name", "Acme Corp")
    assert result.exit_code == 0, result.output
    assert "created tenant 'acme'" in result.output
    assert "http://acme.localhost/" in result.output
    tenant = tenant_row(app, "acme")
    assert tenant.name == "Acme Corp"
    assert tenant.status == "active"


def test_tenants_create_defaults_the_name_to_the_slug(app, run):
    assert run("tenants", "create", "acme").exit_code == 0
    assert tenant_row(app, "acme").name == "acme"


def test_tenants_create_refuses_a_duplicate_slug(run, make_tenant):
    make_tenant("acme")
    assert_clean_failure(run("tenants", "create", "acme"), "already exists")


def test_tenants_create_refuses_an_invalid_slug(app, run):
    assert_clean_failure(run("tenants", "create", "Not_A_Label"), "not a DNS label")
    assert tenant_row(app, "Not_A_Label") is None


def test_tenants_create_refuses_a_reserved_slug(run):
    assert_clean_failure(run("tenants", "create", "admin"), "reserved")


def test_tenants_list_shows_every_tenant_with_status_domains_and_users(run, make_tenant, make_user):
    acme = make_tenant("acme", name="Acme Corp")
    make_tenant("globex")
    make_user(acme)
    make_user(acme)
    assert run("domains", "add", "shop.acme.test", "--tenant", "acme").exit_code == 0
    result = run("tenants", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["SLUG", "NAME", "STATUS", "DOMAINS", "PLUGINS", "USERS"]
    acme_line = next(line for line in lines if line.startswith("acme "))
    assert "Acme Corp" in acme_line
    assert "active" in acme_line
    assert "shop.acme.test" in acme_line
    assert acme_line.split()[-1] == "2"
    globex_line = next(line for line in lines if line.startswith("globex "))
    assert globex_line.split()[-1] == "0"


def test_tenants_list_says_none_when_there_are_no_tenants(run):
    result = run("tenants", "list")
    assert result.exit_code == 0
    assert "(none)" in result.output


def test_tenants_suspend_marks_the_tenant_suspended(app, run, make_tenant, tenant_client):
    acme = make_tenant("acme")
    result = run("tenants", "suspend", "acme")
    assert result.exit_code == 0, result.output
    assert "suspended" in result.output
    assert tenant_row(app, "acme").status == "suspended"
    assert tenant_client(acme).get("/").status_code == 403


def test_tenants_resume_makes_a_suspended_tenant_active(app, run, make_tenant, tenant_client):
    acme = make_tenant("acme")
    run("tenants", "suspend", "acme")
    result = run("tenants", "resume", "acme")
    assert result.exit_code == 0, result.output
    assert "active again" in result.output
    assert tenant_row(app, "acme").status == "active"
    assert tenant_client(acme).get("/").status_code == 200


def test_tenants_suspend_of_an_unknown_slug_fails_cleanly(run):
    assert_clean_failure(run("tenants", "suspend", "nobody"), "no tenant with slug 'nobody'")


def test_tenants_delete_with_a_grace_period_closes_the_site_and_keeps_the_data(
    app, run, make_tenant, make_user, tenant_client
):
    acme = make_tenant("acme")
    make_user(acme)
    result = run("tenants", "delete", "acme", "--grace-days", "30", "--yes")
    assert result.exit_code == 0, result.output
    assert "now:   its sites close" in result.output
    assert "purged after 30 day(s)" in result.output
    assert "can be used again only after the purge" in result.output
    row = tenant_row(app, "acme")
    assert row.status == "deleted" and row.purge_after is not None
    assert user_count(app, "acme") == 1
    assert tenant_client(acme).get("/").status_code == 404
    taken = run("tenants", "create", "acme")
    assert_clean_failure(taken, "belongs to a deleted tenant")


def test_deleted_tenant_cannot_be_resumed(app, run, make_tenant):
    make_tenant("acme")
    run("tenants", "delete", "acme", "--grace-days", "1", "--yes")
    assert_clean_failure(run("tenants", "resume", "acme"), "cannot come back")
    assert tenant_row(app, "acme").status == "deleted"


def test_a_deletion_is_cancelled_before_the_purge_and_the_tenant_comes_back_suspended(
    app, run, make_tenant, make_user, tenant_client
):
    acme = make_tenant("acme")
    make_user(acme)
    run("tenants", "delete", "acme", "--grace-days", "7", "--yes")
    result = run("tenants", "cancel-deletion", "acme")
    assert result.exit_code == 0, result.output
    row = tenant_row(app, "acme")
    assert (row.status, row.purge_after) == ("suspended", None)
    assert user_count(app, "acme") == 1
    assert tenant_client(acme).get("/").status_code == 403


def test_tenants_delete_purges_at_once_after_the_typed_slug_and_frees_it(
    app, run, make_tenant, make_user
):
    acme = make_tenant("acme")
    globex = make_tenant("globex")
    make_user(acme)
    make_user(globex)
    result = run("tenants", "delete", "acme", input="acme\n")
    assert result.exit_code == 0, result.output
    assert "rows are purged at once" in result.output
    assert "deleted and purged; the slug is free again" in result.output
    assert tenant_row(app, "acme") is None
    assert user_count(app, "globex") == 1
    again = run("tenants", "create", "acme")
    assert again.exit_code == 0, again.output
    assert user_count(app, "acme") == 0


def test_tenants_delete_with_wrong_confirmation_deletes_nothing(app, run, make_tenant, make_user):
    acme = make_tenant("acme")
    make_user(acme)
    result = run("tenants", "delete", "acme", input="globex\n")
    assert_clean_failure(result, "not confirmed; nothing was deleted")
    assert tenant_row(app, "acme").status == "active"
    assert user_count(app, "acme") == 1


def test_tenants_delete_with_empty_confirmation_deletes_nothing(app, run, make_tenant, make_user):
    acme = make_tenant("acme")
    make_user(acme)
    result = run("tenants", "delete", "acme", input="\n")
    assert_clean_failure(result, "nothing was deleted")
    assert user_count(app, "acme") == 1


def test_purge_due_purges_only_tenants_whose_grace_period_is_over(app, run, make_tenant):
    from datetime import timedelta

    from tenantry.db import db
    from tenantry.tenancy.models import Tenant, utcnow

    make_tenant("old")
    make_tenant("recent")
    run("tenants", "delete", "old", "--grace-days", "1", "--yes")
    run("tenants", "delete", "recent", "--grace-days", "1", "--yes")
    with app.app_context():
        old = db.session.scalar(select(Tenant).where(Tenant.slug == "old"))
        old.purge_after = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = run("tenants", "purge-due")
    assert result.exit_code == 0, result.output
    assert "purged: old" in result.output
    assert tenant_row(app, "old") is None
    assert tenant_row(app, "recent").status == "deleted"
    assert "nothing to purge" in run("tenants", "purge-due").output


def test_purge_refuses_a_tenant_that_is_not_deleted(app, run, make_tenant):
    make_tenant("acme")
    assert_clean_failure(run("tenants", "purge", "acme", "--yes"), "delete 'acme' first")
    assert tenant_row(app, "acme").status == "active"


def test_tenants_export_writes_only_that_tenants_rows_as_json_lines(run, make_tenant, make_user):
    acme = make_tenant("acme")
    globex = make_tenant("globex")
    acme_emails = [make_user(acme)[0], make_user(acme)[0]]
    globex_emails = [make_user(globex)[0], make_user(globex, "boss@globex.test")[0]]
    result = run("tenants", "export", "acme")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    users = [r["row"] for r in rows if r["table"] == User.__tablename__]
    assert sorted(u["email"] for u in users) == sorted(acme_emails)
    assert {r["row"]["tenant_id"] for r in rows} == {acme.id}
    for email in globex_emails:
        assert email not in result.stdout
    assert "password_hash" not in result.stdout


def test_tenants_export_to_a_file(run, make_tenant, make_user, tmp_path):
    acme = make_tenant("acme")
    email, _ = make_user(acme)
    target = tmp_path / "acme.jsonl"
    result = run("tenants", "export", "acme", "--output", str(target))
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert any(json.loads(line)["row"].get("email") == email for line in lines)


def test_tenants_export_of_an_unknown_slug_fails_cleanly(run):
    assert_clean_failure(run("tenants", "export", "nobody"), "no tenant with slug 'nobody'")


# --- domains ------------------------------------------------------------------------------------


def test_domains_add_gives_the_tenant_a_custom_domain(app, run, make_tenant):
    make_tenant("acme")
    result = run("domains", "add", "Shop.Acme.Test", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert "shop.acme.test now serves tenant 'acme'" in result.output
    assert domains_of(app, "acme") == ["shop.acme.test"]


def test_domains_add_reminds_about_trusted_hosts(run, make_tenant):
    make_tenant("acme")
    result = run("domains", "add", "shop.acme.test", "--tenant", "acme")
    assert "trusted_hosts" in result.output


def test_domains_add_with_a_bad_hostname_fails_cleanly(app, run, make_tenant):
    make_tenant("acme")
    result = run("domains", "add", "bad_host!.test", "--tenant", "acme")
    assert_clean_failure(result, "is not a valid hostname")
    assert domains_of(app, "acme") == []


def test_domains_add_refuses_a_host_under_the_platform_root(app, run, make_tenant):
    make_tenant("acme")
    result = run("domains", "add", "other.localhost", "--tenant", "acme")
    assert_clean_failure(result, "under the platform's own host")
    assert domains_of(app, "acme") == []


def test_domains_add_refuses_a_domain_another_tenant_owns(app, run, make_tenant):
    make_tenant("acme")
    make_tenant("globex")
    run("domains", "add", "shop.example.test", "--tenant", "acme")
    result = run("domains", "add", "shop.example.test", "--tenant", "globex")
    assert_clean_failure(result, "already belongs to tenant 'acme'")
    assert domains_of(app, "globex") == []


def test_domains_remove_takes_the_domain_away(app, run, make_tenant):
    make_tenant("acme")
    run("domains", "add", "shop.acme.test", "--tenant", "acme")
    result = run("domains", "remove", "shop.acme.test", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert "shop.acme.test removed from 'acme'" in result.output
    assert domains_of(app, "acme") == []


def test_domains_remove_of_another_tenants_domain_fails_and_keeps_it(app, run, make_tenant):
    make_tenant("acme")
    make_tenant("globex")
    run("domains", "add", "shop.acme.test", "--tenant", "acme")
    result = run("domains", "remove", "shop.acme.test", "--tenant", "globex")
    assert_clean_failure(result, "is not a domain of 'globex'")
    assert domains_of(app, "acme") == ["shop.acme.test"]


def test_domains_remove_with_a_bad_hostname_fails_cleanly(run, make_tenant):
    make_tenant("acme")
    result = run("domains", "remove", "bad_host!.test", "--tenant", "acme")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


# --- accounts -----------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin(app, run, make_tenant):
    make_tenant("acme")
    result = run("users", "create", "ann@acme.test", "--tenant", "acme", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created member ann@acme.test in 'acme'" in result.output
    assert password_matches(app, "acme", "ann@acme.test", PASSWORD)


def test_users_create_with_admin_role(run, make_tenant):
    make_tenant("acme")
    result = run(
        "users",
        "create",
        "boss@acme.test",
        "--tenant",
        "acme",
        "--role",
        "admin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss@acme.test" in result.output


def test_users_create_refuses_a_short_password(app, run, make_tenant):
    make_tenant("acme")
    result = run("users", "create", "ann@acme.test", "--tenant", "acme", input="short\n")
    assert_clean_failure(result, "at least")
    assert user_count(app, "acme") == 0


def test_users_create_refuses_a_duplicate_email_in_the_same_tenant(run, make_tenant, make_user):
    acme = make_tenant("acme")
    make_user(acme, "ann@acme.test")
    result = run("users", "create", "ann@acme.test", "--tenant", "acme", input=PASSWORD + "\n")
    assert_clean_failure(result, "already has an account in 'acme'")


def test_users_create_allows_the_same_email_in_another_tenant(app, run, make_tenant, make_user):
    acme = make_tenant("acme")
    make_tenant("globex")
    make_user(acme, "ann@shared.test")
    result = run("users", "create", "ann@shared.test", "--tenant", "globex", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert user_count(app, "globex") == 1


def test_users_create_refuses_an_invalid_email(run, make_tenant):
    make_tenant("acme")
    result = run("users", "create", "not-an-email", "--tenant", "acme", input=PASSWORD + "\n")
    assert_clean_failure(result, "is not an email address")


def test_users_create_in_an_unknown_tenant_fails_cleanly(run):
    result = run("users", "create", "ann@x.test", "--tenant", "nobody", input=PASSWORD + "\n")
    assert_clean_failure(result, "no tenant with slug 'nobody'")


def test_users_set_password_changes_the_password(app, run, make_tenant, make_user):
    acme = make_tenant("acme")
    email, _ = make_user(acme)
    result = run("users", "set-password", email, "--tenant", "acme", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"password of {email} in 'acme' changed" in result.output
    assert password_matches(app, "acme", email, NEW_PASSWORD)
    assert not password_matches(app, "acme", email, PASSWORD)


def test_users_set_password_cannot_reach_another_tenants_user(app, run, make_tenant, make_user):
    acme = make_tenant("acme")
    make_tenant("globex")
    email, _ = make_user(acme)
    result = run("users", "set-password", email, "--tenant", "globex", input=NEW_PASSWORD + "\n")
    assert_clean_failure(result, "no account")
    assert password_matches(app, "acme", email, PASSWORD)


def test_operators_create_reads_the_password_from_stdin(app, run):
    from tenantry.auth.models import Operator
    from tenantry.db import db

    result = run("operators", "create", "op@platform.test", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created operator op@platform.test" in result.output
    assert "http://localhost/login" in result.output
    with app.app_context():
        operator = db.session.scalar(select(Operator).where(Operator.email == "op@platform.test"))
        assert operator.check_password(PASSWORD)


def test_operators_create_refuses_a_duplicate(run, make_operator):
    make_operator("op@platform.test")
    result = run("operators", "create", "op@platform.test", input=PASSWORD + "\n")
    assert_clean_failure(result, "already exists")


# --- database and plugins -----------------------------------------------------------------------


def test_db_current_reports_the_database_up_to_date(run):
    result = run("db", "current")
    assert result.exit_code == 0, result.output
    assert "current:" in result.output
    assert "heads:" in result.output
    assert "up to date" in result.output


def test_plugins_list_shows_each_installed_plugin_and_its_tenant_count(run, make_tenant):
    make_tenant("acme", plugins=["notes"])
    make_tenant("globex", plugins=["notes"])
    result = run("plugins", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["NAME", "STATE", "VERSION", "DISTRIBUTION", "TENANTS"]
    notes = next(line for line in lines if line.startswith("notes "))
    assert "loaded" in notes
    assert notes.split()[4] == "2"


# --- listing and showing ------------------------------------------------------------------------


def test_users_list_shows_only_that_tenants_accounts(run, make_tenant, make_user):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    make_user(acme, "ann@acme.test", role="admin")
    make_user(globex, "gus@globex.test")
    result = run("users", "list", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "ACTIVE", "CREATED"]
    assert lines[1].split()[:4] == ["ann@acme.test", "ann", "admin", "yes"]
    assert "gus@globex.test" not in result.output


def test_users_list_of_an_unknown_tenant_fails_cleanly(run):
    assert_clean_failure(run("users", "list", "--tenant", "nobody"), "no tenant with slug")


def test_operators_list_shows_every_operator(run, make_operator):
    make_operator("op@platform.test")
    result = run("operators", "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[:2] == ["op@platform.test", "yes"]


def test_tenants_show_tells_addresses_zone_plugins_and_rows(run, make_tenant, make_user):
    acme = make_tenant("acme", name="Acme Corp", plugins=["notes"])
    make_user(acme)
    run("domains", "add", "shop.acme.test", "--tenant", "acme")
    result = run("tenants", "show", "acme")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("acme: Acme Corp")
    assert "http://acme.localhost/" in out
    assert "domain:    shop.acme.test" in out
    assert "time zone: UTC" in out
    assert "    notes" in out and "tasks" not in out.split("rows:")[0]
    assert "tenantry_user: 1" in out


def test_tenants_show_of_an_unknown_slug_fails_cleanly(run):
    assert_clean_failure(run("tenants", "show", "nobody"), "no tenant with slug 'nobody'")


# --- the command itself -------------------------------------------------------------------------


def _commands(command: Any, path: str = "tenantry") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, f"{path} {name}")
    return found


def test_every_command_and_option_has_help_text():
    from tenantry.cli import cli

    missing = []
    for path, command in _commands(cli):
        if not (command.help or "").strip():
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{path} {param.opts[0]}")
    assert missing == []


def test_help_is_tenantrys_own_without_flasks_generic_options():
    from tenantry.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Run and manage a Tenantry platform" in result.output
    for flask_option in ("--app", "--env-file", "--debug"):
        assert flask_option not in result.output


def test_version_names_tenantry_and_each_installed_plugin():
    from tenantry.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"tenantry {tenantry.__version__}"
    assert "plugin notes: tenantry-notes" in result.output
    assert "plugin tasks: tenantry-tasks" in result.output
    assert "Flask" not in result.output


def test_plugins_new_elsewhere_writes_only_the_plugin(tmp_path, monkeypatch):
    from tenantry.cli import cli

    for key in [k for k in os.environ if k.startswith("TENANTRY_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["plugins", "new", "gadgets"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tenantry-gadgets"]


def _script(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "tenantry"), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_from_another_folder_uses_the_project_not_a_new_database(tmp_path):
    project = tmp_path / "project"
    (project / "settings").mkdir(parents=True)
    (project / "settings" / "default.toml").write_text('env = "development"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    upgraded = _script(["db", "upgrade"], elsewhere, TENANTRY_HOME=str(project))
    assert upgraded.returncode == 0, upgraded.stderr
    assert (project / "instance" / "tenantry.db").is_file()
    assert (project / "instance" / "secret_key").is_file()
    created = _script(["tenants", "create", "acme"], elsewhere, TENANTRY_HOME=str(project))
    assert created.returncode == 0, created.stderr
    listed = _script(["tenants", "list"], project / "settings")  # found from a subfolder
    assert "acme" in listed.stdout, listed.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_home_that_is_not_a_folder_is_one_clear_line(tmp_path):
    result = _script(["tenants", "list"], tmp_path, TENANTRY_HOME=str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "TENANTRY_HOME" in result.stderr and "not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_enables_plugins_only_when_it_creates_the_demo_tenant(app, run):
    from tenantry.db import db
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle

    app.extensions["tenantry.settings"].env = "development"
    try:
        assert run("demo").exit_code == 0
        with app.app_context():
            demo = lifecycle.find(db.session, "demo")
            enablement.disable(db.session, runtime().registry, demo, "tasks")
            db.session.commit()
        again = run("demo")
        assert again.exit_code == 0, again.output
        listing = run("tenants", "show", "demo").output.split("rows:")[0]
        assert "notes" in listing and "tasks" not in listing
    finally:
        app.extensions["tenantry.settings"].env = "test"
