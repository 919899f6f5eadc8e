"""The backtest: the shipped sample's publication reproduces every figure of the published page
(`fixtures/published_figures.csv`: the page's rounded figures as ranges of the exact values)."""

from __future__ import annotations

import csv
import decimal
from pathlib import Path

import duckdb

from krise_pipeline_tests.support.paths import FIXTURES

FIGURES = FIXTURES / "published_figures.csv"


def percent(share: float) -> int:
    return int(decimal.Decimal(repr(share * 100)).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def test_backtest_reproduces_every_published_figure(shipped_run: tuple[Path, Path]) -> None:
    _, wh = shipped_run
    con = duckdb.connect(str(wh / "publication.duckdb"), read_only=True)
    with FIGURES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 100
    misses = []
    for r in rows:
        year, lo, hi = int(r["year"]), int(r["min"]), int(r["max"])
        if r["table"] == "centre_offers":
            got = con.execute(
                "SELECT n_centres FROM centre_offers WHERE year = ? AND question = ? AND item = ? AND target_group = ?",
                [year, r["question_or_population"], r["item_or_measure"], r["target_group_or_breakdown"]],
            ).fetchone()
            value = got[0] if got else None
        elif r["table"] == "service_shares":
            got = con.execute(
                "SELECT share FROM service_shares WHERE year = ? AND population = ? AND measure = ? "
                "AND breakdown = ? AND category = ? AND NOT suppressed",
                [year, r["question_or_population"], r["item_or_measure"], r["target_group_or_breakdown"],
                 r["category"]],
            ).fetchone()
            value = percent(got[0]) if got else None
        else:
            column = "n_persons" if r["item_or_measure"] == "personer" else "n_records"
            got = con.execute(
                f"SELECT {column} FROM user_counts WHERE year = ? AND population = ? AND breakdown = ? "
                "AND category = ? AND NOT suppressed",
                [year, r["question_or_population"], r["target_group_or_breakdown"], r["category"]],
            ).fetchone()
            value = got[0] if got else None
        if value is None or not lo <= value <= hi:
            misses.append((r["table"], year, r["question_or_population"], r["item_or_measure"],
                           r["target_group_or_breakdown"], r["category"], lo, hi, value))
    assert misses == []
