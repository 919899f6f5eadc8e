"""The open data files: every table of publication.duckdb as CSV and Parquet, a Frictionless Data
Package describing the CSV files, and JSON-stat 2.0 datasets of the three figure tables.

`write_open_data` builds the whole folder `<exports>/data/` in a temporary folder beside it and then
swaps it in (an atomic exchange where the system has one), so that a reader sees the previous folder
or the new one, and a failed or killed run leaves the previous folder as it was. Everything comes
from publication.duckdb (aggregates only): the tables' rows, the columns' types and COMMENTs, the
`codes` table's labels; nothing else is read.

The pure parts (`field_type`, `datapackage`, `jsonstat_dataset`, the three dataset builders) take
plain values and return plain dicts, so they can be tested on hand-made inputs.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from krise_pipeline.publication import catalog, publish

DATA_DIR = "data"
JSONSTAT_DIR = "jsonstat"
DATAPACKAGE_FILE = "datapackage.json"

LICENSE = {"name": "NLOD-2.0", "path": "https://data.norge.no/nlod/no/2.0",
           "title": "Norsk lisens for offentlige data (NLOD) 2.0"}
SUPPRESSED = ".."  # SSB's symbol for a figure that is not published; the cell's value is null
ABSENT = "."  # SSB's symbol for a combination that has no figure (not asked, not in the table)

# the primary key of every published table (codes has none: population and breakdown are empty
# where a code's label does not depend on them)
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "questions": ("question",),
    "label_changes": ("year", "question", "item"),
    "centre_offers": ("year", "question", "item", "target_group"),
    "service_shares": ("year", "population", "measure", "breakdown", "category"),
    "user_counts": ("year", "population", "breakdown", "category"),
    "releases": ("year",),
    "vintages": ("year", "release", "table_name", "key", "figure"),
    "acknowledgements": ("year", "check_name", "key"),
}

CSV_OPTIONS = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', NULLSTR '', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%f'"


class OpenDataError(RuntimeError):
    """A file of the open data folder could not be written; the previous folder is intact."""


# --- the publication's tables as plain values ------------------------------------------------


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str  # DuckDB's type name
    description: str


@dataclass(frozen=True)
class TableInfo:
    name: str
    description: str
    columns: tuple[ColumnInfo, ...]
    rows: int


def read_tables(con: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """Every table of the publication's main schema with its COMMENTs and column types, in the
    contract's order (a table added later after those, by name; `codes` last)."""
    tables = con.execute(
        "SELECT table_name, coalesce(comment, ''), estimated_size FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_oid").fetchall()
    columns: dict[str, list[ColumnInfo]] = {}
    for table, name, type_, comment in con.execute(
            "SELECT table_name, column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "ORDER BY table_oid, column_index").fetchall():
        columns.setdefault(table, []).append(ColumnInfo(name, type_, comment))
    order = [*PRIMARY_KEYS, "codes"]
    tables.sort(key=lambda t: (order.index(t[0]) if t[0] in order else len(PRIMARY_KEYS), t[0] == "codes", t[0]))
    out = []
    for name, comment, _ in tables:
        (rows,) = con.execute(f'SELECT count(*) FROM main."{name}"').fetchone() or (0,)
        out.append(TableInfo(name, comment, tuple(columns.get(name, ())), int(rows)))
    return out


def read_codes(con: duckdb.DuckDBPyConnection) -> list[dict[str, str | None]]:
    """The publication's `codes`; for a file without it (the contract's six tables only), the
    catalog's, which publish writes into every publication."""
    keys = ("table_name", "column_name", "population", "breakdown", "code", "label", "description")
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                   "AND schema_name = 'main' AND table_name = 'codes'").fetchone() == (1,):
        rows: list[tuple[object, ...]] = con.execute(f"SELECT {', '.join(keys)} FROM codes").fetchall()
    else:

        rows = list(catalog.codes())
    return [{k: None if v is None else str(v) for k, v in zip(keys, row, strict=True)} for row in rows]


# --- Frictionless Data Package ---------------------------------------------------------------

