"""Discovery through the hooks, isolation of broken plugins, the hook API."""

from __future__ import annotations

import inspect
from importlib import metadata
from pathlib import Path

import pytest

import ekonomi.core as core
from ekonomi.core import Source, hookimpl, hookspecs
from ekonomi.core.errors import Ambiguous, NotRecognised
from ekonomi.core.engine.plugins import ENTRY_POINT_GROUP, PluginManager
from tests.fakes import FakeLedger, FakePlugin

ROOT = Path(__file__).resolve().parent.parent


def manager(*plugins: object) -> PluginManager:
    pm = PluginManager(load_entry_points=False)
    for i, p in enumerate(plugins):
        pm.register(p, name=f"p{i}")
    return pm


def test_discovery_through_the_hook():
    pm = manager(FakePlugin())
    assert list(pm.sources()) == ["fake"]
    info = pm.infos()[0].as_json()
    assert info == {
        "name": "fake",
        "title": "Fake ledger",
        "version": "1.0",
        "kind": "file",
        "plugin": "p0",
        "state": "loaded",
        "provides": ["accounts", "balances", "company", "fiscal_years", "vouchers"],
    }


def test_entry_points_load_builtin_sie4():
    eps = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert "sie4" in eps
    pm = PluginManager()
    assert pm.source("sie4").kind == "file"
    assert pm.is_builtin("sie4")


class NoNormalize(Source):
    name = "broken"
    title = "Broken"
    kind = "file"


class BadKind(Source):
    name = "badkind"
    title = "Bad kind"
    kind = "ftp"  # type: ignore[assignment]

    def normalize(self, raw, ctx):
        return iter(())


class Offers:
    def __init__(self, *sources):
        self.sources = sources

    @hookimpl
    def ekonomi_sources(self):
        return list(self.sources)


class Raises:
    @hookimpl
    def ekonomi_sources(self):
        raise RuntimeError("cannot start")


class WrongHookArgs:
    @hookimpl
    def ekonomi_checks(self, source, ctx, nonsense):  # not in the spec
        return []


def test_broken_plugins_are_isolated_and_recorded():
    pm = manager(Offers(NoNormalize(), BadKind()), Raises(), WrongHookArgs(), FakePlugin())
    assert list(pm.sources()) == ["fake"]  # the good one still works
    failed = {f.name: f.error for f in pm.failed}
    assert "normalize() is not implemented" in failed["broken"]
    assert "kind must be one of" in failed["badkind"]
    assert "RuntimeError: cannot start" in failed["p1"]
    assert "hook contract" in failed["p2"]
    states = {i.name: i.state for i in pm.infos()}
    assert states["fake"] == "loaded" and states["broken"] == "failed"


def test_plugin_for_newer_hook_api_is_refused_with_advice():
    class Future:
        EKONOMI_HOOK_API = 2

        @hookimpl
        def ekonomi_sources(self):
            return [FakeLedger()]

    pm = manager(Future())
    assert pm.sources() == {}
    assert "hook API 2" in pm.failed[0].error and "upgrade ekonomi" in pm.failed[0].error


def test_same_source_name_twice_keeps_the_first():
    pm = manager(FakePlugin(), FakePlugin())
    assert list(pm.sources()) == ["fake"]
    assert "already provided" in pm.failed[0].error


def test_file_claimed_by_two_sources_is_refused():
    class Greedy(FakeLedger):
        name = "greedy"

        def identify(self, head, filename):
            return True

    pm = manager(FakePlugin(), Offers(Greedy()))
    with pytest.raises(Ambiguous):
        pm.identify(b"orgnr 1", "a.fake")
    assert pm.identify(b"orgnr 1", "a.fake", candidates=["fake"]).name == "fake"
    with pytest.raises(NotRecognised):
        manager(FakePlugin()).identify(b"<html>", "x.html")


def test_event_observer_failure_does_not_propagate():
    seen = []

    class Observer:
        @hookimpl
        def ekonomi_event(self, event):
            seen.append(event.kind)

    class Crashing:
        @hookimpl
        def ekonomi_event(self, event):
            raise ValueError("observer bug")

    pm = manager(Observer(), Crashing())
    pm.emit(core.Event("import_started", "556677-8899"))
    assert seen == ["import_started"]


def test_every_hook_is_documented_and_tested():
    """Each hookspec has a docstring contract, is named ekonomi_*, is listed in
    docs/plugins.md, and some test exercises it by name."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    names = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "ekonomi_spec")]
    assert set(names) == {
        "ekonomi_sources",
        "ekonomi_commands",
        "ekonomi_blueprints",
        "ekonomi_settings_panels",
        "ekonomi_fetched",
        "ekonomi_checks",
        "ekonomi_event",
    }
    for name in names:
        fn = getattr(hookspecs, name)
        assert name.startswith("ekonomi_")
        assert fn.__doc__ and "versionadded" in fn.__doc__
        assert f"`{name}(" in docs, f"{name} missing from docs/plugins.md"
        assert f"def {name}(" in tests, f"no test implements {name}"


def test_public_api_is_exported():
    assert sorted(core.__all__) == sorted(set(core.__all__))
    for name in core.__all__:
        assert getattr(core, name) is not None
    for name in ("hookimpl", "Source", "Voucher", "VoucherRow", "Issue", "FiscalYear"):
        assert name in core.__all__


def test_namespace_and_packages_are_listed():
    """``ekonomi`` is a namespace; every package folder is in setup.cfg."""
    import ekonomi

    assert not hasattr(ekonomi, "__file__") or ekonomi.__file__ is None
    cfg = (ROOT / "setup.cfg").read_text()
    mapping = {"core": "ekonomi.core", "web": "ekonomi.web", "plugins": "ekonomi.plugins"}
    for init in ROOT.glob("**/__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts[0] not in mapping or any(p.startswith(".") for p in rel.parts):
            continue
        top = mapping[rel.parts[0]]
        dotted = ".".join([top, *rel.parts[1:]])
        assert f"    {dotted}\n" in cfg, f"{dotted} is not listed under packages in setup.cfg"
