"""The data contract's vocabulary: file names, columns, populations, measures and breakdowns.

Everything here is fixed by the contract (spec README, sections 1-3); nothing depends on a
particular delivery.
"""

from __future__ import annotations

from typing import Final

# --- deliveries (contract section 1) ---------------------------------------------------------

SURVEY_FILE: Final = "sentreskjema.xlsx"
SURVEY_SHEET: Final = "svar"
ADULT_FILE: Final = "beboere_opphold.csv"
CHILD_FILE: Final = "barn_opphold.csv"
VISIT_FILE: Final = "dagsbesok.csv"
CSV_FILES: Final = (ADULT_FILE, CHILD_FILE, VISIT_FILE)
DELIVERY_FILES: Final = (SURVEY_FILE, *CSV_FILES)

SURVEY_FIXED_COLUMNS: Final = (
    "senter_id",
    "senter_navn",
    "kommune_nr",
    "har_tilbud_kvinner",
    "har_tilbud_menn",
    "botilbud_menn_type",
)
BOTILBUD_MENN_TYPES: Final = ("egne_lokaler", "samme_bygning", "midlertidig")

ADULT_HELP: Final = (
    "inntakssamtale",
    "kartlegging_hjelpebehov",
    "kartlegging_trusler_senter",
    "kartlegging_trusler_andre",
    "plan_under_opphold",
    "plan_etter_opphold",
)
CHILD_HELP: Final = (
    "velkomstsamtale",
    "kartlegging_hjelpebehov",
    "kartlegging_trusler_senter",
    "kartlegging_trusler_andre",
    "plan_under_opphold",
)
VISIT_HELP: Final = (
    "kartlegging_hjelpebehov",
    "kartlegging_trusler_senter",
    "kartlegging_trusler_andre",
)

ADULT_COLUMNS: Final = (
    "opphold_id", "person_id", "senter_id", "kjonn", "alder", "innflyttet", "utflyttet",
    "forste_opphold_i_aret", "reservert", *ADULT_HELP,
)
CHILD_COLUMNS: Final = (
    "opphold_id", "barn_id", "senter_id", "kjonn", "alder", "innflyttet", "utflyttet",
    "forste_opphold_i_aret", "reservert", *CHILD_HELP,
)
VISIT_COLUMNS: Final = (
    "besok_id", "person_id", "senter_id", "kjonn", "dato", "forste_besok_i_aret", "reservert",
    *VISIT_HELP,
)
ADULT_KJONN: Final = ("K", "M", "A", "U")
CHILD_KJONN: Final = ("K", "M", "U")

# Columns that identify a person or a record; they never leave the restricted warehouse.
IDENTIFIERS: Final = frozenset({"person_id", "barn_id", "opphold_id", "besok_id"})

# --- what is computed (contract section 2) ---------------------------------------------------

TARGET_GROUPS: Final = ("kvinner", "menn")
TARGET_GROUP_ALL: Final = "alle"
SCOPE_WOMEN_MEN: Final = "kvinner_menn"
SCOPE_CENTRE: Final = "senter"
SUFFIX_BY_GROUP: Final = {"kvinner": "k", "menn": "m"}

ORGANISERING: Final = "organisering"
MINST_ETT: Final = "minst_ett"
DERIVED_LABELS: Final = {
    "minst_ett": "Minst ett av tilbudene",
    "har_tilbud": "Har botilbud",
    "botilbud_menn_egne_lokaler": "Botilbud til menn i egne lokaler",
    "botilbud_menn_samme_bygning": "Botilbud til menn i samme bygning, fysisk atskilt",
    "botilbud_menn_midlertidig": "Midlertidig løsning for botilbud til menn",
}

# population of service_shares -> (validated table, help columns)
SHARE_POPULATIONS: Final = {
    "voksne_opphold": ("beboere_opphold", ADULT_HELP),
    "barn_opphold": ("barn_opphold", CHILD_HELP),
    "dagsbesok": ("dagsbesok", VISIT_HELP),
}
DERIVED_MEASURES: Final = ("kartlegging_trusler_totalt", "kartlegging_trusler_begge")

# population of user_counts -> (validated table, first-record flag)
COUNT_POPULATIONS: Final = {
    "beboere": ("beboere_opphold", "forste_opphold_i_aret"),
    "barn": ("barn_opphold", "forste_opphold_i_aret"),
    "dagbrukere": ("dagsbesok", "forste_besok_i_aret"),
}

# breakdown -> categories in publication order
BREAKDOWNS: Final = {
    "alle": ("alle",),
    "kjonn": ("K", "M"),
    "aldersgruppe": ("0-2", "3-5", "6-10", "11-17"),
    "aldersgruppe_grov": ("0-2", "3-5", "6-17"),
}
SHARE_BREAKDOWNS: Final = {
    "voksne_opphold": ("alle", "kjonn"),
    "barn_opphold": ("alle", "kjonn", "aldersgruppe", "aldersgruppe_grov"),
    "dagsbesok": ("alle", "kjonn"),
}
COUNT_BREAKDOWNS: Final = ("alle", "kjonn")

SUPPRESSION_THRESHOLD: Final = 20

# release statuses (releases.csv, the ledger, warehouse.releases)
DRAFT: Final = "utkast"
PUBLISHED: Final = "publisert"
REVISED: Final = "revidert"
RELEASE_STATUSES: Final = (DRAFT, PUBLISHED, REVISED)
DEFAULT_RELEASE_STATUS: Final = DRAFT
PUBLISHED_STATUSES: Final = (PUBLISHED, REVISED)  # the figures are frozen
