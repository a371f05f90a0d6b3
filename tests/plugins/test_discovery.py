"""Discovery: every reason a plugin is refused, each contained, and strict mode.

Each test installs small fake distributions (a module plus a ``.dist-info`` with
its entry point) into a temporary folder on ``sys.path``, so discovery sees them
exactly as it sees a pip-installed plugin: ``importlib.metadata`` finds the
distribution, its version and its entry points. Module names are unique per test.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from importlib.metadata import EntryPoint, distribution
from pathlib import Path

import pytest

from tenantry.db import Base
from tenantry.plugins.registry import PluginLoadError, PluginRegistry, discover
from tenantry.settings import PluginSelection
from tenantry.testing import client_for, host_of, settings_for_test

HEADER = """\
from flask import Blueprint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry import Base, Global, Plugin, TenantScoped

CORE = "tenantry>=0.2"
"""


class FakeInstall:
    """A folder on ``sys.path`` holding fake plugin distributions and their modules."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        self.modules: list[str] = []
        sys.path.insert(0, str(root))

    def module_name(self, plugin: str) -> str:
        return f"tenantry_fake_{plugin}_{self.tag}"

    def add(
        self,
        plugin: str,
        body: str,
        *,
        dist: str | None = None,
        version: str = "1.0",
        attr: str = "plugin",
        requires: tuple[str, ...] = (),
    ) -> EntryPoint:
        """Install a distribution whose ``tenantry.plugins`` entry point ``plugin`` runs ``body``.

        ``body`` may use ``{name}`` (the plugin name) and ``{module}`` (the module name).
        """
        module = self.module_name(plugin)
        while module in self.modules:
            module += "_x"
        self.modules.append(module)
        source = HEADER + textwrap.dedent(body).format(name=plugin, module=module)
        (self.root / f"{module}.py").write_text(source)
        dist = dist or f"tenantry-fake-{module.removeprefix('tenantry_fake_').replace('_', '-')}"
        self.dist(dist, version, entry_points={plugin: f"{module}:{attr}"}, requires=requires)
        found = distribution(dist).entry_points.select(group="tenantry.plugins", name=plugin)
        (ep,) = found
        return ep

    def dist(
        self,
        name: str,
        version: str,
        entry_points: dict[str, str] | None = None,
        requires: tuple[str, ...] = (),
    ) -> None:
        """Write the ``.dist-info`` of distribution ``name`` (a plugin or a plain library),
        with ``requires`` as its ``Requires-Dist`` lines."""
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        needs = "".join(f"Requires-Dist: {line}\n" for line in requires)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{needs}"
        )
        if entry_points:
            lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
            (info / "entry_points.txt").write_text(f"[tenantry.plugins]\n{lines}")
        importlib.invalidate_caches()

    def cleanup(self) -> None:
        sys.path.remove(str(self.root))
        for module in self.modules:
            sys.modules.pop(module, None)
        for table in list(Base.metadata.tables.values()):
            if table.name.endswith(self.tag):
                Base.metadata.remove(table)
        importlib.invalidate_caches()


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeInstall]:
    install = FakeInstall(tmp_path / "site")
    install.root.mkdir()
    yield install
    install.cleanup()


def run(*eps: EntryPoint, **selection: object) -> PluginRegistry:
    return discover(PluginSelection(**selection), eps=list(eps))


def reason(registry: PluginRegistry, name: str) -> str:
    assert name not in registry.loaded, f"{name} loaded; refused: {registry.refused}"
    assert name in registry.refused, f"{name} was not refused: {registry.refused}"
    return registry.refused[name].reason


HEALTHY = """
plugin = Plugin(requires=[CORE], name="{name}", title="Healthy")
"""


def test_a_healthy_plugin_loads_with_its_distribution_and_version(fake):
    registry = run(fake.add("fine", HEALTHY, dist="tenantry-fine-thing", version="2.5"))
    entry = registry.loaded["fine"]
    assert (entry.distribution, entry.version) == ("tenantry-fine-thing", "2.5")
    assert registry.refused == {}


