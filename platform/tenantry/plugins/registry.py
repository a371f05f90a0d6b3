"""Discovery of installed plugins and the record of which loaded and which were refused.

Discovery runs once per process. A plugin that cannot load is refused with a
reason and contained: the rest of the platform starts without it, unless
``strict_plugins`` asks for a start-up error instead. Containment covers what a
plugin shares with the others: a plugin that needs one this process does not
load is refused from its distribution's metadata, before either is imported;
a model class named like one already mapped (string relationship targets would
become ambiguous for its owner) and models that cannot be mapped refuse the
plugin that brought them, and its models leave the shared registry.
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
    eps = eps if eps is not None else list(entry_points(group=GROUP))
    excluded = {
        ep.name: _why_excluded(ep.name, selection) for ep in eps if not selection.allows(ep.name)
    }
    unloadable = _needing_unloaded(eps, excluded)
    excluded_roots = {ep.module.split(".")[0]: ep.name for ep in eps if ep.name in excluded}
    for ep in eps:
        dist = ep.dist.name if ep.dist else ""
        ver = ep.dist.version if ep.dist else ""
        if ep.name in excluded:
            registry.skipped.append(ep.name)
            continue
        if ep.name in unloadable:
            registry.refused[ep.name] = Refusal(ep.name, unloadable[ep.name], dist, ver)
            continue
        if ep.name in candidates or ep.name in registry.refused:
            registry.refused.pop(ep.name, None)
            other = candidates.pop(ep.name, None)
            if other is not None:
                _forget_models(other[0].module)
            registry.refused[ep.name] = Refusal(
                ep.name,
                f"two installed distributions provide a plugin named {ep.name!r} "
                f"({other[2] if other else '?'} and {dist}); uninstall one",
                dist,
                ver,
            )
            continue
        before = set(sys.modules)
        try:
            obj = ep.load()
        except Exception as error:  # a plugin's import may fail in any way
            registry.refused[ep.name] = Refusal(
                ep.name, f"import failed: {type(error).__name__}: {error}", dist, ver
            )
            # Models defined before the import failed are already mapped.
            _forget_models(ep.module)
            continue
        dragged = sorted(
            {excluded_roots[m] for m in set(sys.modules) - before if m in excluded_roots}
        )
        problems = _check_object(ep, obj)
        problems += [
            f"imports plugin {name!r}, which {excluded[name]}; declare it in its distribution's "
            "dependencies, or load both"
            for name in dragged
        ]
        if problems:
            registry.refused[ep.name] = Refusal(ep.name, "; ".join(problems), dist, ver)
            for module in (ep.module, *(m for m in excluded_roots if excluded_roots[m] in dragged)):
                _forget_models(module)
            continue
        _default_directories(obj, ep.module)
        candidates[ep.name] = (ep, obj, dist, ver)
    _order(registry, candidates, {_dist_key(ep): ep.name for ep in eps if ep.dist})
    _refuse_collisions(registry)
    _configure_or_refuse(registry)
    return registry


def _why_excluded(name: str, selection: PluginSelection) -> str:
    if name in selection.disabled:
        return "is disabled (plugins.disabled)"
    return "is not in plugins.enabled"


def _dist_key(ep: EntryPoint) -> str:
    assert ep.dist is not None
    return canonicalize_name(ep.dist.name)


def _needing_unloaded(eps: list[EntryPoint], excluded: dict[str, str]) -> dict[str, str]:
    """Plugins whose distribution requires the distribution of a plugin this process will not
    load, with the reason; read from the metadata, so neither is imported."""
    by_dist = {_dist_key(ep): ep.name for ep in eps if ep.dist}
    unloaded = dict(excluded)
    refusals: dict[str, str] = {}
    changed = True
    while changed:  # until no new plugin falls: a chain is refused link by link
        changed = False
        for ep in eps:
            if ep.dist is None or ep.name in unloaded:
                continue
            for needed in _required_dists(ep):
                other = by_dist.get(needed)
                if other is not None and other != ep.name and other in unloaded:
                    refusals[ep.name] = (
                        f"requires {needed} (plugin {other!r}), which {unloaded[other]}; "
                        "load both or neither"
                    )
                    unloaded[ep.name] = "is refused"
                    changed = True
                    break
    return refusals


def _required_dists(ep: EntryPoint) -> list[str]:
    """The distributions ``ep``'s distribution requires (markers evaluated, extras not)."""
    assert ep.dist is not None
    found = []
    for text in ep.dist.requires or ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # its installer's concern; the Plugin's own requires are checked later
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(canonicalize_name(requirement.name))
    return found


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
        for other in _named_like(model):
            problems.append(
                f"model {model.__name__} has the name of {other.__module__}.{other.__name__}, "
                f"mapped before it; rename it (relationship('{model.__name__}') would become "
                "ambiguous for both)"
            )
    return problems


