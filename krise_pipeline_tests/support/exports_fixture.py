"""A small publication.duckdb written by hand for the export tests.

Three years (2022-2024), the questions organisering, tilbud_beboere, politivurdering and
informasjonsarbeid, a label change inside the years (hjelp_kontakt_tjenester, 2024), a new item
(advokatbistand, 2023), a label starting with "=", and suppressed cells.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

EQUALS_LABEL = "=Praktisk hjelp (1+1)"
AT_LABEL = "@Plan for oppfølging etter oppholdet"

OLD_HJELP = "Hjelp til å ta kontakt med andre tjenester"
NEW_HJELP = "Hjelp i kontakt med andre tjenester"
OLD_SOME = "Egen profil/konto på Twitter/andre sosiale medier"
NEW_SOME = "Egen profil/konto på andre sosiale medier"

QUESTIONS = [
    ("organisering", "kvinner_menn", "Krisesentre med tilbud til kvinner og menn",
     "Antall krisesentre med botilbud til kvinner og menn og hvordan botilbudet til menn er organisert.",
     "Sentre", "Botilbud"),
    ("tilbud_beboere", "kvinner_menn", "Tilbud til beboere",
     "Hva slags hjelp får beboere tilbud om? Flere kryss mulig. Antall sentre med tilbud for kvinner og menn.",
     "Sentre", "Tilbud"),
    ("politivurdering", "kvinner_menn", "Politivurdering av krisesentrenes bygninger og sikkerhetstiltak",
     "Antall krisesentertilbud for kvinner og menn som har blitt vurdert av lokalt politi, og antall "
     "krisesentertilbud hvor politiets vurdering foreligger skriftlig.",
     "Sentre", "Politivurdering"),
    ("informasjonsarbeid", "senter", "Utadrettet informasjonsarbeid",
     "Har sentret drevet ulike former for utadrettet informasjonsarbeid i løpet av året? Flere kryss "
     "mulig. Antall.",
     "År", "Type informasjonsarbeid"),
]

# base (centres with an offer) per year and target group
BASE = {2022: {"kvinner": 43, "menn": 40}, 2023: {"kvinner": 43, "menn": 41}, 2024: {"kvinner": 43, "menn": 42}}
ALL_CENTRES = {2022: 43, 2023: 43, 2024: 43}

# tilbud_beboere: item -> year -> (kvinner, menn); label per year
TILBUD = {
    "inntakssamtale": {2022: (43, 40), 2023: (43, 41), 2024: (43, 42)},
    "hjelp_kontakt_tjenester": {2022: (42, 39), 2023: (43, 40), 2024: (43, 42)},
    "praktisk_hjelp": {2022: (40, 38), 2023: (41, 40), 2024: (41, 40)},
    "plan_etter_opphold": {2022: (36, 30), 2023: (37, 35), 2024: (40, 35)},
    "barnepass": {2022: (25, 9), 2023: (24, 10), 2024: (20, 10)},
    "advokatbistand": {2023: (11, 15), 2024: (12, 15)},
    "minst_ett": {2022: (43, 40), 2023: (43, 41), 2024: (43, 42)},
}
TILBUD_LABELS = {
    "inntakssamtale": "Inntakssamtale",
    "praktisk_hjelp": EQUALS_LABEL,
    "plan_etter_opphold": AT_LABEL,
    "barnepass": "Barnepass",
    "advokatbistand": "Advokatbistand i krisesenteret",
    "minst_ett": "Minst ett av tilbudene",
}

POLITI = {
    "vurdert": {2022: (27, 19), 2023: (28, 20), 2024: (30, 22)},
    "skriftlig": {2022: (10, 8), 2023: (10, 9), 2024: (11, 9)},
    "minst_ett": {2022: (27, 19), 2023: (28, 20), 2024: (30, 22)},
}
POLITI_LABELS = {
    "vurdert": "Vurdert av lokalt politi",
    "skriftlig": "Politiets vurdering foreligger skriftlig",
    "minst_ett": "Minst ett av tilbudene",
}

INFO = {
    "brosjyrer": {2022: 34, 2023: 36, 2024: 40},
    "facebook": {2022: 33, 2023: 35, 2024: 35},
    "andre_sosiale_medier": {2022: 11, 2023: 12, 2024: 10},
    "annonser": {2022: 10, 2023: 8, 2024: 5},
    "minst_ett": {2022: 42, 2023: 43, 2024: 43},
}
INFO_LABELS = {
    "brosjyrer": "Brosjyrer/plakater på venterom hos andre tjenester",
    "facebook": "Egen profil på Facebook",
    "annonser": "Annonser i lokalpresse",
    "minst_ett": "Minst ett av tilbudene",
}

HAR_TILBUD = {2022: (43, 40), 2023: (43, 41), 2024: (43, 42)}
MEN_HOUSING = {
    2022: {"egne": 12, "samme": 24, "midl": 4},
    2023: {"egne": 13, "samme": 23, "midl": 5},
    2024: {"egne": 13, "samme": 24, "midl": 5},
}

LABEL_CHANGES = [
    (2021, "tilbud_beboere", "samarbeidsgrupper", "Deltakelse i ansvarsgrupper rundt beboeren",
     "Deltakelse i samarbeidsgrupper rundt beboeren"),
    (2023, "tilbud_beboere", "advokatbistand", None, "Advokatbistand i krisesenteret"),
    (2024, "tilbud_beboere", "hjelp_kontakt_tjenester", OLD_HJELP, NEW_HJELP),
    (2025, "tilbud_beboere", "barnepass", "Barnepass", "Barnepass og barnevakt"),
    (2023, "informasjonsarbeid", "andre_sosiale_medier", OLD_SOME, NEW_SOME),
]

# service_shares rows: (year, population, measure, breakdown, category, n_with, n_base, suppressed)
SHARES: list[tuple[int, str, str, str, str, int | None, int | None, bool]] = [
    (2024, "voksne_opphold", "inntakssamtale", "alle", "alle", 196, 200, False),
    (2024, "voksne_opphold", "kartlegging_hjelpebehov", "alle", "alle", 164, 200, False),
    (2024, "voksne_opphold", "kartlegging_trusler_senter", "alle", "alle", 146, 200, False),
    (2024, "voksne_opphold", "kartlegging_trusler_andre", "alle", "alle", 53, 200, False),
    (2024, "voksne_opphold", "kartlegging_trusler_totalt", "alle", "alle", 150, 200, False),
    (2024, "voksne_opphold", "kartlegging_trusler_begge", "alle", "alle", 49, 200, False),
    (2024, "voksne_opphold", "plan_under_opphold", "alle", "alle", 126, 200, False),
    (2024, "voksne_opphold", "plan_etter_opphold", "alle", "alle", 60, 200, False),
    (2024, "voksne_opphold", "inntakssamtale", "kjonn", "K", None, None, True),
    (2024, "voksne_opphold", "inntakssamtale", "kjonn", "M", None, None, True),
    (2023, "voksne_opphold", "inntakssamtale", "alle", "alle", 171, 180, False),
    (2024, "barn_opphold", "velkomstsamtale", "alle", "alle", 78, 120, False),
    (2024, "barn_opphold", "kartlegging_hjelpebehov", "alle", "alle", 64, 120, False),
    (2024, "barn_opphold", "kartlegging_trusler_senter", "alle", "alle", 61, 120, False),
    (2024, "barn_opphold", "kartlegging_trusler_andre", "alle", "alle", 22, 120, False),
    (2024, "barn_opphold", "kartlegging_trusler_totalt", "alle", "alle", 64, 120, False),
    (2024, "barn_opphold", "kartlegging_trusler_begge", "alle", "alle", 19, 120, False),
    (2024, "barn_opphold", "plan_under_opphold", "alle", "alle", 54, 120, False),
    (2024, "barn_opphold", "velkomstsamtale", "kjonn", "K", 40, 62, False),
    (2024, "barn_opphold", "velkomstsamtale", "kjonn", "M", 38, 58, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe", "0-2", 6, 30, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe", "3-5", 15, 25, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe", "6-10", 16, 20, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe", "11-17", 41, 45, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe_grov", "0-2", 6, 30, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe_grov", "3-5", 15, 25, False),
    (2024, "barn_opphold", "velkomstsamtale", "aldersgruppe_grov", "6-17", 57, 65, False),
    (2024, "dagsbesok", "kartlegging_hjelpebehov", "alle", "alle", 100, 400, False),
    (2024, "dagsbesok", "kartlegging_trusler_totalt", "alle", "alle", 72, 400, False),
    (2024, "dagsbesok", "kartlegging_trusler_senter", "alle", "alle", 70, 400, False),
    (2024, "dagsbesok", "kartlegging_trusler_andre", "alle", "alle", 14, 400, False),
    (2024, "dagsbesok", "kartlegging_trusler_begge", "alle", "alle", 12, 400, False),
]

# user_counts rows: (year, population, breakdown, category, n_records, n_persons, suppressed)
COUNTS: list[tuple[int, str, str, str, int | None, int | None, bool]] = [
    (2024, "beboere", "alle", "alle", 2715, 2340, False),
    (2024, "beboere", "kjonn", "K", None, None, True),
    (2024, "beboere", "kjonn", "M", None, None, True),
    (2024, "barn", "alle", "alle", 125, 110, False),
    (2024, "dagbrukere", "alle", "alle", 13586, 3745, False),
    (2023, "beboere", "alle", "alle", 2585, 2193, False),
]

RELEASES = [
    (2022, "publisert", "", dt.datetime(2025, 5, 2, 9, 30)),
    (2023, "publisert", "", dt.datetime(2025, 5, 2, 9, 30)),
    (2024, "utkast", "", dt.datetime(2025, 5, 2, 9, 30)),
]


def _hjelp_label(year: int) -> str:
    return NEW_HJELP if year >= 2024 else OLD_HJELP


def _some_label(year: int) -> str:
    return NEW_SOME if year >= 2023 else OLD_SOME


def offer_rows() -> list[tuple[int, str, str, str, str, int, int]]:
    rows: list[tuple[int, str, str, str, str, int, int]] = []
    for year, (women, men) in HAR_TILBUD.items():
        rows.append((year, "organisering", "har_tilbud", "Har botilbud", "kvinner", women, ALL_CENTRES[year]))
        rows.append((year, "organisering", "har_tilbud", "Har botilbud", "menn", men, ALL_CENTRES[year]))
        for item, key, label in (
            ("botilbud_menn_egne_lokaler", "egne", "Botilbud til menn i egne lokaler"),
            ("botilbud_menn_samme_bygning", "samme", "Botilbud til menn i samme bygning, fysisk atskilt"),
            ("botilbud_menn_midlertidig", "midl", "Midlertidig løsning for botilbud til menn"),
        ):
            rows.append((year, "organisering", item, label, "menn", MEN_HOUSING[year][key], BASE[year]["menn"]))
    for item, by_year in TILBUD.items():
        for year, (women, men) in by_year.items():
            label = _hjelp_label(year) if item == "hjelp_kontakt_tjenester" else TILBUD_LABELS[item]
            rows.append((year, "tilbud_beboere", item, label, "kvinner", women, BASE[year]["kvinner"]))
            rows.append((year, "tilbud_beboere", item, label, "menn", men, BASE[year]["menn"]))
    for item, by_year in POLITI.items():
        for year, (women, men) in by_year.items():
            rows.append((year, "politivurdering", item, POLITI_LABELS[item], "kvinner", women,
                         BASE[year]["kvinner"]))
            rows.append((year, "politivurdering", item, POLITI_LABELS[item], "menn", men, BASE[year]["menn"]))
    for item, counts in INFO.items():
        for year, n in counts.items():
            label = _some_label(year) if item == "andre_sosiale_medier" else INFO_LABELS[item]
            rows.append((year, "informasjonsarbeid", item, label, "alle", n, ALL_CENTRES[year]))
    return rows


def build_publication(path: Path) -> Path:
    """Write the hand-made publication database to `path` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("""
            CREATE TABLE centre_offers (year INTEGER, question VARCHAR, item VARCHAR, label VARCHAR,
                target_group VARCHAR, n_centres INTEGER, n_base INTEGER, share DOUBLE);
            CREATE TABLE service_shares (year INTEGER, population VARCHAR, measure VARCHAR,
                breakdown VARCHAR, category VARCHAR, n_with INTEGER, n_base INTEGER, share DOUBLE,
                suppressed BOOLEAN);
            CREATE TABLE user_counts (year INTEGER, population VARCHAR, breakdown VARCHAR,
                category VARCHAR, n_records INTEGER, n_persons INTEGER, suppressed BOOLEAN);
            CREATE TABLE questions (question VARCHAR, scope VARCHAR, title VARCHAR,
                question_text VARCHAR, main_grouping VARCHAR, secondary_grouping VARCHAR);
            CREATE TABLE label_changes (year INTEGER, question VARCHAR, item VARCHAR,
                old_label VARCHAR, new_label VARCHAR);
            CREATE TABLE releases (year INTEGER, status VARCHAR, note VARCHAR, built_at TIMESTAMP,
                input_sha256 VARCHAR, package_version VARCHAR, git_commit VARCHAR,
                codebook_sha256 VARCHAR);
        """)
        con.executemany(
            "INSERT INTO centre_offers VALUES (?, ?, ?, ?, ?, ?, ?, "
            "CASE WHEN ? = 0 THEN NULL ELSE ?::DOUBLE / ? END)",
            [(*r, r[6], r[5], r[6]) for r in offer_rows()],
        )
        con.executemany(
            "INSERT INTO service_shares VALUES (?, ?, ?, ?, ?, ?, ?, "
            "CASE WHEN ? THEN NULL ELSE ?::DOUBLE / ? END, ?)",
            [(y, p, m, b, c, n, base, sup, n, base, sup) for y, p, m, b, c, n, base, sup in SHARES],
        )
        con.executemany("INSERT INTO user_counts VALUES (?, ?, ?, ?, ?, ?, ?)", COUNTS)
        con.executemany("INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?)", QUESTIONS)
        con.executemany("INSERT INTO label_changes VALUES (?, ?, ?, ?, ?)", LABEL_CHANGES)
        con.executemany(
            "INSERT INTO releases VALUES (?, ?, ?, ?, 'abc123', '0.1.0', 'deadbeefcafe', 'c0ffee')",
            RELEASES,
        )
    finally:
        con.close()
    return path


def execute(path: Path, sql: str, params: list[object] | None = None) -> None:
    """Change the database (a test edits a figure and looks for the change in the outputs)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(sql, params or [])
    finally:
        con.close()
