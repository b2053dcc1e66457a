"""Mitt konto: the signed-in user's own page (password, signing out
everywhere, personal API tokens)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ekonomi.core.errors import EkonomiError

from . import sessions
from .access import user
from .services import db, writes

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@login_required
def index() -> Any:
    return render_template("account.html", me=user())


@bp.post("/password")
@writes
@login_required
def change_password() -> Any:
    from ekonomi.core.books.users import is_password, set_password

    from .wording import swedish

    me = user()
    new = request.form.get("new_password", "")
    if not is_password(me, request.form.get("current_password", "")):
        flash("Det nuvarande lösenordet stämmer inte.", "error")
    elif new != request.form.get("repeat_password", ""):
        flash("De två nya lösenorden är inte lika.", "error")
    else:
        try:
            set_password(db(), me, new)
        except EkonomiError as exc:
            db().rollback()
            flash(swedish(exc), "error")
        else:
            db().commit()
            sessions.remember_generation(me)  # this browser stays signed in
            flash("Lösenordet är bytt. Du är utloggad i alla andra webbläsare.")
    return redirect(url_for("account.index"))


@bp.post("/logout-everywhere")
@writes
@login_required
def logout_everywhere() -> Any:
    from ekonomi.core.books.users import end_sessions

    end_sessions(db(), user())
    db().commit()
    sessions.end()
    flash("Du är utloggad i alla webbläsare.")
    return redirect(url_for("auth.login"))
