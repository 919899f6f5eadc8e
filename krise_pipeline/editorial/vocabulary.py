"""The words an editor uses for the publication's items, measures, groups and years.

Item names come from the codebook's labels (all years) and the derived labels of the contract;
the few phrases editors use that are not a label (and the phrases the generated sentences use for
"at least one") are listed here. Everything is matched on word tokens, tolerant of inflection
("inntakssamtaler"), of prepositions ("ved"/"av") and of small spelling variants ("krisesentret").
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from typing import Final

from krise_pipeline.language import texts, wording
from krise_pipeline.metadata import codebook, contract

TOKEN: Final = re.compile(r"[^\W_]+", re.UNICODE)

PREPOSITIONS: Final = frozenset({"av", "ved", "i", "på", "for", "til", "med", "fra", "om"})
COPULAS: Final = frozenset({"er", "var", "ble", "blir", "har", "hadde"})
SUFFIXES: Final = ("r", "er", "e", "ne", "en", "et", "ene", "s")
LIST_WORDS: Final = frozenset({"og", "samt", "eller", "for", "om", "i", "til", "å", "at", "av", "med", "både"})
"""Words allowed between the items of one list ("A, B og for C")."""

ALIASES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("organisering", "har_tilbud"): ("botilbud til menn", "botilbud til kvinner"),
    ("organisering", "botilbud_menn_egne_lokaler"): ("egne lokaler",),
    ("organisering", "botilbud_menn_samme_bygning"): ("samme bygning",),
    ("organisering", "botilbud_menn_midlertidig"): ("midlertidig løsning",),
    ("tilbud_beboere", "foreldreveiledning"): ("foreldreveiledningsgrupper", "foreldreveiledningsgruppe"),
    ("tilbud_dagbrukere", "foreldreveiledning"): ("foreldreveiledningsgrupper", "foreldreveiledningsgruppe"),
    ("tilbud_parorende", "foreldreveiledning"): ("foreldreveiledningsgrupper", "foreldreveiledningsgruppe"),
    ("tilbud_barn", "skoletilbud"): ("skoletilbud",),
    ("tilbud_beboere", "minst_ett"): ("minst ett av tilbudene til beboere",),
    ("tilbud_barn", "minst_ett"): ("minst én form for tilbud til barn", "minst en form for tilbud til barn"),
    ("tilbud_parorende", "minst_ett"): ("bistand til pårørende",),
    ("brukermedvirkning", "minst_ett"): ("rutiner for innhenting",),
    ("informasjonsarbeid", "minst_ett"): ("utadrettet informasjon", "utadrettet informasjonsarbeid"),
    ("politivurdering", "vurdert"): ("vurdert av lokalt politi",),
    ("nettside", "egen_nettside"): ("egen nettside",),
    ("nettside", "flere_sprak"): ("tilgjengelig på flere språk",),
    ("nettside", "synshemmede"): ("tilrettelagt for synshemmede",),
}
"""Phrases for items that editors write differently from the label (besides the label itself)."""

GROUP_WORDS: Final = {
    "kvinner": "kvinner", "kvinnene": "kvinner", "kvinne": "kvinner",
    "menn": "menn", "mennene": "menn", "mann": "menn",
}
CENTRE_NOUN: Final = re.compile(r"(krise)?sent(er|re|rene|ret|eret|ra)\b|tilbud(ene)?\b|nettsiden?e?\b",
                                re.IGNORECASE)

POPULATION_WORDS: Final = (
    (re.compile(r"\bdagsbesøk\w*|\bdagbruker\w*", re.IGNORECASE), "dagsbesok"),
    (re.compile(r"\bbarn(a|et|s)?\b|\bbarnas\b", re.IGNORECASE), "barn_opphold"),
    (re.compile(r"\bvoksne\b|\bbeboere\b", re.IGNORECASE), "voksne_opphold"),
)

_SENTER = r"(?:krisesenteret|krisesentret|senteret|sentret|krisesentertilbudet)"
MEASURE_RULES: Final = (
    (re.compile(r"både\b.*\bregi\b", re.IGNORECASE | re.DOTALL), "kartlegging_trusler_begge"),
    (re.compile(rf"i regi av {_SENTER}", re.IGNORECASE), "kartlegging_trusler_senter"),
    (re.compile(r"i regi av andre", re.IGNORECASE), "kartlegging_trusler_andre"),
    (re.compile(r"trusler|beskyttelsesbehov", re.IGNORECASE), "kartlegging_trusler_totalt"),
    (re.compile(r"hjelpebehov", re.IGNORECASE), "kartlegging_hjelpebehov"),
    (re.compile(r"inntakssamtale", re.IGNORECASE), "inntakssamtale"),
    (re.compile(r"velkomstsamtale", re.IGNORECASE), "velkomstsamtale"),
    (re.compile(r"plan for oppfølging etter", re.IGNORECASE), "plan_etter_opphold"),
    (re.compile(r"plan for oppfølging", re.IGNORECASE), "plan_under_opphold"),
)
"""The measure a share is about, from the words around it (first rule that matches wins)."""

def age_categories() -> tuple[tuple[str, str], ...]:
    """(category, phrase) of the age groups, in the generated sentences' words, longest first."""
    groups = wording.current().age_groups(texts.AGE_POPULATION)
    return tuple(sorted(groups.items(), key=lambda kv: -len(kv[1])))