def test_import_error_is_refused_and_the_others_still_load(fake):
    broken = fake.add("broken", "import tenantry_no_such_module_anywhere\n")
    registry = run(broken, fake.add("fine", HEALTHY))
    assert "import failed: ModuleNotFoundError" in reason(registry, "broken")
    assert "tenantry_no_such_module_anywhere" in reason(registry, "broken")
    assert list(registry.loaded) == ["fine"]


def test_an_import_that_fails_after_defining_a_model_leaves_no_table_behind(fake):
    table = f"broken_thing_{fake.tag}"
    body = f"""
    class Thing(TenantScoped, Base):
        __tablename__ = "{table}"
        done: Mapped[bool] = mapped_column(default=False)

    raise RuntimeError("half-way through the import")
    """
    registry = run(fake.add("broken", body), fake.add("fine", HEALTHY))
    assert "import failed: RuntimeError: half-way through the import" in reason(registry, "broken")
    assert table not in Base.metadata.tables  # so migrations and `db check` ignore it
    assert "fine" in registry.loaded


def test_a_tenant_model_with_its_own_id_is_refused_with_what_to_do(fake):
    table = f"oldkeys_item_{fake.tag}"
    body = f"""
    class Item(TenantScoped, Base):
        __tablename__ = "{table}"
        id: Mapped[int] = mapped_column(primary_key=True)

    plugin = Plugin(requires=[CORE], name="oldkeys", title="Old keys")
    """
    registry = run(fake.add("oldkeys", body), fake.add("fine", HEALTHY))
    assert reason(registry, "oldkeys") == (
        "import failed: TypeError: Item declares id itself; TenantScoped gives every tenant "
        "table tenant_id and a bigint id, keyed (tenant_id, id): remove the declaration"
    )
    assert table not in Base.metadata.tables
    assert "fine" in registry.loaded


def test_an_object_that_is_not_a_plugin_is_refused(fake):
    registry = run(fake.add("odd", "plugin = {{'name': 'odd'}}\n"))
    assert "is a dict, not a tenantry.Plugin" in reason(registry, "odd")


def test_a_plugin_for_another_tenantry_is_refused(fake):
    body = 'plugin = Plugin(requires=["tenantry>=99"], name="{name}", title="F")\n'
    registry = run(fake.add("future", body))
    assert reason(registry, "future").startswith("requires tenantry>=99, found tenantry 0.")


def test_a_plugin_that_does_not_say_which_tenantry_it_needs_is_refused(fake):
    registry = run(fake.add("vague", 'plugin = Plugin(name="{name}", title="V")\n'))
    assert "requires must name the tenantry versions it was written for" in reason(
        registry, "vague"
    )


def test_a_plugin_named_differently_from_its_entry_point_is_refused(fake):
    registry = run(fake.add("alias", 'plugin = Plugin(requires=[CORE], name="other", title="A")\n'))
    assert "named 'other' but its entry point is 'alias'" in reason(registry, "alias")


def test_a_missing_dependency_is_refused(fake):
    body = 'plugin = Plugin(name="{name}", title="N", requires=[CORE, "tenantry-absent-lib>=1"])\n'
    registry = run(fake.add("needy", body))
    assert reason(registry, "needy") == "requires tenantry-absent-lib>=1, which is not installed"


def test_a_dependency_of_the_wrong_version_is_refused(fake):
    fake.dist("tenantry-fake-lib", "1.0")
    body = 'plugin = Plugin(name="{name}", title="N", requires=[CORE, "tenantry-fake-lib>=2"])\n'
    registry = run(fake.add("picky", body))
    assert reason(registry, "picky") == "requires tenantry-fake-lib>=2, found tenantry-fake-lib 1.0"


