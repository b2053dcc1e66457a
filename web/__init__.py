"""The web app: import page, settings and overview for bureaus and their
clients.  Thin: every rule lives in ``ekonomi.core``; the views call it.

``create_app(config)`` builds the app.  Config keys beside Flask's own:

* ``DATABASE_URL``: SQLAlchemy URL (default: ``EKONOMI_DATABASE_URL`` …)
* ``MAX_UPLOAD_MB``: upload limit (default: ``EKONOMI_MAX_UPLOAD_MB``, 512)
* ``PLUGIN_MANAGER``: a ready ``PluginManager`` (default: the process-wide one)
* ``RUNNER``: a job runner (default: a ``ThreadRunner`` in this process)
* ``SYNC_ON_LOGIN``: start integration syncs when a user signs in (default on)
* ``SESSION_IDLE_HOURS``: a session unused this long ends (default:
  ``EKONOMI_SESSION_IDLE_HOURS``, 8)
* ``LOGIN_LIMIT_PER_ACCOUNT``, ``LOGIN_LIMIT_PER_ADDRESS``, ``API_RATE_LIMIT``:
  throttling (web/throttle.py); ``RATELIMIT_STORAGE_URI`` (default:
  ``EKONOMI_RATELIMIT_STORAGE_URL``, else memory)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask loads only when an app is made (``ekonomi sie check`` stays light)
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask

    from ekonomi.core.books import settings
    from ekonomi.core.books.rules import OTHER_TITLE

    from . import request_guard, services
    from .auth import init_auth
    from .access import menu
    from .errors import init_errors
    from .extensions import csrf
    from .uploads import log_too_large

    app = Flask(__name__, instance_path=str(settings.instance_path()))
    config = dict(config or {})
    app.config.update(
        SECRET_KEY=None,
        MAX_UPLOAD_MB=None,
        DATABASE_URL=None,
        SYNC_ON_LOGIN=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.secret_key()
    _upload_limit(app)
    if "SESSION_COOKIE_SECURE" not in config:
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    if "REMEMBER_COOKIE_SECURE" not in config:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    request_guard.init_request_guard(app)  # before the blueprints: their <int:…> rules take its converter
    services.init_services(app)
    csrf.init_app(app)
    init_auth(app)
    init_errors(app, on_too_large=log_too_large)

    from . import account, api, bureau, imports, overview, previews, settings_pages, vouchers

    app.register_blueprint(imports.bp)
    app.register_blueprint(previews.bp)
    app.register_blueprint(settings_pages.bp)
    app.register_blueprint(bureau.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(vouchers.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(account.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself for cookie sessions
    _register_plugin_routes(app)
    _harden(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_env.filters.update(services.template_filters())
    app.context_processor(lambda: {"menu": menu(), "other_title": OTHER_TITLE})
    return app


def _upload_limit(app: Flask) -> None:
    from ekonomi.core.books import settings

    if app.config["MAX_UPLOAD_MB"] is None:
        app.config["MAX_UPLOAD_MB"] = settings.max_upload_bytes() // (1024 * 1024)
    # A little room for the multipart envelope around the file itself.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024


def _harden(app: Flask) -> None:
    """Throttling and security headers, once every route is in."""
    from .headers import init_headers
    from .throttle import init_throttle

    init_throttle(app)
    init_headers(app)


def _register_plugin_routes(app: Flask) -> None:
    """Blueprints from every plugin's ``ekonomi_blueprints``: an integration
    gets its own routes (OAuth2 connect and callback) without web/ naming it."""
    from .plugin_host import HOST

    for name, blueprints, exc in app.extensions["ekonomi"].pm.call_each("ekonomi_blueprints", host=HOST):
        if exc is not None:
            app.logger.error("plugin %s could not add its routes: %s", name, exc)
            continue
        for blueprint in blueprints or ():
            if blueprint.name in app.blueprints:
                app.logger.warning("plugin %s: a blueprint named %r is already registered; skipped", name, blueprint.name)
                continue
            app.register_blueprint(blueprint)


__all__ = ["create_app"]
