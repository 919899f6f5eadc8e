"""Figure claims in an editor's text: what each number, quantifier or comparison says, about what.

A text is read paragraph by paragraph (blocks of lines between blank lines). A heading that is a
question's title (or a page section's heading) sets the context: the questions whose items a
claim may be about, and the population of shares. Inside a sentence a claim is tied to the item
names written after it (before it for a parenthesis such as "(mellom 40 og 42 sentre)"), to the
target group written with it, in the sentence or earlier in the paragraph, and to the years it
compares with. Law paragraphs, page references, dates, years and ages are not claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Final

from krise_pipeline.editorial import vocabulary as vocab
from krise_pipeline.language import sections
from krise_pipeline.metadata import codebook, contract

# --- the parts of a text ------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRef:
    question: str
    item: str


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    ref: ItemRef


@dataclass(frozen=True)
class Claim:
    """One statement about the figures. Offsets are into the whole text."""

    kind: str
    """count, count_of, base, range, quantifier, percent, tenths, users, trend, difference, versus_group."""
    start: int
    end: int
    text: str
    line: int
    paragraph: int
    value: int | None = None
    value2: int | None = None
    word: str | None = None
    items: tuple[ItemRef, ...] = ()
    groups: tuple[str, ...] | None = None
    """Target groups the claim is about; None when the text does not say (any group may hold it)."""
    population: str | None = None
    measure: str | None = None
    category: str = "alle"
    periods: tuple[tuple[int | None, int | None], ...] = ()
    """Trends and differences: (from year, to year); None is the year being checked."""
    in_parenthesis: bool = False
    at_year: int | None = None
    """A count stated for another year than the text's ("39 i 2023")."""


@dataclass(frozen=True)
class LabelQuote:
    """A quoted label ("«...»"), with the years whose codebook it must belong to."""

    start: int
    end: int
    text: str
    line: int
    years: tuple[int, ...]


@dataclass(frozen=True)
class Spelling:
    start: int
    end: int
    text: str
    line: int


@dataclass
class Reading:
    claims: list[Claim] = field(default_factory=list)
    quotes: list[LabelQuote] = field(default_factory=list)
    spellings: list[Spelling] = field(default_factory=list)
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    """(start, end) offsets of each paragraph."""


# --- context ------------------------------------------------------------------------------

SECTION_POPULATIONS: Final = {
    "botilbud-for-voksne": "voksne_opphold",
    "tilbud-til-barn": "barn_opphold",
    "dagtilbudet": "dagsbesok",
}


@dataclass(frozen=True)
class Context:
    questions: tuple[str, ...]
    population: str | None = None


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("#", " ").split())


@cache
def headings() -> dict[str, Context]:
    """Heading text (lower case) -> context, from the question titles and the page's sections."""
    out: dict[str, Context] = {}
    for s in sections.SECTIONS:
        pop = SECTION_POPULATIONS.get(s.anchor)
        out[_norm(s.heading)] = Context(s.questions, pop)
        for q in s.questions:
            others = tuple(x for x in s.questions if x != q)
            out.setdefault(_norm(codebook.question(q).title), Context((q, *others), pop))
    for question in codebook.questions():
        out.setdefault(_norm(question.title), Context((question.question,)))
    return out


def context_for(question: str | None) -> Context:
    """The starting context of a text: a question's own file, or the page's introduction."""
    every = tuple(q.question for q in codebook.questions())
    if question is None or question == contract.ORGANISERING:
        return Context((contract.ORGANISERING, *(q for q in every if q != contract.ORGANISERING)))
    title = _norm(codebook.question(question).title)
    return headings().get(title, Context((question,)))


# --- patterns -----------------------------------------------------------------------------