def test_a_requirement_cycle_is_refused_and_so_is_what_needs_it(fake):
    tag = fake.tag
    a = fake.add(
        "cyca",
        f'plugin = Plugin(name="{{name}}", title="A", requires=[CORE, "tenantry-cyc-b-{tag}"])\n',
        dist=f"tenantry-cyc-a-{tag}",
    )
    b = fake.add(
        "cycb",
        f'plugin = Plugin(name="{{name}}", title="B", requires=[CORE, "tenantry-cyc-a-{tag}"])\n',
        dist=f"tenantry-cyc-b-{tag}",
    )
    c = fake.add(
        "cycc",
        f'plugin = Plugin(name="{{name}}", title="C",'
        f' requires=[CORE, "tenantry-cyc-a-{tag}>=1"])\n',
    )
    registry = run(a, b, c, fake.add("fine", HEALTHY))
    assert reason(registry, "cyca").startswith("circular requirements: ")
    assert reason(registry, "cycb").startswith("circular requirements: ")
    assert reason(registry, "cycc") == "needs plugin cyca, which was refused"
    assert list(registry.loaded) == ["fine"]


def test_dependencies_load_first(fake):
    tag = fake.tag
    later = fake.add(
        "later",
        f'plugin = Plugin(name="{{name}}", title="L", requires=[CORE, "tenantry-base-{tag}>=1"])\n',
    )
    base = fake.add("base", HEALTHY, dist=f"tenantry-base-{tag}")
    registry = run(later, base)
    assert list(registry.loaded) == ["base", "later"]
    assert registry.loaded["later"].needs == ("base",)


def test_two_distributions_with_one_plugin_name_are_both_refused(fake):
    first = fake.add("dup", HEALTHY, dist=f"tenantry-dup-one-{fake.tag}")
    second = fake.add("dup", HEALTHY, dist=f"tenantry-dup-two-{fake.tag}")
    registry = run(first, second, fake.add("fine", HEALTHY))
    detail = reason(registry, "dup")
    assert "two installed distributions provide a plugin named 'dup'" in detail
    assert f"tenantry-dup-one-{fake.tag}" in detail and f"tenantry-dup-two-{fake.tag}" in detail
    assert list(registry.loaded) == ["fine"]


def test_a_blueprint_name_already_taken_refuses_the_second_plugin(fake):
    body = """
    bp = Blueprint("shared", __name__)
    plugin = Plugin(requires=[CORE], name="{name}", title="T", blueprint=bp)
    """
    registry = run(fake.add("alpha", body), fake.add("beta", body))
    assert "alpha" in registry.loaded
    assert reason(registry, "beta") == "blueprint name 'shared' is already used by plugin 'alpha'"


def test_a_url_prefix_already_taken_refuses_the_second_plugin(fake):
    registry = run(
        fake.add("alpha", HEALTHY),
        fake.add(
            "beta",
            'plugin = Plugin(requires=[CORE], name="{name}", title="B", url_prefix="/alpha")\n',
        ),
    )
    assert "alpha" in registry.loaded
    assert reason(registry, "beta") == "URL prefix '/alpha' is already used by plugin 'alpha'"


def test_a_url_prefix_of_the_core_is_refused(fake):
    registry = run(
        fake.add(
            "grab",
            'plugin = Plugin(requires=[CORE], name="{name}", title="G", url_prefix="/admin")\n',
        )
    )
    assert "url_prefix '/admin' must be a path of its own" in reason(registry, "grab")


def test_a_table_without_the_plugin_prefix_is_refused_and_taken_off_the_metadata(fake):
    table = f"bad_widget_{fake.tag}"
    body = f"""
    class Widget(TenantScoped, Base):
        __tablename__ = "{table}"
        done: Mapped[bool] = mapped_column(default=False)

    plugin = Plugin(requires=[CORE], name="{{name}}", title="W")
    """
    registry = run(fake.add("widgets", body))
    assert reason(registry, "widgets") == f"table '{table}' must start with 'widgets_'"
    assert table not in Base.metadata.tables


def test_a_model_without_a_tenant_scope_is_refused(fake):
    table = f"okscope_gadget_{fake.tag}"
    body = f"""
    class Gadget(Base):
        __tablename__ = "{table}"
        id: Mapped[int] = mapped_column(primary_key=True)

    plugin = Plugin(requires=[CORE], name="okscope", title="G")
    """
    registry = run(fake.add("okscope", body))
    assert "model Gadget declares no tenant scope: inherit TenantScoped" in reason(
        registry, "okscope"
    )
    assert table not in Base.metadata.tables


