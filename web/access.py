"""Who may do what: every view asks here, and here asks the core's rules.

A company the user cannot reach answers 404 (its existence is not
revealed); a reachable company without the needed right answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g, request
from flask_login import current_user

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.errors import NotFound

from .errors import Problem
from .services import db, services

NOTHING_LOCKED = date(1, 1, 1)
RIGHT_LABELS = {
    "view_reports": "se rapporter",
    "open_settings": "öppna Inställningar",
    "import_files": "importera SIE4-filer",
}


def authenticate_bearer() -> bool:
    """Sign in this request by its ``Authorization: Bearer`` token, if it
    sends one (401 for a bad one); False when it sends none."""
    from ekonomi.core.books.users import user_for_token

    header = request.headers.get("Authorization", "")
    if not header:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Authorization ska vara \"Bearer <token>\".")
    found = user_for_token(db(), token, touch=g.get("db_writes", False))
    if found is None:
        raise Problem(401, "Okänd eller återkallad API-token.")
    g.api_user = db().get(m.User, found.id)
    return True


def user() -> m.User:
    """The signed-in user of this request (session or bearer token)."""
    found = g.get("api_user")
    if found is not None:
        return found  # type: ignore[no-any-return]
    if current_user.is_authenticated:
        return current_user.model  # type: ignore[no-any-return]
    raise Problem(401, "Logga in först (eller skicka en API-token: Authorization: Bearer …).")


@dataclass
class CompanyAccess:
    company: m.Company
    rights: dict[str, bool]

    def allows(self, *names: str) -> bool:
        return any(self.rights.get(n) for n in names)


def company_access(orgnr: str, *any_of: str) -> CompanyAccess:
    """The company and the user's rights in it; 404 when the user cannot
    reach it, 403 when they lack every right in ``any_of``."""
    session = db()
    who = user()
    try:
        company = rules.get_company(session, orgnr)
    except NotFound:
        raise Problem(404, f"Inget företag med organisationsnummer {orgnr} finns, eller så når du det inte.") from None
    if not rules.can_reach(session, who, company):
        raise Problem(404, f"Inget företag med organisationsnummer {orgnr} finns, eller så når du det inte.")
    g.company = company
    granted = rules.rights(session, who, company)
    any_of = tuple(rules.right_name(r) for r in any_of)
    if any_of and not any(granted.get(r) for r in any_of):
        wanted = " eller ".join(RIGHT_LABELS.get(r, r) for r in any_of)
        raise Problem(403, f"Du har inte behörighet att {wanted} för {company.name}.")
    return CompanyAccess(company, granted)


def visible_until(company: m.Company) -> date | None:
    """The last day of the books this user sees (rule 5): where the bureau
    shows its client users only locked months, the lock date (nothing at
    all before it sets one); None when everything is shown."""
    if company.display_mode != "locked" or rules.is_bureau_staff(user()):
        return None
    return company.lock_date or NOTHING_LOCKED


LOG_RIGHTS = ("import_files", "open_settings")


def may_follow(access: CompanyAccess, run: m.ImportRun) -> bool:
    """May the user read this import's result (``GET /api/v1/imports/<id>``)?
    Those who see the import log, and anyone an import they started
    themselves (a sync at their sign-in, their "Uppdatera")."""
    return access.allows(*LOG_RIGHTS) or run.started_by == f"user:{user().email}"


def require_bureau_staff(admin: bool = False) -> m.User:
    who = user()
    if not rules.is_bureau_staff(who) or who.bureau_id is None:
        raise Problem(403, "Sidan är till för byråns personal.")
    if admin and who.role != "bureau-admin":
        raise Problem(403, "Bara byråns administratörer får göra det här.")
    return who


def require_source_admin(orgnr: str) -> CompanyAccess:
    """Enabling and configuring a client's sources: a bureau admin who
    reaches the company with the settings right."""
    access = company_access(orgnr, "open_settings")
    require_bureau_staff(admin=True)
    return access


def require_users_page(orgnr: str) -> CompanyAccess:
    """Inställningar - Användare: the bureau decides who may import, so
    only its staff (with the settings right) edit users' rights."""
    access = company_access(orgnr, "open_settings")
    if not rules.is_bureau_staff(user()):
        raise Problem(403, "Bara byråns personal ändrar användarnas behörigheter.")
    return access


def reachable_companies(who: m.User) -> list[m.Company]:
    from sqlmodel import select

    session = db()
    if rules.is_bureau_staff(who):
        if who.bureau_id is None:
            return []
        stmt = select(m.Company).where(m.Company.bureau_id == who.bureau_id)
    else:
        stmt = select(m.Company).join(m.CompanyAccess, m.CompanyAccess.company_id == m.Company.id).where(  # type: ignore[arg-type]
            m.CompanyAccess.user_id == who.id
        )
    return list(session.exec(stmt.order_by(m.Company.name)).all())


def integration_title(company: m.Company) -> str | None:
    """The title of the company's active integration (None for "other")."""
    active = company.active_source or rules.OTHER
    if active == rules.OTHER:
        return None
    return rules.describe_source(services().pm, active)


def menu() -> dict[str, Any]:
    """What the main menu shows on this page."""
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return {"user": None}
    who: m.User = current_user.model
    company: m.Company | None = g.get("company")
    data: dict[str, Any] = {
        "user": who,
        "staff": rules.is_bureau_staff(who),
        "company": company,
        "companies": reachable_companies(who),
        "rights": {},
        "integration": None,
    }
    if company is not None:
        data["rights"] = rules.rights(db(), who, company)
        data["integration"] = integration_title(company)
    return data