NUM: Final = r"\d{1,3}(?:[ \u00a0]\d{3})+|\d+"
CENTRES: Final = r"(?:krise)?sent(?:er|re|rene|eret|ret)\b"
PATTERNS: Final = (
    ("all_of", re.compile(rf"\b(?P<w>nesten\s+alle|alle|samtlige)\s+de\s+(?P<a>{NUM})\s+{CENTRES}", re.IGNORECASE)),
    ("percent", re.compile(rf"(?P<a>{NUM})\s*(?:prosent|%)", re.IGNORECASE)),
    ("tenths", re.compile(r"(?:(?P<w>knapt|omtrent|drøyt|nesten|rundt|vel)\s+)?(?P<a>\d{1,2})\s+av\s+10\b"
                          rf"(?!\s*{CENTRES})", re.IGNORECASE)),
    ("range", re.compile(rf"mellom\s+(?P<a>{NUM})\s+og\s+(?P<b>{NUM})(?=\s+{CENTRES})", re.IGNORECASE)),
    ("range", re.compile(rf"(?P<a>{NUM})\s*[–-]\s*(?P<b>{NUM})(?=\s+{CENTRES})", re.IGNORECASE)),
    ("count_of", re.compile(rf"(?P<a>{NUM})\s+av\s+(?:de\s+|disse\s+)?(?P<b>{NUM})\b(?!\s*(?:år|prosent))",
                            re.IGNORECASE)),
    ("respectively", re.compile(rf"henholdsvis\s+(?P<a>{NUM})\s+og\s+(?P<b>{NUM})", re.IGNORECASE)),
    ("versus", re.compile(rf"(?P<a>{NUM})(?:\s+{CENTRES})?\s+mot\s+(?P<b>{NUM})", re.IGNORECASE)),
    ("difference", re.compile(rf"(?P<a>{NUM})(?:\s+{CENTRES})?\s+(?P<w>flere|færre|mindre|mer)\s+enn\s+"
                              r"(?:i\s+)?(?P<y>\d{4})", re.IGNORECASE)),
    ("base", re.compile(rf"\b(?:totalt|disse|de)\s+(?P<a>{NUM})\s+{CENTRES}", re.IGNORECASE)),
    ("users", re.compile(rf"(?P<a>{NUM})\s+(?:voksne\s+)?(?P<w>opphold|dagsbesøk|beboere|barn|dagbrukere)\b",
                         re.IGNORECASE)),
    ("change", re.compile(rf"\bfra\s+(?P<a>{NUM})\s+til\s+(?P<b>{NUM})\b(?!\s*år)", re.IGNORECASE)),
    ("at_year", re.compile(rf"(?P<a>{NUM})\s+i\s+(?P<y>\d{{4}})\b", re.IGNORECASE)),
    ("count", re.compile(rf"(?<![\d§])(?P<a>{NUM})(?![\d:])", re.IGNORECASE)),
)
NOT_A_FIGURE_BEFORE: Final = re.compile(
    r"(§\s*|\bs\.\s*|\b(?:side|tabell|figur|kapittel|vedlegg|punkt|ledd)\s+|\bnr\.?\s*|\bkl\.?\s*)$",
    re.IGNORECASE)
NOT_A_FIGURE_AFTER: Final = re.compile(
    r"^(\s*[–-]\s*\d+)?\s*(år\b|netter\b|døgn\b|ganger\b|km\b|kroner\b|personer\b|\.\s*(januar|februar|mars|april|mai|juni|juli|august|september|oktober|"
    r"november|desember)\b|[.,]\d)", re.IGNORECASE)
MONTH_BEFORE: Final = re.compile(
    r"(januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember)\s+$", re.IGNORECASE)
QUANTIFIER: Final = re.compile(r"\b(nesten\s+alle|samtlige|a?alle)\b", re.IGNORECASE)
QUANTIFIER_NEXT: Final = re.compile(
    rf"^\s*(?:{CENTRES}|tilbudene\b|de\b|har\b|hadde\b|tilbød\b|ga\b|oppga\b|drev\b|tilbyr\b|gir\b)",
    re.IGNORECASE)
QUANTIFIER_PREV: Final = re.compile(r"\b(tilbød|hadde|ga|oppga|har|tilbyr)\s*$", re.IGNORECASE)
DIRECTION: Final = re.compile(r"\b(økning|økt|økte|flere|nedgang|færre|reduksjon|redusert|nedgangen|økningen)\b",
                              re.IGNORECASE)
UP_WORDS: Final = frozenset({"økning", "økt", "økte", "flere", "økningen", "mer"})
GROUP_COMPARISON: Final = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:krise)?sentre\s+(?:for|med\s+tilbud\s+til|med\s+botilbud\s+til)\s+"
    r"(?P<g>kvinner|menn)\b", re.IGNORECASE)
