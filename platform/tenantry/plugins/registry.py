"""Discovery of installed plugins and the record of which loaded and which were refused.

Discovery runs once per process. A plugin that cannot load is refused with a
reason and contained: the rest of the platform starts without it, unless
``strict_plugins`` asks for a start-up error instead.
"""

from __future__ import annotations

import graphlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tenantry.db import Base
from tenantry.plugins.contract import Plugin
from tenantry.settings import PluginSelection
from tenantry.tenancy.mixins import Global, TenantScoped

GROUP = "tenantry.plugins"


class PluginLoadError(Exception):
    """Raised at start-up when strict_plugins is on and a plugin was refused."""


@dataclass
class LoadedPlugin:
    plugin: Plugin
    distribution: str
    version: str
    #: The top-level package the entry point lives in; its mapped classes are the plugin's models.
    package: str = ""
    #: Names of the plugins this one requires (loaded before it, enabled with it).
    needs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.plugin.name


@dataclass
class Refusal:
    name: str
    reason: str
    distribution: str = ""
    version: str = ""


@dataclass
class PluginRegistry:
    """Plugins of this process: ``loaded`` in dependency order, ``refused`` with reasons."""

    loaded: dict[str, LoadedPlugin] = field(default_factory=dict)
    refused: dict[str, Refusal] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: Locked for every tenant by the settings (``plugins.locked``): only operators change them.
    locked: frozenset[str] = frozenset()

    def __contains__(self, name: str) -> bool:
        return name in self.loaded

    def __iter__(self) -> Iterator[LoadedPlugin]:
        return iter(self.loaded.values())

    def get(self, name: str) -> Plugin | None:
        entry = self.loaded.get(name)
        return entry.plugin if entry else None

    def dependents(self, name: str) -> list[str]:
        return [p.name for p in self.loaded.values() if name in p.needs]

    def refuse(self, name: str, reason: str, dist: str = "", ver: str = "") -> None:
        """Move a plugin to ``refused``, and with it every loaded plugin that needs it."""
        entry = self.loaded.pop(name, None)
        if entry is not None:
            dist, ver = entry.distribution, entry.version
            _forget_tables(entry.package)
        self.refused[name] = Refusal(name, reason, dist, ver)
        for dependent in self.dependents(name):
            self.refuse(dependent, f"needs plugin {name!r}, which was refused")


def discover(selection: PluginSelection, eps: list[EntryPoint] | None = None) -> PluginRegistry:
    """Load every allowed plugin; never raises for a plugin's own fault."""
    registry = PluginRegistry(locked=frozenset(selection.locked))
    candidates: dict[str, tuple[EntryPoint, Plugin, str, str]] = {}
    for ep in eps if eps is not None else list(entry_points(group=GROUP)):
        dist = ep.dist.name if ep.dist else ""
        ver = ep.dist.version if ep.dist else ""
        if not selection.allows(ep.name):
            registry.skipped.append(ep.name)
            continue
        if ep.name in candidates or ep.name in registry.refused:
            registry.refused.pop(ep.name, None)
            other = candidates.pop(ep.name, None)
            if other is not None:
                _forget_tables(other[0].module)
            registry.refused[ep.name] = Refusal(
                ep.name,
                f"two installed distributions provide a plugin named {ep.name!r} "
                f"({other[2] if other else '?'} and {dist}); uninstall one",
                dist,
                ver,
            )
            continue
        try:
            obj = ep.load()
        except Exception as error:  # a plugin's import may fail in any way
            registry.refused[ep.name] = Refusal(
                ep.name, f"import failed: {type(error).__name__}: {error}", dist, ver
            )
            # Models defined before the import failed are already on the metadata.
            _forget_tables(ep.module)
            continue
        problems = _check_object(ep, obj)
        if problems:
            registry.refused[ep.name] = Refusal(ep.name, "; ".join(problems), dist, ver)
            _forget_tables(ep.module)
            continue
        _default_migrations(obj, ep.module)
        candidates[ep.name] = (ep, obj, dist, ver)
    _order(registry, candidates)
    _refuse_collisions(registry)
    return registry