FIELD_TYPES = {"INTEGER": "integer", "BIGINT": "integer", "SMALLINT": "integer", "HUGEINT": "integer",
               "DOUBLE": "number", "FLOAT": "number", "BOOLEAN": "boolean", "VARCHAR": "string",
               "DATE": "date", "TIMESTAMP": "datetime"}


def field_type(duckdb_type: str) -> str:
    """The Table Schema type of a DuckDB column type (DECIMAL as number)."""
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    try:
        return FIELD_TYPES[duckdb_type]
    except KeyError:
        raise OpenDataError(f"no Table Schema type for the DuckDB type {duckdb_type}") from None


def datapackage(tables: Sequence[TableInfo], codes: Sequence[Mapping[str, str | None]], *, title: str,
                source: str, created: str) -> dict[str, Any]:
    """The datapackage.json of the CSV files: one tabular resource per table, every field typed and
    described, the primary key, `""` as the missing value, the coded columns' codes as `enum`."""
    enums: dict[tuple[str, str], list[str]] = {}
    for c in codes:
        values = enums.setdefault((str(c["table_name"]), str(c["column_name"])), [])
        if c["code"] not in values:
            values.append(str(c["code"]))
    resources = []
    for t in tables:
        fields: list[dict[str, Any]] = []
        for col in t.columns:
            f: dict[str, Any] = {"name": col.name, "type": field_type(col.type), "description": col.description}
            if f["type"] == "boolean":
                f["trueValues"], f["falseValues"] = ["true"], ["false"]
            if (t.name, col.name) in enums:
                f["constraints"] = {"enum": enums[(t.name, col.name)]}
            fields.append(f)
        schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
        key = [k for k in PRIMARY_KEYS.get(t.name, ()) if k in {c.name for c in t.columns}]
        if key:
            schema["primaryKey"] = key
        resources.append({
            "name": t.name, "path": f"{t.name}.csv", "type": "table", "profile": "tabular-data-resource",
            "scheme": "file", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "description": t.description,
            "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
            "schema": schema,
        })
    return {
        "name": "krisesenterstatistikk", "title": title, "profile": "tabular-data-package",
        "licenses": [LICENSE], "sources": [{"title": source}], "created": created,
        "resources": resources,
    }


# --- JSON-stat 2.0 ---------------------------------------------------------------------------


@dataclass
class Dimension:
    id: str
    label: str
    categories: dict[str, str]  # id -> label, in order
    notes: dict[str, list[str]] = field(default_factory=dict)  # category id -> notes
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric id -> unit


def jsonstat_dataset(
    *, label: str, dimensions: Sequence[Dimension], cells: Mapping[tuple[str, ...], float | int | None],
    suppressed: Iterable[tuple[str, ...]], time: str, metric: str, source: str, updated: str,
    notes: Sequence[str], extension: Mapping[str, Any],
) -> dict[str, Any]:
    """A JSON-stat 2.0 dataset: `value` in row-major order of `dimensions` (the last varies fastest),
    a suppressed cell null with status `..`, a cell missing from `cells` null with status `.`."""
    sizes = [len(d.categories) for d in dimensions]
    positions = [{c: i for i, c in enumerate(d.categories)} for d in dimensions]
    total = 1
    for s in sizes:
        total *= s
    values: list[float | int | None] = [None] * total
    status: dict[str, str] = {}
    hidden = set(suppressed)

    def index(key: tuple[str, ...]) -> int:
        i = 0
        for pos, size, code in zip(positions, sizes, key, strict=True):
            i = i * size + pos[code]
        return i

    present = set()
    for key, value in cells.items():
        i = index(key)
        present.add(i)
        values[i] = value
        if key in hidden:
            values[i] = None
            status[str(i)] = SUPPRESSED
    for i in range(total):
        if i not in present:
            status[str(i)] = ABSENT
    dims: dict[str, Any] = {}
    for d in dimensions:
        category: dict[str, Any] = {"index": {c: i for i, c in enumerate(d.categories)}, "label": dict(d.categories)}
        if d.notes:
            category["note"] = {c: n for c, n in d.notes.items() if n}
        if d.units:
            category["unit"] = d.units
        dims[d.id] = {"label": d.label, "category": category}
    dataset: dict[str, Any] = {
        "version": "2.0", "class": "dataset", "label": label, "source": source, "updated": updated,
        "id": [d.id for d in dimensions], "size": sizes,
        "role": {"time": [time], "metric": [metric]},
        "dimension": dims, "value": values,
    }
    if status:
        dataset["status"] = dict(sorted(status.items(), key=lambda kv: int(kv[0])))
    if notes:
        dataset["note"] = list(notes)
    dataset["extension"] = dict(extension)
    return dataset


