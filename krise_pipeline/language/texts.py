"""The page's figure sentences, generated from the published figures only.

Every number in a sentence is read from the publication; the wording rules (quantifiers,
rounding, "x av 10") live in `rules.py`, the phrases of each question and population in
`data/wording.csv` (read by `wording.py`). A suppressed figure is written as "..".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from krise_pipeline.language import rules, wording
from krise_pipeline.language.rules import centres, format_int, join_nb, lower_first, upper_first
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import MEASURE_NAMES
from krise_pipeline.publication.model import LabelChangeRow, Offer, Publication, ShareCell

YOY_MIN_CHANGE: Final = 2
"""A year-over-year statement is made for an item whose count moved by at least this many centres."""
YEAR_SERIES_LENGTH: Final = 5
"""Charts with main grouping "År" show this many years, ending with the latest."""
YOY_MAX_ITEMS: Final = 4
"""At most this many items per direction and target group (the largest moves, "blant annet")."""

OTHER_ITEM: Final = "annet"

GROUP_PHRASE: Final = {"kvinner": "med tilbud til kvinner", "menn": "med tilbud til menn", "alle": ""}


def verb(question: str) -> str:
    return wording.current().verb(question)


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
    """'38 av de 43 sentrene med tilbud til kvinner og 36 av de 42 ... hadde tilbud om ...'.

    The item counted is `minst_ett` unless the question's `reach` row names one; a question with
    `reach_clause_*` rows adds how many of those centres also had the clause's item
    ("..., hvorav henholdsvis 11 og 9 sentre ...") when every target group has it.
    """
    w = wording.current()
    item, phrase = w.reach(question)
    groups: list[str] = []
    whos: list[str] = []
    for group in pub.target_groups(question):
        o = pub.offer(year, question, item, group)
        if o is None or o.n_base == 0:
            continue
        groups.append(group)
        whos.append(_who(o.n_centres, o.n_base, group))
    if not whos:
        return None
    sentence = f"{join_nb(whos)} {phrase.format(year=year)}"
    clause = w.reach_clause(question)
    if clause is not None:
        clause_item, one, two = clause
        sub = [o for g in groups if (o := pub.offer(year, question, clause_item, g)) is not None]
        if len(sub) == len(groups) == 1:
            sentence += one.format(sentre=centres(sub[0].n_centres))
        elif len(sub) == len(groups) == 2:
            sentence += two.format(n1=format_int(sub[0].n_centres), n2=format_int(sub[1].n_centres))
    return upper_first(f"{sentence}.")


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
    return reach_sentence(pub, "politivurdering", year)


def _item_figures(n: int, year: int) -> dict[str, object]:
    """The names an item sentence may use (`wording.ITEM_FIGURES`)."""
    return {"n": format_int(n), "sentre": centres(n), "Sentre": upper_first(centres(n)),
            "krisesentre": centres(n, "krisesenter"), "Krisesentre": upper_first(centres(n, "krisesenter")),
            "year": year}


def item_sentences(pub: Publication, question: str, year: int) -> str | None:
    """One sentence per item with a `sentence` row (all centres), in the rows' order.

    The first item leads: without its figure there is no paragraph. An item with a
    `sentence_with_previous` row says last year's figure too when there is one.
    """
    out: list[str] = []
    prev = pub.previous_year(question, year)
    for i, spec in enumerate(wording.current().item_sentences(question)):
        now = pub.offer(year, question, spec.item, contract.TARGET_GROUP_ALL)
        if now is None:
            if i == 0:
                return None
            continue
        figures = _item_figures(now.n_centres, year)
        before = pub.offer(prev, question, spec.item, contract.TARGET_GROUP_ALL) \
            if prev is not None and spec.with_previous else None
        if before is not None and spec.with_previous:
            out.append(spec.with_previous.format(**figures, n_previous=format_int(before.n_centres),
                                                 previous_year=prev))
        else:
            out.append(spec.text.format(**figures))
    return " ".join(out) or None


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
    w = wording.current()
    v = w.verb(question)
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
                w.predicate(question, now.item)
                or (f"{w.default_verb} {lower_first(now.label)}" if now.item == OTHER_ITEM else None),
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
    """The figure sentences shown under a question's chart, by its sentence kind (`wording.SENTENCE_KINDS`)."""
    kind = wording.current().sentence_kind(question)
    if kind == "none":
        return []
    q = pub.question(question)
    first = item_sentences(pub, question, year) if kind == "per_item" else reach_sentence(pub, question, year)
    paragraphs = [first] if first else []
    if kind == "standard":
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


