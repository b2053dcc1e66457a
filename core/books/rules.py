"""The product's rules (docs/product.md): one active source per company, who
may import, which plugins a company has enabled.  The web and the API only
call these."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from . import models as m
from ..errors import Forbidden, NotFound, Refused, SourceNotActive
from ..events import Event
from ..orgnr import normalize_orgnr

if TYPE_CHECKING:
    from ..engine.plugins import PluginManager
    from ..source import Source

OTHER = "other"
# What people see for OTHER: files and pushes from any enabled source (rule 1).
OTHER_TITLE = "Annan källa för redovisningsdata"
# The rights a user can hold in a company.  ``import_files`` is shown as
# "Importera SIE4-fil" while SIE is the only file source.
RIGHTS = ("view_reports", "open_settings", "import_files")
# Changing the books outside an import (deleting the latest fiscal year,
# undoing the latest import) needs this right.
CHANGE_BOOKS_RIGHT = "open_settings"
# Old names a client may still send (forms, API), for one release.
LEGACY_RIGHTS = {"import_sie4": "import_files"}


def right_name(name: str) -> str:
    """The current name of a right, given its current or its old name."""
    return LEGACY_RIGHTS.get(name, name)


def get_company(session: Session, orgnr: str) -> m.Company:
    norm = normalize_orgnr(orgnr)
    company = session.exec(select(m.Company).where(m.Company.orgnr == (norm or orgnr))).first()
    if company is None:
        raise NotFound(f"No company with organisation number {orgnr}.")
    return company


def source_enabled(session: Session, pm: PluginManager, company: m.Company, source_name: str) -> bool:
    row = session.get(m.CompanySource, (company.id, source_name))
    if row is not None:
        return row.enabled
    # Built-in sources are on for new companies; a third party's stay off
    # until a bureau admin enables them (contracts.md "New companies").
    return pm.is_builtin(source_name)


def enabled_sources(session: Session, pm: PluginManager, company: m.Company) -> list[str]:
    return [name for name in pm.sources() if source_enabled(session, pm, company, name)]


def set_source_enabled(session: Session, company: m.Company, source_name: str, enabled: bool) -> None:
    row = session.get(m.CompanySource, (company.id, source_name))
    if row is None:
        row = m.CompanySource(company_id=company.id, source=source_name, enabled=enabled)  # type: ignore[arg-type]
    row.enabled = enabled
    session.add(row)


def check_source_allowed(session: Session, pm: PluginManager, company: m.Company, source: Source) -> None:
    """Refuse an import from a source that is not the company's active one,
    or that is not enabled for it."""
    active = company.active_source or OTHER
    if source.kind == "integration":
        if active != source.name:
            raise SourceNotActive(
                f"{source.title} is not the active data source of {company.name}; the active source is "
                f"{describe_source(pm, active)}. Switch it under Inställningar - Rapportinställningar."
            )
    elif active != OTHER:
        raise SourceNotActive(
            f"{company.name} takes its bookkeeping from {describe_source(pm, active)}, so {source.title} imports "
            f"are refused. Choose \"{OTHER_TITLE}\" under Inställningar - Rapportinställningar to import files."
        )
    if not source_enabled(session, pm, company, source.name):
        raise Refused(f"The source {source.name!r} is not enabled for {company.name}.", code="forbidden")


def describe_source(pm: PluginManager, name: str) -> str:
    """A source in a sentence (the core's English messages)."""
    if name == OTHER:
        return f'"{OTHER_TITLE}" (files and uploads)'
    return source_title(pm, name)


def source_title(pm: PluginManager, name: str) -> str:
    """What people see for an active source: OTHER_TITLE or the plugin's title."""
    if name == OTHER:
        return OTHER_TITLE
    try:
        return pm.source(name).title
    except NotFound:
        return name


def switch_source(session: Session, pm: PluginManager, company: m.Company, to: str, actor: str) -> Event | None:
    """Make ``to`` (``other`` or an integration source) the active source.
    Returns the event to emit once committed, or None if nothing changed."""
    if to != OTHER:
        src = pm.source(to)
        if src.kind != "integration":
            raise Refused(
                f"{src.title} is a {src.kind} source; the active source is either an integration or \"other\".",
                code="bad_request",
            )
        if not source_enabled(session, pm, company, to):
            raise Refused(f"The source {to!r} is not enabled for {company.name}.", code="forbidden")
    before = company.active_source or OTHER
    if before == to:
        return None
    company.active_source = to
    session.add(company)
    session.add(
        m.CompanyEvent(
            company_id=company.id,  # type: ignore[arg-type]
            kind="source_switched",
            actor=actor,
            data=json.dumps({"from": before, "to": to}),
        )
    )
    return Event("source_switched", company.orgnr, actor=actor, data={"from": before, "to": to})


def is_bureau_staff(user: m.User) -> bool:
    return user.role in ("bureau-admin", "consultant")


def can_reach(session: Session, user: m.User, company: m.Company) -> bool:
    """Bureau staff reach their bureau's clients; a client user only the
    companies they were given access to."""
    if not user.active:
        return False
    if is_bureau_staff(user):
        return user.bureau_id is not None and user.bureau_id == company.bureau_id
    return session.get(m.CompanyAccess, (user.id, company.id)) is not None


def rights(session: Session, user: m.User, company: m.Company) -> dict[str, bool]:
    """The user's rights in the company: view reports, open settings, import
    files.  A bureau admin has all; consultants have all by default (narrowed
    by a CompanyAccess row); client users only what their row gives."""
    none = {"view_reports": False, "open_settings": False, "import_files": False}
    if not can_reach(session, user, company):
        return none
    if user.role == "bureau-admin":
        # The bureau's admin runs its clients: no per-company row narrows
        # that, or a consultant could lock the admin out (issue 12).
        return {"view_reports": True, "open_settings": True, "import_files": True}
    access = session.get(m.CompanyAccess, (user.id, company.id))
    if is_bureau_staff(user):
        if access is None:
            return {"view_reports": True, "open_settings": True, "import_files": True}
    elif access is None:
        return none
    return {
        "view_reports": access.can_view_reports,
        "open_settings": access.can_open_settings,
        "import_files": access.can_import_files,
    }


def rights_are_fixed(user: m.User) -> bool:
    """Whether nobody may change the user's rights per company."""
    return user.role == "bureau-admin"


def check_can_import(session: Session, user: m.User | None, company: m.Company) -> None:
    """People need the import right; the CLI (user None) is the operator."""
    if user is None:
        return
    if not rights(session, user, company)["import_files"]:
        raise Forbidden(f"{user.email} may not import files for {company.name}.")