def test_global_and_tenant_scoped_models_with_the_prefix_load(fake):
    tables = [f"okay_thing_{fake.tag}", f"okay_setting_{fake.tag}"]
    body = f"""
    class Thing(TenantScoped, Base):
        __tablename__ = "{tables[0]}"
        done: Mapped[bool] = mapped_column(default=False)

    class Setting(Global, Base):
        __tablename__ = "{tables[1]}"
        id: Mapped[int] = mapped_column(primary_key=True)

    plugin = Plugin(requires=[CORE], name="okay", title="O")
    """
    registry = run(fake.add("okay", body))
    assert "okay" in registry.loaded
    assert all(name in Base.metadata.tables for name in tables)
    for name in tables:  # not part of the schema the other tests migrate
        Base.metadata.remove(Base.metadata.tables[name])


def test_a_plugin_disabled_in_settings_is_never_imported(fake):
    ep = fake.add("shy", HEALTHY)
    registry = run(ep, disabled=["shy"])
    assert registry.skipped == ["shy"]
    assert "shy" not in registry.loaded and "shy" not in registry.refused
    assert ep.module not in sys.modules


def test_a_plugin_outside_the_enabled_list_is_never_imported(fake):
    shy, fine = fake.add("shy", HEALTHY), fake.add("fine", HEALTHY)
    registry = run(shy, fine, enabled=["fine"])
    assert list(registry.loaded) == ["fine"] and registry.skipped == ["shy"]
    assert shy.module not in sys.modules


def test_a_plugin_needing_a_disabled_one_is_refused_before_either_is_imported(fake):
    base_dist = f"tenantry-base-{fake.tag}"
    base = fake.add("base", HEALTHY, dist=base_dist)
    top = fake.add(
        "top",
        f"import {fake.module_name('base')}\n"
        f'plugin = Plugin(requires=[CORE, "{base_dist}"], name="{{name}}", title="T")\n',
        requires=("tenantry>=0.2", f"{base_dist}>=1.0"),
    )
    registry = run(base, top, fake.add("fine", HEALTHY), disabled=["base"])
    assert reason(registry, "top") == (
        f"requires {base_dist} (plugin 'base'), which is disabled (plugins.disabled); "
        "load both or neither"
    )
    assert list(registry.loaded) == ["fine"] and registry.skipped == ["base"]
    assert base.module not in sys.modules and top.module not in sys.modules


def test_a_chain_of_needs_is_refused_link_by_link_without_imports(fake):
    c_dist, b_dist = f"tenantry-c-{fake.tag}", f"tenantry-b-{fake.tag}"
    c = fake.add("cee", HEALTHY, dist=c_dist)
    b = fake.add("bee", HEALTHY, dist=b_dist, requires=(c_dist,))
    a = fake.add("aye", HEALTHY, requires=(f"{b_dist}; python_version >= '3'",))
    registry = run(a, b, c, enabled=["aye", "bee"])
    assert reason(registry, "bee") == (
        f"requires {c_dist} (plugin 'cee'), which is not in plugins.enabled; load both or neither"
    )
    assert reason(registry, "aye") == (
        f"requires {b_dist} (plugin 'bee'), which is refused; load both or neither"
    )
    assert not {a.module, b.module, c.module} & set(sys.modules)


def test_a_requirement_only_for_an_extra_does_not_count(fake):
    base_dist = f"tenantry-base-{fake.tag}"
    base = fake.add("base", HEALTHY, dist=base_dist)
    top = fake.add("top", HEALTHY, requires=(f"{base_dist}; extra == 'more'",))
    assert list(run(base, top, disabled=["base"]).loaded) == ["top"]


