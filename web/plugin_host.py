"""The web's side of core.webhost.WebHost: what a plugin's own routes and
settings panels may ask of the app, answered with the app's own access
rules, configuration store and error pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import url_for

from ekonomi.core import CompanyRef
from ekonomi.core.books import config
from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.errors import NotFound

from .access import authenticate_bearer, company_access, user
from .errors import Problem
from .services import db, services


class AppHost:
    """One per app; every method works inside a request."""

    def company(self, orgnr: str, right: str | None = None) -> CompanyRef:
        if right is None:
            company = self._company(orgnr)
        else:
            authenticate_bearer()
            company = company_access(orgnr, right).company
        return CompanyRef(company.orgnr, company.name, company.active_source or rules.OTHER)

    def config(self, orgnr: str, source: str) -> dict[str, Any]:
        company = self._company(orgnr)
        return config.load(db(), company.id, services().pm.source(source))  # type: ignore[arg-type]

    def configure(
        self, orgnr: str, source: str, values: Mapping[str, Any], *, clear: Iterable[str] = (), actor: str | None = None
    ) -> None:
        session = db()
        try:
            _, event = config.configure(
                session, services().pm, self._company(orgnr), source, values, actor=actor or self.actor(), clear=clear
            )
        except Exception:
            session.rollback()
            raise
        session.commit()
        services().pm.emit(event)

    def public_config(self, orgnr: str, source: str) -> dict[str, Any]:
        return config.public_view(db(), services().pm, self._company(orgnr), source)

    def settings_url(self, orgnr: str) -> str:
        return url_for("settings.report", orgnr=orgnr)

    def actor(self) -> str:
        return f"user:{user().email}"

    def _company(self, orgnr: str) -> m.Company:
        try:
            return rules.get_company(db(), orgnr)
        except NotFound:
            raise Problem(404, f"Inget företag med organisationsnummer {orgnr} finns.") from None


HOST = AppHost()
