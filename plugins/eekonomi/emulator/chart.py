"""The chart of accounts of the default seed (a BAS subset) and the account
types ``/accountTypes`` lists.  The type numbers follow sandbox observations
(research notes 1.8: 0–9 assets, 10–19 equity and liabilities, 20–23
revenue, 24–27 costs, 28 financial items, 29 appropriations and tax); the
ranges of accounts in each are our assumption."""

from __future__ import annotations

# (type, description, first account, last account)
ACCOUNT_TYPES: tuple[tuple[int, str, int, int], ...] = (
    (1, "Immateriella anläggningstillgångar", 1000, 1099),
    (2, "Byggnader och mark", 1100, 1199),
    (3, "Maskiner och inventarier", 1200, 1299),
    (4, "Finansiella anläggningstillgångar", 1300, 1399),
    (5, "Varulager", 1400, 1499),
    (6, "Kundfordringar", 1500, 1599),
    (7, "Övriga kortfristiga fordringar", 1600, 1699),
    (8, "Förutbetalda kostnader och upplupna intäkter", 1700, 1899),
    (9, "Kassa och bank", 1900, 1999),
    (10, "Eget kapital", 2000, 2099),
    (11, "Obeskattade reserver", 2100, 2199),
    (12, "Avsättningar", 2200, 2299),
    (13, "Långfristiga skulder", 2300, 2399),
    (14, "Leverantörsskulder", 2400, 2499),
    (15, "Skatteskulder", 2500, 2599),
    (16, "Moms och särskilda punktskatter", 2600, 2699),
    (17, "Personalens skatter, avgifter och löneavdrag", 2700, 2799),
    (18, "Övriga kortfristiga skulder", 2800, 2899),
    (19, "Upplupna kostnader och förutbetalda intäkter", 2900, 2999),
    (20, "Nettoomsättning", 3000, 3799),
    (21, "Övriga rörelseintäkter", 3800, 3999),
    (24, "Råvaror och förnödenheter", 4000, 4999),
    (25, "Övriga externa kostnader", 5000, 6999),
    (26, "Personalkostnader", 7000, 7699),
    (27, "Avskrivningar", 7700, 7999),
    (28, "Finansiella poster", 8000, 8799),
    (29, "Bokslutsdispositioner och skatt", 8800, 8999),
)

CHART: tuple[tuple[int, str], ...] = (
    (1220, "Inventarier och verktyg"), (1229, "Ackumulerade avskrivningar på inventarier och verktyg"),
    (1510, "Kundfordringar"), (1630, "Avräkning för skatter och avgifter (skattekonto)"),
    (1790, "Övriga förutbetalda kostnader och upplupna intäkter"), (1910, "Kassa"), (1930, "Företagskonto"),
    (2081, "Aktiekapital"), (2091, "Balanserad vinst eller förlust"), (2099, "Årets resultat"),
    (2440, "Leverantörsskulder"), (2510, "Skatteskulder"), (2611, "Utgående moms på försäljning inom Sverige, 25%"),
    (2621, "Utgående moms på försäljning inom Sverige, 12%"), (2641, "Debiterad ingående moms"),
    (2650, "Redovisningskonto för moms"), (2710, "Personalskatt"), (2731, "Avräkning lagstadgade sociala avgifter"),
    (2890, "Övriga kortfristiga skulder"), (2990, "Övriga upplupna kostnader och förutbetalda intäkter"),
    (3001, "Försäljning inom Sverige, 25 % moms"), (3041, "Försäljn tjänst 25% sv"),
    (3740, "Öres- och kronutjämning"), (3990, "Övriga ersättningar och intäkter"),
    (4010, "Inköp material och varor"), (5010, "Lokalhyra"), (5410, "Förbrukningsinventarier"),
    (5460, "Förbrukningsmaterial"), (5800, "Resekostnader"), (6071, "Representation, avdragsgill"),
    (6110, "Kontorsmateriel"), (6212, "Mobiltelefon"), (6230, "Datakommunikation"), (6540, "IT-tjänster"),
    (6570, "Bankkostnader"), (7210, "Löner till tjänstemän"), (7510, "Arbetsgivaravgifter 31,42 %"),
    (7832, "Avskrivningar på inventarier och verktyg"), (8310, "Ränteintäkter från omsättningstillgångar"),
    (8410, "Räntekostnader för långfristiga skulder"), (8910, "Skatt som belastar årets resultat"),
    (1250, "Datorer"), (2350, "Andra långfristiga skulder till kreditinstitut"), (6993, "Lämnade bidrag och gåvor"),
)


def account_type(number: int) -> tuple[int, str]:
    for kind, description, first, last in ACCOUNT_TYPES:
        if first <= number <= last:
            return kind, description
    return 0, "Övrigt"
