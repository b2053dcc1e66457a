"""The core's refusals of people's input, in Swedish for the web pages
(the core, the CLI and the API speak English)."""

from __future__ import annotations

from ekonomi.core.errors import EkonomiError


def swedish(exc: EkonomiError) -> str:
    if exc.code == "conflict":
        return "Det finns redan en användare med den e-postadressen."
    if "password" in exc.message:
        return "Lösenordet behöver minst 8 tecken."
    if "e-mail" in exc.message:
        return "Ange en giltig e-postadress."
    return exc.message