def _base_sentence(pub: Publication, year: int, population: str) -> str | None:
    """'Andelene er regnet av 200 opphold der beboeren ...': the base of the population's shares."""
    for s in pub.shares:
        if (s.year, s.population, s.breakdown) == (year, population, "alle") and \
                not s.suppressed and s.n_base is not None:
            return wording.current().share_base(population, format_int(s.n_base))
    return None


def share_paragraph(pub: Publication, year: int, population: str) -> str | None:
    """The population's `sentence` rows with their shares filled in, then the base.

    A sentence is left out when one of its measures is not published for the year.
    """
    out: list[str] = []
    for template in wording.current().share_sentences(population):
        values = {m: share_percent(pub.share(year, population, m))
                  for m in wording.template_fields(template) if m != "year"}
        if all(v is not None for v in values.values()):
            out.append(template.format(year=year, **values))
    if not out:
        return None
    base = _base_sentence(pub, year, population)
    return " ".join([*out, base] if base else out)


def adult_paragraph(pub: Publication, year: int) -> str | None:
    return share_paragraph(pub, year, "voksne_opphold")


def child_paragraph(pub: Publication, year: int) -> str | None:
    return share_paragraph(pub, year, "barn_opphold")


def visit_paragraph(pub: Publication, year: int) -> str | None:
    return share_paragraph(pub, year, "dagsbesok")


AGE_POPULATION: Final = "barn_opphold"
AGE_ORDER: Final = {
    "aldersgruppe": ("11-17", "6-10", "3-5", "0-2"),
    "aldersgruppe_grov": ("6-17", "3-5", "0-2"),
}


def age_breakdown(pub: Publication, year: int, measure: str = "velkomstsamtale") -> str | None:
    """`aldersgruppe` when all its groups are published, else `aldersgruppe_grov`, else the one with data."""
    candidates = []
    for breakdown, cats in AGE_ORDER.items():
        cells = [pub.share(year, AGE_POPULATION, measure, breakdown, c) for c in cats]
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
    w = wording.current()
    shown: list[str] = []
    hidden: list[str] = []
    for cat in AGE_ORDER[breakdown]:
        cell = pub.share(year, AGE_POPULATION, measure, breakdown, cat)
        pct = share_percent(cell)
        if pct is None or pct == rules.SUPPRESSED:
            hidden.append(cat)
            continue
        shown.append(w.age_text(AGE_POPULATION, "age_group_share").format(
            tenths=rules.tenths_phrase(int(pct)), group=w.age_group(AGE_POPULATION, cat)))
    if not shown:
        return None
    what = w.age_measure(AGE_POPULATION, measure) or lower_first(share_measure_name(measure))
    text = w.age_text(AGE_POPULATION, "age_paragraph").format(measure=what, groups=join_nb(shown))
    if hidden:
        groups = join_nb([f"{c.replace('-', '–')} år" for c in hidden])
        text += " " + w.age_text(AGE_POPULATION, "age_hidden").format(
            groups=groups, threshold=contract.SUPPRESSION_THRESHOLD)
    return text


def share_measure_name(measure: str) -> str:
    return MEASURE_NAMES.get(measure, measure)


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
    w = wording.current()
    v = f" {w.verb(question)} " if w.has_own_verb(question) else ": "  # a label reads after its own verb
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
            sentences.append(f"Alle {base} sentre {gname}{v}{join_nb(everyone)}.")
        else:
            sentences.append(f"Flest sentre {gname}{v}{lower_first(high.label)} ({high.n_centres} av {base}).")
        if low.n_centres != low.n_base:
            sentences.append(f"Færrest sentre {gname}{v}{lower_first(low.label)} ({low.n_centres} av {base}).")
    return " ".join(s.replace("  ", " ") for s in sentences)
