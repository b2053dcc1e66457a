"""Who the default seed's company trades with, and on what: customers,
suppliers, cost centres and projects (names only; the seed adds ids)."""

from __future__ import annotations

CUSTOMERS: tuple[tuple[str, str | None], ...] = (
    ("Sparlivs i Sundbyberg AB", "556123-4501"), ("Bageri Kanelen HB", "969712-3302"),
    ("Nordisk Verktyg AB", "556234-5603"), ("Tandläkarna på Hornsgatan AB", "556345-6704"),
    ("Fjällgården Ekonomisk Förening", "769601-2305"), ("Kvarnbyns Bygg AB", "556456-7806"),
    ("Anna Lindqvist", None), ("Malmö Konsult & Partner AB", "556567-8907"), ("Östra Skolans Föräldraförening", "802456-1208"),
    ("Grön Fastighetsservice AB", "556678-9009"), ("Café Linnea", "880101-1234"), ("Sjöbodarna Event AB", "556789-0111"),
)

SUPPLIERS: tuple[tuple[str, str, str], ...] = (
    ("Fastighets AB Storgatan", "556900-1001", "5010"), ("Kontorsgiganten AB", "556900-1002", "6110"),
    ("Telia Sverige AB", "556430-0142", "6212"), ("Molnhallen IT AB", "556900-1004", "6540"),
    ("Grossisten i Norr AB", "556900-1005", "4010"), ("Bredband2 AB", "556900-1006", "6230"),
    ("Möbelhuset Kontor AB", "556900-1007", "5410"), ("Revisionsbyrån Ek & Partners KB", "969900-1008", "6540"),
)

COST_CENTRE_ITEMS: tuple[tuple[str, str], ...] = (("Försäljning", "SALJ"), ("Utveckling", "UTV"), ("Administration", "ADM"))

PROJECTS: tuple[tuple[str, str, int], ...] = (
    ("100", "Webbshop för Sparlivs", 2), ("200", "Supportavtal 2026", 1), ("300", "Migrering till molnet", 1),
)

RECEIPTS: tuple[tuple[int, str], ...] = (
    (5460, "Förbrukningsmaterial"), (6071, "Representation, lunch med kund"), (5800, "Tågresa Stockholm–Göteborg"),
    (6110, "Kontorsmaterial"), (5410, "Hörlurar"), (6993, "Gåva till välgörenhet"), (5800, "Taxi"),
)
