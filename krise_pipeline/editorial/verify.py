"""Each claim of a text held against the published figures; what does not hold is a finding.

The rules are the preview's own (`exports.rules`): whole percents half up, "alle" = the whole
base, "nesten alle" = 1-3 short of the base and at least 90 % of it, "x av 10" from the whole
percent. Where the text does not name a target group, a claim holds when it holds for either.
A paragraph whose wrong figures all fit another published year is one finding naming that year.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from krise_pipeline.editorial import claims as cl
from krise_pipeline.editorial import vocabulary as vocab
from krise_pipeline.language import rules, texts
from krise_pipeline.metadata import codebook, contract
from krise_pipeline.metadata.vocabulary import POPULATION_NAMES
from krise_pipeline.publication.model import Offer, Publication

FIGURE_KINDS = ("count", "count_of", "base", "range", "quantifier", "percent", "tenths", "users", "share_base")
"""Claims that state a year's level (not a change): the ones that can fit another year."""


@dataclass(frozen=True)
class Finding:
    line: int
    claim: str
    reason: str
    expected: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "claim": self.claim, "reason": self.reason, "expected": self.expected}


@dataclass(frozen=True)
class Outcome:
    holds: bool | None
    """None: the claim names nothing the publication has (not checked)."""
    expected: str


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]
    checked: int
    unchecked: tuple[cl.Claim, ...]


# --- one claim ----------------------------------------------------------------------------


def _groups(pub: Publication, question: str, groups: tuple[str, ...] | None) -> tuple[tuple[str, ...], bool]:
    """(groups to look at, whether every one must hold)."""
    available = pub.target_groups(question) or codebook.question(question).target_groups
    if contract.TARGET_GROUP_ALL in available and not set(available) & set(contract.TARGET_GROUPS):
        return (contract.TARGET_GROUP_ALL,), True
    if groups:
        chosen = tuple(g for g in groups if g in available)
        if chosen:
            return chosen, True
    return tuple(available), False


GroupTest = Callable[[Offer], tuple[bool, str]]


def _per_item(pub: Publication, claim: cl.Claim, year: int, test: GroupTest) -> Outcome:
    if not claim.items:
        return Outcome(None, "")
    verdicts: list[bool] = []
    said: list[str] = []
    for ref in claim.items:
        groups, every = _groups(pub, ref.question, claim.groups)
        if not any(pub.offer(year, ref.question, ref.item, g) for g in groups):
            groups, every = _groups(pub, ref.question, None)  # "menn" items named with "kvinner" nearby
        results: list[bool] = []
        parts: list[str] = []
        label = ref.item
        for g in groups:
            o = pub.offer(year, ref.question, ref.item, g)
            if o is None:
                continue
            label = o.label
            ok, text = test(o)
            results.append(ok)
            parts.append(f"{g} {text}" if g != contract.TARGET_GROUP_ALL else text)
        if not results:
            return Outcome(None, "")
        verdicts.append(all(results) if every else any(results))
        said.append(f"{rules.lower_first(label)}: {', '.join(parts)}")
    return Outcome(all(verdicts), f"{year}: " + "; ".join(said))


def _count_text(o: Offer) -> str:
    return f"{o.n_centres} av {o.n_base}"


def _year_value(pub: Publication, ref: cl.ItemRef, year: int, group: str) -> int | None:
    o = pub.offer(year, ref.question, ref.item, group)
    return o.n_centres if o is not None else None


def _resolve(pub: Publication, question: str, year: int,
             period: tuple[int | None, int | None]) -> tuple[int, int] | None:
    a, b = period
    to = year if b is None else b
    if a == -1:
        prev = pub.previous_year(question, to)
        return None if prev is None else (prev, to)
    if a is None:
        return None
    return a, to


