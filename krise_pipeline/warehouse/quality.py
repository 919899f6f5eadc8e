"""Quality rules between warehouse tables, as pure functions over a DuckDB connection.

Each rule returns a `Finding`: whether it holds, how many rows break it, and a few examples
(aggregate keys only, never person-level values). The Dagster asset checks call these; blocking
rules stop the publication, warning rules compare a year with the year before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from krise_pipeline.metadata import contract
from krise_pipeline.warehouse import suppression


@dataclass(frozen=True)
class Finding:
    passed: bool
    failures: int
    examples: list[str] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)  # every failing row, labelled


def _rows(con: duckdb.DuckDBPyConnection, query: str, limit: int = 10) -> Finding:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    return Finding(not rows, len(rows), [", ".join(str(v) for v in r) for r in rows[:limit]],
                   [dict(zip(names, r, strict=True)) for r in rows])


def _years_filter(years: list[int] | None, column: str = "cur.year") -> str:
    """SQL restricting a warning to `years` (None = every year; [] = none)."""
    if years is None:
        return ""
    return f" AND {column} IN ({', '.join(map(str, years))})" if years else " AND FALSE"


# --- blocking ----------------------------------------------------------------------------------

def records_reference_surveyed_centres(con: duckdb.DuckDBPyConnection) -> Finding:
    """Every senter_id in the user files is in the survey of the same year."""
    return _rows(con, """
        WITH ids AS (
            SELECT DISTINCT year, senter_id, 'beboere_opphold' AS source FROM validated.beboere_opphold
            UNION SELECT DISTINCT year, senter_id, 'barn_opphold' FROM validated.barn_opphold
            UNION SELECT DISTINCT year, senter_id, 'dagsbesok' FROM validated.dagsbesok
        )
        SELECT ids.year, ids.source, ids.senter_id FROM ids
        ANTI JOIN validated.sentreskjema AS s USING (year, senter_id)
        ORDER BY ALL
    """)


def centre_counts_within_base(con: duckdb.DuckDBPyConnection) -> Finding:
    """0 <= n_centres <= n_base, and share = n_centres / n_base within 0..1 (NULL only for base 0)."""
    return _rows(con, """
        SELECT year, question, item, target_group, n_centres, n_base FROM warehouse.centre_offers
        WHERE n_centres < 0 OR n_centres > n_base OR share < 0 OR share > 1
           OR (share IS NULL) <> (n_base = 0)
        ORDER BY ALL
    """)


def shares_within_unit_interval(con: duckdb.DuckDBPyConnection) -> Finding:
    return _rows(con, """
        SELECT year, population, measure, breakdown, category, share FROM warehouse.service_shares
        WHERE share < 0 OR share > 1 OR n_with > n_base
        ORDER BY ALL
    """)


def threat_total_identity(con: duckdb.DuckDBPyConnection) -> Finding:
    """kartlegging_trusler_totalt = _senter + _andre - _begge in every published cell."""
    return _rows(con, """
        SELECT year, population, breakdown, category
        FROM warehouse.service_shares
        WHERE NOT suppressed
        GROUP BY year, population, breakdown, category
        HAVING sum(n_with) FILTER (WHERE measure = 'kartlegging_trusler_totalt')
            <> sum(n_with) FILTER (WHERE measure = 'kartlegging_trusler_senter')
             + sum(n_with) FILTER (WHERE measure = 'kartlegging_trusler_andre')
             - sum(n_with) FILTER (WHERE measure = 'kartlegging_trusler_begge')
        ORDER BY ALL
    """)


NUMBERS = {"service_shares": ("n_with", "n_base", "share"), "user_counts": ("n_records", "n_persons")}
BASE = {"service_shares": "n_base", "user_counts": "n_records"}
BREAKDOWNS_OF: dict[str, dict[str, tuple[str, ...]]] = {
    "service_shares": dict(contract.SHARE_BREAKDOWNS),
    "user_counts": {p: contract.COUNT_BREAKDOWNS for p in contract.COUNT_POPULATIONS},
}


def no_small_published_cells(con: duckdb.DuckDBPyConnection, table: str) -> Finding:
    """No published cell of `table` has a base below the threshold; suppressed cells show nothing."""
    shown = " OR ".join(f"{c} IS NOT NULL" for c in NUMBERS[table])
    missing = " OR ".join(f"{c} IS NULL" for c in NUMBERS[table])
    return _rows(con, f"""
        SELECT year, population, breakdown, category FROM warehouse.{table}
        WHERE (NOT suppressed AND ({missing} OR {BASE[table]} < {contract.SUPPRESSION_THRESHOLD}))
           OR (suppressed AND ({shown}))
        ORDER BY ALL
    """)


def secondary_suppression_holds(con: duckdb.DuckDBPyConnection, table: str) -> Finding:
    """No suppressed cell of `table` can be recomputed from the published cells of its year and population."""
    cells: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for year, pop, b, c in con.execute(
        f"SELECT DISTINCT year, population, breakdown, category FROM warehouse.{table} WHERE suppressed"
    ).fetchall():
        cells.setdefault((year, pop), []).append((b, c))
    examples = [
        f"{year} {pop} {cell[0]}={cell[1]}"
        for (year, pop), hidden in sorted(cells.items())
        for cell in suppression.disclosed(hidden, BREAKDOWNS_OF[table][pop])
    ]
    return Finding(not examples, len(examples), examples[:10])


def no_identifier_columns(con: duckdb.DuckDBPyConnection, table: str) -> Finding:
    schema, name = table.split(".")
    cols = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?", [schema, name]
    ).fetchall() if c.lower() in contract.IDENTIFIERS]
    return Finding(not cols, len(cols), cols)


# --- warnings: plausibility against the previous year --------------------------------------------

def share_jumps(con: duckdb.DuckDBPyConnection, points: float = 0.10, years: list[int] | None = None) -> Finding:
    """Shares (breakdown alle) moving more than `points` from the previous year."""
    return _rows(con, f"""
        SELECT cur.year, cur.population, cur.measure, round(prev.share, 3) AS old_share,
               round(cur.share, 3) AS new_share
        FROM warehouse.service_shares AS cur
        JOIN warehouse.service_shares AS prev
          ON prev.year = cur.year - 1 AND prev.population = cur.population AND prev.measure = cur.measure
         AND prev.breakdown = cur.breakdown AND prev.category = cur.category
        WHERE cur.breakdown = 'alle' AND abs(cur.share - prev.share) > {points}{_years_filter(years)}
        ORDER BY ALL
    """)


def _centre_count_changes(condition: str, years: list[int] | None) -> str:
    """Centre counts of each item compared with the year before, where `condition` holds."""
    return f"""
        SELECT cur.year, cur.question, cur.item, cur.target_group, prev.n_centres AS old_n_centres,
               cur.n_centres AS new_n_centres
        FROM warehouse.centre_offers AS cur
        JOIN warehouse.centre_offers AS prev
          ON prev.year = cur.year - 1 AND prev.question = cur.question AND prev.item = cur.item
         AND prev.target_group = cur.target_group
        WHERE {condition}{_years_filter(years)}
        ORDER BY ALL
    """


def centre_count_jumps(con: duckdb.DuckDBPyConnection, centres: int = 5, years: list[int] | None = None) -> Finding:
    return _rows(con, _centre_count_changes(f"abs(cur.n_centres - prev.n_centres) > {centres}", years))


def population_count_jumps(con: duckdb.DuckDBPyConnection, ratio: float = 0.30,
                           years: list[int] | None = None) -> Finding:
    return _rows(con, f"""
        SELECT cur.year, cur.population, prev.n_records AS old_n_records, cur.n_records AS new_n_records
        FROM warehouse.user_counts AS cur
        JOIN warehouse.user_counts AS prev
          ON prev.year = cur.year - 1 AND prev.population = cur.population
         AND prev.breakdown = cur.breakdown AND prev.category = cur.category
        WHERE cur.breakdown = 'alle' AND prev.n_records > 0
          AND abs(cur.n_records - prev.n_records) > {ratio} * prev.n_records{_years_filter(years)}
        ORDER BY ALL
    """)


def disappearing_items(con: duckdb.DuckDBPyConnection, years: list[int] | None = None) -> Finding:
    """Items ticked by some centre the year before and by none this year."""
    return _rows(con, _centre_count_changes("prev.n_centres > 0 AND cur.n_centres = 0", years))


# A warning's key: the columns (besides year) that name what moved; an acknowledgement names them.
WARNING_KEYS: dict[str, tuple[str, ...]] = {
    "share_moves_over_10_points": ("population", "measure"),
    "centre_count_moves_over_5": ("question", "item", "target_group"),
    "population_moves_over_30_percent": ("population",),
    "item_disappeared": ("question", "item", "target_group"),
}


# name -> rule of every warning check (each takes the years to compare; None = every year)
WARNING_RULES: dict[str, Callable[..., Finding]] = {
    "share_moves_over_10_points": share_jumps,
    "centre_count_moves_over_5": centre_count_jumps,
    "population_moves_over_30_percent": population_count_jumps,
    "item_disappeared": disappearing_items,
}


def warning_key(check: str, row: dict[str, object]) -> str:
    """`population=dagbrukere`: the key of a failing warning row, as acknowledgements write it."""
    return ", ".join(f"{c}={row[c]}" for c in WARNING_KEYS[check])


def draft_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loaded years not yet published (status utkast), which the warnings compare by default."""
    return [int(y) for (y,) in con.execute(
        "SELECT year FROM warehouse.releases WHERE status = ? ORDER BY year", [contract.DRAFT]).fetchall()]
