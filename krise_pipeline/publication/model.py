"""The published figures as read from a finished `publication.duckdb` (read-only, ordered).

Everything the exports show comes from here; nothing is read from the raw data or the codebook
files except the item and question order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

import duckdb

from krise_pipeline.metadata import codebook, contract

QuestionInfo = codebook.Question  # the published `questions` table has the columns of questions.csv


@dataclass(frozen=True)
class Offer:
    year: int
    question: str
    item: str
    label: str
    target_group: str
    n_centres: int
    n_base: int
    share: float | None


@dataclass(frozen=True)
class ShareCell:
    year: int
    population: str
    measure: str
    breakdown: str
    category: str
    n_with: int | None
    n_base: int | None
    share: float | None
    suppressed: bool


@dataclass(frozen=True)
class CountCell:
    year: int
    population: str
    breakdown: str
    category: str
    n_records: int | None
    n_persons: int | None
    suppressed: bool


@dataclass(frozen=True)
class LabelChangeRow:
    year: int
    question: str
    item: str
    old_label: str | None
    new_label: str


@dataclass(frozen=True)
class Release:
    year: int
    status: str
    note: str | None
    built_at: datetime | None
    package_version: str | None = None
    git_commit: str | None = None


@dataclass(frozen=True)
class Acknowledged:
    """A warning checked and found real: its note is shown where the figure is."""

    year: int
    check: str
    population: str | None
    question: str | None
    note: str

    def label(self) -> str:
        where = self.population or self.question or ""
        return f"Kontrollert endring {self.year}" + (f" ({where})" if where else "")


@dataclass(frozen=True)
class Publication:
    questions: tuple[QuestionInfo, ...]
    offers: tuple[Offer, ...]
    shares: tuple[ShareCell, ...]
    counts: tuple[CountCell, ...]
    label_changes: tuple[LabelChangeRow, ...]
    releases: tuple[Release, ...]
    acknowledged: tuple[Acknowledged, ...] = ()
    _offer_index: dict[tuple[int, str, str, str], Offer] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _question_offers: dict[str, list[Offer]] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Each question's offers in the order of `offers`."""

    def __post_init__(self) -> None:
        for o in self.offers:
            self._offer_index[(o.year, o.question, o.item, o.target_group)] = o
            self._question_offers.setdefault(o.question, []).append(o)

    def _offers_of(self, question: str) -> list[Offer]:
        return self._question_offers.get(question, [])

    # --- years and releases ---------------------------------------------------------------

    @cached_property
    def latest_year(self) -> int:
        if self.releases:
            return max(r.year for r in self.releases)
        if self.offers:
            return max(o.year for o in self.offers)
        raise ValueError("publication has neither releases nor centre figures")

    def release(self, year: int) -> Release | None:
        for r in self.releases:
            if r.year == year:
                return r
        return None

    def acknowledged_for(self, *, question: str | None = None, populations: tuple[str, ...] = ()
                         ) -> tuple[Acknowledged, ...]:
        """The acknowledgement notes for a question's figures, or for figures of the populations."""
        return tuple(a for a in self.acknowledged
                     if (question is not None and a.question == question)
                     or (a.population is not None and a.population in populations))

    def status(self, year: int) -> str:
        r = self.release(year)
        return r.status if r is not None else contract.DEFAULT_RELEASE_STATUS

    @property
    def released_years(self) -> tuple[int, ...]:
        """The years whose status is published or revised, in order."""
        return tuple(sorted(r.year for r in self.releases if r.status in contract.PUBLISHED_STATUSES))

    def restricted_to(self, years: Iterable[int]) -> Publication:
        """The publication as it is with only `years`: every figure, release and note of another
        year left out, and label changes up to the last of them (a page built from it shows
        nothing of the other years)."""
        keep = frozenset(years)
        last = max(keep, default=None)
        return Publication(
            questions=self.questions,
            offers=tuple(o for o in self.offers if o.year in keep),
            shares=tuple(s for s in self.shares if s.year in keep),
            counts=tuple(c for c in self.counts if c.year in keep),
            label_changes=tuple(c for c in self.label_changes if last is not None and c.year <= last),
            releases=tuple(r for r in self.releases if r.year in keep),
            acknowledged=tuple(a for a in self.acknowledged if a.year in keep),
        )

    # --- questions and centre figures -------------------------------------------------------

    def question(self, code: str) -> QuestionInfo:
        for q in self.questions:
            if q.question == code:
                return q
        raise KeyError(code)

    def has_question(self, code: str) -> bool:
        return any(q.question == code for q in self.questions)

    def years(self, question: str) -> tuple[int, ...]:
        return tuple(sorted({o.year for o in self._offers_of(question)}))

    def previous_year(self, question: str, year: int) -> int | None:
        earlier = [y for y in self.years(question) if y < year]
        return max(earlier) if earlier else None

    def offer(self, year: int, question: str, item: str, target_group: str) -> Offer | None:
        return self._offer_index.get((year, question, item, target_group))

    def offers_for(self, question: str, year: int | None = None) -> tuple[Offer, ...]:
        rows = [o for o in self._offers_of(question) if year is None or o.year == year]
        return tuple(sorted(rows, key=lambda o: offer_sort_key(o)))

    def items(self, question: str, year: int | None = None, *, with_total: bool = False) -> tuple[str, ...]:
        """Item codes present in the data (in a year, or any year), in codebook order."""
        present = {
            o.item
            for o in self._offers_of(question)
            if (year is None or o.year == year) and (with_total or o.item != contract.MINST_ETT)
        }
        return tuple(sorted(present, key=lambda i: item_sort_key(question, i)))

    def target_groups(self, question: str) -> tuple[str, ...]:
        present = {o.target_group for o in self._offers_of(question)}
        return tuple(g for g in (*contract.TARGET_GROUPS, contract.TARGET_GROUP_ALL) if g in present)

    def base(self, year: int, question: str, target_group: str) -> int | None:
        """The number of centres the question's counts are out of (from minst_ett, else any item)."""
        preferred = self.offer(year, question, contract.MINST_ETT, target_group)
        if preferred is not None:
            return preferred.n_base
        bases = {
            o.n_base for o in self._offers_of(question) if o.year == year and o.target_group == target_group
        }
        return max(bases) if bases else None

    def changes_for(self, question: str, up_to_year: int) -> tuple[LabelChangeRow, ...]:
        return tuple(c for c in self.label_changes if c.question == question and c.year <= up_to_year)

    # --- shares and counts -----------------------------------------------------------------

    def share(self, year: int, population: str, measure: str, breakdown: str = "alle",
              category: str = "alle") -> ShareCell | None:
        for s in self.shares:
            if (s.year, s.population, s.measure, s.breakdown, s.category) == (
                year, population, measure, breakdown, category
            ):
                return s
        return None

    def count(self, year: int, population: str, breakdown: str = "alle",
              category: str = "alle") -> CountCell | None:
        for c in self.counts:
            if (c.year, c.population, c.breakdown, c.category) == (year, population, breakdown, category):
                return c
        return None


