"""What this plugin's issue codes mean to a person, in Swedish (the
issues themselves keep English messages for tools)."""

from __future__ import annotations

WHERE = "Inställningar - Rapportinställningar"

EXPLAINED = {
    "eekonomi.not_connected": f"Företaget är inte anslutet till Visma eEkonomi ännu. Anslut det under {WHERE}.",
    "eekonomi.reconnect": (
        "Kopplingen till Visma eEkonomi gäller inte längre (den har gått ut eller dragits tillbaka). "
        f"Anslut företaget till eEkonomi igen under {WHERE}."
    ),
    "eekonomi.company_state": (
        "Visma eEkonomi lämnar inte ut företagets bokföring: företaget är inaktivt, startguiden är inte klar "
        "eller modulen saknas i eEkonomi. Åtgärda det i eEkonomi och tryck sedan på Uppdatera."
    ),
    "eekonomi.scope": (
        "Kopplingen till Visma eEkonomi saknar behörighet till en del av bokföringen. "
        f"Anslut företaget igen under {WHERE} och godkänn alla behörigheter."
    ),
    "eekonomi.unavailable": "Visma eEkonomi svarade inte. Ingenting ändrades; tryck på Uppdatera om en stund.",
    "eekonomi.rate_limited": (
        "Visma eEkonomi tar emot för många anrop just nu. Ingenting ändrades; tryck på Uppdatera om en minut."
    ),
    "eekonomi.api_error": "Visma eEkonomi svarade med ett fel. Ingenting ändrades.",
    "eekonomi.link_expired": "Ett underlag kunde inte hämtas från Visma eEkonomi. Ingenting ändrades; försök igen.",
    "eekonomi.reconcile": (
        "Saldona stämmer inte med Visma eEkonomis kontosaldon, inte ens efter att året hämtats på nytt. "
        "Kontrollera året i eEkonomi."
    ),
    "eekonomi.not_configured": (
        "Servern är inte inställd för Visma eEkonomi (klient-id saknas). Be den som driftar tjänsten sätta "
        "EKONOMI_EEKONOMI_CLIENT_ID, EKONOMI_EEKONOMI_CLIENT_SECRET och EKONOMI_EEKONOMI_REDIRECT_URI."
    ),
}
