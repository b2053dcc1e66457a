"""Signing in and out (Flask-Login sessions) and the start page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required

from ekonomi.core.books import models as m

from . import sessions
from .extensions import login_manager
from .services import db, writes

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    """Flask-Login's view of a ``User`` row (loaded in the request's session)."""

    def __init__(self, model: m.User) -> None:
        self.model = model
        self.id = model.id

    @property
    def is_active(self) -> bool:
        return bool(self.model.active)

    @property
    def email(self) -> str:
        return self.model.email


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> WebUser | None:
        if not user_id.isdigit():
            return None
        found = db().get(m.User, int(user_id))
        if found is None or not found.active or not sessions.still_valid(found):
            return None
        return WebUser(found)

    sessions.init_sessions(app)
    app.register_blueprint(bp)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    from ekonomi.core.books.users import authenticate

    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        found = authenticate(db(), email, password)
        if found is None:
            error = "Fel e-postadress eller lösenord."
        else:
            sessions.begin(found, WebUser(found))
            _sync_on_login(found)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("login.html", error=error, email=email), (401 if error else 200)


def _sync_on_login(who: m.User) -> None:
    """Signing in starts a sync of every company the user reaches that uses
    an integration, as a background job (best effort: a failure is logged,
    the sign-in goes on).  A company whose import or sync is already queued
    or running gets no second one: the one under way brings the same."""
    from flask import current_app

    from ekonomi.core.books import rules
    from ekonomi.core.books.companies import running_runs

    from .access import reachable_companies
    from .refresh import start_refresh
    from .services import db

    if not current_app.config.get("SYNC_ON_LOGIN"):
        return
    companies = [c for c in reachable_companies(who) if (c.active_source or rules.OTHER) != rules.OTHER]
    under_way = running_runs(db(), companies)
    for company in companies:
        if company.id in under_way:
            continue
        try:
            start_refresh(company, who, trigger="sign-in")
        except Exception as exc:  # noqa: BLE001 - best effort by design
            log.info("sync at sign-in of %s for %s not started: %s", who.email, company.orgnr, exc)


@bp.route("/logout", methods=["POST"])
@writes
def logout() -> Any:
    from ekonomi.core.books.users import end_sessions

    if current_user.is_authenticated:
        # The cookie is signed, not stored: a saved copy of it would still
        # sign in unless the user's session generation moves on.
        end_sessions(db(), current_user.model)
        db().commit()
    sessions.end()
    flash("Du är utloggad.")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def home() -> Any:
    from ekonomi.core.books import rules

    from .access import reachable_companies

    who: m.User = current_user.model
    if rules.is_bureau_staff(who):
        return redirect(url_for("bureau.index"))
    from ekonomi.core.books.companies import running_runs

    from .refresh import under_way

    companies = reachable_companies(who)
    if len(companies) == 1:
        return redirect(url_for("overview.index", orgnr=companies[0].orgnr))
    running = {cid: under_way(run) for cid, run in running_runs(db(), companies).items()}
    return render_template("companies.html", companies=companies, running=running)
