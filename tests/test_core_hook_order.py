"""Hooks are called through pluggy: its order (LIFO, tryfirst/trylast), its
tracing, a failing plugin isolated without losing the others; sources asked
for once per plugin; the web hooks for routes and settings panels."""

from __future__ import annotations

import flask
import pytest

from ekonomi.core import Event, SettingsPanel, hookimpl
from ekonomi.core.engine.plugins import PluginManager
from tests.fakes import FakePlugin
from tests.web_support import OWN, app, client, login  # noqa: F401  (fixtures)


def observer(name: str, seen: list[str], **marks: bool) -> object:
    class Observer:
        @hookimpl(**marks)
        def ekonomi_event(self, event: Event) -> None:
            seen.append(name)

    return Observer()


def test_observers_run_in_pluggys_order_with_tryfirst_and_trylast():
    seen: list[str] = []
    pm = PluginManager(load_entry_points=False)
    pm.register(observer("last", seen, trylast=True), name="last")
    pm.register(observer("first-registered", seen), name="a")
    pm.register(observer("third-party-tryfirst", seen, tryfirst=True), name="tp")
    pm.register(observer("latest-registered", seen), name="b")
    pm.emit(Event("import_started", "556677-8899"))
    assert seen == ["third-party-tryfirst", "latest-registered", "first-registered", "last"]


def test_a_failing_observer_does_not_stop_the_ones_after_it():
    seen: list[str] = []

    class Broken:
        @hookimpl(tryfirst=True)
        def ekonomi_event(self, event: Event) -> None:
            raise RuntimeError("observer bug")

    pm = PluginManager(load_entry_points=False)
    pm.register(observer("after", seen), name="after")
    pm.register(Broken(), name="broken")
    pm.emit(Event("import_started", "556677-8899"))
    assert seen == ["after"]


def test_pluggy_tracing_sees_every_hook_call():
    lines: list[str] = []
    pm = PluginManager(load_entry_points=False)
    pm.pm.trace.root.setwriter(lines.append)
    undo = pm.pm.enable_tracing()
    try:
        pm.register(FakePlugin(), name="fake")
        pm.register(observer("x", []), name="obs")
        pm.emit(Event("import_started", "556677-8899"))
    finally:
        undo()
    text = "".join(lines)
    assert "ekonomi_sources" in text and "ekonomi_event" in text


def test_sources_are_asked_for_once_per_plugin():
    calls: list[str] = []

    class Counting(FakePlugin):
        @hookimpl
        def ekonomi_sources(self):
            calls.append("counting")
            return super().ekonomi_sources()

    pm = PluginManager(load_entry_points=False)
    pm.register(Counting(), name="counting")
    for n in range(3):
        pm.register(observer(str(n), []), name=f"obs{n}")
    pm.unregister("obs0")
    assert calls == ["counting"]
    assert "fake" in pm.sources()
    pm.unregister("counting")
    assert "fake" not in pm.sources()


class ConnectPlugin:
    """A third-party integration's web parts: its own route and a panel."""

    @hookimpl
    def ekonomi_blueprints(self):
        bp = flask.Blueprint("thirdparty", __name__, url_prefix="/thirdparty")

        @bp.get("/companies/<orgnr>/connect")
        def connect(orgnr: str):
            return flask.redirect(f"https://identity.example/authorize?company={orgnr}")

        return [bp]

    @hookimpl
    def ekonomi_settings_panels(self, orgnr, rights):
        if not rights.get("open_settings"):
            return []
        return [SettingsPanel("Tredjepartskoppling", f'<a id="tp-connect" href="/thirdparty/companies/{orgnr}/connect">Anslut</a>')]


class BrokenPanels:
    @hookimpl
    def ekonomi_settings_panels(self, orgnr, rights):
        raise RuntimeError("panel bug")


@pytest.fixture
def pm_with_web_plugin(pm):
    pm.register(ConnectPlugin(), name="connect")
    pm.register(BrokenPanels(), name="broken-panels")
    yield pm


def test_a_plugins_blueprint_and_settings_panel_reach_the_web(pm_with_web_plugin, app, client):  # noqa: F811
    response = client.get(f"/thirdparty/companies/{OWN}/connect")
    assert response.status_code == 302 and "identity.example" in response.headers["Location"]
    login(client, "bureau-admin")
    page = client.get(f"/companies/{OWN}/settings/report").get_data(as_text=True)
    assert "Tredjepartskoppling" in page and f"/thirdparty/companies/{OWN}/connect" in page
    login(client, "client-view")
    assert client.get(f"/companies/{OWN}/settings/report").status_code == 403
