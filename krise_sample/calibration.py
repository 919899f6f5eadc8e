"""The calibration of the sample generator, read from the CSV files in `krise_sample/calibration/`.

`load()` reads every file (what each one calibrates and where its numbers come from is in that
folder's README.md) into frozen dataclasses and dicts, in the order of the files' rows. It checks
each file on its own: the exact header, a value in every required cell, numbers where numbers
belong, known populations, measures, questions and items, no repeated keys, and no gap in the years
of a yearly table. Anything else raises `CalibrationError` naming the file and, where there is one,
the line.

The folder is found next to this module, so the generator runs from a checkout without being
installed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from krise_pipeline.metadata import codebook, contract

__all__ = [
    "BASE_YEAR",
    "CALIBRATION_DIR",
    "CHILD_AGE_GROUPS",
    "POPULATIONS",
    "AgeRate",
    "BaseCentre",
    "Calibration",
    "CalibrationError",
    "CentreProfile",
    "Volume",
    "load",
]

CALIBRATION_DIR = Path(__file__).parent / "calibration"

# The published year the survey counts are given for (survey_2024.csv); other years are scaled from it.
BASE_YEAR = 2024

# population (the delivery file's stem) -> help columns and kjonn codes of its records
POPULATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "beboere_opphold": (contract.ADULT_HELP, contract.ADULT_KJONN),
    "barn_opphold": (contract.CHILD_HELP, contract.CHILD_KJONN),
    "dagsbesok": (contract.VISIT_HELP, contract.ADULT_KJONN),
}
BOTH = "begge"  # the share measure of records helped with threats by the centre and by others
CHILD_AGE_GROUPS: tuple[tuple[int, int], ...] = ((0, 2), (3, 5), (6, 10), (11, 17))
WELCOME_DEFAULT = "default"  # the year cell of welcome_by_age.csv's rates for every other year
SURVEY_GROUPS = {contract.SCOPE_WOMEN_MEN: ("k", "m"), contract.SCOPE_CENTRE: ("a",)}
CENTRE_KINDS = ("regular", "men_only")

T = TypeVar("T")


class CalibrationError(ValueError):
    """A calibration file is not as the generator needs it."""


@dataclass(frozen=True)
class BaseCentre:
    name: str
    kommune_nr: str  # 2020-2023 (after the 2020 reform)
    kommune_nr_2024: str  # after the 2024 county split
    size: float  # relative number of users


@dataclass(frozen=True)
class CentreProfile:
    regular: int  # centres with an offer for women
    men_only: int  # centres with an offer for men only
    no_men: int  # regular centres without an offer for men
    men_types: tuple[int, int, int]  # egne_lokaler, samme_bygning, midlertidig (sum = men's offers)


@dataclass(frozen=True)
class Volume:
    records: int  # stays or visits of the year
    persons: int  # records with the first-stay/first-visit flag
    reserved: int  # reserved records (each its own pseudonym)
    minorities: tuple[int, ...]  # persons by kjonn except K: (M, A, U) for adults, (M, U) children


@dataclass(frozen=True)
class AgeRate:
    lo: int
    hi: int
    rate: float  # typical share of stays with a welcome talk
    min_rate: float
    max_rate: float


@dataclass(frozen=True)
class Calibration:
    centres: tuple[BaseCentre, ...]  # regular centres, in the order they are numbered
    men_only_centre: BaseCentre
    centre_profiles: dict[int, CentreProfile]
    survey_base: dict[tuple[str, str, str], int]  # (question, item, group) -> centres in BASE_YEAR
    survey_other_years: dict[tuple[str, str, str], dict[int, int]]  # (question, item, group) -> year -> n
    volumes: dict[str, dict[int, Volume]]  # population -> year -> volume
    shares: dict[str, dict[int, dict[str, float]]]  # population -> year -> measure -> share
    child_age_shares: dict[int, tuple[float, ...]]  # year -> share per CHILD_AGE_GROUPS
    welcome_by_age: dict[int, tuple[AgeRate, ...]]
    welcome_default: tuple[AgeRate, ...]
    release_notes: dict[int, str]


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    path: Path
    line: int
    cells: dict[str, str]

    def fail(self, message: str) -> CalibrationError:
        return CalibrationError(f"{self.path}, line {self.line}: {message}")

    def text(self, column: str) -> str:
        value = self.cells[column]
        if not value.strip():
            raise self.fail(f"{column} is empty")
        return value

    def parse(self, column: str, convert: Callable[[str], T], what: str) -> T:
        value = self.text(column)
        try:
            return convert(value)
        except ValueError:
            raise self.fail(f"{column} {value!r} is not {what}") from None

    def count(self, column: str) -> int:
        n = self.parse(column, int, "a whole number")
        if n < 0:
            raise self.fail(f"{column} {n} is negative")
        return n

    def share(self, column: str) -> float:
        x = self.parse(column, float, "a number")
        if not 0.0 <= x <= 1.0:
            raise self.fail(f"{column} {x} is not a share between 0 and 1")
        return x

    def year(self, column: str = "year") -> int:
        return self.parse(column, int, "a year")

    def choice(self, column: str, allowed: Sequence[str]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.fail(f"{column} {value!r} is not one of {', '.join(allowed)}")
        return value


def _rows(folder: Path, name: str, columns: Sequence[str]) -> Iterator[_Row]:
    """The rows of `folder/name`, whose header must be exactly `columns`."""
    path = folder / name
    if not path.is_file():
        raise CalibrationError(f"{path}: missing calibration file")
    with path.open(encoding="utf-8-sig", newline="") as fh:  # a BOM from a spreadsheet is fine
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise CalibrationError(f"{path}: empty file, expected the header {','.join(columns)}")
        if header != list(columns):
            unknown = [c for c in header if c not in columns]
            missing = [c for c in columns if c not in header]
            detail = "; ".join(part for part in (
                f"unknown column(s) {', '.join(unknown)}" if unknown else "",
                f"missing column(s) {', '.join(missing)}" if missing else "",
            ) if part) or "columns out of order"
            raise CalibrationError(f"{path}, line 1: {detail}; expected {','.join(columns)}")
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(columns):
                raise CalibrationError(f"{path}, line {reader.line_num}: {len(cells)} cells, "
                                       f"the header has {len(columns)}")
            yield _Row(path, reader.line_num, dict(zip(columns, cells, strict=True)))


class _Keys:
    """Remembers the line of each key of a file, to reject a key given twice."""

    def __init__(self) -> None:
        self.lines: dict[object, int] = {}

    def add(self, row: _Row, key: object, shown: str) -> None:
        if key in self.lines:
            raise row.fail(f"{shown} is given again (first on line {self.lines[key]})")
        self.lines[key] = row.line


def _check_years(path: Path, years_by_key: Mapping[str, Sequence[int]]) -> None:
    """Every key of a yearly table has a row for every year from the file's first to its last."""
    every = sorted({y for years in years_by_key.values() for y in years})
    if not every:
        raise CalibrationError(f"{path}: no rows")
    wanted = range(every[0], every[-1] + 1)
    for key, years in years_by_key.items():
        gaps = [y for y in wanted if y not in years]
        if gaps:
            raise CalibrationError(f"{path}: {key} has no row for {', '.join(map(str, gaps))} "
                                   f"(the file covers {every[0]}-{every[-1]})")