def _check_object(ep: EntryPoint, obj: object) -> list[str]:
    if not isinstance(obj, Plugin):
        return [f"entry point {ep.value!r} is a {type(obj).__name__}, not a tenantry.Plugin"]
    problems = obj.problems()
    if obj.name != ep.name:
        problems.append(f"the Plugin is named {obj.name!r} but its entry point is {ep.name!r}")
    for model in plugin_models(ep.module):
        table = model.__table__.name
        if not issubclass(model, (TenantScoped, Global)):
            problems.append(
                f"model {model.__name__} declares no tenant scope: inherit TenantScoped "
                "(rows per tenant) or Global (platform-wide)"
            )
        if not table.startswith(f"{obj.name}_"):
            problems.append(f"table {table!r} must start with '{obj.name}_'")
    return problems


def _default_migrations(plugin: Plugin, module: str) -> None:
    """By convention a plugin's revisions live in ``<package>/migrations/versions``."""
    if plugin.migrations is not None:
        return
    package = sys.modules.get(module.split(".")[0])
    location = getattr(package, "__file__", None)
    if location is not None:
        versions = Path(location).parent / "migrations" / "versions"
        if versions.is_dir():
            plugin.migrations = versions


def plugin_models(module: str) -> list[type]:
    """The mapped classes defined in the plugin's top-level package."""
    root = module.split(".")[0]
    return [
        mapper.class_
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.split(".")[0] == root
    ]


def _forget_tables(module: str) -> None:
    """Take a refused plugin's tables off the shared metadata so migrations ignore them."""
    for model in plugin_models(module):
        table = model.__table__
        if table.name in Base.metadata.tables:
            Base.metadata.remove(table)


def _installed_version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _order(registry: PluginRegistry, candidates: dict) -> None:
    """Check requirements, then load in topological order; refuse what cannot be satisfied."""
    by_dist = {canonicalize_name(dist): name for name, (_, _, dist, _) in candidates.items()}
    graph: dict[str, set[str]] = {}
    for name, (_, plugin, dist, ver) in candidates.items():
        needs: set[str] = set()
        for text in plugin.requires:
            try:
                req = Requirement(text)
            except InvalidRequirement as error:
                registry.refused[name] = Refusal(
                    name, f"bad requirement {text!r}: {error}", dist, ver
                )
                break
            found = _installed_version(req.name)
            if found is None:
                registry.refused[name] = Refusal(
                    name, f"requires {text}, which is not installed", dist, ver
                )
                break
            if req.specifier and not req.specifier.contains(found, prereleases=True):
                registry.refused[name] = Refusal(
                    name, f"requires {text}, found {req.name} {found}", dist, ver
                )
                break
            if canonicalize_name(req.name) in by_dist:
                needs.add(by_dist[canonicalize_name(req.name)])
        graph[name] = needs
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = error.args[1]
        for name in set(cycle):
            registry.refused[name] = Refusal(
                name,
                "circular requirements: " + " -> ".join(cycle),
                candidates[name][2],
                candidates[name][3],
            )
            graph.pop(name, None)
        order = list(
            graphlib.TopologicalSorter(
                {n: {d for d in deps if d in graph} for n, deps in graph.items()}
            ).static_order()
        )
    for name in order:
        if name not in candidates or name in registry.refused:
            continue
        _, plugin, dist, ver = candidates[name]
        missing = [dep for dep in graph.get(name, ()) if dep not in registry.loaded]
        if missing:
            registry.refused[name] = Refusal(
                name, f"needs plugin {', '.join(sorted(missing))}, which was refused", dist, ver
            )
            continue
        registry.loaded[name] = LoadedPlugin(
            plugin, dist, ver, candidates[name][0].module.split(".")[0], tuple(sorted(graph[name]))
        )
    for name in registry.refused:
        if name in candidates:
            _forget_tables(candidates[name][0].module)


def _refuse_collisions(registry: PluginRegistry) -> None:
    seen: dict[tuple[str, str], str] = {}
    for entry in list(registry.loaded.values()):
        plugin = entry.plugin
        keys = [("URL prefix", plugin.prefix)]
        if plugin.blueprint is not None:
            keys.append(("blueprint name", plugin.blueprint.name))
        for kind, value in keys:
            owner = seen.get((kind, value))
            if owner is not None:
                registry.refuse(
                    plugin.name, f"{kind} {value!r} is already used by plugin {owner!r}"
                )
                break
        else:
            for key in keys:
                seen[key] = plugin.name


def check_strict(registry: PluginRegistry) -> None:
    if registry.refused:
        lines = [f"  {r.name}: {r.reason}" for r in registry.refused.values()]
        raise PluginLoadError("plugins refused (strict_plugins is on):\n" + "\n".join(lines))
