"""Web sessions that end: at sign-out, at a password change, from "Logga ut
överallt", and after ``SESSION_IDLE_HOURS`` unused.

Flask keeps the session in a signed cookie, so the server cannot forget a
copy of it.  Each session therefore carries the user's session generation
from sign-in; ending sessions raises the user's counter (core/books/users.py
``end_sessions``), and every copy with the old number is refused.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, session
from flask_login import login_user, logout_user

from ekonomi.core.books import models as m
from ekonomi.core.books import settings

GENERATION = "ekonomi_gen"
SEEN = "ekonomi_seen"
# The last-seen time is rewritten at most this often (the cookie changes then).
SEEN_RESOLUTION_S = 60


def now() -> float:
    """The clock; tests move it."""
    return time.time()


def init_sessions(app: Flask) -> None:
    if app.config.get("SESSION_IDLE_HOURS") is None:
        app.config["SESSION_IDLE_HOURS"] = settings.session_idle_hours()
    # The cookie and its signature expire with the idle time too.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_IDLE_HOURS"]))


def begin(user: m.User, web_user: object) -> None:
    """Sign ``user`` in for this browser."""
    login_user(web_user)
    session.permanent = True
    remember_generation(user)


def remember_generation(user: m.User) -> None:
    """This session stays valid for the user's current generation (after a
    password change, the session that changed it stays signed in)."""
    session[GENERATION] = user.session_generation or 0
    session[SEEN] = int(now())


def still_valid(user: m.User) -> bool:
    """Whether this request's session may go on as ``user``."""
    if session.get(GENERATION) != (user.session_generation or 0):
        return False
    seen = session.get(SEEN)
    idle_s = float(current_app.config["SESSION_IDLE_HOURS"]) * 3600
    moment = now()
    if not isinstance(seen, int) or moment - seen > idle_s:
        return False
    if moment - seen >= SEEN_RESOLUTION_S:
        session[SEEN] = int(moment)
    return True


def end() -> None:
    """Sign this browser out (the caller ends the user's other copies)."""
    logout_user()
    session.pop(GENERATION, None)
    session.pop(SEEN, None)
