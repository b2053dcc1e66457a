"""Connecting a company to eEkonomi (OAuth2 authorization code, research
notes 1.2): the connect and callback routes and the panel on the company's
Rapportinställningar, all through the core's WebHost.

The ``state`` sent to the identity server is ``<orgnr>.<random>``; the
server keeps a hash of the random part, with an expiry, in the company's
configuration, so the callback finds its company and needs no session
cookie, and a state is used once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template_string, request
from werkzeug.wrappers import Response

from ekonomi.core import EkonomiError, SettingsPanel, WebHost

from .connection import CONNECTION_FIELDS, NAME, TITLE, connection_of, token_values
from .wording import EXPLAINED

STATE_TTL_S = 600
PENDING = ("oauth_state", "oauth_state_expires", "connecting_by")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def blueprint(host: WebHost) -> Blueprint:
    bp = Blueprint("eekonomi", __name__)

    @bp.get("/companies/<orgnr>/eekonomi/connect")
    def connect(orgnr: str) -> Response:
        from .oauth import authorize_url
        from .settings import Settings

        company = host.company(orgnr, "open_settings")
        settings = Settings.from_env()
        if not (settings.client_id and settings.redirect_uri):
            raise EkonomiError(EXPLAINED["eekonomi.not_configured"], code="conflict")
        secret = secrets.token_urlsafe(32)
        host.configure(
            company.orgnr, NAME,
            {"oauth_state": _digest(secret), "oauth_state_expires": time.time() + STATE_TTL_S, "connecting_by": host.actor()},
        )  # fmt: skip
        return redirect(authorize_url(settings, f"{company.orgnr}.{secret}"))

    @bp.get("/eekonomi/callback")
    def callback() -> Response:
        orgnr, _, secret = request.args.get("state", "").partition(".")
        company = host.company(orgnr)  # the state, not a session, says whose it is
        stored = host.config(company.orgnr, NAME)
        expected = stored.get("oauth_state") or ""
        fresh = float(stored.get("oauth_state_expires") or 0) > time.time()
        if not secret or not expected or not hmac.compare_digest(_digest(secret), expected) or not fresh:
            raise EkonomiError(
                "Anslutningen till Visma eEkonomi kunde inte slutföras: länken är för gammal eller redan använd. "
                "Börja om med Anslut under Inställningar - Rapportinställningar.",
                code="bad_request",
            )
        who = stored.get("connecting_by") or "okänd"
        if request.args.get("error"):
            host.configure(company.orgnr, NAME, {}, clear=PENDING, actor=who)
            flash(f"Anslutningen till {TITLE} avbröts ({request.args['error']}). Ingenting ändrades.", "error")
            return redirect(host.settings_url(company.orgnr))
        values, problem = _tokens_for(company.orgnr, request.args.get("code", ""))
        if problem:
            host.configure(company.orgnr, NAME, {}, clear=PENDING, actor=who)
            flash(problem, "error")
            return redirect(host.settings_url(company.orgnr))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        host.configure(company.orgnr, NAME, {**values, "connected_at": now, "connected_by": who}, clear=PENDING, actor=who)
        flash(f"{company.name} är anslutet till {TITLE}. Bokföringen hämtas vid nästa inloggning eller när du trycker på Uppdatera.")
        return redirect(host.settings_url(company.orgnr))

    @bp.post("/companies/<orgnr>/eekonomi/disconnect")
    def disconnect(orgnr: str) -> Response:
        company = host.company(orgnr, "open_settings")
        if request.form.get("confirm") != "yes":
            raise EkonomiError("Kryssa i rutan för att bekräfta att kopplingen ska tas bort.", code="bad_request")
        host.configure(company.orgnr, NAME, {}, clear=(*CONNECTION_FIELDS, *PENDING))
        flash(f"Kopplingen till {TITLE} är borttagen. Den hämtade bokföringen finns kvar.")
        return redirect(host.settings_url(company.orgnr))

    return bp


def _tokens_for(orgnr: str, code: str) -> tuple[dict[str, object], str | None]:
    """The tokens for an authorization code, and the company chosen at
    eEkonomi; a problem (in Swedish) instead when it is another company."""
    from ekonomi.core import normalize_orgnr

    from .client import Client, TokenKeeper
    from .oauth import exchange_code
    from .ratelimit import shared
    from .settings import Settings

    settings = Settings.from_env()
    try:
        tokens = exchange_code(settings, code)
        keeper = TokenKeeper(settings, tokens, save=lambda new: None)  # nothing is kept before the company is known
        chosen = Client(settings, keeper, limiter=shared()).get("companysettings", endpoint="companysettings")
    except EkonomiError as exc:
        return {}, f"Anslutningen till {TITLE} misslyckades: {EXPLAINED.get(exc.code, exc.message)}"
    theirs = str(chosen.get("CorporateIdentityNumber") or "")
    try:
        same = normalize_orgnr(theirs) == orgnr
    except Exception:  # noqa: BLE001 - an orgnr we cannot read is not this company's
        same = False
    if not same:
        return {}, (
            f"Du valde {chosen.get('Name') or 'ett annat företag'} ({theirs or 'inget organisationsnummer'}) i "
            f"{TITLE}, men det här företaget har organisationsnummer {orgnr}. Ingenting ändrades; anslut igen och "
            "välj rätt företag."
        )
    return {**token_values(tokens), "eekonomi_company": chosen.get("Name") or ""}, None


PANEL = """
<p id="eekonomi-state">{{ state.text }}</p>
{% if not rights.get("open_settings") %}
{% elif state.connected %}
<form method="post" action="{{ url_for('eekonomi.disconnect', orgnr=orgnr) }}" id="eekonomi-disconnect">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <label><input type="checkbox" name="confirm" value="yes" required> Jag vill ta bort kopplingen
  (den hämtade bokföringen finns kvar)</label>
  <button type="submit" class="button small">Koppla från {{ title }}</button>
</form>
<p><a href="{{ url_for('eekonomi.connect', orgnr=orgnr) }}">Anslut igen</a> (till exempel om kopplingen har gått ut).</p>
{% else %}
<p><a class="button" id="eekonomi-connect" href="{{ url_for('eekonomi.connect', orgnr=orgnr) }}">Anslut till {{ title }}</a></p>
{% if active != name %}<p>Välj också {{ title }} som datakälla ovan, så hämtas bokföringen därifrån.</p>{% endif %}
{% endif %}
"""


def panel(orgnr: str, rights: dict[str, bool], host: WebHost) -> list[SettingsPanel]:
    company = host.company(orgnr)
    state = connection_of(host.public_config(orgnr, NAME))
    html = render_template_string(
        PANEL, state=state, rights=rights, orgnr=company.orgnr, title=TITLE, name=NAME, active=company.active_source
    )
    return [SettingsPanel(TITLE, html)]
