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
