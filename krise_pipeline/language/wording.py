"""The wording of the page's sentences per question and population, from `data/wording.csv`.

One row per phrase: `subject,item,key,text`. The subject is a question (questions.csv), a
population of service_shares, or `*` for what holds unless a question says otherwise; the item
(an item of the question, a measure or an age group) only where the key asks for one. Texts are
templates: `{name}` stands for a figure filled in by `texts.py`, and each key allows only its own
names. Blank lines are allowed. The file is checked as it is read; a mistake is a `WordingError`
naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from krise_pipeline.metadata import codebook, contract

COLUMNS: Final = ("subject", "item", "key", "text")
DEFAULTS: Final = "*"
"""The subject whose phrases hold for every question without its own."""

SENTENCE_KINDS: Final = ("standard", "reach", "per_item", "none")
"""`standard`: the reach sentence, then the items (quantifiers and fewest, or the top items of a
year series); `reach`: the reach sentence alone; `per_item`: one sentence per item with a `sentence`
row; `none`: no sentences under the chart."""

AGE_BREAKDOWNS: Final = ("aldersgruppe", "aldersgruppe_grov")

ITEM_FIGURES: Final = ("n", "sentre", "Sentre", "krisesentre", "Krisesentre", "year")
"""`{n}` the count, `{sentre}` "5 sentre", `{krisesentre}` "5 krisesentre" (capitalised: sentence start)."""

_NO, _OPTIONAL, _REQUIRED = "no", "optional", "required"


@dataclass(frozen=True)
class Key:
    item: str  # whether the row names an item: _NO, _OPTIONAL or _REQUIRED
    fields: tuple[str, ...]  # the {names} the text may use
    per_item: bool = False  # one row per item (else one row per subject)
    repeated: bool = False  # any number of rows, in file order


DEFAULT_KEYS: Final = {
    "sentences": Key(_NO, ()),
    "verb": Key(_NO, ()),
    "reach": Key(_NO, ("year",)),
    "share_base": Key(_NO, ("n_base", "unit", "who")),
}
QUESTION_KEYS: Final = {
    "sentences": Key(_NO, ()),
    "verb": Key(_NO, ()),
    "reach": Key(_OPTIONAL, ("year",)),
    "reach_clause_one": Key(_REQUIRED, ("sentre",)),
    "reach_clause_two": Key(_REQUIRED, ("n1", "n2")),
    "predicate": Key(_REQUIRED, (), per_item=True),
    "sentence": Key(_REQUIRED, ITEM_FIGURES, per_item=True),
    "sentence_with_previous": Key(_REQUIRED, (*ITEM_FIGURES, "n_previous", "previous_year"), per_item=True),
}
POPULATION_KEYS: Final = {
    "sentence": Key(_NO, ("year",), repeated=True),  # and the population's measures
    "unit": Key(_NO, ()),
    "who": Key(_NO, ()),
    "age_paragraph": Key(_NO, ("measure", "groups")),
    "age_group_share": Key(_NO, ("tenths", "group")),
    "age_hidden": Key(_NO, ("groups", "threshold")),
    "age_measure": Key(_REQUIRED, (), per_item=True),
    "age_group": Key(_REQUIRED, (), per_item=True),
}
AGE_KEYS: Final = ("age_paragraph", "age_group_share", "age_hidden", "age_group")


class WordingError(ValueError):
    """A mistake in the wording file, with where it is."""

    def __init__(self, path: str, line: int | None, column: str, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        where = f"line {line}, column {column}" if line is not None else f"column {column}"
        super().__init__(f"{path}: {where}: {message}")


@dataclass(frozen=True)
class Row:
    line: int
    subject: str
    item: str
    key: str
    text: str


@dataclass(frozen=True)
class ItemSentence:
    item: str
    text: str
    with_previous: str | None


def measures(population: str) -> tuple[str, ...]:
    return (*contract.SHARE_POPULATIONS[population][1], *contract.DERIVED_MEASURES)


def age_categories(population: str) -> tuple[str, ...]:
    cats: dict[str, None] = {}
    for b in contract.SHARE_BREAKDOWNS[population]:
        if b in AGE_BREAKDOWNS:
            cats.update(dict.fromkeys(contract.BREAKDOWNS[b]))
    return tuple(cats)


def _question_items(question: str) -> set[str]:
    items = {*codebook.items(question), contract.MINST_ETT}
    if question == contract.ORGANISERING:
        items |= set(contract.DERIVED_LABELS)
    return items


def template_fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


@dataclass(frozen=True)
class Wording:
    path: str
    rows: tuple[Row, ...]
    _one: dict[tuple[str, str, str], Row] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_one", {(r.subject, r.item, r.key): r for r in self.rows})

    def _find(self, subject: str, key: str) -> Row | None:
        return next((r for r in self.rows if r.subject == subject and r.key == key), None)

    def _text(self, subject: str, key: str, item: str = "") -> str | None:
        row = self._one.get((subject, item, key))
        return row.text if row is not None else None

    def _own_or_default(self, question: str, key: str) -> str:
        own = self._text(question, key)
        if own is not None:
            return own
        default = self._text(DEFAULTS, key)
        assert default is not None  # required on load
        return default

    # --- questions

    def sentence_kind(self, question: str) -> str:
        return self._own_or_default(question, "sentences")

    def verb(self, question: str) -> str:
        return self._own_or_default(question, "verb")

    def has_own_verb(self, question: str) -> bool:
        return self._text(question, "verb") is not None

    @property
    def default_verb(self) -> str:
        return self._own_or_default(DEFAULTS, "verb")

    def reach(self, question: str) -> tuple[str, str]:
        """(the item counted, the predicate): `minst_ett` unless the question's row names an item."""
        row = self._find(question, "reach") or self._find(DEFAULTS, "reach")
        assert row is not None  # required on load
        return row.item or contract.MINST_ETT, row.text

    def reach_clause(self, question: str) -> tuple[str, str, str] | None:
        """(item, clause for one target group, clause for two), both rows required together."""
        one, two = self._find(question, "reach_clause_one"), self._find(question, "reach_clause_two")
        if one is None or two is None:
            return None
        return one.item, one.text, two.text

    def predicate(self, question: str, item: str) -> str | None:
        return self._text(question, "predicate", item)

    def item_sentences(self, question: str) -> tuple[ItemSentence, ...]:
        return tuple(
            ItemSentence(r.item, r.text, self._text(question, "sentence_with_previous", r.item))
            for r in self.rows if r.subject == question and r.key == "sentence"
        )

    def reach_phrases(self) -> dict[str, str]:
        """question -> its own reach predicate for `minst_ett`."""
        return {r.subject: r.text for r in self.rows
                if r.key == "reach" and r.subject != DEFAULTS and not r.item}

    def predicates(self) -> dict[tuple[str, str], str]:
        """(question, item) -> the whole predicate for an item whose label does not read well after a verb."""
        return {(r.subject, r.item): r.text for r in self.rows if r.key == "predicate"}

    # --- populations

    def share_sentences(self, population: str) -> tuple[str, ...]:
        return tuple(r.text for r in self.rows if r.subject == population and r.key == "sentence")

    def share_base(self, population: str, n_base: str) -> str:
        """'Andelene er regnet av 200 opphold der beboeren ...': the population's unit words filled in."""
        return self._own_or_default(DEFAULTS, "share_base").format(
            n_base=n_base, unit=self._text(population, "unit"), who=self._text(population, "who"))

    def age_text(self, population: str, key: str) -> str:
        text = self._text(population, key)
        assert text is not None  # required on load
        return text

    def age_group(self, population: str, category: str) -> str:
        text = self._text(population, "age_group", category)
        assert text is not None  # required on load
        return text

    def age_groups(self, population: str) -> dict[str, str]:
        return {r.item: r.text for r in self.rows if r.subject == population and r.key == "age_group"}

    def age_measure(self, population: str, measure: str) -> str | None:
        return self._text(population, "age_measure", measure)


