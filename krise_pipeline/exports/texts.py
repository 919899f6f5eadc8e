"""The page's figure sentences, generated from the published figures only.

Every number in a sentence is read from the publication; the wording rules (quantifiers,
rounding, "x av 10") live in `rules.py`. A suppressed figure is written as "..".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from krise_pipeline import contract
from krise_pipeline.exports import rules
from krise_pipeline.exports.model import LabelChangeRow, Offer, Publication, ShareCell
from krise_pipeline.exports.rules import centres, format_int, join_nb, lower_first, upper_first
from krise_pipeline.exports.vocabulary import MEASURE_NAMES

YOY_MIN_CHANGE: Final = 2
"""A year-over-year statement is made for an item whose count moved by at least this many centres."""
YEAR_SERIES_LENGTH: Final = 5
"""Charts with main grouping "År" show this many years, ending with the latest."""
YOY_MAX_ITEMS: Final = 4
"""At most this many items per direction and target group (the largest moves, "blant annet")."""

VERBS: Final = {
    "tilbud_beboere": "tilbød",
    "tilbud_barn": "tilbød barn",
    "tilbud_dagbrukere": "tilbød dagbrukerne",
    "tilbud_parorende": "tilbød pårørende",
    "mal_beboere": "hadde skriftlig mal/prosedyre for",
    "mal_barn": "hadde skriftlig mal/prosedyre for",
    "prosedyre_dagbrukere": "hadde skriftlig prosedyre for",
    "sikkerhetstiltak": "hadde",
    "brukermedvirkning": "brukte",
    "utdanningsinstitusjoner": "hadde besøkt",
    "nettside": "oppga",
}
DEFAULT_VERB: Final = "krysset av for"

REACH: Final = {
    "tilbud_beboere": "hadde minst ett av tilbudene til beboere",
    "mal_beboere": "hadde skriftlig mal/prosedyre for minst ett av tilbudene til beboere",
    "tilbud_barn": "hadde minst én form for tilbud til barn",
    "mal_barn": "hadde skriftlig mal/prosedyre for minst ett av tilbudene til barn",
    "tilbud_dagbrukere": "hadde minst ett av tilbudene til dagbrukere",
    "prosedyre_dagbrukere": "hadde skriftlig prosedyre for minst ett av tilbudene til dagbrukere",
    "tilbud_parorende": "hadde tilbud om bistand til pårørende",
    "sikkerhetstiltak": "hadde minst ett av sikkerhetstiltakene",
    "brukermedvirkning": "hadde rutiner for innhenting av brukernes tilbakemelding på tilbudet",
    "informasjonsarbeid": "drev utadrettet informasjonsarbeid",
    "utdanningsinstitusjoner": "hadde besøkt minst én type utdanningsinstitusjon",
}
DEFAULT_REACH: Final = "krysset av for minst ett av alternativene"

ITEM_PHRASES: Final = {
    ("politivurdering", "vurdert"): "hadde fått bygninger og sikkerhetstiltak vurdert av lokalt politi",
    ("politivurdering", "skriftlig"): "hadde politiets vurdering skriftlig",
    ("nettside", "egen_nettside"): "hadde egen nettside",
    ("nettside", "flere_sprak"): "hadde teksten på nettsiden tilgjengelig på flere språk",
    ("nettside", "synshemmede"): "hadde teksten på nettsiden tilrettelagt for synshemmede",
}
"""Items whose label does not read well after a verb: the whole predicate for running text."""

OTHER_ITEM: Final = "annet"

GROUP_PHRASE: Final = {"kvinner": "med tilbud til kvinner", "menn": "med tilbud til menn", "alle": ""}


def verb(question: str) -> str:
    return VERBS.get(question, DEFAULT_VERB)


def _with_group(base_phrase: str, group: str) -> str:
    extra = GROUP_PHRASE.get(group, "")
    return f"{base_phrase} {extra}" if extra else base_phrase


def _range(lo: int, hi: int) -> str:
    return f"{centres(lo)}" if lo == hi else f"mellom {lo} og {hi} sentre"


def _who(n: int, base: int, group: str) -> str:
    """'alle de 43 sentrene med tilbud til kvinner' or '30 av de 43 sentrene med tilbud til kvinner'."""
    if n == base:
        return _with_group(f"alle de {format_int(base)} sentrene", group)
    return _with_group(f"{format_int(n)} av de {format_int(base)} sentrene", group)


# --- footnotes -------------------------------------------------------------------------------


def footnote(change: LabelChangeRow) -> str:
    """`2021: «old» ble endret til «new»` or `2019: «label» var ny kategori`."""
    if change.old_label is None:
        return f"{change.year}: «{change.new_label}» var ny kategori"
    return f"{change.year}: «{change.old_label}» ble endret til «{change.new_label}»"


def footnotes(pub: Publication, question: str, year: int) -> list[str]:
    return [footnote(c) for c in pub.changes_for(question, year)]


# --- organisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationText:
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...]


def organisation_text(pub: Publication, year: int) -> OrganisationText:
    q = contract.ORGANISERING
    women = pub.offer(year, q, "har_tilbud", "kvinner")
    men = pub.offer(year, q, "har_tilbud", "menn")
    if women is None and men is None:
        return OrganisationText((), ())
    any_row = women if women is not None else men
    assert any_row is not None
    total = any_row.n_base
    first = f"I {year} var det totalt {centres(total, 'krisesenter')} med tilbud til kvinner og menn."
    if women is not None and women.n_centres == total:
        parts = ["alle botilbud til kvinner"]
        if men is not None:
            parts.append(f"{format_int(men.n_centres)} hadde botilbud til menn")
        second = f"Av disse {format_int(total)} krisesentrene hadde {', og '.join(parts)}."
    else:
        kinds = []
        if women is not None:
            kinds.append(f"{format_int(women.n_centres)} botilbud til kvinner")
        if men is not None:
            kinds.append(f"{format_int(men.n_centres)} botilbud til menn")
        second = f"Av disse {format_int(total)} krisesentrene hadde {join_nb(kinds)}."
    paragraphs = [f"{first} {second}"]
    prev = pub.previous_year(q, year)
    if prev is not None and men is not None:
        men_prev = pub.offer(prev, q, "har_tilbud", "menn")
        if men_prev is not None and men_prev.n_centres != men.n_centres:
            paragraphs.append(f"I {prev} hadde {centres(men_prev.n_centres)} botilbud til menn.")
    bullets: list[str] = []
    own = pub.offer(year, q, "botilbud_menn_egne_lokaler", "menn")
    same = pub.offer(year, q, "botilbud_menn_samme_bygning", "menn")
    temp = pub.offer(year, q, "botilbud_menn_midlertidig", "menn")
    if own is not None and same is not None:
        bullets.append(
            f"{format_int(own.n_centres)} av tilbudene til menn er i egne lokaler, og "
            f"{format_int(same.n_centres)} er i samme bygning som tilbudet til kvinner, men med fysisk "
            "atskilte lokaler."
        )
    if temp is not None:
        bullets.append(
            f"{upper_first(centres(temp.n_centres))} hadde en midlertidig løsning for botilbud til menn."
        )
    return OrganisationText(tuple(paragraphs), tuple(bullets))


# --- centre questions ------------------------------------------------------------------------


def _group_offers(pub: Publication, question: str, year: int, group: str) -> list[Offer]:
    return [
        o for o in pub.offers_for(question, year)
        if o.target_group == group and o.item != contract.MINST_ETT
    ]


def _named_offers(pub: Publication, question: str, year: int, group: str) -> list[Offer]:
    """The offers worth naming in a summary: without the catch-all "annet" item."""
    return [o for o in _group_offers(pub, question, year, group) if o.item != OTHER_ITEM]


def reach_sentence(pub: Publication, question: str, year: int) -> str | None:
    """'38 av de 43 sentrene med tilbud til kvinner og 36 av de 42 ... hadde tilbud om ...'."""
    phrase = REACH.get(question, DEFAULT_REACH)
    whos: list[str] = []
    for group in pub.target_groups(question):
        o = pub.offer(year, question, contract.MINST_ETT, group)
        if o is None or o.n_base == 0:
            continue
        whos.append(_who(o.n_centres, o.n_base, group))
    if not whos:
        return None
    tail = f" i {year}" if question == "informasjonsarbeid" else ""
    return upper_first(f"{join_nb(whos)} {phrase}{tail}.")


def quantifier_sentences(pub: Publication, question: str, year: int, group: str) -> str | None:
    """'Alle de 43 sentrene med tilbud til kvinner tilbød A og B. Nesten alle tilbød C (mellom 40 og 42 sentre).'"""
    rows = _named_offers(pub, question, year, group)
    if not rows:
        return None
    base = rows[0].n_base
    if base == 0:
        return None
    v = verb(question)
    all_items = [o for o in rows if rules.quantifier(o.n_centres, o.n_base) == "alle"]
    nearly = [o for o in rows if rules.quantifier(o.n_centres, o.n_base) == "nesten alle"]
    who = _with_group(f"de {format_int(base)} sentrene", group)
    sentences: list[str] = []
    if all_items:
        sentences.append(f"Alle {who} {v} {join_nb([lower_first(o.label) for o in all_items])}.")
    if nearly:
        counts = [o.n_centres for o in nearly]
        subject = "Nesten alle" if all_items else f"Nesten alle {who}"
        sentences.append(
            f"{subject} {v} {join_nb([lower_first(o.label) for o in nearly])} "
            f"({_range(min(counts), max(counts))})."
        )
    if not sentences:
        top = max(rows, key=lambda o: o.n_centres)
        sentences.append(
            f"Flest sentre {GROUP_PHRASE[group]} {v} {lower_first(top.label)} "
            f"({format_int(top.n_centres)} av {format_int(base)})."
            if group != "alle"
            else f"Flest sentre {v} {lower_first(top.label)} "
            f"({format_int(top.n_centres)} av {format_int(base)})."
        )
    return " ".join(sentences)


def fewest_sentence(pub: Publication, question: str, year: int) -> str | None:
    """'Færrest sentre tilbød X: 12 av 43 med tilbud til kvinner og 15 av 42 med tilbud til menn.'

    The item with the lowest share summed over the target groups ("annet" items left out).
    """
    groups = pub.target_groups(question)
    first = [o for o in _group_offers(pub, question, year, groups[0]) if o.item != OTHER_ITEM] if groups else []
    if len(first) < 3:
        return None

    def total_share(item: str) -> float:
        rows = [pub.offer(year, question, item, g) for g in groups]
        return sum(o.n_centres / o.n_base for o in rows if o is not None and o.n_base)

    low = min(first, key=lambda o: total_share(o.item))
    parts = []
    everyone = True
    for group in groups:
        o = pub.offer(year, question, low.item, group)
        if o is not None:
            everyone = everyone and o.n_centres == o.n_base
            parts.append(f"{format_int(o.n_centres)} av {format_int(o.n_base)} {GROUP_PHRASE[group]}".strip())
    if everyone:
        return None
    return f"Færrest sentre {verb(question)} {lower_first(low.label)}: {join_nb(parts)}."


def top_items_sentence(pub: Publication, question: str, year: int) -> str | None:
    """Year-series questions: 'Flest sentre hadde besøkt A (22 sentre), fulgt av B (21 sentre) og C (15 sentre).'"""
    rows = sorted(_group_offers(pub, question, year, contract.TARGET_GROUP_ALL),
                  key=lambda o: -o.n_centres)
    if not rows:
        return None
    v = verb(question)
    shown = rows if len(rows) <= 4 else rows[:3]
    first = f"{lower_first(shown[0].label)} ({centres(shown[0].n_centres)})"
    rest = [f"{lower_first(o.label)} ({centres(o.n_centres)})" for o in shown[1:]]
    sentence = f"Flest sentre {v} {first}" + (f", fulgt av {join_nb(rest)}." if rest else ".")
    if len(rows) > 4:
        low = rows[-1]
        sentence += f" Færrest {v} {lower_first(low.label)} ({centres(low.n_centres)})."
    return sentence


def politivurdering_sentence(pub: Publication, year: int) -> str | None:
    """'30 av de 43 sentrene med tilbud til kvinner og 22 av de 42 ... hvorav henholdsvis 11 og 9 ...'."""
    q = "politivurdering"
    pairs: list[tuple[str, Offer, Offer | None]] = []
    for group in contract.TARGET_GROUPS:
        assessed = pub.offer(year, q, "vurdert", group)
        if assessed is not None and assessed.n_base > 0:
            pairs.append((group, assessed, pub.offer(year, q, "skriftlig", group)))
    if not pairs:
        return None
    whos = [_who(a.n_centres, a.n_base, g) for g, a, _ in pairs]
    sentence = f"{upper_first(join_nb(whos))} har fått bygninger og sikkerhetstiltak vurdert av lokalt politi"
    written = [w for _, _, w in pairs if w is not None]
    if len(written) == 2 and len(pairs) == 2:
        sentence += (f", hvorav henholdsvis {format_int(written[0].n_centres)} og "
                     f"{format_int(written[1].n_centres)} sentre oppga at politiets vurdering foreligger "
                     "skriftlig")
    elif len(written) == 1 and len(pairs) == 1:
        sentence += (f", hvorav {centres(written[0].n_centres)} oppga at politiets vurdering foreligger "
                     "skriftlig")
    return sentence + "."


def nettside_sentence(pub: Publication, year: int) -> str | None:
    q = "nettside"
    own = pub.offer(year, q, "egen_nettside", contract.TARGET_GROUP_ALL)
    if own is None:
        return None
    sentence = f"{upper_first(centres(own.n_centres, 'krisesenter'))} hadde egen nettside i {year}"
    prev = pub.previous_year(q, year)
    before = pub.offer(prev, q, "egen_nettside", contract.TARGET_GROUP_ALL) if prev else None
    if before is not None:
        sentence += f" ({format_int(before.n_centres)} i {prev})"
    sentence += "."
    lang = pub.offer(year, q, "flere_sprak", contract.TARGET_GROUP_ALL)
    blind = pub.offer(year, q, "synshemmede", contract.TARGET_GROUP_ALL)
    if lang is not None:
        sentence += (f" På {format_int(lang.n_centres)} av nettsidene var teksten tilgjengelig på "
                     "flere språk.")
    if blind is not None:
        sentence += (f" {upper_first(centres(blind.n_centres))} oppga at teksten var tilrettelagt for "
                     "synshemmede.")
    return sentence


def _label_note(old: Offer, new: Offer) -> str:
    if old.label == new.label:
        return ""
    return f"; kategorien het «{old.label}» i {old.year}"


@dataclass(frozen=True)
class _Move:
    label: str
    figures: str
    phrase: str | None
    delta: int


def _largest(moves: list[_Move]) -> tuple[list[_Move], str]:
    """The YOY_MAX_ITEMS largest moves (ties in codebook order), and "blant annet " when some are left out."""
    if len(moves) <= YOY_MAX_ITEMS:
        return moves, ""
    keep = sorted(moves, key=lambda m: -abs(m.delta))[:YOY_MAX_ITEMS]
    return [m for m in moves if m in keep], "blant annet "


def _predicate(moves: list[_Move], v: str) -> str:
    """'tilbød A (fra 1 til 3) og B (fra 5 til 2)', or the items' own predicates when they have them."""
    if any(m.phrase for m in moves):
        return join_nb([f"{m.phrase or f'{v} {m.label}'} {m.figures}" for m in moves])
    return f"{v} " + join_nb([f"{m.label} {m.figures}" for m in moves])


