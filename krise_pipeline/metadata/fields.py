"""Every column name the pipeline writes, declared once: its DuckDB type and what it means.

The tables of `registry` refer to these fields by name (`column("population")`); a table may say
more about a field in its own context (`column("question", "Key column (centre_offers)")`) and
whether it may be NULL there, but never give it another type. The few columns whose type is the
restricted warehouse's unsuppressed aggregates (DuckDB's BIGINT counts and HUGEINT sums) are
made by `aggregate`, from the same field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Column:
    """A field as one table holds it."""

    name: str
    type: str
    description: str
    not_null: bool = False
    published: bool = True  # in publication.duckdb when its table is published


HELP = "0/1 help given; NULL exactly when reservert"
KEY = "Key column"

_FIELDS: tuple[Field, ...] = (
    # --- time and place ---------------------------------------------------------------------------
    Field("year", "INTEGER", "Reporting year"),
    Field("senter_id", "VARCHAR", "Centre id, KS + three digits"),
    Field("senter_navn", "VARCHAR", "Centre name"),
    Field("kommune_nr", "VARCHAR", "Host municipality, four digits"),
    # --- the centre survey -----------------------------------------------------------------------
    Field("har_tilbud_kvinner", "BOOLEAN", "The centre has a housing offer for women"),
    Field("har_tilbud_menn", "BOOLEAN", "The centre has a housing offer for men"),
    Field("botilbud_menn_type", "VARCHAR",
          "egne_lokaler, samme_bygning or midlertidig; NULL exactly when har_tilbud_menn is false"),
    Field("question", "VARCHAR", "Question code"),
    Field("item", "VARCHAR", "Item code"),
    Field("target_group", "VARCHAR", "kvinner / menn (offer for women / men) or alle (the whole centre)"),
    Field("ticked", "BOOLEAN", "The box was ticked"),
    Field("scope", "VARCHAR", "kvinner_menn (answered per offer for women and men) or senter (per centre)"),
    Field("title", "VARCHAR", "The chart's title"),
    Field("question_text", "VARCHAR", "The question as asked"),
    Field("main_grouping", "VARCHAR", "The chart's main grouping"),
    Field("secondary_grouping", "VARCHAR", "The chart's secondary grouping"),
    Field("question_order", "INTEGER", "Position in questions.csv"),
    Field("label", "VARCHAR", "The item's label as valid that year"),
    Field("valid_from", "INTEGER", "First year of the label; NULL = open"),
    Field("valid_to", "INTEGER", "Last year of the label; NULL = open"),
    Field("item_order", "INTEGER", "Position of the item in codebook.csv"),
    Field("old_label", "VARCHAR", "The label before; NULL for an item new that year"),
    Field("new_label", "VARCHAR", "The label from that year"),
    # --- the person-level records (restricted) ---------------------------------------------------
    Field("opphold_id", "VARCHAR", "Stay id, unique in the year"),
    Field("besok_id", "VARCHAR", "Visit id, unique in the year"),
    Field("person_id", "VARCHAR", "Pseudonym of the resident"),
    Field("barn_id", "VARCHAR", "Pseudonym of the child"),
    Field("kjonn", "VARCHAR", "K, M, A or U"),
    Field("alder", "SMALLINT", "Age in whole years"),
    Field("innflyttet", "DATE", "Moved in"),
    Field("utflyttet", "DATE", "Moved out; NULL = still resident at year end"),
    Field("dato", "DATE", "Date of the visit"),
    Field("forste_opphold_i_aret", "BOOLEAN", "The person's first stay in the year"),
    Field("forste_besok_i_aret", "BOOLEAN", "The person's first visit in the year"),
    Field("reservert", "BOOLEAN", "Opted out of registration"),
    Field("inntakssamtale", "BOOLEAN", HELP),
    Field("velkomstsamtale", "BOOLEAN", HELP),
    Field("kartlegging_hjelpebehov", "BOOLEAN", HELP),
    Field("kartlegging_trusler_senter", "BOOLEAN", HELP),
    Field("kartlegging_trusler_andre", "BOOLEAN", HELP),
    Field("kartlegging_trusler_totalt", "BOOLEAN", "Either threat mapping (derived)"),
    Field("kartlegging_trusler_begge", "BOOLEAN", "Both threat mappings (derived)"),
    Field("plan_under_opphold", "BOOLEAN", HELP),
    Field("plan_etter_opphold", "BOOLEAN", HELP),
    # --- cells and figures -----------------------------------------------------------------------
    Field("population", "VARCHAR", "voksne_opphold (adult stays), barn_opphold (children's stays), "
                                   "dagsbesok (day visits)"),
    Field("record_population", "VARCHAR", "The population name of its records (as in service_shares)"),
    Field("measure", "VARCHAR", "The help given (a registration column), or kartlegging_trusler_totalt / "
                                "_begge derived from the two threat mappings"),
    Field("breakdown", "VARCHAR", "alle, kjonn, aldersgruppe or aldersgruppe_grov (children only)"),
    Field("category", "VARCHAR", "The breakdown's category (see the codes table); alle for breakdown alle"),
    Field("cell_order", "INTEGER", "Publication order"),
    Field("n_centres", "INTEGER", "Centres that ticked the item"),
    Field("n_records", "INTEGER", "Stays or day visits, reserved included; NULL when suppressed"),
    Field("n_persons", "INTEGER", "Persons: records with the first-stay (first-visit) flag; NULL when suppressed"),
    Field("n_with", "INTEGER", "Records with the help; NULL when suppressed"),
    Field("n_base", "INTEGER", "Records that are not reserved; NULL when suppressed"),
    Field("share", "DOUBLE", "n_with / n_base as a fraction 0..1, unrounded; NULL when suppressed"),
    Field("suppressed", "BOOLEAN", "True when the cell is hidden (base below 20, or to protect another hidden "
                                   "cell); its numbers are then NULL and shown as '..'"),
    # --- files, releases and their records -------------------------------------------------------
    Field("file", "VARCHAR", "File name in the year's folder"),
    Field("bytes", "BIGINT", "Size in bytes"),
    Field("sha256", "VARCHAR", "SHA-256 of the file's content"),
    Field("status", "VARCHAR", "utkast (draft), publisert (published) or revidert (revised)"),
    Field("note", "VARCHAR", "The release note"),
    Field("built_at", "TIMESTAMP", "UTC time of the build"),
    Field("input_sha256", "VARCHAR", "SHA-256 of the year's whole delivery"),
    Field("input_files", "VARCHAR", "JSON: SHA-256 of each delivered file"),
    Field("package_version", "VARCHAR", "krise_pipeline version"),
    Field("git_commit", "VARCHAR", "The code's git commit (-dirty: uncommitted code changes)"),
    Field("codebook_sha256", "VARCHAR", "SHA-256 of the codebook"),
    Field("texts", "VARCHAR", "JSON: SHA-256 of each editorial text of the year (tekster/<year>/)"),
    Field("publiseres", "TIMESTAMP", "UTC time the year goes out to the public files (releases.csv column "
                                     "publiseres, given in Europe/Oslo); NULL = as soon as it is publisert "
                                     "or revidert"),
    Field("findings", "INTEGER", "Claims the figures do not bear out"),
    Field("line", "INTEGER", "Line of the claim in the text"),
    Field("claim", "VARCHAR", "The claim as written"),
    Field("reason", "VARCHAR", "Why the figures do not bear it out"),
    Field("expected", "VARCHAR", "What the publication says"),
    Field("release", "VARCHAR", "The ledger release that changed the figure, e.g. 2023-2"),
    Field("released_on", "DATE", "The day the revision was recorded"),
    Field("table_name", "VARCHAR", "The table"),
    Field("key", "VARCHAR", "The figure's key columns as text"),
    Field("figure", "VARCHAR", "The column that changed"),
    Field("old_value", "VARCHAR", "Before, as text: '..' = suppressed, NULL = not published before"),
    Field("new_value", "VARCHAR", "After, as text: '..' = suppressed, NULL = no longer published"),
    Field("old_number", "INTEGER", "old_value as a number (NULL when suppressed or absent)"),
    Field("new_number", "INTEGER", "new_value as a number (NULL when suppressed or absent)"),
    Field("check_name", "VARCHAR", "The warning check"),
    # --- the codes table -------------------------------------------------------------------------
    Field("column_name", "VARCHAR", "The coded column"),
    Field("code", "VARCHAR", "The code as stored"),
    Field("description", "VARCHAR", "What the code means"),
)

FIELDS: Final[dict[str, Field]] = {f.name: f for f in _FIELDS}
"""The fields by name (each name once)."""

AGGREGATE_TYPES: Final = {"count": "BIGINT", "sum": "HUGEINT"}
"""The types of the restricted warehouse's unsuppressed aggregates: DuckDB's count(*) and its sum
of integers, kept as DuckDB makes them (the published tables hold them as INTEGER)."""


def column(name: str, description: str | None = None, *, not_null: bool = False,
           published: bool = True) -> Column:
    """The field `name` in a table: its type, and its description unless the table says more."""
    f = FIELDS[name]
    return Column(name, f.type, description or f.description, not_null, published)


def required(name: str, description: str | None = None, *, published: bool = True) -> Column:
    """A column that is never NULL."""
    return column(name, description, not_null=True, published=published)


def columns(*names: str, not_null: bool = False) -> tuple[Column, ...]:
    """Several fields as declared."""
    return tuple(column(n, not_null=not_null) for n in names)


def aggregate(name: str, description: str, of: str = "sum") -> Column:
    """The field `name` as an unsuppressed count (`count`) or sum (`sum`) in the restricted warehouse."""
    if name not in FIELDS:
        raise KeyError(f"{name} is not a field")
    return Column(name, AGGREGATE_TYPES[of], description)
