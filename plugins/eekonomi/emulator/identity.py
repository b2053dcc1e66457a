"""The identity server's two endpoints (E.2).  ``/connect/authorize`` has
no login page: it approves at once for the single test user and redirects
with a code; ``/connect/token`` trades codes and refresh tokens (client
credentials by HTTP Basic or form fields, both as clients send them)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, request

from .state import TEST_USER, Emulator, current
from .store import Books
from .tokens import Grant

bp = Blueprint("identity", __name__, url_prefix="/connect")
KNOWN_SCOPES = frozenset({
    "ea:api", "offline_access", "ea:sales", "ea:sales_readonly", "ea:accounting", "ea:accounting_readonly",
    "ea:purchase", "ea:purchase_readonly", "vls:api", "openid", "profile", "email",
})


def with_query(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redirect_allowed(uri: str | None, emulator: Emulator) -> bool:
    """Any redirect URI on a loopback host (the configured ``redirect_hosts``)."""
    if not uri:
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in emulator.config.redirect_hosts


def page(status: int, title: str, body: str = "") -> Response:
    return Response(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}",
                    status=status, mimetype="text/html")


@bp.get("/authorize")
def authorize() -> Any:
    emulator, args = current(), request.args
    client_id, redirect_uri, state = args.get("client_id", ""), args.get("redirect_uri"), args.get("state")
    if client_id not in emulator.config.clients:
        return page(400, "invalid_client: unknown client_id")  # never redirect to an unverified client
    if not redirect_allowed(redirect_uri, emulator):
        return page(400, "invalid_request: redirect_uri not registered")
    assert redirect_uri is not None
    if args.get("response_type") != "code":
        return redirect(with_query(redirect_uri, error="unsupported_response_type", state=state))
    scopes = frozenset(args.get("scope", "").split())
    if "ea:api" not in scopes or scopes - KNOWN_SCOPES:
        return redirect(with_query(redirect_uri, error="invalid_scope", state=state))
    if args.get("emulator_deny"):
        return redirect(with_query(redirect_uri, error="access_denied", state=state))
    chosen = choose_company(emulator)
    if isinstance(chosen, Response):
        return chosen
    grant = Grant(client_id, TEST_USER, chosen.id, scopes)
    code = emulator.tokens.issue_code(grant, redirect_uri, emulator.clock.now(), emulator.config.code_ttl)
    return redirect(with_query(redirect_uri, code=code, state=state))


def choose_company(emulator: Emulator) -> Books | Response:
    """``emulator_company=<id>``, else the first company; with
    ``forceselectcompany:true`` and several companies, a page of links."""
    wanted = request.args.get("emulator_company")
    if wanted:
        books = emulator.companies.get(wanted.lower())
        return books if books else page(400, f"invalid_request: no company {wanted}")
    if "forceselectcompany:true" in request.args.get("acr_values", "") and len(emulator.companies) > 1:
        links = "".join(
            f'<li><a href="{html.escape(with_query(request.url, emulator_company=b.id))}">{html.escape(b.settings.get("Name", b.id))}</a></li>'
            for b in emulator.companies.values()
        )
        return page(200, "Välj företag", f"<ul>{links}</ul>")
    return emulator.company()


def oauth_error(error: str, status: int = 400) -> Response:
    resp = jsonify({"error": error})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return resp


def client_credentials() -> tuple[str | None, str | None]:
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username, request.authorization.password
    return request.form.get("client_id"), request.form.get("client_secret")


@bp.post("/token")
def token() -> Response:
    emulator = current()
    client_id, secret = client_credentials()
    if client_id is None or emulator.config.clients.get(client_id) != secret:
        return oauth_error("invalid_client", 401)
    if request.mimetype != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request")
    now, form = emulator.clock.now(), request.form
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        if not form.get("code"):
            return oauth_error("invalid_request")
        grant = emulator.tokens.redeem_code(form["code"], client_id, form.get("redirect_uri"), now)
    elif grant_type == "refresh_token":
        if not form.get("refresh_token"):
            return oauth_error("invalid_request")
        grant = emulator.tokens.use_refresh(form["refresh_token"], client_id, now, emulator.config)
    else:
        return oauth_error("unsupported_grant_type")
    if grant is None:
        return oauth_error("invalid_grant")
    resp = jsonify(emulator.tokens.issue(grant, now, emulator.config))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp
