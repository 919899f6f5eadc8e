"""`{{ ... }}` in an editor's text, filled from the publication.

    {{ antall QUESTION ITEM [GROUP] }}                 number of centres (n_centres)
    {{ basis QUESTION [ITEM] [GROUP] }}                number of centres asked (n_base)
    {{ andel POPULATION MEASURE [CATEGORY] }}          whole percent (half up), ".." when suppressed
    {{ år }}                                           the statistics year

GROUP is `kvinner` or `menn` (left out for the questions about whole centres); CATEGORY is an age
group such as `6-10` (default: all stays or visits). A placeholder that names nothing published
is a finding; the text keeps the placeholder as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from krise_pipeline.editorial import vocabulary as vocab
from krise_pipeline.editorial.verify import Finding
from krise_pipeline.language import rules, texts
from krise_pipeline.metadata import codebook, contract
from krise_pipeline.publication.model import Publication

PLACEHOLDER: Final = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
SUPPRESSION_NOTE: Final = (
    f"«{rules.SUPPRESSED}» betyr at tallet er skjult fordi det bygger på færre enn "
    f"{contract.SUPPRESSION_THRESHOLD} opphold eller dagsbesøk."
)


@dataclass(frozen=True)
class Rendered:
    text: str
    problems: tuple[Finding, ...]
    suppressed: bool
    """Whether a placeholder rendered as '..' (the page then shows SUPPRESSION_NOTE)."""


class PlaceholderError(ValueError):
    pass


def _group(question: str, words: list[str]) -> str:
    q = codebook.question(question)
    if q.scope == contract.SCOPE_CENTRE:
        if words and words[0] != contract.TARGET_GROUP_ALL:
            raise PlaceholderError(f"{question} has no target groups (write no group)")
        return contract.TARGET_GROUP_ALL
    if not words or words[0] not in contract.TARGET_GROUPS:
        raise PlaceholderError(f"name the target group ({' or '.join(contract.TARGET_GROUPS)})")
    return words[0]


def _question(code: str) -> None:
    if code not in {q.question for q in codebook.questions()}:
        raise PlaceholderError(f"unknown question {code!r}")


def value(pub: Publication, year: int, spec: str) -> str:
    """The text a placeholder stands for; PlaceholderError says what is wrong with it."""
    words = spec.split()
    if not words:
        raise PlaceholderError("empty placeholder")
    kind, args = words[0].lower(), words[1:]
    if kind == "år" and not args:
        return str(year)
    if kind == "antall" and len(args) >= 2:
        _question(args[0])
        group = _group(args[0], args[2:])
        o = pub.offer(year, args[0], args[1], group)
        if o is None:
            raise PlaceholderError(f"no published count for {args[0]} {args[1]} {group} in {year}")
        return rules.format_int(o.n_centres)
    if kind == "basis" and len(args) >= 1:
        _question(args[0])
        rest = args[1:]
        if rest and rest[0] not in (*contract.TARGET_GROUPS, contract.TARGET_GROUP_ALL):
            rest = rest[1:]  # an item may be named: every item of a question has the same base
        group = _group(args[0], rest)
        base = pub.base(year, args[0], group)
        if base is None:
            raise PlaceholderError(f"no published base for {args[0]} {group} in {year}")
        return rules.format_int(base)
    if kind == "andel" and len(args) in (2, 3):
        population, measure = args[0], args[1]
        category = args[2] if len(args) == 3 else "alle"
        breakdown = vocab.breakdown_of(category)
        cell = pub.share(year, population, measure, breakdown, category)
        if cell is None and breakdown == "aldersgruppe":
            cell = pub.share(year, population, measure, "aldersgruppe_grov", category)
        pct = texts.share_percent(cell)
        if pct is None:
            raise PlaceholderError(f"no published share for {population} {measure} {category} in {year}")
        return pct
    raise PlaceholderError(
        "not a placeholder: write {{ antall QUESTION ITEM GROUP }}, {{ basis QUESTION GROUP }}, "
        "{{ andel POPULATION MEASURE [CATEGORY] }} or {{ år }}")


def render(text: str, pub: Publication, year: int) -> Rendered:
    """The text with every placeholder filled in; each unusable placeholder is a finding."""
    problems: list[Finding] = []
    suppressed = False
    out: list[str] = []
    cursor = 0
    shift = 0
    for m in PLACEHOLDER.finditer(text):
        out.append(text[cursor:m.start()])
        line = text.count("\n", 0, m.start()) + 1
        try:
            filled = value(pub, year, m.group(1))
        except PlaceholderError as exc:
            filled = m.group(0)
            problems.append(Finding(line, m.group(0), f"placeholder: {exc}", "", m.start() + shift,
                                    m.start() + shift + len(filled)))
        suppressed = suppressed or filled == rules.SUPPRESSED
        out.append(filled)
        shift += len(filled) - len(m.group(0))
        cursor = m.end()
    out.append(text[cursor:])
    return Rendered("".join(out), tuple(problems), suppressed)