FROM_TO: Final = re.compile(r"\bfra\s+(?P<a>\d{4})\s+til\s+(?P<b>\d{4})", re.IGNORECASE)
COMPARED: Final = re.compile(r"\b(?:sammenlignet\s+med|siden|enn\s+i|i\s+forhold\s+til)\s+"
                             r"(?P<ys>\d{4}(?:\s*(?:,|og)\s*\d{4})*)",
                             re.IGNORECASE)
EARLIER: Final = re.compile(r"\b(tidligere\s+år|de\s+siste\s+årene|året\s+før|i\s+fjor)\b", re.IGNORECASE)
SAME_AS_BEFORE: Final = re.compile(r"^\s*det\s+samme\s+gjelder\b", re.IGNORECASE)
AFTER_A: Final = re.compile(r"\better\s+en\s*$", re.IGNORECASE)
QUOTE: Final = re.compile(r"«([^»\n]+)»|\"([^\"\n]+)\"|“([^”\n]+)”")
FOOTNOTE: Final = re.compile(r"^\s*(?P<y>\d{4})\s*:\s*")
CHANGED_TO: Final = re.compile(r"\bendret\s+til\b", re.IGNORECASE)
UNQUOTED_CHANGE: Final = re.compile(
    r"^\s*\d{4}\s*:\s*(?:kategorien\s+)?(?P<old>[^«\"“]+?)\s+(?:er\s+|ble\s+)?endret\s+til\s+"
    r"(?P<new>[^«\"“]+?)\.?\s*$",
    re.IGNORECASE)
DOUBLED_CAPITAL: Final = re.compile(r"\b([A-ZÆØÅ])\1[a-zæøå]{2,}\b")
SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"“(])")
ABBREVIATIONS: Final = re.compile(r"(\bs|\bmv|\bnr|\bca|\bbl\.a|\bf\.eks|\bjf|\bkl|(?<![\d.])\d{1,2})\.$",
                                  re.IGNORECASE)
YEAR_RANGE: Final = range(1990, 2101)
LEADING_YEAR: Final = re.compile(r"\s*I\s+(\d{4})\b")
SHARE_BASE: Final = re.compile(r"\s+der\s+\w+\s+ikke\s+reserverte", re.IGNORECASE)
"""'2 605 opphold der beboeren ikke reserverte seg': the base of the shares, not all stays."""


# --- reading ------------------------------------------------------------------------------


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every block of non-empty lines."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            if start is None:
                start = pos
        elif start is not None:
            out.append((start, pos))
            start = None
        pos += len(line)
    if start is not None:
        out.append((start, pos))
    return out


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    cursor = start
    for m in SENTENCE_END.finditer(text, start, end):
        if ABBREVIATIONS.search(text[cursor:m.start()]):
            continue
        pieces.append((cursor, m.start()))
        cursor = m.end()
    pieces.append((cursor, end))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def _mask_quotes(text: str) -> str:
    return QUOTE.sub(lambda m: " " * len(m.group(0)), text)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def find_mentions(text: str, start: int, end: int, questions: tuple[str, ...]) -> list[Mention]:
    """Item names in text[start:end], longest first, the current question preferred."""
    words = [(w, a + start, b + start) for w, a, b in vocab.tokens(text[start:end])]
    out: list[Mention] = []
    i = 0
    while i < len(words):
        best: tuple[int, ItemRef] | None = None
        for q in questions:
            for p in vocab.phrases(q):
                n = len(p.words)
                if n == 0 or i + n > len(words) or (best is not None and n <= best[0]):
                    continue
                if all(vocab.token_matches(p.words[k], words[i + k][0]) for k in range(n)):
                    best = (n, ItemRef(q, p.item))
        if best is None and out and _is_list_gap(text[out[-1].end:words[i][1]]):
            prev = out[-1].ref
            for sibling, tail in vocab.elliptic_tails(prev.question).get(prev.item, ()):
                n = len(tail)
                if i + n <= len(words) and all(vocab.token_matches(tail[k], words[i + k][0]) for k in range(n)):
                    best = (n, ItemRef(prev.question, sibling))
                    break
        if best is None:
            i += 1
            continue
        n, ref = best
        out.append(Mention(words[i][1], words[i + n - 1][2], ref))
        i += n
    return out


