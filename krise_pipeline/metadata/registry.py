"""Every table the pipeline writes, declared once: key, grain, how it is built, what it reads, columns.

One entry per table of the restricted warehouse (`raw`, `validated`, `warehouse` in krise.duckdb)
and of the publication. The rest is generated from here: the validated tables' DDL, the Dagster
asset specs (description, deps, group, kinds, column schema), the warehouse tables built by a SQL
file (one asset each), the publication's queries, COMMENTs and column schemas (`catalog`), and
the README's table lists. A table built by SQL is one entry here plus its `sql/<file>.sql`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

LAYERS = ("raw", "validated", "warehouse", "publication")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    not_null: bool = False
    published: bool = True  # in publication.duckdb when its table is published


@dataclass(frozen=True)
class Sql:
    """Built by running `sql/<file>.sql` for each file, in order."""

    files: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """Built by a function of the package (`module.function`, relative to krise_pipeline)."""

    function: str


@dataclass(frozen=True)
class Table:
    key: str  # schema.table in krise.duckdb; `publication.<table>` for a table only the publication has
    grain: str
    description: str
    columns: tuple[Column, ...]
    build: Sql | Step
    deps: tuple[str, ...] = ()  # registry keys read while building
    published: bool = False  # copied (its published columns) into publication.duckdb
    order_by: str = ""  # order of the published rows
    notes: str = ""  # more for the asset's description (the published COMMENT is description and grain)
    kinds: tuple[str, ...] = ()  # beyond duckdb (and sql for a table built by SQL)
    preview: bool = False  # the asset shows its first rows (aggregate tables only)

    @property
    def schema(self) -> str:
        return self.key.split(".")[0]

    @property
    def name(self) -> str:
        return self.key.split(".")[1]

    @property
    def layer(self) -> str:
        """The Dagster group: the schema (raw, validated, warehouse) or publication."""
        return self.schema

    @property
    def comment(self) -> str:
        return f"{self.description} Grain: {self.grain}."

    @property
    def asset_description(self) -> str:
        return f"{self.comment}\n\n{self.notes}" if self.notes else self.comment

    @property
    def asset_path(self) -> list[str]:
        return [self.schema, self.name]

    @property
    def all_kinds(self) -> set[str]:
        return {"duckdb", *(("sql",) if isinstance(self.build, Sql) else ()), *self.kinds}

    def publication(self) -> Table:
        """The table as publication.duckdb holds it: its published columns, under its own name."""
        return replace(self, key=f"publication.{self.name}", columns=tuple(c for c in self.columns if c.published))

    def publication_query(self) -> str:
        columns = ", ".join(c.name for c in self.columns if c.published)
        return f"SELECT {columns} FROM {self.key}" + (f" ORDER BY {self.order_by}" if self.order_by else "")


def _c(name: str, type_: str, description: str, *, not_null: bool = False, published: bool = True) -> Column:
    return Column(name, type_, description, not_null, published)


def _nn(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description, not_null=True)


YEAR = _c("year", "INTEGER", "Reporting year")
SUPPRESSED = _c("suppressed", "BOOLEAN", "True when the cell is hidden (base below 20, or to protect another "
                "hidden cell); its numbers are then NULL and shown as '..'")

# --- raw and validated: the deliveries ---------------------------------------------------------------

_RECORD_HELP = "0/1 help given; NULL exactly when reservert"
_VALIDATED_BUILD = Step("validated.load_delivery")
_VALIDATED_DEPS = ("raw.delivery_files",)
_VALIDATED_KINDS = ("pandera",)
_VALIDATED_NOTES = ("Checked per file and across files by pandera models (the stays and visits inside DuckDB) "
                    "before anything is written.")


def _validated(name: str, grain: str, description: str, columns: tuple[Column, ...]) -> Table:
    return Table(f"validated.{name}", grain, description, (_nn("year", "INTEGER", "Reporting year"), *columns),
                 _VALIDATED_BUILD, _VALIDATED_DEPS, notes=_VALIDATED_NOTES, kinds=_VALIDATED_KINDS)


def _help(*names: str) -> tuple[Column, ...]:
    return tuple(_c(n, "BOOLEAN", _RECORD_HELP) for n in names)


RAW: tuple[Table, ...] = (
    Table("raw.delivery_files", "one row per year and delivered file",
          "The files of a year's delivery folder as received, for the lineage of each release.", (
              YEAR,
              _c("file", "VARCHAR", "File name in the year's folder"),
              _c("bytes", "BIGINT", "Size in bytes"),
              _c("sha256", "VARCHAR", "SHA-256 of the file's content"),
          ), Step("steps.inventory_year"), kinds=("file",)),
)

VALIDATED: tuple[Table, ...] = (
    _validated("sentreskjema", "one row per reporting centre and year", "The centre survey's fixed columns.", (
        _nn("senter_id", "VARCHAR", "Centre id, KS + three digits"),
        _nn("senter_navn", "VARCHAR", "Centre name"),
        _nn("kommune_nr", "VARCHAR", "Host municipality, four digits"),
        _nn("har_tilbud_kvinner", "BOOLEAN", "The centre has a housing offer for women"),
        _nn("har_tilbud_menn", "BOOLEAN", "The centre has a housing offer for men"),
        _c("botilbud_menn_type", "VARCHAR", "egne_lokaler, samme_bygning or midlertidig; NULL exactly when "
           "har_tilbud_menn is false"),
    )),
    _validated("senter_svar", "one row per centre, year, question, item and target group",
               "The survey answers, one per ticked or unticked box.", (
                   _nn("senter_id", "VARCHAR", "Centre id"),
                   _nn("question", "VARCHAR", "Question code"),
                   _nn("item", "VARCHAR", "Item code"),
                   _nn("target_group", "VARCHAR", "kvinner / menn (scope kvinner_menn), alle (scope senter)"),
                   _nn("ticked", "BOOLEAN", "The box was ticked"),
               )),
    _validated("beboere_opphold", "one row per adult stay overlapping the year",
               "Adult stays (person-level, restricted).", (
                   _nn("opphold_id", "VARCHAR", "Stay id, unique in the year"),
                   _nn("person_id", "VARCHAR", "Pseudonym of the resident"),
                   _nn("senter_id", "VARCHAR", "Centre id (in the year's survey)"),
                   _nn("kjonn", "VARCHAR", "K, M, A or U"),
                   _c("alder", "SMALLINT", "Age 18-110; NULL when unknown"),
                   _nn("innflyttet", "DATE", "Moved in"),
                   _c("utflyttet", "DATE", "Moved out; NULL = still resident at year end"),
                   _nn("forste_opphold_i_aret", "BOOLEAN", "The person's first stay in the year"),
                   _nn("reservert", "BOOLEAN", "The resident opted out of registration"),
                   *_help("inntakssamtale", "kartlegging_hjelpebehov", "kartlegging_trusler_senter",
                          "kartlegging_trusler_andre", "plan_under_opphold", "plan_etter_opphold"),
               )),
    _validated("barn_opphold", "one row per child stay overlapping the year",
               "Children's stays (person-level, restricted).", (
                   _nn("opphold_id", "VARCHAR", "Stay id, unique in the year"),
                   _nn("barn_id", "VARCHAR", "Pseudonym of the child"),
                   _nn("senter_id", "VARCHAR", "Centre id (in the year's survey)"),
                   _nn("kjonn", "VARCHAR", "K, M or U"),
                   _nn("alder", "SMALLINT", "Age 0-17"),
                   _nn("innflyttet", "DATE", "Moved in"),
                   _c("utflyttet", "DATE", "Moved out; NULL = still resident at year end"),
                   _nn("forste_opphold_i_aret", "BOOLEAN", "The child's first stay in the year"),
                   _nn("reservert", "BOOLEAN", "Opted out of registration"),
                   *_help("velkomstsamtale", "kartlegging_hjelpebehov", "kartlegging_trusler_senter",
                          "kartlegging_trusler_andre", "plan_under_opphold"),
               )),
    _validated("dagsbesok", "one row per day visit in the year", "Day visits (person-level, restricted).", (
        _nn("besok_id", "VARCHAR", "Visit id, unique in the year"),
        _nn("person_id", "VARCHAR", "Pseudonym of the visitor"),
        _nn("senter_id", "VARCHAR", "Centre id (in the year's survey)"),
        _nn("kjonn", "VARCHAR", "K, M, A or U"),
        _nn("dato", "DATE", "Date of the visit"),
        _nn("forste_besok_i_aret", "BOOLEAN", "The person's first visit in the year"),
        _nn("reservert", "BOOLEAN", "Opted out of registration"),
        *_help("kartlegging_hjelpebehov", "kartlegging_trusler_senter", "kartlegging_trusler_andre"),
    )),
)

# --- warehouse -------------------------------------------------------------------------------------------

_SURVEY = ("validated.sentreskjema", "validated.senter_svar")
_RECORDS = ("validated.beboere_opphold", "validated.barn_opphold", "validated.dagsbesok")
_DIMENSIONS = Step("warehouse.build.load_dimensions")
_SUPPRESSION = Step("warehouse.build.build_suppression")
_MEASURE_COUNT = "HUGEINT"


def _measure(name: str) -> Column:
    return _c(name, _MEASURE_COUNT, f"Non-reserved records with {name}")


def _suppression(name: str, population: str, cells: str) -> Table:
    return Table(f"warehouse.{name}", f"one row per year, {population}, breakdown and category",
                 "Primary (base below 20) and secondary suppression of the cells computed from person-level data.",
                 (YEAR, _c("population", "VARCHAR", population.capitalize()),
                  _c("breakdown", "VARCHAR", "Breakdown"), _c("category", "VARCHAR", "Category"),
                  _c("suppressed", "BOOLEAN", "The cell is hidden in the publication")),
                 _SUPPRESSION, ("warehouse.years", "warehouse.cell_aggregates", f"warehouse.{cells}"))


WAREHOUSE: tuple[Table, ...] = (
    Table("warehouse.years", "one row per loaded year with a delivery folder",
          "The years this publication covers, with their release status.", (
              _nn("year", "INTEGER", "Reporting year"),
              _nn("status", "VARCHAR", "utkast, publisert or revidert (releases.csv)"),
          ), Step("steps.build_years"), tuple(t.key for t in VALIDATED), preview=True,
          notes="A published year whose delivery folder is gone stops the run; a draft year whose folder is "
                "gone is removed from the warehouse (and so from the publication), with a notice."),
    Table("warehouse.questions", "one row per question (= published chart)",
          "The survey questions, from questions.csv.", (
              _nn("question", "VARCHAR", "Question code"),
              _nn("scope", "VARCHAR", "kvinner_menn (answered per offer for women and men) or senter (per centre)"),
              _nn("title", "VARCHAR", "The chart's title"),
              _nn("question_text", "VARCHAR", "The question as asked"),
              _nn("main_grouping", "VARCHAR", "The chart's main grouping"),
              _nn("secondary_grouping", "VARCHAR", "The chart's secondary grouping"),
              Column("question_order", "INTEGER", "Position in questions.csv", not_null=True, published=False),
          ), _DIMENSIONS, published=True, order_by="question_order"),
    Table("warehouse.codebook", "one row per item and label period", "The answer items' labels, from codebook.csv.", (
        _nn("question", "VARCHAR", "Question code"),
        _nn("item", "VARCHAR", "Item code"),
        _nn("label", "VARCHAR", "The label in the period"),
        _c("valid_from", "INTEGER", "First year of the label; NULL = open"),
        _c("valid_to", "INTEGER", "Last year of the label; NULL = open"),
        _nn("item_order", "INTEGER", "Position of the item in codebook.csv"),
    ), _DIMENSIONS),
    Table("warehouse.derived_items", "one row per derived item (minst_ett, organisering)",
          "The labels of the items computed rather than asked.", (
              _nn("item", "VARCHAR", "Item code"),
              _nn("label", "VARCHAR", "Its label"),
          ), _DIMENSIONS),
    Table("warehouse.label_changes", "one row per label change or new item",
          "Every label change in the codebook, published as a footnote.", (
              _nn("year", "INTEGER", "First year of the new label"),
              _nn("question", "VARCHAR", "Question code"),
              _nn("item", "VARCHAR", "Item code (it keeps its code when the label changes)"),
              _c("old_label", "VARCHAR", "The label before; NULL for an item new that year"),
              _nn("new_label", "VARCHAR", "The label from that year"),
          ), _DIMENSIONS, published=True, order_by="year, question, item", preview=True),
    Table("warehouse.share_cells", "one row per expected cell and measure of service_shares",
          "The contract's share cells: every one is published every year, suppressed if need be.", (
              _nn("population", "VARCHAR", "Population of the records"),
              _nn("breakdown", "VARCHAR", "Breakdown"),
              _nn("category", "VARCHAR", "Category"),
              _nn("measure", "VARCHAR", "Measure"),
              _nn("cell_order", "INTEGER", "Publication order"),
          ), _DIMENSIONS),
    Table("warehouse.count_cells", "one row per expected cell of user_counts",
          "The contract's count cells: every one is published every year, suppressed if need be.", (
              _nn("population", "VARCHAR", "Count population (beboere, barn, dagbrukere)"),
              _nn("record_population", "VARCHAR", "The population name of its records (as in service_shares)"),
              _nn("breakdown", "VARCHAR", "Breakdown"),
              _nn("category", "VARCHAR", "Category"),
              _nn("cell_order", "INTEGER", "Publication order"),
          ), _DIMENSIONS),
    Table("warehouse.centre_offers", "one row per year, question, item and target group",
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
          ), Sql(("centre_offers",)),
          (*_SURVEY, "warehouse.years", "warehouse.codebook", "warehouse.questions", "warehouse.derived_items"),
          published=True, preview=True, notes="Items include the derived minst_ett and the organisering items."),
    Table("warehouse.cell_aggregates", "one row per year, population, breakdown and category",
          "Unsuppressed counts of the stays and visits, per help measure (restricted).", (
              YEAR,
              _c("population", "VARCHAR", "voksne_opphold, barn_opphold or dagsbesok"),
              _c("breakdown", "VARCHAR", "alle, kjonn, aldersgruppe or aldersgruppe_grov"),
              _c("category", "VARCHAR", "The breakdown's category"),
              _c("n_records", "BIGINT", "Records, reserved included"),
              _c("n_persons", _MEASURE_COUNT, "Records with the first-stay (first-visit) flag"),
              _c("n_base", _MEASURE_COUNT, "Records that are not reserved"),
              *(_measure(m) for m in ("inntakssamtale", "velkomstsamtale", "kartlegging_hjelpebehov",
                                      "kartlegging_trusler_senter", "kartlegging_trusler_andre",
                                      "kartlegging_trusler_totalt", "kartlegging_trusler_begge",
                                      "plan_under_opphold", "plan_etter_opphold")),
          ), Sql(("user_records", "cell_aggregates")), (*_RECORDS, _SURVEY[0], "warehouse.years"),
          notes="Reads the records through the view warehouse.user_records (warehouse/sql/user_records.sql)."),
    _suppression("share_suppression", "population", "share_cells"),
    _suppression("count_suppression", "count population", "count_cells"),
    Table("warehouse.service_shares", "one row per year, population, measure, breakdown and category",
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
          ), Sql(("service_shares",)),
          ("warehouse.years", "warehouse.cell_aggregates", "warehouse.share_suppression", "warehouse.share_cells"),
          published=True, preview=True),
    Table("warehouse.user_counts", "one row per year, population, breakdown and category",
          "Counts of stays or day visits and of persons.", (
              YEAR,
              _c("population", "VARCHAR", "beboere (adult residents), barn (children), dagbrukere (day users)"),
              _c("breakdown", "VARCHAR", "alle or kjonn"),
              _c("category", "VARCHAR", "alle, or K / M for kjonn (annet and ukjent are not published)"),
              _c("n_records", "INTEGER", "Stays or day visits, reserved included; NULL when suppressed"),
              _c("n_persons", "INTEGER", "Persons: records with the first-stay (first-visit) flag; NULL when "
                 "suppressed"),
              SUPPRESSED,
          ), Sql(("user_counts",)),
          ("warehouse.years", "warehouse.cell_aggregates", "warehouse.count_suppression", "warehouse.count_cells"),
          published=True, preview=True),
    Table("warehouse.releases", "one row per published year", "Release status and what identifies each year's "
          "input and code.", (
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
              _c("publiseres", "TIMESTAMP", "UTC time the year goes out to the public files (releases.csv column "
                 "publiseres, given in Europe/Oslo); NULL = as soon as it is publisert or revidert"),
          ), Step("steps.build_release_table"), ("raw.delivery_files", _SURVEY[0], "warehouse.years"),
          published=True, order_by="year", preview=True,
          notes="One row per loaded year: status from releases.csv, input SHA-256, package version, git commit, "
                "codebook version, build time."),
    Table("warehouse.editorial_texts", "one row per editorial text",
          "The editors' texts (`tekster/<year>/<question>.md` of the data folder) with their SHA-256 and the "
          "number of figure claims the figures about to be published do not bear out.", (
              _c("year", "INTEGER", "The text's year"),
              _c("file", "VARCHAR", "The text's file"),
              _c("sha256", "VARCHAR", "SHA-256 of the text"),
              _c("findings", "INTEGER", "Claims the figures do not bear out"),
          ), Step("editorial.gate.build"),
          ("warehouse.centre_offers", "warehouse.service_shares", "warehouse.user_counts", "warehouse.releases",
           "warehouse.label_changes", "warehouse.questions"), kinds=("markdown",), preview=True,
          notes="The findings are in warehouse.editorial_findings. A published or revised year with a finding "
                "is blocked."),
    Table("warehouse.vintages", "one row per revised figure and release",
          "Every published figure a revision changed, from the release ledger.", (
              _nn("release", "VARCHAR", "The ledger release that changed the figure, e.g. 2023-2"),
              _nn("released_on", "DATE", "The day the revision was recorded"),
              _nn("year", "INTEGER", "Reporting year"),
              _nn("table_name", "VARCHAR", "centre_offers, service_shares or user_counts"),
              _nn("key", "VARCHAR", "The figure's key columns as text"),
              _c("question", "VARCHAR", "Key column (centre_offers)"),
              _c("item", "VARCHAR", "Key column (centre_offers)"),
              _c("target_group", "VARCHAR", "Key column (centre_offers)"),
              _c("population", "VARCHAR", "Key column (service_shares, user_counts)"),
              _c("measure", "VARCHAR", "Key column (service_shares)"),
              _c("breakdown", "VARCHAR", "Key column (service_shares, user_counts)"),
              _c("category", "VARCHAR", "Key column (service_shares, user_counts)"),
              _nn("figure", "VARCHAR", "The column that changed"),
              _c("old_value", "VARCHAR", "Before, as text: '..' = suppressed, NULL = not published before"),
              _c("new_value", "VARCHAR", "After, as text: '..' = suppressed, NULL = no longer published"),
              _c("old_number", "INTEGER", "old_value as a number (NULL when suppressed or absent)"),
              _c("new_number", "INTEGER", "new_value as a number (NULL when suppressed or absent)"),
              _c("note", "VARCHAR", "The revision note"),
          ), Step("steps.hold_against_ledger"),
          ("warehouse.centre_offers", "warehouse.service_shares", "warehouse.user_counts", "warehouse.releases"),
          published=True, order_by="year, release, table_name, key, figure", preview=True,
          notes="Holds the figures of this run against the release ledger in the data folder (`ledger/<year>/`). "
                "A `publisert` year is frozen: any change stops the run with the list of changed figures, and "
                "nothing is published. A `revidert` year with a new note records a revision in the ledger. The "
                "table is rebuilt from the ledger, so a wiped warehouse gives the same vintages."),
    Table("warehouse.acknowledgements", "one row per acknowledged warning (year, check, key) with its note",
          "Year-on-year changes checked and found real, with the note shown beside the figures.", (
              _nn("year", "INTEGER", "Reporting year"),
              _nn("check_name", "VARCHAR", "The warning check"),
              _nn("key", "VARCHAR", "What moved, as text"),
              _c("population", "VARCHAR", "Key column"),
              _c("measure", "VARCHAR", "Key column"),
              _c("question", "VARCHAR", "Key column"),
              _c("item", "VARCHAR", "Key column"),
              _c("target_group", "VARCHAR", "Key column"),
              _nn("note", "VARCHAR", "Why the change is real"),
          ), Step("steps.build_acknowledgements"), published=True, order_by="year, check_name, key", preview=True,
          notes="From acknowledgements.csv in the data folder."),
)

# --- publication only --------------------------------------------------------------------------------

CODES = Table("publication.codes", "one row per coded column and code",
              "What every code of the published tables means, with its label as published.", (
                  _c("table_name", "VARCHAR", "The table"),
                  _c("column_name", "VARCHAR", "The coded column"),
                  _c("population", "VARCHAR", "For category: the population the label applies to"),
                  _c("breakdown", "VARCHAR", "For category: the breakdown the label applies to"),
                  _c("code", "VARCHAR", "The code as stored"),
                  _c("label", "VARCHAR", "The label as published (Norwegian)"),
                  _c("description", "VARCHAR", "What the code means"),
              ), Step("publication.catalog.codes"), published=True)

TABLES: tuple[Table, ...] = (*RAW, *VALIDATED, *WAREHOUSE, CODES)
BY_KEY = {t.key: t for t in TABLES}
PUBLISHED: tuple[Table, ...] = tuple(t.publication() for t in TABLES if t.published)

VALIDATED_TABLES = tuple(t.name for t in VALIDATED)


def in_layer(layer: str) -> tuple[Table, ...]:
    return tuple(t for t in TABLES if t.layer == layer)


def built_by(function: str) -> tuple[Table, ...]:
    """The tables one step function writes, in registry order."""
    return tuple(t for t in TABLES if t.build == Step(function))


def sql_built() -> tuple[Table, ...]:
    """The tables built by their SQL files alone: each is one asset, generated."""
    return tuple(t for t in TABLES if isinstance(t.build, Sql))


def create_table_sql(table: Table, schema: str) -> str:
    """CREATE TABLE IF NOT EXISTS for `table` in `schema`, from its columns."""
    width = max(len(c.name) for c in table.columns)
    columns = ",\n".join(f"    {c.name:<{width}}  {c.type}{' NOT NULL' if c.not_null else ''}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{table.name} (   -- {table.grain}\n{columns}\n);"


def readme_table(tables: tuple[Table, ...]) -> str:
    """A README table list: key, grain, what, how it is built, published or restricted."""
    lines = ["| table | grain | what | built by | access |", "|---|---|---|---|---|"]
    for t in tables:
        build = (", ".join(f"`warehouse/sql/{f}.sql`" for f in t.build.files) if isinstance(t.build, Sql)
                 else f"`{t.build.function}`")
        access = "published" if t.published else "restricted"
        lines.append(f"| `{t.key}` | {t.grain} | {t.description} | {build} | {access} |")
    return "\n".join(lines)
