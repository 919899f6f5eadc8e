"""The survey questions and their answer items, with labels by year (package data).

`questions.csv` lists every question (= one published chart); `codebook.csv` every item with the
years its label is valid. An item keeps its code when its label changes; an item with a
`valid_from` does not exist in earlier years.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from dataclasses import dataclass
from functools import cache
from importlib import resources

from krise_pipeline.metadata import contract


@dataclass(frozen=True)
class Question:
    question: str
    scope: str
    title: str
    question_text: str
    main_grouping: str
    secondary_grouping: str

    @property
    def is_year_series(self) -> bool:
        """A chart over the years (main grouping "År") rather than by women's and men's offers."""
        return self.main_grouping == "År"

    @property
    def target_groups(self) -> tuple[str, ...]:
        if self.scope == contract.SCOPE_CENTRE:
            return (contract.TARGET_GROUP_ALL,)
        return contract.TARGET_GROUPS


@dataclass(frozen=True)
class LabelPeriod:
    question: str
    item: str
    label: str
    valid_from: int | None
    valid_to: int | None

    def valid_in(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= year) and (
            self.valid_to is None or year <= self.valid_to
        )


@dataclass(frozen=True)
class LabelChange:
    year: int
    question: str
    item: str
    old_label: str | None
    new_label: str


QUESTION_COLUMNS = (
    "question", "scope", "title", "question_text", "main_grouping", "secondary_grouping",
)


def _read_text(name: str) -> str:
    return resources.files("krise_pipeline").joinpath("data", name).read_text(encoding="utf-8")


def _optional_year(value: str) -> int | None:
    return int(value) if value.strip() else None


@cache
def questions() -> tuple[Question, ...]:
    """Every question in publication order (the order of questions.csv)."""
    rows = csv.DictReader(_read_text("questions.csv").splitlines())
    return tuple(Question(**{c: row[c] for c in QUESTION_COLUMNS}) for row in rows)


def question(code: str) -> Question:
    for q in questions():
        if q.question == code:
            return q
    raise KeyError(f"unknown question {code!r}")


def survey_questions() -> tuple[Question, ...]:
    """The questions answered item by item in the survey (all but the derived `organisering`)."""
    return tuple(q for q in questions() if q.question != contract.ORGANISERING)


@cache
def label_periods() -> tuple[LabelPeriod, ...]:
    rows = csv.DictReader(_read_text("codebook.csv").splitlines())
    return tuple(
        LabelPeriod(
            question=row["question"],
            item=row["item"],
            label=row["label"],
            valid_from=_optional_year(row["valid_from"]),
            valid_to=_optional_year(row["valid_to"]),
        )
        for row in rows
    )


@cache  # the exports sort every figure by it
def items(question_code: str) -> tuple[str, ...]:
    """The item codes of a question in codebook order, across all years."""
    seen: dict[str, None] = {}
    for p in label_periods():
        if p.question == question_code:
            seen.setdefault(p.item)
    return tuple(seen)


def items_in_year(question_code: str, year: int) -> tuple[tuple[str, str], ...]:
    """(item, label) for the items of a question that exist in `year`, in codebook order."""
    out: dict[str, str] = {}
    for p in label_periods():
        if p.question == question_code and p.valid_in(year):
            out.setdefault(p.item, p.label)
    return tuple(out.items())


def label(question_code: str, item: str, year: int) -> str | None:
    for p in label_periods():
        if p.question == question_code and p.item == item and p.valid_in(year):
            return p.label
    return None


def survey_columns(year: int) -> tuple[str, ...]:
    """The exact columns of `sentreskjema.xlsx` for `year`, in a canonical order."""
    cols = list(contract.SURVEY_FIXED_COLUMNS)
    for q in survey_questions():
        for item, _ in items_in_year(q.question, year):
            if q.scope == contract.SCOPE_CENTRE:
                cols.append(f"{q.question}__{item}")
            else:
                cols.extend(f"{q.question}__{item}__{s}" for s in contract.SUFFIX_BY_GROUP.values())
    return tuple(cols)


def label_changes() -> tuple[LabelChange, ...]:
    """Every label change in the codebook, and every item that is new in a year (old_label None)."""
    changes: list[LabelChange] = []
    by_item: dict[tuple[str, str], list[LabelPeriod]] = {}
    for p in label_periods():
        by_item.setdefault((p.question, p.item), []).append(p)
    for (q, item), periods in by_item.items():
        periods = sorted(periods, key=lambda p: p.valid_from if p.valid_from is not None else -1)
        first = periods[0]
        if first.valid_from is not None:
            changes.append(LabelChange(first.valid_from, q, item, None, first.label))
        for old, new in itertools.pairwise(periods):
            if new.valid_from is None:
                raise ValueError(f"codebook: {q}/{item} has a later label without valid_from")
            changes.append(LabelChange(new.valid_from, q, item, old.label, new.label))
    return tuple(sorted(changes, key=lambda c: (c.year, c.question, c.item)))


def codebook_sha256() -> str:
    """Identity of the codebook and question list this build uses."""
    h = hashlib.sha256()
    for name in ("questions.csv", "codebook.csv"):
        h.update(_read_text(name).encode("utf-8"))
    return h.hexdigest()