def _is_list_gap(gap: str) -> bool:
    words = [w for w, _, _ in vocab.tokens(gap)]
    if re.search(r"\d", gap) or len(words) > 3:
        return False
    return all(w in vocab.LIST_WORDS for w in words)


def _list_after(mentions: list[Mention], first: int, text: str, limit: int) -> list[Mention]:
    out = [mentions[first]]
    for m in mentions[first + 1:]:
        if m.start >= limit or not _is_list_gap(text[out[-1].end:m.start]):
            break
        out.append(m)
    return out


def _list_before(mentions: list[Mention], last: int, text: str, limit: int) -> list[Mention]:
    out = [mentions[last]]
    for m in reversed(mentions[:last]):
        if m.end <= limit or not _is_list_gap(text[m.end:out[0].start]):
            break
        out.insert(0, m)
    return out


def _refs(ms: list[Mention]) -> tuple[ItemRef, ...]:
    seen: dict[ItemRef, None] = {}
    for m in ms:
        seen.setdefault(m.ref)
    return tuple(seen)


def _joint(text: str, a_end: int, b_start: int) -> bool:
    return bool(re.fullmatch(r"\s*(og|eller)\s+(for\s+|til\s+)?(både\s+)?", text[a_end:b_start]))


def group_mentions(text: str, start: int, end: int) -> list[tuple[int, tuple[str, ...]]]:
    words = [(vocab.GROUP_WORDS[w], a + start, b + start) for w, a, b in vocab.tokens(text[start:end])
             if w in vocab.GROUP_WORDS]
    out: list[tuple[int, int, tuple[str, ...]]] = []
    for g, a, b in words:
        if out and len(out[-1][2]) == 1 and out[-1][2][0] != g and _joint(text, out[-1][1], a):
            out[-1] = (out[-1][0], b, (*out[-1][2], g))
            continue
        out.append((a, b, (g,)))
    return [(a, gs) for a, _, gs in out]


def _years_compared(sentence: str, year: int) -> tuple[tuple[int | None, int | None], ...]:
    m = FROM_TO.search(sentence)
    if m:
        return ((int(m.group("a")), int(m.group("b"))),)
    refs: list[int] = []
    for m in COMPARED.finditer(sentence):
        refs.extend(int(y) for y in re.findall(r"\d{4}", m.group("ys")))
    if not refs and EARLIER.search(sentence):
        return ((-1, None),)
    return tuple((r, None) for r in dict.fromkeys(refs) if r != year)


def _population(text: str) -> str | None:
    hits = []
    for pattern, population in vocab.POPULATION_WORDS:
        m = pattern.search(text)
        if m:
            hits.append((m.start(), population))
    return min(hits)[1] if hits else None


def _measure(window: str) -> str | None:
    for pattern, measure in vocab.MEASURE_RULES:
        if pattern.search(window):
            return measure
    return None


def _age(window: str) -> str:
    low = " ".join(window.lower().split())
    for category, phrase in vocab.age_categories():
        if phrase.lower() in low:
            return category
    return "alle"


def _int(s: str) -> int:
    return int(re.sub(r"\D", "", s))


@dataclass
class _Raw:
    kind: str
    start: int
    end: int
    a: int | None = None
    b: int | None = None
    word: str | None = None
    year: int | None = None
    groups: tuple[str, ...] | None = None


