"""The plugin manager: discovery through entry points, isolation of broken
plugins, and the registry of sources.

Plugins are found through the ``ekonomi.sources`` entry-point group; the
built-in sources register there exactly as a third party's would.  A plugin
that fails to import, or offers something that breaks the Source contract, is
recorded as failed with its error and skipped; the others keep working.
"""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from .. import hookspecs
from ..errors import Ambiguous, NotFound, NotRecognised
from ..source import HOOK_API_VERSION, Source, contract_problems

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ekonomi.sources"
# Plugins the core always registers (its own rules); not sources.
CORE_PLUGINS = ("ekonomi.core.engine.builtin",)


@dataclass(frozen=True)
class PluginInfo:
    """One row of ``ekonomi plugins``: a loaded source or a failed plugin."""

    name: str
    plugin: str  # the entry point (or module) that provided it
    state: str  # "loaded" | "failed"
    title: str | None = None
    version: str | None = None
    kind: str | None = None
    error: str | None = None
    provides: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, Any]:
        if self.state == "loaded":
            return {
                "name": self.name,
                "title": self.title,
                "version": self.version,
                "kind": self.kind,
                "plugin": self.plugin,
                "state": self.state,
                "provides": sorted(self.provides),
            }
        return {"name": self.name, "plugin": self.plugin, "kind": None, "state": self.state, "error": self.error}