def _unit(label: str, decimals: int) -> dict[str, Any]:
    return {"label": label, "decimals": decimals}


def _years(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {str(y): str(y) for (y,) in con.execute(f"SELECT DISTINCT year FROM {table} ORDER BY year").fetchall()}


def _release_extension(con: duckdb.DuckDBPyConnection, codes: Sequence[Mapping[str, str | None]]) -> dict[str, Any]:
    status_labels = _labels(codes, "releases", "status")
    return {"release_status": {
        str(year): {"status": status, "label": status_labels.get(status, status), "note": note}
        for year, status, note in con.execute("SELECT year, status, note FROM releases ORDER BY year").fetchall()
    }}


def _labels(codes: Sequence[Mapping[str, str | None]], table: str, column: str) -> dict[str, str]:
    return {str(c["code"]): str(c["label"]) for c in codes if c["table_name"] == table and c["column_name"] == column}


def _category_labels(codes: Sequence[Mapping[str, str | None]], table: str, populations: Sequence[str]
                     ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Category labels of a table whose labels depend on the population (K: Kvinner or Jenter): one
    label per category, the labels joined where they differ, and a note naming each population's."""
    by_code: dict[str, dict[str, str]] = {}
    for c in codes:
        if c["table_name"] == table and c["column_name"] == "category":
            by_code.setdefault(str(c["code"]), {}).setdefault(str(c["population"]), str(c["label"]))
    labels: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    for code, per_pop in by_code.items():
        distinct = list(dict.fromkeys(per_pop[p] for p in populations if p in per_pop))
        labels[code] = " / ".join(distinct)
        if len(distinct) > 1:
            notes[code] = [f"{label}: {', '.join(p for p in populations if per_pop.get(p) == label)}"
                           for label in distinct]
    return labels, notes


def centre_offers_dataset(con: duckdb.DuckDBPyConnection, codes: Sequence[Mapping[str, str | None]], *,
                          source: str, updated: str, footnote: Any) -> dict[str, Any]:
    """Centres per year, question and item (`<question>/<item>`, labelled with the question's title
    and the item's latest label), target group and measure."""
    titles = dict(con.execute("SELECT question, title FROM questions").fetchall())
    question_order = {q: i for i, (q,) in enumerate(con.execute("SELECT question FROM questions").fetchall())}
    latest = con.execute(
        "SELECT question, item, arg_max(label, year) FROM centre_offers GROUP BY question, item").fetchall()
    latest.sort(key=lambda r: (question_order.get(r[0], len(question_order)), r[1]))
    items = {f"{q}/{i}": f"{titles.get(q, q)}: {label}" for q, i, label in latest}
    changes = con.execute("SELECT year, question, item, old_label, new_label FROM label_changes "
                          "ORDER BY year, question, item").fetchall()
    item_notes: dict[str, list[str]] = {}
    notes = []
    for row in changes:
        text = footnote(*row)
        notes.append(f"{titles.get(row[1], row[1])}: {text}")
        if f"{row[1]}/{row[2]}" in items:
            item_notes.setdefault(f"{row[1]}/{row[2]}", []).append(text)
    groups = _labels(codes, "centre_offers", "target_group")
    metrics = {"n_centres": "Antall sentre som krysset av", "n_base": "Antall sentre i grunnlaget",
               "share": "Andel av sentrene i grunnlaget"}
    dims = [
        Dimension("year", "År", _years(con, "centre_offers")),
        Dimension("question_item", "Spørsmål og kategori", items, item_notes),
        Dimension("target_group", "Målgruppe", groups),
        Dimension("metric", "Statistikkvariabel", metrics,
                  units={"n_centres": _unit("sentre", 0), "n_base": _unit("sentre", 0),
                         "share": _unit("andel (0–1)", 3)}),
    ]
    cells: dict[tuple[str, ...], float | int | None] = {}
    for year, q, i, group, n, base, share in con.execute(
            "SELECT year, question, item, target_group, n_centres, n_base, share FROM centre_offers").fetchall():
        for m, v in (("n_centres", n), ("n_base", base), ("share", share)):
            cells[(str(year), f"{q}/{i}", group, m)] = v
    return jsonstat_dataset(
        label="Krisesentrenes tilbud: antall sentre etter år, spørsmål, kategori og målgruppe",
        dimensions=dims, cells=cells, suppressed=(), time="year", metric="metric", source=source,
        updated=updated, notes=notes, extension=_release_extension(con, codes))


def _population_table_dataset(con: duckdb.DuckDBPyConnection, codes: Sequence[Mapping[str, str | None]], *,
                              table: str, label: str, measure: bool, metrics: dict[str, str],
                              units: dict[str, dict[str, Any]], source: str, updated: str) -> dict[str, Any]:
    populations = _labels(codes, table, "population")
    pops_present = [p for (p,) in con.execute(f"SELECT DISTINCT population FROM {table}").fetchall()]
    populations = {p: lab for p, lab in populations.items() if p in pops_present}
    breakdowns = {b: lab for b, lab in _labels(codes, "service_shares", "breakdown").items()
                  if con.execute(f"SELECT 1 FROM {table} WHERE breakdown = ? LIMIT 1", [b]).fetchone()}
    categories, category_notes = _category_labels(codes, table, list(populations))
    present = {c for (c,) in con.execute(f"SELECT DISTINCT category FROM {table}").fetchall()}
    categories = {c: lab for c, lab in categories.items() if c in present}
    dims = [Dimension("year", "År", _years(con, table)), Dimension("population", "Gruppe", populations)]
    if measure:
        dims.append(Dimension("measure", "Bistand", _labels(codes, table, "measure")))
    dims += [Dimension("breakdown", "Inndeling", breakdowns),
             Dimension("category", "Kategori", categories, category_notes),
             Dimension("metric", "Statistikkvariabel", metrics, units=units)]
    keys = ["year", "population", *(["measure"] if measure else []), "breakdown", "category"]
    cells: dict[tuple[str, ...], float | int | None] = {}
    hidden: list[tuple[str, ...]] = []
    for row in con.execute(f"SELECT {', '.join(keys)}, {', '.join(metrics)}, suppressed FROM {table}").fetchall():
        key = tuple(str(v) for v in row[:len(keys)])
        for m, v in zip(metrics, row[len(keys):-1], strict=True):
            cells[(*key, m)] = v
            if row[-1]:
                hidden.append((*key, m))
    return jsonstat_dataset(label=label, dimensions=dims, cells=cells, suppressed=hidden, time="year",
                            metric="metric", source=source, updated=updated,
                            notes=["Prikket (..): grunnlaget er under 20, eller tallet ville avsløre et prikket tall.",
                                   "Ingen tall (.): kombinasjonen finnes ikke i statistikken."],
                            extension=_release_extension(con, codes))


def service_shares_dataset(con: duckdb.DuckDBPyConnection, codes: Sequence[Mapping[str, str | None]], *,
                           source: str, updated: str) -> dict[str, Any]:
    return _population_table_dataset(
        con, codes, table="service_shares", measure=True,
        label="Bistand til beboere og dagbrukere: andel opphold og dagsbesøk etter år, gruppe, bistand og kategori",
        metrics={"n_with": "Antall med bistanden", "n_base": "Antall opphold/besøk i grunnlaget", "share": "Andel"},
        units={"n_with": _unit("opphold/besøk", 0), "n_base": _unit("opphold/besøk", 0),
               "share": _unit("andel (0–1)", 3)},
        source=source, updated=updated)


def user_counts_dataset(con: duckdb.DuckDBPyConnection, codes: Sequence[Mapping[str, str | None]], *,
                        source: str, updated: str) -> dict[str, Any]:
    return _population_table_dataset(
        con, codes, table="user_counts", measure=False,
        label="Brukere av krisesentrene: antall opphold, dagsbesøk og personer etter år, gruppe og kategori",
        metrics={"n_records": "Antall opphold/besøk", "n_persons": "Antall personer"},
        units={"n_records": _unit("opphold/besøk", 0), "n_persons": _unit("personer", 0)},
        source=source, updated=updated)


# --- writing the folder ----------------------------------------------------------------------


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_path(path: Path) -> str:
    return _sql_text(str(path))


def _copy(con: duckdb.DuckDBPyConnection, table: TableInfo, path: Path, options: str) -> None:
    try:
        con.execute(f'COPY (SELECT * FROM main."{table.name}") TO {_sql_path(path)} ({options})')
    except (duckdb.Error, OSError) as e:
        raise OpenDataError(f"cannot write {path}: {e}") from e


def _parquet_options(table: TableInfo) -> str:
    meta = {"description": table.description,
            **{f"description:{c.name}": c.description for c in table.columns}}
    pairs = ", ".join(f"{_sql_text(k)}: {_sql_text(v)}" for k, v in meta.items())
    return f"FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{pairs}}}"


def _write_json(path: Path, data: Any, *, compact: bool = False) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if compact else \
        json.dumps(data, ensure_ascii=False, indent=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise OpenDataError(f"cannot write {path}: {e}") from e


def write_open_data(publication_db: Path, exports_dir: Path, *, title: str, source: str, footnote: Any,
                    make_public: Any = None, updated: datetime | None = None) -> list[Path]:
    """Write `<exports_dir>/data/` from publication.duckdb as a whole; return the files written.

    `updated` (UTC) is the build time: by default the publication's (`releases.built_at`).
    `footnote(year, question, item, old_label, new_label)` words a label change as published;
    `make_public(folder)` sets the new folder's permissions before it is swapped in."""
    target = exports_dir / DATA_DIR
    exports_dir.mkdir(parents=True, exist_ok=True)
    publish.recover_folder(target)
    try:
        tmp = publish.new_folder(target)
        (tmp / JSONSTAT_DIR).mkdir()
    except OSError as e:
        raise OpenDataError(f"cannot write {exports_dir}: {e}") from e
    written: list[str] = []
    try:
        with duckdb.connect(str(publication_db), read_only=True) as con:
            if updated is None:
                (updated,) = con.execute("SELECT max(built_at) FROM releases").fetchone() or (None,)
            stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ") if updated else ""
            tables = read_tables(con)
            codes = read_codes(con)
            for t in tables:
                _copy(con, t, tmp / f"{t.name}.csv", CSV_OPTIONS)
                _copy(con, t, tmp / f"{t.name}.parquet", _parquet_options(t))
                written += [f"{t.name}.csv", f"{t.name}.parquet"]
            _write_json(tmp / DATAPACKAGE_FILE, datapackage(tables, codes, title=title, source=source, created=stamp))
            written.append(DATAPACKAGE_FILE)
            datasets = {
                "centre_offers": centre_offers_dataset(con, codes, source=source, updated=stamp, footnote=footnote),
                "service_shares": service_shares_dataset(con, codes, source=source, updated=stamp),
                "user_counts": user_counts_dataset(con, codes, source=source, updated=stamp),
            }
        for name, dataset in datasets.items():
            _write_json(tmp / JSONSTAT_DIR / f"{name}.json", dataset, compact=True)
            written.append(f"{JSONSTAT_DIR}/{name}.json")
        if make_public is not None:
            make_public(tmp)
        try:
            publish.replace_folder(tmp, target)
        except OSError as e:
            raise OpenDataError(f"cannot replace {target}: {e}") from e
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    return [exports_dir / DATA_DIR / w for w in written]
