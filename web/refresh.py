""""Uppdatera": start a sync from the company's active integration."""

from __future__ import annotations

from ekonomi.core.books import models as m
from ekonomi.core.books import rules
from ekonomi.core.errors import EkonomiError, NotFound, SourceNotActive
from ekonomi.core.engine.pipeline import ImportRequest

from .services import services


def start_refresh(company: m.Company, who: m.User, trigger: str = "refresh") -> int:
    """Queue a sync of ``company`` from its integration; returns the import id.

    Any user of the company may start it (the product syncs at every user's
    sign-in), so the request carries no user id for the SIE-import right.
    """
    active = company.active_source or rules.OTHER
    if active == rules.OTHER:
        raise SourceNotActive(
            f"{company.name} använder \"{rules.OTHER_TITLE}\": det finns ingen integration att "
            "uppdatera från. Importera en SIE4-fil under Inställningar - Import, eller välj integrationen under "
            "Inställningar - Rapportinställningar."
        )
    try:
        services().pm.source(active)
    except NotFound:
        raise EkonomiError(
            f"Integrationen {active!r} är inte installerad på den här servern, så ingenting kan hämtas. "
            f"Välj \"{rules.OTHER_TITLE}\" under Inställningar - Rapportinställningar för att importera filer.",
            code="conflict",
        ) from None
    return services().runner.submit(
        ImportRequest(company=company.orgnr, source=active, started_by=f"user:{who.email}", trigger=trigger)
    )


def under_way(run: m.ImportRun) -> str:
    """What a queued or running import is called while it runs: a sync from
    an integration is an update, anything else an import."""
    try:
        integration = services().pm.source(run.source).kind == "integration"
    except NotFound:  # a source no longer installed: still an import under way
        integration = False
    return "Uppdatering pågår" if integration else "Import pågår"