# --- the files -----------------------------------------------------------------------------------


def _centres(folder: Path) -> tuple[tuple[BaseCentre, ...], BaseCentre]:
    regular: list[BaseCentre] = []
    men_only: list[tuple[int, BaseCentre]] = []
    keys = _Keys()
    path = folder / "centres.csv"
    for row in _rows(folder, "centres.csv", ("name", "kommune_nr", "kommune_nr_2024", "size", "kind")):
        name = row.text("name")
        keys.add(row, name, f"centre {name!r}")
        numbers = []
        for column in ("kommune_nr", "kommune_nr_2024"):
            nr = row.text(column)
            if len(nr) != 4 or not nr.isdigit():
                raise row.fail(f"{column} {nr!r} is not a four-digit kommune number")
            numbers.append(nr)
        size = row.parse("size", float, "a number")
        if size <= 0:
            raise row.fail(f"size {size} is not positive")
        centre = BaseCentre(name, numbers[0], numbers[1], size)
        if row.choice("kind", CENTRE_KINDS) == "regular":
            regular.append(centre)
        else:
            men_only.append((row.line, centre))
    if not regular:
        raise CalibrationError(f"{path}: no regular centre")
    if len(men_only) != 1:
        where = ", ".join(str(line) for line, _ in men_only) or "none"
        raise CalibrationError(f"{path}: exactly one men_only centre is needed (lines: {where})")
    return tuple(regular), men_only[0][1]