def _changes(pub: Publication, claim: cl.Claim, year: int, test: Callable[[int, int], bool]) -> Outcome:
    if not claim.items or not claim.periods:
        return Outcome(None, "")
    verdicts: list[bool] = []
    said: list[str] = []
    for ref in claim.items:
        groups, every = _groups(pub, ref.question, claim.groups)
        results: list[bool] = []
        parts: list[str] = []
        label = codebook.label(ref.question, ref.item, year) or contract.DERIVED_LABELS.get(ref.item, ref.item)
        for g in groups:
            ok_all = True
            seen = False
            series = []
            for period in claim.periods:
                span = _resolve(pub, ref.question, year, period)
                if span is None:
                    continue
                a, b = span
                va, vb = _year_value(pub, ref, a, g), _year_value(pub, ref, b, g)
                if va is None or vb is None:
                    continue
                seen = True
                ok_all = ok_all and test(va, vb)
                series.append(f"{a} {va} → {b} {vb}")
            if seen:
                results.append(ok_all)
                name = "" if g == contract.TARGET_GROUP_ALL else f"{g} "
                parts.append(name + ", ".join(dict.fromkeys(series)))
        if not results:
            return Outcome(None, "")
        verdicts.append(all(results) if every else any(results))
        said.append(f"{rules.lower_first(label)}: {'; '.join(parts)}")
    return Outcome(all(verdicts), "; ".join(said))


def _versus_groups(pub: Publication, claim: cl.Claim, year: int) -> Outcome:
    if not claim.items or not claim.groups:
        return Outcome(None, "")
    g = claim.groups[0]
    other = next(x for x in contract.TARGET_GROUPS if x != g)
    verdicts: list[bool] = []
    said: list[str] = []
    for ref in claim.items:
        a, b = pub.offer(year, ref.question, ref.item, g), pub.offer(year, ref.question, ref.item, other)
        if a is None or b is None:
            return Outcome(None, "")
        verdicts.append(a.n_centres > b.n_centres if claim.word == "up" else a.n_centres < b.n_centres)
        said.append(f"{rules.lower_first(a.label)}: {g} {a.n_centres}, {other} {b.n_centres}")
    return Outcome(all(verdicts), f"{year}: " + "; ".join(said))


def _share(pub: Publication, claim: cl.Claim, year: int) -> Outcome:
    if claim.population is None or claim.measure is None:
        return Outcome(None, "")
    breakdown = vocab.breakdown_of(claim.category)
    cell = pub.share(year, claim.population, claim.measure, breakdown, claim.category)
    if cell is None and breakdown == "aldersgruppe":
        cell = pub.share(year, claim.population, claim.measure, "aldersgruppe_grov", claim.category)
    pct = texts.share_percent(cell)
    if pct is None:
        return Outcome(None, "")
    who = POPULATION_NAMES.get(claim.population, claim.population).lower()
    if claim.category != "alle":
        who += f", {claim.category} år"
    where = f"{texts.share_measure_name(claim.measure).lower()} ({who})"
    if pct == rules.SUPPRESSED:
        return Outcome(False, f"{year}: {where}: .. (suppressed, fewer than "
                              f"{contract.SUPPRESSION_THRESHOLD} in the base)")
    value = int(pct)
    if claim.kind == "percent":
        return Outcome(claim.value == value, f"{year}: {where}: {value} prosent")
    phrase = rules.tenths_phrase(value)
    return Outcome(_tenths_agree(claim.word, claim.value, phrase), f"{year}: {where}: {value} prosent, «{phrase}»")


def _tenths_agree(word: str | None, k: int | None, phrase: str) -> bool:
    """'omtrent 8 av 10' may be written '8 av 10' and the other way round; knapt/drøyt must agree."""
    parts = phrase.split()
    if len(parts) < 3 or parts[-2:] != ["av", "10"] or not parts[-3].isdigit():
        return False
    qualifier = parts[0] if len(parts) == 4 else ""
    if int(parts[-3]) != k:
        return False
    claimed = word or ""
    return claimed == qualifier or {claimed, qualifier} <= {"", "omtrent", "rundt"}


USER_UNITS = {
    # (unit, population of the paragraph) -> (user_counts population, records or persons)
    ("opphold", "voksne_opphold"): ("beboere", "records"),
    ("opphold", "barn_opphold"): ("barn", "records"),
    ("dagsbesøk", None): ("dagbrukere", "records"),
    ("beboere", None): ("beboere", "persons"),
    ("barn", None): ("barn", "persons"),
    ("dagbrukere", None): ("dagbrukere", "persons"),
}