def _raw_claims(masked: str, start: int, end: int) -> list[_Raw]:
    taken: list[tuple[int, int]] = []
    out: list[_Raw] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for kind, pattern in PATTERNS:
        for m in pattern.finditer(masked, start, end):
            if not free(m.start(), m.end()):
                continue
            a = _int(m.group("a"))
            if kind == "change" and a in YEAR_RANGE and _int(m.group("b")) in YEAR_RANGE:
                continue  # "fra 2023 til 2024": years, read with the comparisons
            if kind == "count":
                if a in YEAR_RANGE and len(m.group("a")) == 4:
                    continue
                if NOT_A_FIGURE_BEFORE.search(masked[max(start, m.start() - 10):m.start()]) or \
                        NOT_A_FIGURE_AFTER.search(masked[m.end():min(end, m.end() + 20)]) or \
                        MONTH_BEFORE.search(masked[max(start, m.start() - 12):m.start()]):
                    continue
            b = _int(m.group("b")) if "b" in pattern.groupindex and m.group("b") else None
            word = m.group("w").lower() if "w" in pattern.groupindex and m.group("w") else None
            year = int(m.group("y")) if "y" in pattern.groupindex else None
            taken.append((m.start(), m.end()))
            out.append(_Raw(kind, m.start(), m.end(), a, b, word, year))
    for m in QUANTIFIER.finditer(masked, start, end):
        if not free(m.start(), m.end()):
            continue
        if not (QUANTIFIER_NEXT.search(masked[m.end():end]) or QUANTIFIER_PREV.search(masked[start:m.start()])):
            continue
        word = " ".join(m.group(1).lower().split())
        word = "alle" if word in ("samtlige", "aalle") else word
        out.append(_Raw("quantifier", m.start(), m.end(), word=word))
    return sorted(out, key=lambda r: r.start)


def _display_end(text: str, end: int, limit: int) -> int:
    """Where a claim as shown ends: its words and what follows up to a comma or full stop."""
    tail = re.match(r"[^,.;:()\n]{0,60}", text[end:limit])
    return end + len(tail.group(0).rstrip()) if tail else end


def _in_parenthesis(text: str, start: int, pos: int) -> bool:
    before = text[start:pos]
    return before.count("(") > before.count(")")


