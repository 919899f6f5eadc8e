"""Every table the pipeline writes, declared once: key, grain, how it is built, what it reads, columns.

One entry per table of the restricted warehouse (`raw`, `validated`, `warehouse` in krise.duckdb)
and of the publication. The rest is generated from here: every table's DDL (`ddl`), the Dagster
asset specs (description, deps, group, kinds, column schema), the warehouse tables built by a SQL
file (one asset each), the publication's queries, COMMENTs and column schemas (`catalog`), and
the README's table lists. A table built by SQL is one entry here plus its `sql/<file>.sql`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from krise_pipeline.metadata.fields import KEY, Column, aggregate, column, columns, required

LAYERS = ("raw", "validated", "warehouse", "publication")


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
    primary_key: tuple[str, ...] = ()

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


# --- raw and validated: the deliveries ---------------------------------------------------------------

_VALIDATED_BUILD = Step("validated.load_delivery")
_VALIDATED_DEPS = ("raw.delivery_files",)
_VALIDATED_KINDS = ("pandera",)
_VALIDATED_NOTES = ("Checked per file and across files by pandera models (the stays and visits inside DuckDB) "
                    "before anything is written.")
_IN_SURVEY = "Centre id (in the year's survey)"
_MOVED = ("innflyttet", "utflyttet")
_THREATS = ("kartlegging_hjelpebehov", "kartlegging_trusler_senter", "kartlegging_trusler_andre")


def _validated(name: str, grain: str, description: str, columns: tuple[Column, ...]) -> Table:
    return Table(f"validated.{name}", grain, description, (required("year"), *columns),
                 _VALIDATED_BUILD, _VALIDATED_DEPS, notes=_VALIDATED_NOTES, kinds=_VALIDATED_KINDS)


def _stay(record_id: str, person: str, kjonn: str, alder: Column, first: str, helps: tuple[str, ...],
          reservert: str | None = None) -> tuple[Column, ...]:
    return (required(record_id), required(person), required("senter_id", _IN_SURVEY), required("kjonn", kjonn),
            alder, required(_MOVED[0]), column(_MOVED[1]), required("forste_opphold_i_aret", first),
            required("reservert", reservert), *columns(*helps))


RAW: tuple[Table, ...] = (
    Table("raw.delivery_files", "one row per year and delivered file",
          "The files of a year's delivery folder as received, for the lineage of each release.",
          columns("year", "file", "bytes", "sha256"), Step("steps.inventory_year"), kinds=("file",)),
)

VALIDATED: tuple[Table, ...] = (
    _validated("sentreskjema", "one row per reporting centre and year", "The centre survey's fixed columns.", (
        *columns("senter_id", "senter_navn", "kommune_nr", "har_tilbud_kvinner", "har_tilbud_menn", not_null=True),
        column("botilbud_menn_type"),
    )),
    _validated("senter_svar", "one row per centre, year, question, item and target group",
               "The survey answers, one per ticked or unticked box.", (
                   required("senter_id", "Centre id"), *columns("question", "item", not_null=True),
                   required("target_group", "kvinner / menn (scope kvinner_menn), alle (scope senter)"),
                   required("ticked"),
               )),
    _validated("beboere_opphold", "one row per adult stay overlapping the year",
               "Adult stays (person-level, restricted).",
               _stay("opphold_id", "person_id", "K, M, A or U", column("alder", "Age 18-110; NULL when unknown"),
                     "The person's first stay in the year",
                     ("inntakssamtale", *_THREATS, "plan_under_opphold", "plan_etter_opphold"),
                     "The resident opted out of registration")),
    _validated("barn_opphold", "one row per child stay overlapping the year",
               "Children's stays (person-level, restricted).",
               _stay("opphold_id", "barn_id", "K, M or U", required("alder", "Age 0-17"),
                     "The child's first stay in the year", ("velkomstsamtale", *_THREATS, "plan_under_opphold"))),
    _validated("dagsbesok", "one row per day visit in the year", "Day visits (person-level, restricted).", (
        required("besok_id"), required("person_id", "Pseudonym of the visitor"),
        required("senter_id", _IN_SURVEY), required("kjonn"), required("dato"),
        *columns("forste_besok_i_aret", "reservert", not_null=True), *columns(*_THREATS),
    )),
)

# --- warehouse -------------------------------------------------------------------------------------------

_SURVEY = ("validated.sentreskjema", "validated.senter_svar")
_RECORDS = ("validated.beboere_opphold", "validated.barn_opphold", "validated.dagsbesok")
_DIMENSIONS = Step("warehouse.build.load_dimensions")
_SUPPRESSION = Step("warehouse.build.build_suppression")
_MEASURES = ("inntakssamtale", "velkomstsamtale", "kartlegging_hjelpebehov", "kartlegging_trusler_senter",
             "kartlegging_trusler_andre", "kartlegging_trusler_totalt", "kartlegging_trusler_begge",
             "plan_under_opphold", "plan_etter_opphold")
_CELL = ("breakdown", "category")


def _suppression(name: str, population: str, cells: str) -> Table:
    return Table(f"warehouse.{name}", f"one row per year, {population}, breakdown and category",
                 "Primary (base below 20) and secondary suppression of the cells computed from person-level data.",
                 (column("year"), column("population", population.capitalize()),
                  column("breakdown", "Breakdown"), column("category", "Category"),
                  column("suppressed", "The cell is hidden in the publication")),
                 _SUPPRESSION, ("warehouse.years", "warehouse.cell_aggregates", f"warehouse.{cells}"))


def _keys(*names_and_tables: tuple[str, str]) -> tuple[Column, ...]:
    """Key columns of a record about published figures, each saying which tables it keys."""
    return tuple(column(name, f"{KEY} ({tables})") for name, tables in names_and_tables)


WAREHOUSE: tuple[Table, ...] = (
    Table("warehouse.years", "one row per loaded year with a delivery folder",
          "The years this publication covers, with their release status.", (
              required("year"), required("status", "utkast, publisert or revidert (releases.csv)"),
          ), Step("steps.build_years"), tuple(t.key for t in VALIDATED), preview=True, primary_key=("year",),
          notes="A published year whose delivery folder is gone stops the run; a draft year whose folder is "
                "gone is removed from the warehouse (and so from the publication), with a notice."),
    Table("warehouse.questions", "one row per question (= published chart)",
          "The survey questions, from questions.csv.", (
              *columns("question", "scope", "title", "question_text", "main_grouping", "secondary_grouping",
                       not_null=True),
              required("question_order", published=False),
          ), _DIMENSIONS, published=True, order_by="question_order", primary_key=("question",)),
    Table("warehouse.codebook", "one row per item and label period", "The answer items' labels, from codebook.csv.", (
        *columns("question", "item", not_null=True), required("label", "The label in the period"),
        *columns("valid_from", "valid_to"), required("item_order"),
    ), _DIMENSIONS),
    Table("warehouse.derived_items", "one row per derived item (minst_ett, organisering)",
          "The labels of the items computed rather than asked.", (
              required("item"), required("label", "Its label"),
          ), _DIMENSIONS, primary_key=("item",)),
    Table("warehouse.label_changes", "one row per label change or new item",
          "Every label change in the codebook, published as a footnote.", (
              required("year", "First year of the new label"), required("question"),
              required("item", "Item code (it keeps its code when the label changes)"),
              column("old_label"), required("new_label"),
          ), _DIMENSIONS, published=True, order_by="year, question, item", preview=True),
    Table("warehouse.share_cells", "one row per expected cell and measure of service_shares",
          "The contract's share cells: every one is published every year, suppressed if need be.", (
              required("population", "Population of the records"), required("breakdown", "Breakdown"),
              required("category", "Category"), required("measure", "Measure"), required("cell_order"),
          ), _DIMENSIONS),
    Table("warehouse.count_cells", "one row per expected cell of user_counts",
          "The contract's count cells: every one is published every year, suppressed if need be.", (
              required("population", "Count population (beboere, barn, dagbrukere)"), required("record_population"),
              required("breakdown", "Breakdown"), required("category", "Category"), required("cell_order"),
          ), _DIMENSIONS),
    Table("warehouse.centre_offers", "one row per year, question, item and target group",
          "Centre counts from the centre survey: how many centres ticked an item, out of the base.", (
              column("year"),
              column("question", "Survey question (= published chart); see the questions table"),
              column("item", "Answer item; minst_ett = at least one item of the question"),
              column("label"), column("target_group"), column("n_centres"),
              column("n_base", "Centres in the base: with an offer for the target group (alle: all "
                     "reporting centres)"),
              column("share", "n_centres / n_base as a fraction 0..1, unrounded; NULL when the base is 0"),
          ), Sql(("centre_offers",)),
          (*_SURVEY, "warehouse.years", "warehouse.codebook", "warehouse.questions", "warehouse.derived_items"),
          published=True, preview=True, notes="Items include the derived minst_ett and the organisering items."),
    Table("warehouse.cell_aggregates", "one row per year, population, breakdown and category",
          "Unsuppressed counts of the stays and visits, per help measure (restricted).", (
              column("year"), column("population", "voksne_opphold, barn_opphold or dagsbesok"),
              column("breakdown", "alle, kjonn, aldersgruppe or aldersgruppe_grov"),
              column("category", "The breakdown's category"),
              aggregate("n_records", "Records, reserved included", of="count"),
              aggregate("n_persons", "Records with the first-stay (first-visit) flag"),
              aggregate("n_base", "Records that are not reserved"),
              *(aggregate(m, f"Non-reserved records with {m}") for m in _MEASURES),
          ), Sql(("user_records", "cell_aggregates")), (*_RECORDS, _SURVEY[0], "warehouse.years"),
          notes="Reads the records through the view warehouse.user_records (warehouse/sql/user_records.sql)."),
    _suppression("share_suppression", "population", "share_cells"),
    _suppression("count_suppression", "count population", "count_cells"),
    Table("warehouse.service_shares", "one row per year, population, measure, breakdown and category",
          "Shares of stays and day visits with a given help; reserved records are in no base.",
          columns("year", "population", "measure", *_CELL, "n_with", "n_base", "share", "suppressed"),
          Sql(("service_shares",)),
          ("warehouse.years", "warehouse.cell_aggregates", "warehouse.share_suppression", "warehouse.share_cells"),
          published=True, preview=True),
    Table("warehouse.user_counts", "one row per year, population, breakdown and category",
          "Counts of stays or day visits and of persons.", (
              column("year"),
              column("population", "beboere (adult residents), barn (children), dagbrukere (day users)"),
              column("breakdown", "alle or kjonn"),
              column("category", "alle, or K / M for kjonn (annet and ukjent are not published)"),
              *columns("n_records", "n_persons", "suppressed"),
          ), Sql(("user_counts",)),
          ("warehouse.years", "warehouse.cell_aggregates", "warehouse.count_suppression", "warehouse.count_cells"),
          published=True, preview=True),
    Table("warehouse.releases", "one row per published year", "Release status and what identifies each year's "
          "input and code.",
          columns("year", "status", "note", "built_at", "input_sha256", "input_files", "package_version",
                  "git_commit", "codebook_sha256", "texts", "publiseres"),
          Step("steps.build_release_table"), ("raw.delivery_files", _SURVEY[0], "warehouse.years"),
          published=True, order_by="year", preview=True,
          notes="One row per loaded year: status from releases.csv, input SHA-256, package version, git commit, "
                "codebook version, build time."),
    Table("warehouse.editorial_texts", "one row per editorial text",
          "The editors' texts (`tekster/<year>/<question>.md` of the data folder) with their SHA-256 and the "
          "number of figure claims the figures about to be published do not bear out.", (
              column("year", "The text's year"), column("file", "The text's file"),
              column("sha256", "SHA-256 of the text"), column("findings"),
          ), Step("editorial.gate.build"),
          ("warehouse.centre_offers", "warehouse.service_shares", "warehouse.user_counts", "warehouse.releases",
           "warehouse.label_changes", "warehouse.questions"), kinds=("markdown",), preview=True,
          notes="The findings are in warehouse.editorial_findings. A published or revised year with a finding "
                "is blocked."),
    Table("warehouse.editorial_findings", "one row per figure claim of a text that the figures do not bear out",
          "What `krise-pipeline check-text` reports for the editors' texts, per text and line.", (
              column("year", "The text's year"), column("file", "The text's file"),
              *columns("line", "claim", "reason", "expected"),
          ), Step("editorial.gate.build"),
          ("warehouse.centre_offers", "warehouse.service_shares", "warehouse.user_counts", "warehouse.releases",
           "warehouse.label_changes", "warehouse.questions"), kinds=("markdown",)),
    Table("warehouse.vintages", "one row per revised figure and release",
          "Every published figure a revision changed, from the release ledger.", (
              *columns("release", "released_on", "year", not_null=True),
              required("table_name", "centre_offers, service_shares or user_counts"), required("key"),
              *_keys(("question", "centre_offers"), ("item", "centre_offers"), ("target_group", "centre_offers"),
                     ("population", "service_shares, user_counts"), ("measure", "service_shares"),
                     ("breakdown", "service_shares, user_counts"), ("category", "service_shares, user_counts")),
              required("figure"), *columns("old_value", "new_value", "old_number", "new_number"),
              column("note", "The revision note"),
          ), Step("steps.hold_against_ledger"),
          ("warehouse.centre_offers", "warehouse.service_shares", "warehouse.user_counts", "warehouse.releases"),
          published=True, order_by="year, release, table_name, key, figure", preview=True,
          notes="Holds the figures of this run against the release ledger in the data folder (`ledger/<year>/`). "
                "A `publisert` year is frozen: any change stops the run with the list of changed figures, and "
                "nothing is published. A `revidert` year with a new note records a revision in the ledger. The "
                "table is rebuilt from the ledger, so a wiped warehouse gives the same vintages."),
    Table("warehouse.acknowledgements", "one row per acknowledged warning (year, check, key) with its note",
          "Year-on-year changes checked and found real, with the note shown beside the figures.", (
              *columns("year", "check_name", not_null=True), required("key", "What moved, as text"),
              *(column(k, KEY) for k in ("population", "measure", "question", "item", "target_group")),
              required("note", "Why the change is real"),
          ), Step("steps.build_acknowledgements"), published=True, order_by="year, check_name, key", preview=True,
          notes="From acknowledgements.csv in the data folder."),
)

# --- publication only --------------------------------------------------------------------------------

CODES = Table("publication.codes", "one row per coded column and code",
              "What every code of the published tables means, with its label as published.", (
                  *columns("table_name", "column_name"),
                  column("population", "For category: the population the label applies to"),
                  column("breakdown", "For category: the breakdown the label applies to"),
                  column("code"), column("label", "The label as published (Norwegian)"), column("description"),
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


def readme_table(tables: tuple[Table, ...]) -> str:
    """A README table list: key, grain, what, how it is built, published or restricted."""
    lines = ["| table | grain | what | built by | access |", "|---|---|---|---|---|"]
    for t in tables:
        build = (", ".join(f"`warehouse/sql/{f}.sql`" for f in t.build.files) if isinstance(t.build, Sql)
                 else f"`{t.build.function}`")
        access = "published" if t.published else "restricted"
        lines.append(f"| `{t.key}` | {t.grain} | {t.description} | {build} | {access} |")
    return "\n".join(lines)
