"""The distribution check: read from the catalog, it passes for the core and the bundled
plugins and names every problem of a plugin whose tables could not be split by tenant."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tenantry import distribution
from tenantry.db import Base
from tenantry.tenancy.scoping import tenant_tables
from tenantry.testing import ScratchPostgres, require_postgres
from tenantry_tasks.models import Task  # with notes': the bundled plugins' tables

TENANT_TABLES = {"tenantry_user", "tenantry_api_token", "notes_note", "tasks_task"}
FIXTURE = Path(__file__).parent / "fixtures" / "tenantry_badkeys"
CLI = "from tenantry.cli import main; main()"
#: What `tenantry db check` must say about the fixture plugin, rule by rule.
BADKEYS_PROBLEMS = [
    "badkeys_item: foreign key fk_badkeys_item_owner_id_tenantry_operator (owner_id) -> "
    "tenantry_operator (id) points at a platform table; among platform tables a tenant table "
    "may refer to tenantry_tenant only",
    "badkeys_item: primary key (id) does not include tenant_id",
    "badkeys_item: unique ix_badkeys_item_label (label) does not include tenant_id",
    "badkeys_item: unique uq_badkeys_item_code (code) does not include tenant_id",
    "badkeys_link: foreign key fk_badkeys_link_item_id_badkeys_item (item_id) -> badkeys_item "
    "(id) does not pair tenant_id with tenant_id; use tenant_foreign_key",
    "badkeys_setting: foreign key fk_badkeys_setting_tenant_id_user_id_tenantry_user "
    "(tenant_id, user_id) -> tenantry_user (tenant_id, id) points into a tenant table; "
    "a platform table cannot",
]


def test_the_core_and_bundled_plugins_can_be_distributed_by_tenant(session, backend):
    connection = session.connection()
    tables = distribution.read(connection)
    if backend == "postgres":  # the catalog itself, as the check reads it
        assert session.scalar(text("SELECT count(*) FROM pg_constraint")) > 0
    for name in TENANT_TABLES:
        assert tables[name].primary_key == ("tenant_id", "id"), name
    assert tables["tenantry_api_token"].uniques == [
        ("uq_tenantry_api_token_tenant_id_token_hash", ("tenant_id", "token_hash"))
    ]
    assert distribution.check(connection, Base.metadata) == []


def test_db_check_says_every_tenant_table_can_be_distributed(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    assert "every tenant table can be distributed by tenant_id" in result.output


# --- a third-party plugin that gets it wrong: installed for subprocesses only ---------


@pytest.fixture
def badkeys(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a `tenantry` process that has the fixture plugin installed."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site / "tenantry_badkeys")
    info = site / "tenantry_badkeys-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tenantry-badkeys\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tenantry.plugins]\nbadkeys = tenantry_badkeys:plugin\n"
    )
    scratch = None
    if backend == "postgres":
        require_postgres()
        scratch = ScratchPostgres()
        urls = {
            "TENANTRY_DATABASE_URL": scratch.app_url,
            "TENANTRY_MIGRATIONS_DATABASE_URL": scratch.owner_url,
        }
    else:
        urls = {"TENANTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'badkeys.db'}"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(
        PYTHONPATH=str(site),
        TENANTRY_ENV="test",
        TENANTRY_SECRET_KEY="badkeys-test-secret-key-0123456789",
        TENANTRY_INSTANCE_PATH=str(tmp_path / "instance"),
        **urls,
    )
    yield env
    if scratch is not None:
        scratch.drop()


def tenantry(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_db_check_names_every_problem_of_a_plugin_that_cannot_be_distributed(badkeys):
    upgraded = tenantry(badkeys, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr

    warned = tenantry(badkeys, "db", "check")
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "models and migrations agree" in warned.stdout
    assert "6 problem(s) keep tables from being distributed by tenant_id" in warned.stderr
    assert problem_lines(warned.stderr, "warning") == BADKEYS_PROBLEMS

    refused = tenantry(badkeys | {"TENANTRY_DISTRIBUTION_READY": "true"}, "db", "check")
    assert refused.returncode == 1
    assert problem_lines(refused.stderr, "error") == BADKEYS_PROBLEMS
    assert "Error: the schema is not distribution-ready" in refused.stderr
    assert "Traceback" not in refused.stderr


def problem_lines(output: str, level: str) -> list[str]:
    prefix = f"  {level}: "
    return [line.removeprefix(prefix) for line in output.splitlines() if line.startswith(prefix)]


def test_the_citus_ddl_in_the_docs_names_every_table_as_its_kind_in_a_working_order():
    """docs/scaling.md's DDL: tenant tables distributed (co-located with tenantry_user),
    platform tables reference tables, each after the tables it refers to."""
    docs = (Path(__file__).parents[1] / "docs" / "scaling.md").read_text()
    block = docs.split("### The DDL", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    calls = re.findall(r"SELECT (create_\w+_table)\('(\w+)'(.*?)\);", block)
    order = [table for _, table, _ in calls]
    distributed = {table for kind, table, _ in calls if kind == "create_distributed_table"}
    reference = {table for kind, table, _ in calls if kind == "create_reference_table"}
    tenant = {table.name for table in tenant_tables()}
    declared = set(Base.metadata.tables)
    assert Task.__tablename__ in distributed
    assert distributed == tenant & declared
    assert reference == declared - tenant
    for kind, table, rest in calls:
        if kind == "create_distributed_table" and table != "tenantry_user":
            assert rest == ", 'tenant_id', colocate_with => 'tenantry_user'", table
        for key in Base.metadata.tables[table].foreign_keys:
            target = key.column.table.name
            if target != table:
                assert order.index(target) < order.index(table), f"{target} before {table}"
