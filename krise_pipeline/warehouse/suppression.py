"""Disclosure control for the tables computed from person-level records.

Primary suppression: a cell (one year, population, breakdown and category) whose base is below
the threshold is suppressed for every measure.

Secondary suppression: no suppressed cell may be recomputable from the published ones. The
cells of one year and population are tied together by linear equations:

    alle = K + M                                  (kjonn; A/U treated as empty, as the contract says)
    alle = 0-2 + 3-5 + 6-10 + 11-17               (aldersgruppe)
    alle = 0-2 + 3-5 + 6-17                       (aldersgruppe_grov)

where 0-2 and 3-5 are the *same* cells in both age breakdowns (so 6-17 = 6-10 + 11-17 follows).
A suppressed cell is disclosed when its value is determined by those equations and the published
cells. While any suppressed cell is determined, the published category with the smallest base
among the equations that contain it is suppressed too. This contains the contract's rules (a
breakdown never has exactly one suppressed category; a shared age group suppressed in one age
breakdown is suppressed in the other) and also closes the gap they leave: 6-10 suppressed while
11-17 and 6-17 are published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from krise_pipeline.metadata import contract

Cell = tuple[str, str]  # (breakdown, category)

# Categories that are one and the same group of records in two breakdowns.
SHARED_CELLS: Mapping[Cell, Cell] = {
    ("aldersgruppe_grov", "0-2"): ("aldersgruppe", "0-2"),
    ("aldersgruppe_grov", "3-5"): ("aldersgruppe", "3-5"),
}
TOTAL: Cell = ("alle", "alle")


def canonical(cell: Cell) -> Cell:
    return SHARED_CELLS.get(cell, cell)


def equations(breakdowns: Sequence[str]) -> list[list[Cell]]:
    """For each breakdown except `alle`: its categories (canonical), which add up to `alle`."""
    return [
        [canonical((b, c)) for c in contract.BREAKDOWNS[b]]
        for b in breakdowns
        if b != "alle"
    ]


def _determined(unknown: list[Cell], eqs: list[list[Cell]]) -> list[Cell]:
    """The unknown cells whose value follows from the equations and the known cells."""
    if not unknown:
        return []
    index = {c: i for i, c in enumerate(unknown)}
    rows = []
    for parts in eqs:
        # total - sum(parts) = 0; only the coefficients of unknown cells matter
        row = np.zeros(len(unknown))
        if TOTAL in index:
            row[index[TOTAL]] = 1.0
        for p in parts:
            if p in index:
                row[index[p]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = []
    for cell, i in index.items():
        # x_i is determined iff dropping its column lowers the rank
        if np.linalg.matrix_rank(np.delete(a, i, axis=1)) < rank:
            out.append(cell)
    return out


def suppress(
    bases: Mapping[Cell, int],
    breakdowns: Sequence[str],
    threshold: int = contract.SUPPRESSION_THRESHOLD,
) -> set[Cell]:
    """The suppressed cells of one year and population.

    `bases` maps (breakdown, category) to the cell's base, for every published category of the
    given breakdowns (including ("alle", "alle")); categories shared between the age breakdowns
    may be given under either name. Returns suppressed cells under all their names.
    """
    base: dict[Cell, int] = {canonical(c): int(n) for c, n in bases.items()}
    order = {canonical((b, c)): i for i, (b, c) in enumerate(
        (b, c) for b in breakdowns for c in contract.BREAKDOWNS[b])}
    suppressed = {c for c, n in base.items() if n < threshold}
    eqs = equations(breakdowns)
    while True:
        disclosed = _determined(sorted(suppressed, key=order.__getitem__), eqs)
        if not disclosed:
            break
        cell = disclosed[0]
        candidates = {
            p for parts in eqs if cell in parts or cell == TOTAL for p in parts
        } - suppressed
        if not candidates:  # only the total is left to protect a cell: suppress it
            candidates = {TOTAL} - suppressed
        pick = min(candidates, key=lambda c: (base[c], order[c]))
        suppressed.add(pick)
    names = set(suppressed)
    names.update(alias for alias, target in SHARED_CELLS.items() if target in suppressed)
    return names


def disclosed(suppressed: Sequence[Cell], breakdowns: Sequence[str]) -> list[Cell]:
    """The suppressed cells whose value follows from the published cells (should be none)."""
    canon = sorted({canonical(c) for c in suppressed})
    return _determined(canon, equations(breakdowns))