# --- reading and checking -----------------------------------------------------------------------


def _keys(subject: str) -> dict[str, Key]:
    if subject == DEFAULTS:
        return DEFAULT_KEYS
    if subject in contract.SHARE_POPULATIONS:
        keys = dict(POPULATION_KEYS)
        if not age_categories(subject):
            for k in AGE_KEYS:
                keys.pop(k)
        return keys
    return QUESTION_KEYS


def _check_row(path: str, row: Row, questions: set[str]) -> None:
    def fail(column: str, message: str) -> WordingError:
        return WordingError(path, row.line, column, message)

    if row.subject != DEFAULTS and row.subject not in questions and row.subject not in contract.SHARE_POPULATIONS:
        raise fail("subject", f"unknown subject {row.subject!r} (a question of questions.csv, a population "
                              f"{', '.join(contract.SHARE_POPULATIONS)}, or {DEFAULTS!r})")
    keys = _keys(row.subject)
    key = keys.get(row.key)
    if key is None:
        raise fail("key", f"unknown key {row.key!r} for {row.subject!r} (one of {', '.join(keys)})")
    if key.item == _NO and row.item:
        raise fail("item", f"key {row.key!r} takes no item")
    if key.item == _REQUIRED and not row.item:
        raise fail("item", f"key {row.key!r} needs an item")
    if row.item:
        if row.subject in contract.SHARE_POPULATIONS:
            allowed = age_categories(row.subject) if row.key == "age_group" else measures(row.subject)
        else:
            allowed = tuple(sorted(_question_items(row.subject)))
        if row.item not in allowed:
            raise fail("item", f"unknown item {row.item!r} for {row.subject!r} (one of {', '.join(allowed)})")
    if not row.text:
        raise fail("text", "the text is empty")
    try:
        names = template_fields(row.text)
    except ValueError as e:
        raise fail("text", f"{e} (a literal brace is written {{{{ or }}}})") from e
    share_sentence = row.subject in contract.SHARE_POPULATIONS and row.key == "sentence"
    allowed_names = {*key.fields, *(measures(row.subject) if share_sentence else ())}
    for name in names:
        if name not in allowed_names:
            choice = ", ".join("{" + n + "}" for n in sorted(allowed_names)) or "none"
            raise fail("text", f"unknown placeholder {{{name}}} for key {row.key!r} (allowed: {choice})")
    if share_sentence and not set(names) & set(measures(row.subject)):
        raise fail("text", "a sentence names at least one measure, e.g. {" + measures(row.subject)[0] + "}")
    if row.key == "sentences" and row.text not in SENTENCE_KINDS:
        raise fail("text", f"unknown sentence kind {row.text!r} (one of {', '.join(SENTENCE_KINDS)})")