def _users(pub: Publication, claim: cl.Claim, year: int) -> Outcome:
    unit = (claim.word or "").lower()
    key = USER_UNITS.get((unit, claim.population)) or USER_UNITS.get((unit, None))
    if key is None:
        return Outcome(None, "")
    population, field = key
    cell = pub.count(year, population)
    if cell is None:
        return Outcome(None, "")
    value = cell.n_records if field == "records" else cell.n_persons
    if cell.suppressed or value is None:
        return Outcome(False, f"{year}: {unit}: .. (suppressed)")
    return Outcome(value == claim.value, f"{year}: {rules.format_int(value)} {unit}")


SHARE_BASE_UNITS = {("opphold", "voksne_opphold"): "voksne_opphold", ("opphold", "barn_opphold"): "barn_opphold",
                    ("dagsbesøk", None): "dagsbesok"}


def _share_base(pub: Publication, claim: cl.Claim, year: int) -> Outcome:
    """'Andelene er regnet av 2 605 opphold der beboeren ikke reserverte seg': the shares' base."""
    unit = (claim.word or "").lower()
    population = SHARE_BASE_UNITS.get((unit, claim.population)) or SHARE_BASE_UNITS.get((unit, None))
    bases = [s.n_base for s in pub.shares if (s.year, s.population, s.breakdown) == (year, population, "alle")
             and not s.suppressed and s.n_base is not None]
    if not bases:
        return Outcome(None, "")
    return Outcome(claim.value == bases[0], f"{year}: {rules.format_int(bases[0])} {unit} (the base of the shares)")


def evaluate(pub: Publication, claim: cl.Claim, year: int) -> Outcome:
    v, v2 = claim.value, claim.value2
    if claim.kind == "count":
        return _per_item(pub, claim, claim.at_year or year, lambda o: (o.n_centres == v, _count_text(o)))
    if claim.kind == "count_of":
        return _per_item(pub, claim, year, lambda o: (o.n_centres == v and o.n_base == v2, _count_text(o)))
    if claim.kind == "base":
        return _per_item(pub, claim, year, lambda o: (o.n_base == v, f"{o.n_base} sentre"))
    if claim.kind == "range":
        lo, hi = min(v or 0, v2 or 0), max(v or 0, v2 or 0)
        return _per_item(pub, claim, year, lambda o: (lo <= o.n_centres <= hi, _count_text(o)))
    if claim.kind == "quantifier":
        return _per_item(pub, claim, year, lambda o: (
            rules.quantifier(o.n_centres, o.n_base) == claim.word and v2 in (None, o.n_base), _count_text(o)))
    if claim.kind == "change":
        return _changes(pub, claim, year, lambda a, b: (a, b) == (v, v2))
    if claim.kind == "share_base":
        return _share_base(pub, claim, year)
    if claim.kind in ("percent", "tenths"):
        return _share(pub, claim, year)
    if claim.kind == "users":
        return _users(pub, claim, year)
    if claim.kind == "trend":
        up = claim.word == "up"
        return _changes(pub, claim, year, lambda a, b: b > a if up else b < a)
    if claim.kind == "difference":
        return _changes(pub, claim, year, lambda a, b: b - a == v)
    if claim.kind == "versus_group":
        return _versus_groups(pub, claim, year)
    return Outcome(None, "")


def _reason(claim: cl.Claim) -> str:
    return {
        "count": "the number of centres is not the published one",
        "count_of": "the number of centres or their base is not the published one",
        "base": "the number of centres in the base is not the published one",
        "range": "a centre count is outside the stated range",
        "quantifier": f"«{claim.word}» does not hold (alle = the whole base; nesten alle = 1–3 short and "
                      "at least 90 %)",
        "percent": "the share is not the published whole percent (rounded half up)",
        "tenths": "«x av 10» does not match the published share",
        "users": "the number of stays, visits or persons is not the published one",
        "share_base": "the number of stays or visits the shares are out of is not the published one",
        "change": "the numbers of centres in the years compared are not the published ones",
        "trend": "the change between the years goes the other way (or there is none)",
        "difference": "the difference between the years is not the published one",
        "versus_group": "the comparison between women's and men's offers does not hold",
    }.get(claim.kind, "does not hold")