class _Reader:
    def __init__(self, text: str, year: int, context: Context) -> None:
        self.text = text
        self.masked = _mask_quotes(text)
        self.year = year
        self.context = context
        self.titles = headings()
        self.reading = Reading()
        self.last_trends: list[Claim] = []

    def read(self) -> Reading:
        for index, (start, end) in enumerate(paragraphs(self.text)):
            self.reading.paragraphs.append((start, end))
            block = self.text[start:end]
            heading = self.titles.get(_norm(block))
            if heading is not None:
                self.context = heading
                continue
            self._quotes(start, end)
            for m in DOUBLED_CAPITAL.finditer(self.text, start, end):
                self.reading.spellings.append(Spelling(m.start(), m.end(), m.group(0), line_of(self.text, m.start())))
            self._paragraph(index, start, end)
        return self.reading

    # labels in quotes ------------------------------------------------------------------

    def _quotes(self, start: int, end: int) -> None:
        for line_start, line_end in block_lines(self.text, start, end):
            line = self.text[line_start:line_end]
            foot = FOOTNOTE.match(line)
            year = int(foot.group("y")) if foot else self.year
            change = CHANGED_TO.search(line)
            found = [(m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in QUOTE.finditer(line)]
            if not found and foot and change:
                m = UNQUOTED_CHANGE.match(line)
                if m:
                    found = [(m.start(k), m.end(k), m.group(k)) for k in ("old", "new")]
            prev_end = 0
            for a, b, label in found:
                years: tuple[int, ...] = (year,)
                if not foot:
                    named = [int(y) for y in re.findall(r"\b(\d{4})\b", line) if int(y) in YEAR_RANGE]
                    years = tuple(dict.fromkeys((year, year - 1, *named)))
                if foot and change:
                    years = (year,) if CHANGED_TO.search(line, prev_end, a) else (year - 1,)
                prev_end = b
                at = line_start + a
                self.reading.quotes.append(
                    LabelQuote(at, line_start + b, label.strip(), line_of(self.text, at), years))

    # figures ---------------------------------------------------------------------------

    def _paragraph(self, index: int, start: int, end: int) -> None:
        carry_groups: tuple[str, ...] | None = None
        carry_population = self.context.population
        pop = _population(self.text[start:end])
        if pop is not None:
            carry_population = pop
        for s_start, s_end in sentences(self.text, start, end):
            sentence = self.masked[s_start:s_end]
            sentence_pop = _population(sentence)
            if sentence_pop is not None:
                carry_population = sentence_pop
            claims = self._sentence(index, s_start, s_end, carry_groups, carry_population)
            self.reading.claims.extend(claims)
            gm = group_mentions(self.masked, s_start, s_end)
            if gm:
                carry_groups = gm[-1][1]

    def _sentence(self, index: int, start: int, end: int, carry_groups: tuple[str, ...] | None,
                  population: str | None) -> list[Claim]:
        text, masked = self.text, self.masked
        mentions = find_mentions(masked, start, end, self.context.questions)
        groups = group_mentions(masked, start, end)
        raws = _raw_claims(masked, start, end)
        out: list[Claim] = []
        bounds = [r.start for r in raws] + [end]
        for i, r in enumerate(raws):
            prev_end = raws[i - 1].end if i else start
            next_start = bounds[i + 1]
            paren = _in_parenthesis(masked, start, r.start)
            shown_end = _display_end(text, r.end, end)
            make = partial(Claim, start=r.start, end=shown_end, text=" ".join(text[r.start:shown_end].split()),
                           line=line_of(text, r.start), paragraph=index, in_parenthesis=paren)
            if r.kind == "users":
                kind = "share_base" if SHARE_BASE.match(masked, r.end) else "users"
                out.append(make(kind, value=r.a, word=r.word, population=population))
                continue
            if r.kind in ("percent", "tenths"):
                after = masked[r.end:next_start]
                before = masked[prev_end:r.start]
                if r.kind == "percent":
                    measure = _measure(after) or _measure(before)
                    category = _age(after)
                else:
                    measure = _measure(masked[start:end])
                    category = _age(after)
                out.append(make(r.kind, value=r.a, word=r.word, population=population, measure=measure,
                                category=category))
                continue
            items = self._scope(mentions, r, prev_end, next_start, masked, backward=paren or r.kind in ("versus",))
            claim_groups = self._groups(groups, r, next_start, start, carry_groups)
            if r.kind == "respectively" or r.kind == "versus":
                order = [g for _, gs in groups for g in gs]
                order = list(dict.fromkeys(order)) or list(contract.TARGET_GROUPS)
                for value, g in zip((r.a, r.b), order, strict=False):
                    out.append(make("count", value=value, items=items, groups=(g,)))
                continue
            if r.kind == "all_of":
                word = "alle" if (r.word or "").startswith("samtlige") else " ".join((r.word or "").split())
                out.append(make("quantifier", word=word, value2=r.a, items=items, groups=claim_groups))
                continue
            if r.kind == "change":
                compared = _years_compared(masked[start:end], self.year) or ((-1, None),)
                out.append(make("change", value=r.a, value2=r.b, items=items, groups=claim_groups,
                                 periods=compared[:1]))
                continue
            if r.kind == "at_year":
                out.append(make("count", value=r.a, items=items, groups=claim_groups, at_year=r.year))
                continue
            if r.kind == "difference":
                sign = 1 if r.word in UP_WORDS else -1
                out.append(make("difference", value=sign * (r.a or 0), items=items, groups=claim_groups,
                                 periods=((r.year, None),)))
                continue
            kind = "count" if r.kind == "count" else r.kind
            if kind == "base" and not items:
                items = (_any_item(self.context.questions[0]),)
            out.append(make(kind, value=r.a, value2=r.b, word=r.word, items=items, groups=claim_groups))
        out = _fill_items(out)
        lead = LEADING_YEAR.match(masked, start)
        if lead and int(lead.group(1)) != self.year:  # "I 2023 hadde 41 sentre ...": that year's figures
            out = [replace(c, at_year=int(lead.group(1))) if c.kind == "count" and c.at_year is None else c
                   for c in out]
        out.extend(self._trends(index, start, end, mentions, groups, carry_groups, raws))
        return out

    def _scope(self, mentions: list[Mention], r: _Raw, prev_end: int, next_start: int, text: str, *,
               backward: bool) -> tuple[ItemRef, ...]:
        after = [k for k, m in enumerate(mentions) if r.end <= m.start < next_start]
        before = [k for k, m in enumerate(mentions) if prev_end <= m.start and m.end <= r.start]
        if backward and before:
            return _refs(_list_before(mentions, before[-1], text, prev_end))
        if after:
            return _refs(_list_after(mentions, after[0], text, next_start))
        if before:
            return _refs(_list_before(mentions, before[-1], text, prev_end))
        return ()

    def _groups(self, groups: list[tuple[int, tuple[str, ...]]], r: _Raw, next_start: int, start: int,
                carry: tuple[str, ...] | None) -> tuple[str, ...] | None:
        after = [gs for pos, gs in groups if r.end <= pos < next_start]
        if after:
            return after[0]
        before = [gs for pos, gs in groups if start <= pos < r.start]
        if before:
            return before[-1]
        return carry

    def _trends(self, index: int, start: int, end: int, mentions: list[Mention],
                groups: list[tuple[int, tuple[str, ...]]], carry: tuple[str, ...] | None,
                raws: list[_Raw]) -> list[Claim]:
        masked = self.masked
        sentence = masked[start:end]
        if SAME_AS_BEFORE.search(sentence) and self.last_trends:
            items = _refs(mentions)
            if not items:
                return []
            copies = [replace(c, items=items, start=start, end=end, line=line_of(self.text, start),
                              text=" ".join(self.text[start:end].split())[:120], paragraph=index)
                      for c in self.last_trends]
            return copies
        periods = _years_compared(sentence, self.year)
        directions = [m for m in DIRECTION.finditer(masked, start, end)
                      if not any(r.start <= m.start() < r.end for r in raws)
                      and not any(x.start <= m.start() < x.end for x in mentions)]
        out: list[Claim] = []
        for k, d in enumerate(directions):
            nxt = directions[k + 1].start() if k + 1 < len(directions) else end
            prv = directions[k - 1].end() if k else start
            up = d.group(1).lower() in UP_WORDS
            if not periods:
                gc = GROUP_COMPARISON.match(masked[d.end():nxt])
                if gc is None:
                    continue
                g = gc.group("g").lower()
                items = _refs([m for m in mentions if d.end() <= m.start < nxt])
                if items:
                    shown = " ".join(self.text[d.start():nxt].split())[:120]
                    out.append(Claim("versus_group", d.start(), d.end(), shown,
                                     line_of(self.text, d.start()), index, word="up" if up else "down",
                                     items=items, groups=(g,)))
                continue
            after = [m for m in mentions if d.end() <= m.start < nxt]
            before = [m for m in mentions if prv <= m.start and m.end <= d.start()]
            items = _refs(after or before)
            if not items:
                continue
            gs = [g for pos, g in groups if d.end() <= pos < (after[0].start if after else nxt)]
            earlier: list[tuple[str, ...] | None] = [g for pos, g in groups if start <= pos < d.start()]
            claim_groups = gs[0] if gs else (earlier or [carry])[-1]
            shifted = AFTER_A.search(masked[start:d.start()]) is not None
            ps = periods
            if shifted:
                first = periods[0][0]
                ps = ((first - 1, first),) if first is not None and first > 0 else ()
            out.append(Claim("trend", d.start(), d.end(), " ".join(self.text[d.start():nxt].split())[:120],
                             line_of(self.text, d.start()), index, word="up" if up else "down", items=items,
                             groups=claim_groups, periods=ps))
        trends = [c for c in out if c.kind == "trend"]
        if trends:
            self.last_trends = trends
        return out


def _any_item(question: str) -> ItemRef:
    """An item of the question, for a claim about the question's base (every item has the same)."""
    if question == contract.ORGANISERING:
        return ItemRef(question, "har_tilbud")
    return ItemRef(question, contract.MINST_ETT)


def block_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for line in text[start:end].splitlines(keepends=True):
        out.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return out


def _fill_items(claims: list[Claim]) -> list[Claim]:
    """A claim without item names of its own is about the items of the claim before it in the
    sentence ("37 sentre med botilbud til kvinner og 33 sentre ..."), else of the one after it
    ("alle ... med tilbud til menn, og 42 av 43 med tilbud til kvinner ... A og B")."""
    out = list(claims)
    for i, c in enumerate(out):
        if c.items or c.kind in ("percent", "tenths", "users", "share_base"):
            continue
        prev = next((p for p in reversed(out[:i]) if p.items), None)
        if prev is not None:
            out[i] = replace(c, items=prev.items)
            continue
        nxt = next((n for n in out[i + 1:] if n.items), None)
        if nxt is not None:
            out[i] = replace(c, items=nxt.items)
    return out


def read(text: str, year: int, question: str | None = None) -> Reading:
    """Every claim, quoted label and doubled capital of a text about `year`."""
    return _Reader(text, year, context_for(question)).read()