def _check_complete(path: str, rows: tuple[Row, ...]) -> None:
    seen: dict[tuple[str, str, str], Row] = {}
    first_line: dict[str, int] = {}
    for r in rows:
        first_line.setdefault(r.subject, r.line)
        key = _keys(r.subject)[r.key]
        if key.repeated:
            continue
        ident = (r.subject, r.item if key.per_item else "", r.key)
        if ident in seen:
            raise WordingError(path, r.line, "key", f"{r.key!r} for {r.subject!r}"
                               + (f" and item {r.item!r}" if key.per_item else "")
                               + f" is given twice (first on line {seen[ident].line})")
        seen[ident] = r
    have = {(r.subject, r.item, r.key) for r in rows}
    have_keys = {(r.subject, r.key) for r in rows}

    def missing(subject: str, what: str) -> WordingError:
        return WordingError(path, first_line.get(subject), "key", f"{subject!r} has no {what}")

    for k in DEFAULT_KEYS:
        if (DEFAULTS, k) not in have_keys:
            raise missing(DEFAULTS, f"row with key {k!r}")
    for subject in dict.fromkeys(r.subject for r in rows):
        if subject in contract.SHARE_POPULATIONS:
            if (subject, "sentence") in have_keys:
                for k in ("unit", "who"):
                    if (subject, k) not in have_keys:
                        raise missing(subject, f"row with key {k!r} (its sentences need it)")
            for cat in age_categories(subject):
                if (subject, cat, "age_group") not in have:
                    raise missing(subject, f"row with key 'age_group' for item {cat!r}")
            for k in AGE_KEYS:
                if age_categories(subject) and k != "age_group" and (subject, k) not in have_keys:
                    raise missing(subject, f"row with key {k!r}")
            continue
        if subject == DEFAULTS:
            continue
        clauses = [r for r in rows if r.subject == subject and r.key.startswith("reach_clause_")]
        if clauses and (len(clauses) != 2 or clauses[0].item != clauses[1].item):
            raise WordingError(path, clauses[0].line, "key", "'reach_clause_one' and 'reach_clause_two' go "
                               f"together, for the same item ({subject!r})")
        for r in rows:
            if r.subject == subject and r.key == "sentence_with_previous" and \
                    (subject, r.item, "sentence") not in have:
                raise WordingError(path, r.line, "key", f"'sentence_with_previous' for {r.item!r} needs a "
                                   "'sentence' row for the same item (used without last year's figure)")
    for subject in {r.subject for r in rows if r.key == "sentences" and r.text == "per_item"}:
        if (subject, "sentence") not in have_keys:
            raise missing(subject, "row with key 'sentence' (its sentence kind is 'per_item')")


def parse(text: str, path: str) -> Wording:
    """The wording in `text` (the contents of the file `path`), checked."""
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        got = ", ".join(header or [])
        raise WordingError(path, 1, "header", f"the header is {got!r}; expected {', '.join(COLUMNS)}")
    questions = {q.question for q in codebook.questions()}
    rows: list[Row] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(COLUMNS):
            column = COLUMNS[len(values)] if len(values) < len(COLUMNS) else "text"
            raise WordingError(path, reader.line_num, column,
                               f"{len(values)} values; a row has {len(COLUMNS)} ({', '.join(COLUMNS)}); "
                               "quote a text with a comma")
        row = Row(reader.line_num, *(v.strip() for v in values))
        _check_row(path, row, questions)
        rows.append(row)
    _check_complete(path, tuple(rows))
    return Wording(path, tuple(rows))


def default_path() -> Path:
    return Path(str(resources.files("krise_pipeline").joinpath("data", "wording.csv")))


WORDING_PATH: Path = default_path()
"""The file `current()` reads; the package's own unless set otherwise."""


@cache
def _parse_cached(text: str, path: str) -> Wording:
    return parse(text, path)


def load(path: Path) -> Wording:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise WordingError(str(path), line, "text", "not UTF-8") from e
    return _parse_cached(text, str(path))


def current() -> Wording:
    """The wording of `WORDING_PATH` (read again when the file changes)."""
    return load(WORDING_PATH)