# --- labels and spelling --------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def check_quote(q: cl.LabelQuote) -> Finding | None:
    labels = vocab.all_labels()
    exact = [row for row in labels if _norm(row[0]) == _norm(q.text)]

    def valid(row: tuple[str, str, str, int | None, int | None], y: int) -> bool:
        _, _, _, start, end = row
        return (start is None or start <= y) and (end is None or y <= end)

    years = "/".join(str(y) for y in q.years)
    if exact:
        if any(valid(row, y) for row in exact for y in q.years):
            return None
        row = exact[0]
        right = [r[0] for r in labels if r[1] == row[1] and r[2] == row[2] and any(valid(r, y) for y in q.years)]
        return Finding(q.line, f"«{q.text}»", f"not the codebook's label in {years}",
                       f"«{right[0]}»" if right else "no label of that item in that year", q.start, q.end)
    names = {_norm(r[0]): r for r in labels}
    close = difflib.get_close_matches(_norm(q.text), list(names), n=3, cutoff=0.85)
    if not close:
        return None  # a quotation, not a label
    in_year = [names[c] for c in close if any(valid(names[c], y) for y in q.years)]
    best = (in_year or [names[close[0]]])[0]
    return Finding(q.line, f"«{q.text}»", f"not a label of the codebook ({years}): a misspelt label?",
                   f"«{best[0]}»", q.start, q.end)


def check_spelling(s: cl.Spelling) -> Finding:
    fixed = s.text[0] + s.text[2:]
    return Finding(s.line, s.text, "doubled capital letter", fixed, s.start, s.end)


# --- a whole text ---------------------------------------------------------------------------


def _fits(pub: Publication, figures: Iterable[cl.Claim], year: int) -> bool:
    outcomes = [evaluate(pub, c, year).holds for c in figures]
    known = [o for o in outcomes if o is not None]
    return len(known) >= 2 and all(known)


def check_reading(pub: Publication, reading: cl.Reading, year: int) -> Result:
    findings: list[Finding] = []
    unchecked: list[cl.Claim] = []
    checked = 0
    wrong_by_paragraph: dict[int, list[tuple[cl.Claim, Outcome]]] = {}
    for claim in reading.claims:
        outcome = evaluate(pub, claim, year)
        if outcome.holds is None:
            unchecked.append(claim)
            continue
        checked += 1
        if not outcome.holds:
            wrong_by_paragraph.setdefault(claim.paragraph, []).append((claim, outcome))
    other_years = sorted({r.year for r in pub.releases} | {o.year for o in pub.offers} - {year}, reverse=True)
    for paragraph, wrong in wrong_by_paragraph.items():
        figures = [c for c in reading.claims if c.paragraph == paragraph and c.kind in FIGURE_KINDS]
        fit = None
        if any(c.kind in FIGURE_KINDS for c, _ in wrong):
            fit = next((y for y in other_years if y != year and _fits(pub, figures, y)), None)
        if fit is not None:
            first = wrong[0][0]
            findings.append(Finding(
                first.line,
                "; ".join(c.text for c, _ in wrong),
                f"these figures are {fit}'s, not {year}'s: every figure of the paragraph matches {fit}",
                f"{year}: " + "; ".join(o.expected.removeprefix(f"{year}: ") for _, o in wrong),
                first.start, wrong[-1][0].end,
            ))
            continue
        for c, o in wrong:
            findings.append(Finding(c.line, c.text, _reason(c), o.expected, c.start, c.end))
    for q in reading.quotes:
        f = check_quote(q)
        if f is not None:
            findings.append(f)
    findings.extend(check_spelling(s) for s in reading.spellings)
    findings.sort(key=lambda f: (f.line, f.start))
    return Result(tuple(findings), checked, tuple(unchecked))