def yoy_sentences(pub: Publication, question: str, year: int) -> list[str]:
    """'Sammenlignet med 2023 var det en økning i antall sentre med tilbud til kvinner som tilbød A (fra 37 til 40)'.

    Only items whose count moved by at least YOY_MIN_CHANGE centres; an item whose label changed
    between the two years is named with its old label, and an item new this year is not compared.
    """
    prev = pub.previous_year(question, year)
    if prev is None:
        return []
    v = verb(question)
    sentences: list[str] = []
    any_compared = False
    for group in pub.target_groups(question):
        ups: list[_Move] = []
        downs: list[_Move] = []
        for now in _group_offers(pub, question, year, group):
            before = pub.offer(prev, question, now.item, group)
            if before is None:
                continue
            any_compared = True
            delta = now.n_centres - before.n_centres
            if abs(delta) < YOY_MIN_CHANGE:
                continue
            move = _Move(
                lower_first(now.label),
                f"(fra {format_int(before.n_centres)} til {format_int(now.n_centres)}{_label_note(before, now)})",
                ITEM_PHRASES.get((question, now.item))
                or (f"krysset av for {lower_first(now.label)}" if now.item == OTHER_ITEM else None),
                delta,
            )
            (ups if delta > 0 else downs).append(move)
        if not ups and not downs:
            continue
        if not sentences:
            lead, who = f"Sammenlignet med {prev} var det", _with_group("antall sentre", group)
        else:
            lead, who = f"Blant sentrene {GROUP_PHRASE[group]} var det", "antallet"
        ups, up_some = _largest(ups)
        downs, down_some = _largest(downs)
        if ups:
            text = f"{lead} en økning i {who} som {up_some}{_predicate(ups, v)}"
            if downs:
                if any(m.phrase for m in downs):
                    text += f", og en nedgang i antallet som {down_some}{_predicate(downs, v)}"
                else:
                    text += (f", og en nedgang for {down_some}"
                             f"{join_nb([f'{m.label} {m.figures}' for m in downs])}")
        else:
            text = f"{lead} en nedgang i {who} som {down_some}{_predicate(downs, v)}"
        sentences.append(text + ".")
    if not sentences and any_compared:
        sentences.append(
            f"Sammenlignet med {prev} er det små endringer: ingen av tallene har endret seg med mer "
            f"enn {centres(YOY_MIN_CHANGE - 1)}."
        )
    return sentences