def test_a_plugin_that_imports_a_disabled_one_undeclared_is_refused_and_neither_maps(fake):
    table = f"base_thing_{fake.tag}"
    base = fake.add(
        "base",
        f"""
        class Thing(TenantScoped, Base):
            __tablename__ = "{table}"

        plugin = Plugin(requires=[CORE], name="{{name}}", title="B")
        """,
    )
    sneaky = fake.add(
        "sneaky",
        f'import {base.module}\nplugin = Plugin(requires=[CORE], name="{{name}}", title="S")\n',
    )
    registry = run(base, sneaky, disabled=["base"])
    assert reason(registry, "sneaky") == (
        "imports plugin 'base', which is disabled (plugins.disabled); declare it in its "
        "distribution's dependencies, or load both"
    )
    assert table not in Base.metadata.tables
    assert not any(m.class_.__module__ == base.module for m in Base.registry.mappers)


FRESH_PROCESS = """
import sys
from tenantry.cli import create_app
from tenantry.settings import load_settings

app = create_app(load_settings())
print("imported:", sorted(m for m in sys.modules if m.startswith("tenantry_")))
for command in (["db", "upgrade"], ["db", "check"], ["plugins", "list"]):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=command)
    print(command, result.exit_code, repr(result.exception), result.output)
"""


@pytest.mark.parametrize("selection", ['{"disabled": ["notes"]}', '{"enabled": ["tasks"]}'])
def test_the_bundled_tasks_is_refused_without_notes_and_every_command_runs(tmp_path, selection):
    """The reported crash (KeyError 'notes' from alembic in every command), in a fresh
    process, where nothing has imported notes yet."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")},
        "TENANTRY_ENV": "test",
        "TENANTRY_SECRET_KEY": "x" * 40,
        "TENANTRY_INSTANCE_PATH": str(tmp_path),
        "TENANTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "TENANTRY_PLUGINS": selection,
    }
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported: []" in done.stdout
    for command in ("'upgrade'] 0 None", "'check'] 0 None", "'list'] 0 None"):
        assert command in done.stdout, done.stdout
    assert "requires tenantry-notes (plugin 'notes'), which is" in done.stdout


def test_a_model_named_like_one_already_mapped_refuses_the_newcomer(fake):
    """Both define the same class name: the first keeps resolving its string targets."""
    name = f"Thing{fake.tag}"
    body = f"""
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import relationship

    class {name}(TenantScoped, Base):
        __tablename__ = "{{name}}_thing_{fake.tag}"

    class Part(TenantScoped, Base):
        __tablename__ = "{{name}}_part_{fake.tag}"
        thing_id: Mapped[int] = mapped_column(ForeignKey("{{name}}_thing_{fake.tag}.id"))
        thing = relationship("{name}")

    plugin = Plugin(requires=[CORE], name="{{name}}", title="T")
    """
    first, second = fake.add("alpha", body), fake.add("beta", body)
    registry = run(first, second)
    assert f"model {name} has the name of {first.module}.{name}, mapped before it" in reason(
        registry, "beta"
    )
    assert "alpha" in registry.loaded
    part = next(
        m
        for m in Base.registry.mappers
        if m.class_.__module__ == first.module and m.class_.__name__ == "Part"
    )
    assert part.relationships["thing"].mapper.class_.__module__ == first.module
    assert not any(m.class_.__module__ == second.module for m in Base.registry.mappers)


def test_a_model_named_like_a_core_model_is_refused(fake):
    body = f"""
    class User(TenantScoped, Base):
        __tablename__ = "mimic_user_{fake.tag}"

    plugin = Plugin(requires=[CORE], name="{{name}}", title="M")
    """
    registry = run(fake.add("mimic", body), fake.add("fine", HEALTHY))
    assert "model User has the name of tenantry.auth.models.User" in reason(registry, "mimic")
    assert list(registry.loaded) == ["fine"]


def test_models_that_cannot_be_mapped_refuse_their_plugin_not_the_platform(fake):
    body = f"""
    from sqlalchemy.orm import relationship

    class Lost(TenantScoped, Base):
        __tablename__ = "lost_thing_{fake.tag}"
        nowhere = relationship("NoSuchClass{fake.tag}")

    plugin = Plugin(requires=[CORE], name="{{name}}", title="L")
    """
    registry = run(fake.add("lost", body), fake.add("fine", HEALTHY))
    assert reason(registry, "lost").startswith("its models cannot be mapped: ")
    assert list(registry.loaded) == ["fine"]
    Base.registry.configure()  # what the first query does: it works


# --- in a running app: set-up failures are contained, strict mode refuses to start -----------


SETUP_FAILS = """
bp = Blueprint("{name}", __name__)


