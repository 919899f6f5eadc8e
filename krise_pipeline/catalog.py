"""The publication's own description: one entry per published table, its grain and its columns.

`publish` writes these as DuckDB `COMMENT`s on every table and column of publication.duckdb and
adds the `codes` table, so that an analyst who opens the file finds what each column and code
means; the Dagster asset specs carry the same column schemas, so the UI shows them before any
run; a test keeps the README's table list and the contract's columns in step with this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from krise_pipeline import contract
from krise_pipeline.exports import vocabulary


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    description: str
    columns: tuple[Column, ...]

    @property
    def comment(self) -> str:
        return f"{self.description} Grain: {self.grain}."


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


YEAR = _c("year", "INTEGER", "Reporting year")
SUPPRESSED = _c("suppressed", "BOOLEAN", "True when the cell is hidden (base below 20, or to protect another "
                "hidden cell); its numbers are then NULL and shown as '..'")

PUBLISHED: tuple[Table, ...] = (
    Table("centre_offers", "one row per year, question, item and target group",
          "Centre counts from the centre survey: how many centres ticked an item, out of the base.", (
              YEAR,
              _c("question", "VARCHAR", "Survey question (= published chart); see the questions table"),
              _c("item", "VARCHAR", "Answer item; minst_ett = at least one item of the question"),
              _c("label", "VARCHAR", "The item's label as valid that year"),
              _c("target_group", "VARCHAR", "kvinner / menn (offer for women / men) or alle (the whole centre)"),
              _c("n_centres", "INTEGER", "Centres that ticked the item"),
              _c("n_base", "INTEGER", "Centres in the base: with an offer for the target group (alle: all "
                 "reporting centres)"),
              _c("share", "DOUBLE", "n_centres / n_base as a fraction 0..1, unrounded; NULL when the base is 0"),
          )),
    Table("service_shares", "one row per year, population, measure, breakdown and category",
          "Shares of stays and day visits with a given help; reserved records are in no base.", (
              YEAR,
              _c("population", "VARCHAR", "voksne_opphold (adult stays), barn_opphold (children's stays), "
                 "dagsbesok (day visits)"),
              _c("measure", "VARCHAR", "The help given (a registration column), or kartlegging_trusler_totalt / "
                 "_begge derived from the two threat mappings"),
              _c("breakdown", "VARCHAR", "alle, kjonn, aldersgruppe or aldersgruppe_grov (children only)"),
              _c("category", "VARCHAR", "The breakdown's category (see the codes table); alle for breakdown alle"),
              _c("n_with", "INTEGER", "Records with the help; NULL when suppressed"),
              _c("n_base", "INTEGER", "Records that are not reserved; NULL when suppressed"),
              _c("share", "DOUBLE", "n_with / n_base as a fraction 0..1, unrounded; NULL when suppressed"),
              SUPPRESSED,
          )),
    Table("user_counts", "one row per year, population, breakdown and category",
          "Counts of stays or day visits and of persons.", (
              YEAR,
              _c("population", "VARCHAR", "beboere (adult residents), barn (children), dagbrukere (day users)"),
              _c("breakdown", "VARCHAR", "alle or kjonn"),
              _c("category", "VARCHAR", "alle, or K / M for kjonn (annet and ukjent are not published)"),
              _c("n_records", "INTEGER", "Stays or day visits, reserved included; NULL when suppressed"),
              _c("n_persons", "INTEGER", "Persons: records with the first-stay (first-visit) flag; NULL when "
                 "suppressed"),
              SUPPRESSED,
          )),
    Table("questions", "one row per question (= published chart)", "The survey questions, from questions.csv.", (
        _c("question", "VARCHAR", "Question code"),
        _c("scope", "VARCHAR", "kvinner_menn (answered per offer for women and men) or senter (per centre)"),
        _c("title", "VARCHAR", "The chart's title"),
        _c("question_text", "VARCHAR", "The question as asked"),
        _c("main_grouping", "VARCHAR", "The chart's main grouping"),
        _c("secondary_grouping", "VARCHAR", "The chart's secondary grouping"),
    )),
    Table("label_changes", "one row per label change or new item",
          "Every label change in the codebook, published as a footnote.", (
              _c("year", "INTEGER", "First year of the new label"),
              _c("question", "VARCHAR", "Question code"),
              _c("item", "VARCHAR", "Item code (it keeps its code when the label changes)"),
              _c("old_label", "VARCHAR", "The label before; NULL for an item new that year"),
              _c("new_label", "VARCHAR", "The label from that year"),
          )),
    Table("releases", "one row per published year", "Release status and what identifies each year's input and "
          "code.", (
              YEAR,
              _c("status", "VARCHAR", "utkast (draft), publisert (published) or revidert (revised)"),
              _c("note", "VARCHAR", "The release note"),
              _c("built_at", "TIMESTAMP", "UTC time of the build"),
              _c("input_sha256", "VARCHAR", "SHA-256 of the year's whole delivery"),
              _c("input_files", "VARCHAR", "JSON: SHA-256 of each delivered file"),
              _c("package_version", "VARCHAR", "krise_pipeline version"),
              _c("git_commit", "VARCHAR", "The code's git commit (-dirty: uncommitted code changes)"),
              _c("codebook_sha256", "VARCHAR", "SHA-256 of the codebook"),
              _c("texts", "VARCHAR", "JSON: SHA-256 of each editorial text of the year (tekster/<year>/)"),
          )),
    Table("vintages", "one row per revised figure and release",
          "Every published figure a revision changed, from the release ledger.", (
              _c("release", "VARCHAR", "The ledger release that changed the figure, e.g. 2023-2"),
              _c("released_on", "DATE", "The day the revision was recorded"),
              YEAR,
              _c("table_name", "VARCHAR", "centre_offers, service_shares or user_counts"),
              _c("key", "VARCHAR", "The figure's key columns as text"),
              _c("question", "VARCHAR", "Key column (centre_offers)"),
              _c("item", "VARCHAR", "Key column (centre_offers)"),
              _c("target_group", "VARCHAR", "Key column (centre_offers)"),
              _c("population", "VARCHAR", "Key column (service_shares, user_counts)"),
              _c("measure", "VARCHAR", "Key column (service_shares)"),
              _c("breakdown", "VARCHAR", "Key column (service_shares, user_counts)"),
              _c("category", "VARCHAR", "Key column (service_shares, user_counts)"),
              _c("figure", "VARCHAR", "The column that changed"),
              _c("old_value", "VARCHAR", "Before, as text: '..' = suppressed, NULL = not published before"),
              _c("new_value", "VARCHAR", "After, as text: '..' = suppressed, NULL = no longer published"),
              _c("old_number", "INTEGER", "old_value as a number (NULL when suppressed or absent)"),
              _c("new_number", "INTEGER", "new_value as a number (NULL when suppressed or absent)"),
              _c("note", "VARCHAR", "The revision note"),
          )),
    Table("acknowledgements", "one row per acknowledged warning (year, check, key) with its note",
          "Year-on-year changes checked and found real, with the note shown beside the figures.", (
              YEAR,
              _c("check_name", "VARCHAR", "The warning check"),
              _c("key", "VARCHAR", "What moved, as text"),
              _c("population", "VARCHAR", "Key column"),
              _c("measure", "VARCHAR", "Key column"),
              _c("question", "VARCHAR", "Key column"),
              _c("item", "VARCHAR", "Key column"),
              _c("target_group", "VARCHAR", "Key column"),
              _c("note", "VARCHAR", "Why the change is real"),
          )),
    Table("codes", "one row per coded column and code", "What every code of the published tables means, with "
          "its label as published.", (
              _c("table_name", "VARCHAR", "The table"),
              _c("column_name", "VARCHAR", "The coded column"),
              _c("population", "VARCHAR", "For category: the population the label applies to"),
              _c("breakdown", "VARCHAR", "For category: the breakdown the label applies to"),
              _c("code", "VARCHAR", "The code as stored"),
              _c("label", "VARCHAR", "The label as published (Norwegian)"),
              _c("description", "VARCHAR", "What the code means"),
          )),
)
BY_NAME = {t.name: t for t in PUBLISHED}


Code = tuple[str, str, str | None, str | None, str, str, str]


def codes() -> list[Code]:
    """(table, column, population, breakdown, code, label, description) for every coded column of
    the publication; population and breakdown say where a category's label applies (K is "Jenter"
    for children, "Kvinner" for adults)."""
    rows: list[Code] = []
    for group, label in vocabulary.TARGET_GROUP_NAMES.items():
        rows.append(("centre_offers", "target_group", None, None, group, label,
                     "the centre's whole answer" if group == "alle" else f"the centre's offer for {group}"))
    for pop, label in vocabulary.POPULATION_NAMES.items():
        rows.append(("service_shares", "population", None, None, pop, label, "records of this kind in the year"))
    for pop, label in vocabulary.COUNT_POPULATION_NAMES.items():
        rows.append(("user_counts", "population", None, None, pop, label,
                     "records and persons of this kind in the year"))
    for measure, label in vocabulary.MEASURE_NAMES.items():
        rows.append(("service_shares", "measure", None, None, measure, label, "share of the records with this help"))
    for breakdown, label in vocabulary.BREAKDOWN_NAMES.items():
        rows.append(("service_shares", "breakdown", None, None, breakdown, label, "how the records are divided"))
    for table, populations in (("service_shares", vocabulary.POPULATION_NAMES),
                               ("user_counts", vocabulary.COUNT_POPULATION_NAMES)):
        for pop in populations:
            allowed = contract.SHARE_BREAKDOWNS[pop] if table == "service_shares" else contract.COUNT_BREAKDOWNS
            for breakdown in allowed:
                for category in contract.BREAKDOWNS[breakdown]:
                    rows.append((table, "category", pop, breakdown, category,
                                 vocabulary.category_name(pop, breakdown, category),
                                 "every record" if breakdown == "alle" else f"records with {breakdown} {category}"))
    for status, label in vocabulary.STATUS_NAMES.items():
        rows.append(("releases", "status", None, None, status, label, contract_status_description(status)))
    return rows


def contract_status_description(status: str) -> str:
    return {"utkast": "a draft: the figures may still change",
            "publisert": "published: the figures are frozen",
            "revidert": "revised after publication: see vintages"}[status]


def readme_table() -> str:
    """The README's list of published tables, generated from this catalog."""
    lines = ["| table | grain | what |", "|---|---|---|"]
    lines += [f"| `{t.name}` | {t.grain} | {t.description} |" for t in PUBLISHED]
    return "\n".join(lines)