def _named_like(model: type) -> list[type]:
    """Mapped classes of other packages (the core's, other plugins') with ``model``'s name."""
    root = model.__module__.split(".")[0]
    return [
        mapper.class_
        for mapper in Base.registry.mappers
        if mapper.class_.__name__ == model.__name__
        and mapper.class_.__module__.split(".")[0] != root
    ]


def _default_directories(plugin: Plugin, module: str) -> None:
    """By convention a plugin's revisions live in ``<package>/migrations/versions`` and
    its catalogs in ``<package>/translations``."""
    package = sys.modules.get(module.split(".")[0])
    location = getattr(package, "__file__", None)
    if location is None:
        return
    if plugin.migrations is None:
        versions = Path(location).parent / "migrations" / "versions"
        if versions.is_dir():
            plugin.migrations = versions
    if plugin.translations is None:
        catalogs = Path(location).parent / "translations"
        if catalogs.is_dir():
            plugin.translations = catalogs


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


def _forget_models(module: str) -> None:
    """Before any mapper is configured: the tables, and the classes from the shared registry,
    where their names would make string relationship targets ambiguous for other plugins."""
    models = plugin_models(module)
    _forget_tables(module)
    for model in models:
        manager = model._sa_class_manager  # type: ignore[attr-defined]
        # SQLAlchemy unmaps one class only privately (registry.dispose() unmaps them all).
        Base.registry._dispose_manager_and_mapper(manager)
        Base.registry._managers.pop(manager, None)


def _configure_or_refuse(registry: PluginRegistry) -> None:
    """Configure every mapper now; a plugin whose models cannot be mapped is refused (and
    what needs it), rather than every request failing at its first query."""
    while True:
        try:
            Base.registry.configure()
            return
        except Exception as error:  # a plugin's mapping may fail in any way
            failed = {
                mapper.class_.__module__.split(".")[0]
                for mapper in Base.registry.mappers
                if getattr(mapper, "_configure_failed", None)  # set by SQLAlchemy on failure
            }
            if not failed or "tenantry" in failed:
                raise  # the core's own models: a bug to see at once
            for entry in list(registry.loaded.values()):
                if entry.package in failed:
                    registry.refuse(entry.name, f"its models cannot be mapped: {error}")
            for package in failed:  # each pass takes at least one package away
                _forget_models(package)


def _installed_version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _order(registry: PluginRegistry, candidates: dict, plugin_dists: dict[str, str]) -> None:
    """Check requirements, then load in topological order; refuse what cannot be satisfied.

    ``plugin_dists`` maps each installed plugin's distribution to its name, loaded or not.
    """
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
            key = canonicalize_name(req.name)
            if key in by_dist:
                needs.add(by_dist[key])
            elif key in plugin_dists:
                registry.refused[name] = Refusal(
                    name, f"needs plugin {plugin_dists[key]!r}, which is not loaded", dist, ver
                )
                break
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
            _forget_models(candidates[name][0].module)


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