def question_paragraphs(pub: Publication, question: str, year: int) -> list[str]:
    """The figure sentences shown under a question's chart."""
    if question == contract.ORGANISERING:
        return []
    q = pub.question(question)
    paragraphs: list[str] = []
    if question == "politivurdering":
        s = politivurdering_sentence(pub, year)
        if s:
            paragraphs.append(s)
    elif question == "nettside":
        s = nettside_sentence(pub, year)
        if s:
            paragraphs.append(s)
    else:
        s = reach_sentence(pub, question, year)
        if s:
            paragraphs.append(s)
        if q.is_year_series or q.scope == contract.SCOPE_CENTRE:
            top = top_items_sentence(pub, question, year)
            if top:
                paragraphs.append(top)
        else:
            for group in pub.target_groups(question):
                qs = quantifier_sentences(pub, question, year, group)
                if qs:
                    paragraphs.append(qs)
            few = fewest_sentence(pub, question, year)
            if few:
                paragraphs.append(few)
    yoy = yoy_sentences(pub, question, year)
    if yoy:
        paragraphs.append(" ".join(yoy))
    return paragraphs


# --- shares of stays and visits --------------------------------------------------------------


def share_percent(cell: ShareCell | None) -> str | None:
    """Whole percent as text, '..' when suppressed, None when the cell is not published at all."""
    if cell is None:
        return None
    if cell.suppressed:
        return rules.SUPPRESSED
    if cell.n_with is not None and cell.n_base:
        return str(rules.percent(cell.n_with, cell.n_base))
    if cell.share is None:
        return rules.SUPPRESSED
    return str(rules.percent_of_share(cell.share))


class _Shares:
    def __init__(self, pub: Publication, year: int, population: str) -> None:
        self.pub, self.year, self.population = pub, year, population

    def __call__(self, measure: str) -> str | None:
        return share_percent(self.pub.share(self.year, self.population, measure))

    def all(self, *measures: str) -> list[str] | None:
        values = [self(m) for m in measures]
        if any(v is None for v in values):
            return None
        return [v for v in values if v is not None]

    def base_sentence(self, unit: str, who: str) -> str | None:
        for s in self.pub.shares:
            if (s.year, s.population, s.breakdown) == (self.year, self.population, "alle") and \
                    not s.suppressed and s.n_base is not None:
                return (f"Andelene er regnet av {format_int(s.n_base)} {unit} der {who} ikke reserverte "
                        "seg mot registrering.")
        return None


def adult_paragraph(pub: Publication, year: int) -> str | None:
    p = _Shares(pub, year, "voksne_opphold")
    out: list[str] = []
    v = p.all("inntakssamtale")
    if v:
        out.append(f"Av brukerdataene ser vi at det ble gjennomført inntakssamtale ved {v[0]} prosent av "
                   f"oppholdene til voksne beboere i {year}.")
    v = p.all("kartlegging_trusler_totalt")
    if v:
        out.append(f"Totalt ble det gjennomført systematisk kartlegging av trusler/beskyttelsesbehov ved "
                   f"{v[0]} prosent av oppholdene.")
    v = p.all("kartlegging_trusler_senter", "kartlegging_trusler_andre", "kartlegging_trusler_begge")
    if v:
        out.append(f"Ved {v[0]} prosent av oppholdene ble det gjort en slik kartlegging i regi av "
                   f"krisesenteret, mens det ved {v[1]} prosent av oppholdene ble gjort en slik kartlegging "
                   f"i regi av andre (ved {v[2]} prosent av oppholdene ble den gjennomført både i regi av "
                   "senteret og i regi av andre).")
    v = p.all("kartlegging_hjelpebehov")
    if v:
        out.append(f"Sentrene gjennomførte en systematisk kartlegging av hjelpebehov ved {v[0]} prosent av "
                   "oppholdene.")
    v = p.all("plan_under_opphold", "plan_etter_opphold")
    if v:
        out.append(f"Ved {v[0]} prosent av oppholdene utarbeidet sentrene en plan for oppfølging under "
                   f"oppholdet, og ved {v[1]} prosent av oppholdene ble det laget en plan for oppfølging "
                   "etter oppholdet.")
    if not out:
        return None
    base = p.base_sentence("opphold", "beboeren")
    return " ".join([*out, base] if base else out)


def child_paragraph(pub: Publication, year: int) -> str | None:
    p = _Shares(pub, year, "barn_opphold")
    out: list[str] = []
    v = p.all("velkomstsamtale")
    if v:
        out.append(f"Av brukerdataene ser vi at det ble gjennomført en velkomstsamtale ved {v[0]} prosent "
                   f"av oppholdene til alle barn i {year}.")
    v = p.all("kartlegging_trusler_totalt")
    if v:
        out.append(f"Totalt ble det gjennomført en systematisk kartlegging av trusler/beskyttelsesbehov ved "
                   f"{v[0]} prosent av oppholdene.")
    v = p.all("kartlegging_trusler_senter", "kartlegging_trusler_andre", "kartlegging_trusler_begge")
    if v:
        out.append(f"Ved {v[0]} prosent av oppholdene ble dette gjort i regi av krisesenteret, og ved {v[1]} "
                   f"prosent av oppholdene ble det gjort i regi av andre (ved {v[2]} prosent av oppholdene "
                   "ble slik kartlegging gjennomført både i regi av senteret og i regi av andre).")
    v = p.all("kartlegging_hjelpebehov")
    if v:
        out.append(f"Det ble gjennomført systematisk kartlegging av hjelpebehov ved {v[0]} prosent av "
                   "oppholdene.")
    v = p.all("plan_under_opphold")
    if v:
        out.append(f"Ved {v[0]} prosent av oppholdene hadde krisesentrene en plan for oppfølging i tiden "
                   "barna var på sentrene.")
    if not out:
        return None
    base = p.base_sentence("opphold", "barnet")
    return " ".join([*out, base] if base else out)


AGE_PHRASES: Final = {
    "11-17": "barn som var eldre enn 10 år",
    "6-10": "barn i alderen 6–10 år",
    "6-17": "barn som var 6 år eller eldre",
    "3-5": "barn i alderen 3–5 år",
    "0-2": "barn som var yngre enn 3 år",
}
AGE_ORDER: Final = {
    "aldersgruppe": ("11-17", "6-10", "3-5", "0-2"),
    "aldersgruppe_grov": ("6-17", "3-5", "0-2"),
}


def age_breakdown(pub: Publication, year: int, measure: str = "velkomstsamtale") -> str | None:
    """`aldersgruppe` when all its groups are published, else `aldersgruppe_grov`, else the one with data."""
    candidates = []
    for breakdown, cats in AGE_ORDER.items():
        cells = [pub.share(year, "barn_opphold", measure, breakdown, c) for c in cats]
        if any(c is None for c in cells):
            continue
        suppressed = sum(1 for c in cells if c is not None and c.suppressed)
        if suppressed == 0:
            return breakdown
        candidates.append((suppressed, breakdown))
    return min(candidates)[1] if candidates else None


def age_paragraph(pub: Publication, year: int, measure: str = "velkomstsamtale") -> str | None:
    """'... velkomstsamtale ved knapt 9 av 10 opphold av barn som var eldre enn 10 år, ...'.

    The share of each age group (whole percent, half up) is put in words by `rules.tenths_phrase`;
    a suppressed group is left out of the list and named as suppressed.
    """
    breakdown = age_breakdown(pub, year, measure)
    if breakdown is None:
        return None
    shown: list[str] = []
    hidden: list[str] = []
    for cat in AGE_ORDER[breakdown]:
        cell = pub.share(year, "barn_opphold", measure, breakdown, cat)
        pct = share_percent(cell)
        if pct is None or pct == rules.SUPPRESSED:
            hidden.append(cat)
            continue
        shown.append(f"{rules.tenths_phrase(int(pct))} opphold av {AGE_PHRASES[cat]}")
    if not shown:
        return None
    what = "en velkomstsamtale" if measure == "velkomstsamtale" else lower_first(
        share_measure_name(measure))
    text = (f"Merk at bistand til barn har sammenheng med barnas alder; for eksempel ble det gjennomført "
            f"{what} ved {join_nb(shown)} da de bodde på krisesenter.")
    if hidden:
        groups = join_nb([f"{c.replace('-', '–')} år" for c in hidden])
        text += f" Tallene for {groups} er skjult (færre enn {contract.SUPPRESSION_THRESHOLD} opphold)."
    return text


def share_measure_name(measure: str) -> str:
    return MEASURE_NAMES.get(measure, measure)


def visit_paragraph(pub: Publication, year: int) -> str | None:
    p = _Shares(pub, year, "dagsbesok")
    out: list[str] = []
    v = p.all("kartlegging_hjelpebehov", "kartlegging_trusler_totalt")
    if v:
        out.append(f"Av brukerdataene ser vi at det ved {v[0]} prosent av dagsbesøkene i {year} ble foretatt "
                   f"en systematisk kartlegging av hjelpebehov, og ved totalt {v[1]} prosent ble det "
                   "gjennomført en systematisk kartlegging av trusler/beskyttelsesbehov.")
    v = p.all("kartlegging_trusler_senter", "kartlegging_trusler_andre", "kartlegging_trusler_begge")
    if v:
        out.append(f"Ved {v[0]} prosent av dagsbesøkene ble dette gjort i regi av krisesenteret, og ved "
                   f"{v[1]} prosent i regi av andre (ved {v[2]} prosent av dagsbesøkene ble det gjort både i "
                   "regi av krisesenteret og i regi av andre).")
    if not out:
        return None
    base = p.base_sentence("dagsbesøk", "brukeren")
    return " ".join([*out, base] if base else out)


# --- alt text ------------------------------------------------------------------------------


def alt_text(pub: Publication, question: str, year: int) -> str:
    """A description of the chart for screen readers, generated from the same figures."""
    q = pub.question(question)
    if q.is_year_series or q.scope == contract.SCOPE_CENTRE:
        years = [y for y in pub.years(question) if y <= year][-YEAR_SERIES_LENGTH:]
        rows = _group_offers(pub, question, year, contract.TARGET_GROUP_ALL)
        if not rows:
            return f"Stolpediagram. {q.title}, {year}. Ingen tall for {year}."
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(year)
        listing = join_nb([f"{lower_first(o.label)} {format_int(o.n_centres)}" for o in rows])
        return (f"Liggende stolpediagram. {q.title}, {span}. Antall sentre per år for "
                f"{len(rows)} kategorier. I {year}, av {format_int(rows[0].n_base)} sentre: {listing}.")
    sentences = [f"Liggende stolpediagram. {q.title}, {year}."]
    groups = pub.target_groups(question)
    if question == contract.ORGANISERING:
        for group in groups:
            for o in _group_offers(pub, question, year, group):
                sentences.append(f"{o.label}, {GROUP_PHRASE[group].removeprefix('med ')}: "
                                 f"{format_int(o.n_centres)} av {format_int(o.n_base)}.")
        return " ".join(sentences)
    bases = []
    for group in groups:
        rows = _group_offers(pub, question, year, group)
        if rows:
            bases.append(f"{GROUP_PHRASE[group].removeprefix('med ')} (av {format_int(rows[0].n_base)})")
    if not bases:
        return f"Stolpediagram. {q.title}, {year}. Ingen tall for {year}."
    sentences.append(f"Antall sentre med {join_nb(bases)} for {len(pub.items(question, year))} kategorier.")
    natural = question in VERBS
    v = verb(question)
    for group in groups:
        rows = _group_offers(pub, question, year, group)
        if not rows:
            continue
        base = format_int(rows[0].n_base)
        gname = {"kvinner": "for kvinner", "menn": "for menn"}.get(group, "")
        everyone = [lower_first(o.label) for o in rows if o.n_base and o.n_centres == o.n_base]
        low = min(rows, key=lambda o: o.n_centres)
        high = max(rows, key=lambda o: o.n_centres)
        if everyone:
            sentences.append(f"Alle {base} sentre {gname} {v} {join_nb(everyone)}." if natural
                             else f"Alle {base} sentre {gname}: {join_nb(everyone)}.")
        else:
            sentences.append(f"Flest sentre {gname} {v} {lower_first(high.label)} ({high.n_centres} av {base})."
                             if natural else
                             f"Flest sentre {gname}: {lower_first(high.label)} ({high.n_centres} av {base}).")
        if low.n_centres != low.n_base:
            sentences.append(f"Færrest sentre {gname} {v} {lower_first(low.label)} ({low.n_centres} av {base})."
                             if natural else
                             f"Færrest sentre {gname}: {lower_first(low.label)} ({low.n_centres} av {base}).")
    return " ".join(s.replace("  ", " ") for s in sentences)