def _centre_profiles(folder: Path) -> dict[int, CentreProfile]:
    columns = ("year", "regular", "men_only", "no_men", "men_egne_lokaler", "men_samme_bygning",
               "men_midlertidig")
    out: dict[int, CentreProfile] = {}
    keys = _Keys()
    for row in _rows(folder, "centre_profiles.csv", columns):
        year = row.year()
        keys.add(row, year, f"year {year}")
        regular, men_only, no_men = row.count("regular"), row.count("men_only"), row.count("no_men")
        types = (row.count("men_egne_lokaler"), row.count("men_samme_bygning"), row.count("men_midlertidig"))
        if regular < 1 or no_men >= regular:
            raise row.fail(f"needs at least one regular centre and fewer no_men ({no_men}) than regular ({regular})")
        if sum(types) != regular - no_men + men_only:
            raise row.fail(f"the men's offers by type sum to {sum(types)}, "
                           f"not regular - no_men + men_only = {regular - no_men + men_only}")
        out[year] = CentreProfile(regular, men_only, no_men, types)
    path = folder / "centre_profiles.csv"
    _check_years(path, {"the profile": list(out)})
    if BASE_YEAR not in out:
        raise CalibrationError(f"{path}: no row for {BASE_YEAR}, the year the survey counts are given for")
    return out


def _survey_key(row: _Row, scopes: Mapping[str, str]) -> tuple[str, str, str]:
    question = row.choice("question", tuple(scopes))
    item = row.text("item")
    if item not in codebook.items(question) and item != contract.MINST_ETT:
        raise row.fail(f"item {item!r} is not an item of {question} in the codebook")
    group = row.choice("group", SURVEY_GROUPS[scopes[question]])
    return question, item, group


def _survey(folder: Path) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str, str], dict[int, int]]]:
    scopes = {q.question: q.scope for q in codebook.survey_questions()}
    base: dict[tuple[str, str, str], int] = {}
    keys = _Keys()
    for row in _rows(folder, f"survey_{BASE_YEAR}.csv", ("question", "item", "group", "centres")):
        key = _survey_key(row, scopes)
        keys.add(row, key, "/".join(key))
        base[key] = row.count("centres")
    for (question, item, group) in base:
        other = "m" if group == "k" else "k" if group == "m" else None
        if other is not None and (question, item, other) not in base:
            raise CalibrationError(f"{folder / f'survey_{BASE_YEAR}.csv'}, line {keys.lines[(question, item, group)]}: "
                                   f"{question}/{item} has group {group} but not {other}")
    other_years: dict[tuple[str, str, str], dict[int, int]] = {}
    keys = _Keys()
    for row in _rows(folder, "survey_other_years.csv", ("question", "item", "group", "year", "centres")):
        key = _survey_key(row, scopes)
        year = row.year()
        if year == BASE_YEAR:
            raise row.fail(f"{BASE_YEAR} belongs in survey_{BASE_YEAR}.csv")
        keys.add(row, (key, year), f"{'/'.join(key)} in {year}")
        other_years.setdefault(key, {})[year] = row.count("centres")
    return base, other_years


def _volumes(folder: Path) -> dict[str, dict[int, Volume]]:
    columns = ("population", "year", "records", "persons", "reserved", "persons_m", "persons_a", "persons_u")
    out: dict[str, dict[int, Volume]] = {}
    keys = _Keys()
    for row in _rows(folder, "volumes.csv", columns):
        population = row.choice("population", tuple(POPULATIONS))
        year = row.year()
        keys.add(row, (population, year), f"{population} {year}")
        records, persons, reserved = row.count("records"), row.count("persons"), row.count("reserved")
        codes = POPULATIONS[population][1]
        minorities: list[int] = []
        for code in ("M", "A", "U"):
            column = f"persons_{code.lower()}"
            if code in codes:
                minorities.append(row.count(column))
            elif row.cells[column].strip():
                raise row.fail(f"{population} has no kjonn {code}: leave {column} empty")
        if not reserved <= persons <= records:
            raise row.fail(f"needs reserved ({reserved}) <= persons ({persons}) <= records ({records})")
        if sum(minorities) > persons:
            raise row.fail(f"persons by kjonn ({sum(minorities)}) exceed the persons ({persons})")
        out.setdefault(population, {})[year] = Volume(records, persons, reserved, tuple(minorities))
    _check_years(folder / "volumes.csv", {p: list(v) for p, v in out.items()})
    _check_populations(folder / "volumes.csv", out)
    return out


def _check_populations(path: Path, table: Mapping[str, object]) -> None:
    missing = [p for p in POPULATIONS if p not in table]
    if missing:
        raise CalibrationError(f"{path}: no rows for {', '.join(missing)}")