def breakdown_of(category: str) -> str:
    for breakdown, cats in texts.AGE_ORDER.items():
        if category in cats:
            return breakdown
    return "alle"


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(lower-case word, start, end) for every word of a text."""
    return [(m.group(0).lower(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def token_matches(label_word: str, text_word: str) -> bool:
    a, b = label_word, text_word
    if a == b:
        return True
    if (a in PREPOSITIONS and b in PREPOSITIONS) or (a in COPULAS and b in COPULAS):
        return True
    if any(b == a + s or a == b + s for s in SUFFIXES):
        return True
    return (len(a) >= 7 and len(b) >= 7 and a[:4] == b[:4]
            and SequenceMatcher(None, a, b).ratio() >= 0.85)


@dataclass(frozen=True)
class Phrase:
    question: str
    item: str
    words: tuple[str, ...]
    is_label: bool


def _label_words(label: str) -> tuple[str, ...]:
    """The words of a label up to an explanatory parenthesis ("(ICDP, COS mv.)" is optional)."""
    return tuple(w for w, _, _ in tokens(label.split("(")[0]))


def _phrase_words(template: str) -> tuple[str, ...]:
    """The words of a wording template without its figures: "drev ... informasjonsarbeid i {year}"
    gives "drev ... informasjonsarbeid" (a preposition left before a figure is dropped too)."""
    words = [w for w, _, _ in tokens(" ".join(t for t, _, _, _ in string.Formatter().parse(template)))]
    while words and words[-1] in PREPOSITIONS:
        words.pop()
    return tuple(words)


@cache
def phrases(question: str) -> tuple[Phrase, ...]:
    """Every way of naming an item of a question: its labels in all years and its aliases."""
    out: dict[tuple[str, tuple[str, ...]], Phrase] = {}
    for p in codebook.label_periods():
        if p.question == question:
            words = _label_words(p.label)
            out.setdefault((p.item, words), Phrase(question, p.item, words, True))
    if question == contract.ORGANISERING:
        for item in ("har_tilbud", "botilbud_menn_egne_lokaler", "botilbud_menn_samme_bygning",
                     "botilbud_menn_midlertidig"):
            words = _label_words(contract.DERIVED_LABELS[item])
            out.setdefault((item, words), Phrase(question, item, words, True))
    reach = wording.current().reach_phrases().get(question)
    if reach:
        words = _phrase_words(reach)
        out.setdefault((contract.MINST_ETT, words), Phrase(question, contract.MINST_ETT, words, False))
    for (q, item), extra in ALIASES.items():
        if q == question:
            for phrase in extra:
                words = tuple(w for w, _, _ in tokens(phrase))
                out.setdefault((item, words), Phrase(question, item, words, False))
    for (q, item), phrase in wording.current().predicates().items():
        if q == question:
            words = tuple(w for w, _, _ in tokens(phrase))
            out.setdefault((item, words), Phrase(question, item, words, False))
    return tuple(sorted(out.values(), key=lambda p: -len(p.words)))


@cache
def elliptic_tails(question: str) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """item -> ((sibling item, tail words), ...): "A i regi av krisesenteret og i regi av andre".

    The tail of a sibling's label (its words after the prefix both labels share, at least two
    words) names the sibling when it follows a mention of the item.
    """
    labels = [(p.item, p.words) for p in phrases(question) if p.is_label]
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for item, words in labels:
        for other, other_words in labels:
            if other == item:
                continue
            n = 0
            while n < min(len(words), len(other_words)) and words[n] == other_words[n]:
                n += 1
            if n >= 2 and len(other_words) > n:
                tail = other_words[n:]
                # "... i regi av krisesenteret" / "... i regi av andre": keep the preposition
                back = n
                while back > 0 and other_words[back - 1] in PREPOSITIONS | {"regi"}:
                    back -= 1
                out.setdefault(item, []).append((other, other_words[back:] if back < n else tail))
    return {k: tuple(v) for k, v in out.items()}


@cache
def all_labels() -> tuple[tuple[str, str, str, int | None, int | None], ...]:
    """(label, question, item, valid_from, valid_to) of every codebook label."""
    return tuple((p.label, p.question, p.item, p.valid_from, p.valid_to) for p in codebook.label_periods())
