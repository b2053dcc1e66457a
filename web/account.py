"""Mitt konto: the signed-in user's own page (password, signing out
everywhere, personal API tokens)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ekonomi.core.errors import EkonomiError

from . import sessions
from .access import user
from .errors import Problem
from .services import db, writes

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@login_required
def index() -> Any:
    from ekonomi.core.books.users import list_tokens

    me = user()
    return render_template("account.html", me=me, tokens=[t for t, _ in list_tokens(db(), me)])


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@writes
@login_required
def revoke_token(token_id: int) -> Any:
    """Asks first (GET), revokes on the confirming POST; another user's
    token is as unknown as a missing one."""
    from ekonomi.core.books import models as m
    from ekonomi.core.books.users import revoke_token as core_revoke

    me = user()
    token = db().get(m.ApiToken, token_id)
    if token is None or token.user_id != me.id:
        raise Problem(404, "Ingen sådan API-token finns.")
    if request.method == "GET":
        return render_template("account_revoke.html", token=token)
    core_revoke(db(), token_id, me)
    db().commit()
    flash(f"API-token {token.name or token_id} är återkallad och fungerar inte längre.")
    return redirect(url_for("account.index"))


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