class PluginManager:
    """Wraps pluggy's manager with ekonomi's rules for sources."""

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failed: list[PluginInfo] = []
        self._sources: dict[str, Source] = {}
        self._source_plugin: dict[str, str] = {}
        self._builtin: set[str] = set()  # plugin names shipped with ekonomi itself
        for modname in CORE_PLUGINS:
            self.pm.register(__import__(modname, fromlist=["_"]), name=modname)
        if load_entry_points and not os.environ.get("EKONOMI_DISABLE_PLUGIN_AUTOLOAD"):
            self._load_entry_points()
            self._load_from_env()

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # -- registration --------------------------------------------------------
    def _load_entry_points(self) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.is_blocked(ep.name) or self.pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                self._fail(ep.name, ep.value, f"could not be imported: {type(exc).__name__}: {exc}")
                log.debug("plugin %s failed to import\n%s", ep.name, traceback.format_exc())
                continue
            dist = getattr(ep, "dist", None)
            builtin = dist is not None and (dist.name or "").lower() == "ekonomi"
            self.register(plugin, name=ep.name, origin=ep.value, builtin=builtin)

    def _load_from_env(self) -> None:
        """``EKONOMI_PLUGINS=pkg.module[:attr],…`` loads plugins that are not
        installed as distributions: a plugin author's working copy, tests."""
        for spec in filter(None, (p.strip() for p in os.environ.get("EKONOMI_PLUGINS", "").split(","))):
            modname, _, attr = spec.partition(":")
            try:
                obj: Any = importlib.import_module(modname)
                if attr:
                    obj = getattr(obj, attr)
                    if isinstance(obj, type):
                        obj = obj()
            except Exception as exc:
                self._fail(spec, spec, f"could not be imported: {type(exc).__name__}: {exc}")
                continue
            self.register(obj, name=spec, origin=spec)

    def register(
        self, plugin: object, name: str | None = None, origin: str | None = None, builtin: bool = False
    ) -> bool:
        """Register a plugin object or module; record it as failed if it breaks
        the hook contract.  Returns True when it was registered.  ``builtin``
        plugins are enabled for new companies; others wait for a bureau admin."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        origin = origin or (plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__)
        wanted = getattr(plugin, "EKONOMI_HOOK_API", HOOK_API_VERSION)
        if not isinstance(wanted, int) or wanted > HOOK_API_VERSION:
            self._fail(
                name,
                origin,
                f"written for ekonomi hook API {wanted}, this ekonomi provides {HOOK_API_VERSION}: "
                f"upgrade ekonomi, or install a version of the plugin made for API {HOOK_API_VERSION}",
            )
            return False
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(name, origin, f"breaks the hook contract: {exc}")
            return False
        if builtin:
            self._builtin.add(name)
        self._add_sources(plugin)
        return True

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        for source in [s for s, p in self._source_plugin.items() if p == name]:
            del self._sources[source], self._source_plugin[source]

    def _fail(self, name: str, origin: str, error: str) -> None:
        log.warning("plugin %s skipped: %s", name, error)
        self.failed.append(PluginInfo(name=name, plugin=origin, state="failed", error=error))

    def call_each(
        self, hook: str, plugins: Collection[object] | None = None, **kwargs: Any
    ) -> Iterator[tuple[str, Any, BaseException | None]]:
        """Call ``hook`` through pluggy one plugin at a time (only those in
        ``plugins``, if given), in pluggy's own order (LIFO, ``tryfirst``/
        ``trylast``), yielding ``(plugin name, result, exception)``: a plugin
        that raises is reported and the others still run.  Each call goes
        through pluggy (a subset caller), so ``pm.trace`` and the plugin's own
        wrappers see it."""
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        everyone = {impl.plugin for impl in impls}
        for impl in reversed(impls):
            if impl.hookwrapper or impl.wrapper or (plugins is not None and impl.plugin not in plugins):
                continue
            name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            only = self.pm.subset_hook_caller(hook, remove_plugins=everyone - {impl.plugin})
            try:
                results = only(**kwargs)
            except Exception as exc:  # a broken plugin must not break the others
                yield name, None, exc
                continue
            yield name, (results[0] if results else None), None

    def _add_sources(self, plugin: object) -> None:
        """Ask one plugin for its sources, once, when it is registered."""
        for pname, offered, exc in self.call_each("ekonomi_sources", plugins=[plugin]):
            if exc is not None:
                self._fail_once(pname, plugin, f"ekonomi_sources() raised {type(exc).__name__}: {exc}")
                continue
            for src in list(offered or ()):
                problems = contract_problems(src)
                sname = getattr(src, "name", None) or pname
                if problems:
                    self._fail_once(sname, plugin, "; ".join(problems))
                elif src.name in self._sources:
                    self._fail_once(
                        src.name, plugin, f"source name {src.name!r} is already provided by {self._source_plugin[src.name]}"
                    )
                else:
                    self._sources[src.name] = src
                    self._source_plugin[src.name] = pname

    def _fail_once(self, name: str, plugin: object, error: str) -> None:
        origin = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__
        if not any(f.name == name and f.error == error for f in self.failed):
            self._fail(name, origin, error)

    # -- queries -------------------------------------------------------------
    def sources(self) -> dict[str, Source]:
        return dict(self._sources)

    def source(self, name: str) -> Source:
        try:
            return self._sources[name]
        except KeyError:
            known = ", ".join(sorted(self._sources)) or "none"
            raise NotFound(f"No source named {name!r} is installed (installed: {known}).") from None

    def plugin_of(self, source_name: str) -> str:
        return self._source_plugin[source_name]

    def is_builtin(self, source_name: str) -> bool:
        return self._source_plugin.get(source_name) in self._builtin

    def infos(self) -> list[PluginInfo]:
        loaded = [
            PluginInfo(
                name=s.name,
                plugin=self._source_plugin[s.name],
                state="loaded",
                title=s.title,
                version=s.version,
                kind=s.kind,
                provides=s.provides,
            )
            for s in self._sources.values()
        ]
        return sorted(loaded, key=lambda p: p.name) + list(self.failed)

    def identify(self, head: bytes, filename: str, candidates: Iterable[str] | None = None) -> Source:
        """The one file source that claims this file.  Every file source is
        asked; none or two claiming it is refused, never decided silently."""
        names = set(candidates) if candidates is not None else None
        claims = []
        for src in self._sources.values():
            if src.kind == "integration" or (names is not None and src.name not in names):
                continue
            try:
                if src.identify(head, filename):
                    claims.append(src)
            except Exception as exc:
                log.warning("source %s raised in identify(): %s", src.name, exc)
        if not claims:
            if not head.strip():
                raise NotRecognised(f"{filename!r} is empty: there is nothing to import.")
            what = None
            for src in self._sources.values():
                if src.kind != "integration" and (names is None or src.name in names):
                    try:
                        what = src.describe_refused(head, filename)
                    except Exception:  # a description is a courtesy; never fail on it
                        what = None
                    if what:
                        break
            seems = f" It looks like {what}." if what else ""
            raise NotRecognised(f"{filename!r} is not a file any enabled source can import.{seems}")
        if len(claims) > 1:
            raise Ambiguous(
                f"{filename!r} is claimed by more than one source ({', '.join(s.name for s in claims)}); "
                "choose one with --source."
            )
        return claims[0]

    def emit(self, event: Any) -> None:
        """Tell every observer; an observer's exception is logged, never raised."""
        for name, _, exc in self.call_each("ekonomi_event", event=event):
            if exc is not None:
                log.error("event observer %s failed", name, exc_info=exc)


_default: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide manager, loaded on first use."""
    global _default
    if _default is None:
        _default = PluginManager()
    return _default


def set_plugin_manager(pm: PluginManager | None) -> None:
    """Replace the process-wide manager (tests)."""
    global _default
    _default = pm
