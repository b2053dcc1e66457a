"""The core's refusals of people's input, in Swedish for the web pages
(the core, the CLI and the API speak English)."""

from __future__ import annotations

from ekonomi.core.books.credentials import MIN_PASSWORD_LENGTH, WeakCredentials
from ekonomi.core.errors import EkonomiError

CREDENTIAL_RULES = {
    "email": "Ange en giltig e-postadress, till exempel namn@foretag.se.",
    "password_short": f"Lösenordet behöver minst {MIN_PASSWORD_LENGTH} tecken.",
    "password_email": "Lösenordet får inte innehålla e-postadressen.",
    "password_common": "Lösenordet är ett av de vanligaste lösenorden. Välj ett annat.",
    "password_weak": "Lösenordet är för lätt att gissa. Använd fler ord eller tecken.",
}


def swedish(exc: EkonomiError) -> str:
    if isinstance(exc, WeakCredentials):
        return CREDENTIAL_RULES.get(exc.rule, "Ange en giltig e-postadress och ett starkare lösenord.")
    if exc.code == "conflict":
        return "Det finns redan en användare med den e-postadressen."
    return exc.message


# What a failed import's first error means, for the core's own issue codes
# (engine/pipeline.py, runlog.py, store.py, checks.py, rules.py); a source
# explains its own codes (``Source.explain``).  Pages show these where the
# import log's English message would not tell a person what to do.
ISSUE_TEXTS = {
    "import.crashed": "Överföringen stoppades av ett oväntat fel. Ingenting ändrades. Försök igen med Uppdatera; "
    "kvarstår felet, kontakta supporten.",
    "import.interrupted": "Överföringen avbröts när servern stannade. Ingenting ändrades. Försök igen med Uppdatera.",
    "needs_confirmation": "Importen behöver bekräftas eftersom den ser ut att vara ett misstag. Ingenting ändrades; "
    "se importloggen under Inställningar - Import.",
    "import.confirm.company": "Uppgifterna ser ut att gälla ett annat företag. Ingenting ändrades.",
    "import.confirm.other_writer": "Importen skulle ersätta ett räkenskapsår som en annan källa har läst in. Ingenting ändrades.",
    "import.confirm.vouchers_removed": "Importen skulle ta bort mer än hälften av verifikationerna i ett räkenskapsår. "
    "Ingenting ändrades.",
    "source_not_active": "Företaget använder en annan källa för redovisningsdata. Välj integrationen under "
    "Inställningar - Rapportinställningar.",
    "forbidden": "Källan är inte aktiverad för företaget. Byråns administratör aktiverar den under Byrå.",
    "plugin_error": "Insticksprogrammet för källan fick ett fel när det hämtade eller läste bokföringen. Ingenting ändrades.",
    "config.invalid": "Källans inställningar för företaget är ofullständiga eller felaktiga. Byråns administratör rättar "
    "dem under Byrå.",
    "bad_request": "Källans inställningar för företaget kunde inte användas. Byråns administratör sparar dem igen under Byrå.",
    "import.year_overlap": "Ett räkenskapsår i källan överlappar ett som redan finns. Ingenting ändrades.",
    "import.amount_too_large": "Ett belopp i källan är för stort för att sparas. Ingenting ändrades.",
    "insufficient_storage": "Servern har inte plats att spara data. Ingenting ändrades; kontakta supporten.",
    "ledger.unbalanced": "En verifikation i källan är inte i balans. Ingenting ändrades.",
    "ledger.orgnr_mismatch": "Källan lämnade bokföring för ett annat organisationsnummer. Ingenting ändrades.",
    "ledger.outside_fiscal_year": "En verifikation ligger utanför räkenskapsåren. Ingenting ändrades.",
    "ledger.no_fiscal_year": "Källan lämnade inget räkenskapsår. Ingenting ändrades.",
}