def _shares(folder: Path) -> dict[str, dict[int, dict[str, float]]]:
    out: dict[str, dict[int, dict[str, float]]] = {}
    keys = _Keys()
    path = folder / "shares.csv"
    for row in _rows(folder, "shares.csv", ("population", "year", "measure", "share")):
        population = row.choice("population", tuple(POPULATIONS))
        year = row.year()
        measure = row.choice("measure", (*POPULATIONS[population][0], BOTH))
        keys.add(row, (population, year, measure), f"{population} {measure} in {year}")
        out.setdefault(population, {}).setdefault(year, {})[measure] = row.share("share")
    _check_populations(path, out)
    years: dict[str, list[int]] = {}
    for population, by_year in out.items():
        for measure in (*POPULATIONS[population][0], BOTH):
            years[f"{population} {measure}"] = [y for y, shares in by_year.items() if measure in shares]
    _check_years(path, years)
    return out


def _child_age_shares(folder: Path) -> dict[int, tuple[float, ...]]:
    names = tuple(f"{lo}-{hi}" for lo, hi in CHILD_AGE_GROUPS)
    by_year: dict[int, dict[str, float]] = {}
    keys = _Keys()
    path = folder / "child_age_shares.csv"
    for row in _rows(folder, "child_age_shares.csv", ("year", "age_group", "share")):
        year = row.year()
        group = row.choice("age_group", names)
        keys.add(row, (year, group), f"{group} in {year}")
        by_year.setdefault(year, {})[group] = row.share("share")
    _check_years(path, {f"age group {g}": [y for y, s in by_year.items() if g in s] for g in names})
    out: dict[int, tuple[float, ...]] = {}
    for year, shares in by_year.items():
        if sum(shares.values()) <= 0:
            raise CalibrationError(f"{path}: the shares of {year} sum to zero")
        out[year] = tuple(shares[g] for g in names)
    return out


def _welcome(folder: Path) -> tuple[dict[int, tuple[AgeRate, ...]], tuple[AgeRate, ...]]:
    rates: dict[int | None, list[AgeRate]] = {}
    lines: dict[int | None, int] = {}
    path = folder / "welcome_by_age.csv"
    for row in _rows(folder, "welcome_by_age.csv", ("year", "age_group", "rate", "min_rate", "max_rate")):
        year = None if row.text("year") == WELCOME_DEFAULT else row.year()
        lo_hi = row.text("age_group").split("-")
        if len(lo_hi) != 2 or not all(part.isdigit() for part in lo_hi):
            raise row.fail(f"age_group {row.cells['age_group']!r} is not lo-hi, e.g. 0-2")
        lo, hi = int(lo_hi[0]), int(lo_hi[1])
        before = rates.setdefault(year, [])
        expected_lo = before[-1].hi + 1 if before else 0
        if lo != expected_lo or hi < lo:
            raise row.fail(f"age_group {lo}-{hi} should start at {expected_lo}: a year's groups follow each "
                           "other from age 0")
        rate = AgeRate(lo, hi, row.share("rate"), row.share("min_rate"), row.share("max_rate"))
        if not rate.min_rate <= rate.rate <= rate.max_rate:
            raise row.fail("needs min_rate <= rate <= max_rate")
        before.append(rate)
        lines[year] = row.line
    for year, groups in rates.items():
        if groups[-1].hi != CHILD_AGE_GROUPS[-1][1]:
            shown = WELCOME_DEFAULT if year is None else year
            raise CalibrationError(f"{path}, line {lines[year]}: the groups of {shown} end at "
                                   f"{groups[-1].hi}, not {CHILD_AGE_GROUPS[-1][1]}")
    if None not in rates:
        raise CalibrationError(f"{path}: no rows with year {WELCOME_DEFAULT}")
    default = tuple(rates.pop(None))
    return {y: tuple(r) for y, r in rates.items() if y is not None}, default


def _release_notes(folder: Path) -> dict[int, str]:
    out: dict[int, str] = {}
    keys = _Keys()
    for row in _rows(folder, "release_notes.csv", ("year", "note")):
        year = row.year()
        keys.add(row, year, f"year {year}")
        out[year] = row.text("note")
    return out


def load(folder: Path = CALIBRATION_DIR) -> Calibration:
    """Every calibration file of `folder`, checked."""
    base, other_years = _survey(folder)
    welcome, welcome_default = _welcome(folder)
    centres, men_only = _centres(folder)
    return Calibration(
        centres=centres,
        men_only_centre=men_only,
        centre_profiles=_centre_profiles(folder),
        survey_base=base,
        survey_other_years=other_years,
        volumes=_volumes(folder),
        shares=_shares(folder),
        child_age_shares=_child_age_shares(folder),
        welcome_by_age=welcome,
        welcome_default=welcome_default,
        release_notes=_release_notes(folder),
    )