@bp.get("/")
def index():
    return "should never be served"


@bp.record
def explode(state):
    raise RuntimeError("cannot register")


plugin = Plugin(requires=[CORE], name="{name}", title="Boom", blueprint=bp)
"""


def test_set_up_failure_is_contained_and_the_platform_starts(fake, tmp_path):
    from tenantry.cli import create_app
    from tenantry.db import db
    from tenantry.migrate import alembic_config, upgrade
    from tenantry.plugins import enablement
    from tenantry.plugins.runtime import runtime
    from tenantry.tenancy import lifecycle

    fake.add("boom", SETUP_FAILS)
    fake.add("broken", "raise ImportError('no luck')\n")
    settings = settings_for_test(tmp_path, "sqlite")
    app = create_app(settings)
    app.config["TESTING"] = True
    try:
        with app.app_context():
            registry = runtime().registry
            upgrade(alembic_config(settings, registry))
            assert "set-up failed: RuntimeError: cannot register" in reason(registry, "boom")
            assert "import failed: ImportError: no luck" in reason(registry, "broken")
            assert {"notes", "tasks"} <= set(registry.loaded)
            tenant = lifecycle.create(db.session, "acme", "Acme")
            host = host_of(tenant)
            with pytest.raises(enablement.EnablementError, match="'boom' is refused"):
                enablement.enable(db.session, registry, tenant, "boom")
            enablement.enable(db.session, registry, tenant, "notes")
            db.session.commit()
            listing = app.test_cli_runner().invoke(args=["plugins", "list"]).output
        assert any(
            line.startswith("boom") and "refused" in line and "cannot register" in line
            for line in listing.splitlines()
        ), listing
        client = client_for(app, host)
        assert client.get("/boom/").status_code == 404
        assert client.get("/notes/").status_code == 302  # loaded: asks for a login
        assert client_for(app, "localhost").get("/").status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()


def test_strict_plugins_turns_a_refusal_into_a_start_up_error(fake, tmp_path):
    from tenantry.app import create_app

    fake.add("broken", "raise ImportError('no luck')\n")
    with pytest.raises(PluginLoadError, match="broken: import failed: ImportError: no luck"):
        create_app(settings_for_test(tmp_path, "sqlite", strict_plugins=True))


def test_strict_plugins_starts_when_nothing_is_refused(tmp_path):
    from tenantry.app import create_app
    from tenantry.db import db
    from tenantry.plugins.runtime import runtime

    app = create_app(settings_for_test(tmp_path, "sqlite", strict_plugins=True))
    with app.app_context():
        assert runtime().registry.refused == {}
        assert {"notes", "tasks"} <= set(runtime().registry.loaded)
        db.engine.dispose()


def test_refusing_a_plugin_at_runtime_refuses_the_plugins_that_need_it():
    from tenantry.plugins.contract import Plugin
    from tenantry.plugins.registry import LoadedPlugin

    registry = PluginRegistry()
    for name, needs in (("base", ()), ("middle", ("base",)), ("top", ("middle",))):
        registry.loaded[name] = LoadedPlugin(
            Plugin(name=name, title=name), f"tenantry-{name}", "1.0", f"nowhere_{name}", needs
        )
    registry.refuse("base", "set-up failed: boom")
    assert registry.loaded == {}
    assert registry.refused["middle"].reason == "needs plugin 'base', which was refused"
    assert registry.refused["top"].reason == "needs plugin 'middle', which was refused"