ORGANISERING_ITEMS = ("har_tilbud", "botilbud_menn_egne_lokaler", "botilbud_menn_samme_bygning",
                      "botilbud_menn_midlertidig")


def question_sort_key(code: str) -> tuple[int, str]:
    order = [q.question for q in codebook.questions()]
    return (order.index(code), "") if code in order else (len(order), code)


def item_sort_key(question: str, item: str) -> tuple[int, int, str]:
    """Codebook order; organisation items in contract order; minst_ett last; unknown items by code."""
    if item == contract.MINST_ETT:
        return (2, 0, item)
    if question == contract.ORGANISERING and item in ORGANISERING_ITEMS:
        return (0, ORGANISERING_ITEMS.index(item), item)
    order = codebook.items(question)
    if item in order:
        return (0, order.index(item), item)
    return (1, 0, item)


def group_sort_key(group: str) -> int:
    order = (*contract.TARGET_GROUPS, contract.TARGET_GROUP_ALL)
    return order.index(group) if group in order else len(order)


def offer_sort_key(o: Offer) -> tuple[int, int, tuple[int, int, str]]:
    return (o.year, group_sort_key(o.target_group), item_sort_key(o.question, o.item))


def _columns(con: duckdb.DuckDBPyConnection, table: str, schema: str | None = None) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = coalesce(?, current_schema()) and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _optional(cols: set[str], name: str) -> str:
    return name if name in cols else f"null as {name}"


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> Iterable[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _int_or_none(value: object) -> int | None:
    return None if value is None else _int(value)


def _float_or_none(value: object) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def load_publication(path: Path) -> Publication:
    """Read every table the exports need from a publication database (read-only)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"publication database not found: {path}")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return read_publication(con)
    finally:
        con.close()


def read_publication(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> Publication:
    """The publication's tables from an open connection: publication.duckdb (`schema` None), or
    the `warehouse` schema of krise.duckdb, which holds the same tables before they are published."""
    p = f"{schema}." if schema else ""
    questions = tuple(
        QuestionInfo(*(str(v) for v in r))
        for r in _fetch(con, "select question, scope, title, question_text, main_grouping, "
                             f"secondary_grouping from {p}questions")
    )
    offers = tuple(
        Offer(_int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), _int(r[5]), _int(r[6]),
              _float_or_none(r[7]))
        for r in _fetch(con, "select year, question, item, label, target_group, n_centres, n_base, share "
                             f"from {p}centre_offers order by all")
    )
    shares = tuple(
        ShareCell(_int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
                  _int_or_none(r[5]), _int_or_none(r[6]), _float_or_none(r[7]), bool(r[8]))
        for r in _fetch(con, "select year, population, measure, breakdown, category, n_with, n_base, "
                             f"share, suppressed from {p}service_shares order by all")
    )
    counts = tuple(
        CountCell(_int(r[0]), str(r[1]), str(r[2]), str(r[3]),
                  _int_or_none(r[4]), _int_or_none(r[5]), bool(r[6]))
        for r in _fetch(con, "select year, population, breakdown, category, n_records, n_persons, "
                             f"suppressed from {p}user_counts order by all")
    )
    changes = tuple(
        LabelChangeRow(_int(r[0]), str(r[1]), str(r[2]), _str_or_none(r[3]), str(r[4]))
        for r in _fetch(con, f"select year, question, item, old_label, new_label from {p}label_changes "
                             "order by year, question, item, old_label nulls first")
    )
    rcols = _columns(con, "releases", schema)
    releases = tuple(
        Release(_int(r[0]), str(r[1]), _str_or_none(r[2]),
                r[3] if isinstance(r[3], datetime) else None,
                _str_or_none(r[4]), _str_or_none(r[5]))
        for r in _fetch(
            con,
            f"select year, status, {_optional(rcols, 'note')}, {_optional(rcols, 'built_at')}, "
            f"{_optional(rcols, 'package_version')}, {_optional(rcols, 'git_commit')} "
            f"from {p}releases order by year",
        )
    )
    acknowledged = tuple(
        Acknowledged(_int(r[0]), str(r[1]), _str_or_none(r[2]), _str_or_none(r[3]), str(r[4]))
        for r in _fetch(con, f"select year, check_name, population, question, note from {p}acknowledgements "
                             "order by year, check_name, key")
    ) if _columns(con, "acknowledgements", schema) else ()
    questions = tuple(sorted(questions, key=lambda q: question_sort_key(q.question)))
    return Publication(questions, offers, shares, counts, changes, releases, acknowledged)
