"""Validation problems: what is reported, how many are listed, and the text report."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MAX_LISTED: Final = 50
"""Problems listed per (file, column, rule); the rest are counted in one summary problem."""
MAX_VALUE_CHARS: Final = 60
"""Longest value quoted in a problem."""

_MORE = re.compile(r"^(\d+) more problems? of this kind")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery, located as the supplier sees it."""

    file: str  # as delivered, e.g. "dagsbesok.csv.gz" ("" or the folder name for the folder itself)
    location: str  # "svar!F12", "line 17", "svar!1:1" (header row) or "" (the whole file)
    column: str  # "" when none
    rule: str  # short stable id, e.g. "not_in_year"
    value: str  # the offending value of one field, truncated ("" when none)
    message: str  # a human sentence


def shown_value(value: object) -> str:
    """A value as quoted in a problem: text, control characters escaped, truncated."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return text


@dataclass(frozen=True)
class Summary:
    """All problems of one kind in one file: how many, and the first and last line or row."""

    file: str
    column: str
    rule: str
    count: int
    first: int | None  # line (CSV) or sheet row (survey); None for problems of the whole file
    last: int | None


@dataclass
class Report:
    """What validation found: the listed problems and a summary per file, column and rule."""

    problems: list[Problem]
    summaries: list[Summary]

    def __bool__(self) -> bool:
        return bool(self.problems)


def line_of(location: str) -> int | None:
    """The line (CSV) or sheet row (survey) of a location; None for the whole file."""
    key = _location_key(location)
    return key[1] if key[0] == 1 else None


class ProblemLog:
    """Collects problems; lists at most MAX_LISTED per (file, column, rule) and counts the rest."""

    def __init__(self, max_listed: int = MAX_LISTED) -> None:
        self._max_listed = max_listed
        self._listed: list[Problem] = []
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._ranges: dict[tuple[str, str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def _widen(self, key: tuple[str, str, str], first: int | None, last: int | None) -> None:
        if first is None or last is None:
            return
        lo, hi = self._ranges.get(key, (first, last))
        self._ranges[key] = (min(lo, first), max(hi, last))

    def __bool__(self) -> bool:
        return bool(self._counts)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def add(self, problem: Problem) -> None:
        key = (problem.file, problem.column, problem.rule)
        line = line_of(problem.location)
        with self._lock:
            self._widen(key, line, line)
            self._counts[key] += 1
            if self._counts[key] <= self._max_listed:
                self._listed.append(problem)

    def add_unlisted(self, file: str, column: str, rule: str, count: int) -> None:
        """Count `count` further problems of a kind without listing them."""
        if count > 0:
            with self._lock:
                self._counts[(file, column, rule)] += count

    def add_range(self, file: str, column: str, rule: str, first: int, last: int) -> None:
        """Widen the line range of a kind of problem to include first..last."""
        with self._lock:
            self._widen((file, column, rule), first, last)

    def summaries(self) -> list[Summary]:
        out = []
        for key, count in self._counts.items():
            first, last = self._ranges.get(key, (None, None))
            out.append(Summary(*key, count, first, last))
        return sorted(out, key=lambda s: (s.file, s.rule, s.column))

    def report(self) -> Report:
        return Report(self.problems(), self.summaries())

    def wants(self, file: str, column: str, rule: str) -> bool:
        """Whether another problem of this kind would still be listed."""
        return self._counts[(file, column, rule)] < self._max_listed

    def problems(self) -> list[Problem]:
        out = list(self._listed)
        for (file, column, rule), count in self._counts.items():
            more = count - self._max_listed
            if more > 0:
                where = f"column {column}, rule {rule}" if column else f"rule {rule}"
                out.append(Problem(
                    file, "", column, rule, "",
                    f"{more} more problem{'s' if more != 1 else ''} of this kind ({where}) "
                    f"{'are' if more != 1 else 'is'} not listed; the first {self._max_listed} are",
                ))
        return out


def _location_key(location: str) -> tuple[int, int, int, str]:
    if not location:
        return (0, 0, 0, "")
    if location.startswith("line "):
        number = location[5:]
        if number.isdigit():
            return (1, int(number), 0, "")
    if "!" in location:
        ref = location.split("!", 1)[1]
        match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
        if match:
            col = 0
            for ch in match.group(1):
                col = col * 26 + ord(ch) - 64
            return (1, int(match.group(2)), col, "")
        match = re.fullmatch(r"(\d+):\d+", ref)
        if match:
            return (1, int(match.group(1)), 0, "")
    return (2, 0, 0, location)


def sort_key(problem: Problem) -> tuple[str, tuple[int, int, int, str], str, str]:
    return (problem.file, _location_key(problem.location), problem.column, problem.rule)


def format_problem(problem: Problem) -> str:
    where = problem.file
    if problem.location:
        where += f" {problem.location}"
    if problem.column:
        where += f", column {problem.column}"
    text = f"{where}: rule {problem.rule}"
    if problem.column and problem.location:
        text += f": value '{problem.value}'"
    return f"{text} - {problem.message}"


def format_report(problems: Sequence[Problem], year_dir: Path) -> str:
    """The validation report: a header line, then one line per problem sorted by file and location."""
    if not problems:
        return f"Delivery {year_dir}: OK, no problems found"
    n = len(problems)
    total = sum(summarise(problems).values())
    count = f"{n} problem{'s' if n != 1 else ''}"
    if total != n:
        count = f"{total} problems ({n} listed)"
    lines = [f"Delivery {year_dir}: {count}"]
    lines += [format_problem(p) for p in sorted(problems, key=sort_key)]
    return "\n".join(lines)


def summarise(problems: Iterable[Problem]) -> dict[str, int]:
    """Number of problems by "file:rule", counting the unlisted ones of a summary problem."""
    counts: Counter[str] = Counter()
    for p in problems:
        match = _MORE.match(p.message) if not p.location and not p.value else None
        counts[f"{p.file}:{p.rule}"] += int(match.group(1)) if match else 1
    return dict(counts)
