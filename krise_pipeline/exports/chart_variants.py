"""Every way a reader can regroup a question's chart on the page, each as a chart spec.

A question's figures have three dimensions: the item (named by the question's secondary grouping,
e.g. "Tilbud"), the target group ("Sentre": women's and men's offers; left out of a question with
all centres only, unless its chart is grouped by it) and the year ("År": the last
`YEAR_SERIES_LENGTH` years up to the page's year). A variant picks the main grouping (the chart's
series, the legend) and the secondary grouping (the rows), both among the dimensions, and one
value of the dimension left over (the year, the target group or the item shown).

The variant the question's chart shows today (its own main grouping, the items as rows, the
page's year) is `charts.chart_spec` itself, so the page's chart without JavaScript is one of the
variants; the others are built here from the same figures and drawn by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from krise_pipeline.exports import charts
from krise_pipeline.exports.charts import ChartSpec, Series
from krise_pipeline.language.rules import format_int, join_nb, lower_first
from krise_pipeline.language.texts import YEAR_SERIES_LENGTH
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import TARGET_GROUP_NAMES
from krise_pipeline.publication.model import Publication

ITEM: Final = "item"
GROUP: Final = "group"
YEAR: Final = "year"
YEAR_NAME: Final = "År"
GROUP_NAME: Final = "Sentre"


@dataclass(frozen=True)
class Dimension:
    code: str
    """ITEM, GROUP or YEAR."""
    name: str
    """As the page's controls name it: "Tilbud", "Sentre", "År"."""
    values: tuple[str, ...]
    """Item codes, target groups, or years (as text), in the page's order."""
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    main: str
    secondary: str
    fixed: str
    """The value of the dimension neither grouping uses ('' when there is none)."""

    @property
    def key(self) -> str:
        return f"{self.main}|{self.secondary}|{self.fixed}"


@dataclass(frozen=True)
class Variant:
    choice: Choice
    spec: ChartSpec


def chart_years(pub: Publication, question: str, year: int) -> tuple[int, ...]:
    """The years a chart can show: the question's last YEAR_SERIES_LENGTH years up to `year`."""
    return tuple(y for y in pub.years(question) if y <= year)[-YEAR_SERIES_LENGTH:]


def item_label(pub: Publication, question: str, item: str, years: tuple[int, ...]) -> str:
    """The item's label in the latest of `years` with a figure for it."""
    for y in sorted(years, reverse=True):
        for group in pub.target_groups(question):
            o = pub.offer(y, question, item, group)
            if o is not None:
                return o.label
    return item


def dimensions(pub: Publication, question: str, year: int) -> tuple[Dimension, ...]:
    """The question's dimensions with the values they take in the chart's years."""
    q = pub.question(question)
    years = chart_years(pub, question, year)
    present = {i for y in years for i in pub.items(question, y)}
    items = tuple(i for i in pub.items(question) if i in present)
    offers = pub.offers_for(question)
    groups = tuple(g for g in pub.target_groups(question)
                   if any(o.target_group == g and o.year in years for o in offers))
    out = [Dimension(ITEM, q.secondary_grouping, items,
                     tuple(item_label(pub, question, i, years) for i in items))]
    if len(groups) > 1 or not q.is_year_series:
        out.append(Dimension(GROUP, q.main_grouping if not q.is_year_series else GROUP_NAME, groups,
                             tuple(TARGET_GROUP_NAMES.get(g, g) for g in groups)))
    out.append(Dimension(YEAR, YEAR_NAME, tuple(str(y) for y in years), tuple(str(y) for y in years)))
    return tuple(out)


def default_choice(pub: Publication, question: str, year: int,
                   dims: tuple[Dimension, ...] | None = None) -> Choice:
    """The grouping of the question's chart as the page has it: its main grouping, items as rows."""
    by_code = {d.code: d for d in (dims if dims is not None else dimensions(pub, question, year))}
    if pub.question(question).is_year_series:
        groups = by_code[GROUP].values if GROUP in by_code else ()
        fixed = contract.TARGET_GROUP_ALL if contract.TARGET_GROUP_ALL in groups or not groups else groups[0]
        return Choice(YEAR, ITEM, fixed if groups else "")
    return Choice(GROUP, ITEM, str(year))


def choices(dims: tuple[Dimension, ...]) -> list[Choice]:
    """Every (main, secondary) pair of different dimensions, with every value of the one left over."""
    out = []
    for main in dims:
        for secondary in dims:
            if main.code == secondary.code:
                continue
            rest = [d for d in dims if d.code not in (main.code, secondary.code)]
            for value in rest[0].values if rest else ("",):
                out.append(Choice(main.code, secondary.code, value))
    return out


def _is_natural(choice: Choice, default: Choice) -> bool:
    """Whether `charts.chart_spec` draws this choice (at the year it names), as it draws `default`."""
    if (choice.main, choice.secondary) != (default.main, default.secondary):
        return False
    return choice.main == GROUP or choice.fixed == default.fixed


def variant_spec(pub: Publication, question: str, choice: Choice, dims: tuple[Dimension, ...]) -> ChartSpec:
    """The chart of one choice: the secondary grouping's values as rows, the main grouping's as
    series, the figures (number of centres) of the fixed value; rows and series without any figure
    left out."""
    q = pub.question(question)
    by_code = {d.code: d for d in dims}
    series_dim, rows_dim = by_code[choice.main], by_code[choice.secondary]
    rest = next((d for d in dims if d.code not in (choice.main, choice.secondary)), None)
    fixed = {rest.code: choice.fixed} if rest is not None else {}
    window = tuple(int(y) for y in by_code[YEAR].values)
    fixed_year = int(fixed[YEAR]) if YEAR in fixed else None

    def value(coords: dict[str, str]) -> int | None:
        group = coords.get(GROUP, contract.TARGET_GROUP_ALL)
        o = pub.offer(int(coords[YEAR]), question, coords[ITEM], group)
        return None if o is None else o.n_centres

    def label(dim: Dimension, code: str) -> str:
        if dim.code == ITEM and fixed_year is not None:
            return item_label(pub, question, code, (fixed_year,))
        return dim.labels[dim.values.index(code)]

    table = {(s, r): value({**fixed, choice.main: s, choice.secondary: r})
             for s in series_dim.values for r in rows_dim.values}
    rows = [r for r in rows_dim.values if any(table[(s, r)] is not None for s in series_dim.values)]
    kept = [s for s in series_dim.values if any(table[(s, r)] is not None for r in rows)]
    series: list[Series] = []
    for k, s in enumerate(kept):
        coords = {**fixed, choice.main: s}
        base = pub.base(int(coords[YEAR]), question, coords.get(GROUP, contract.TARGET_GROUP_ALL)) \
            if YEAR in coords and (GROUP in coords or GROUP not in by_code) else None
        name = label(series_dim, s)
        if series_dim.code == GROUP and base is not None and question != contract.ORGANISERING:
            name = f"{name} ({format_int(base)} sentre)"
        if series_dim.code == GROUP:
            colour = charts.GROUP_COLOURS.get(s, charts.LATEST_YEAR_COLOUR)
        elif series_dim.code == YEAR:
            colour = (*charts.EARLIER_YEAR_COLOURS, charts.LATEST_YEAR_COLOUR)[k - len(kept)]
        else:
            colour = charts.ITEM_COLOURS[k % len(charts.ITEM_COLOURS)]
        series.append(Series(s, name, tuple(table[(s, r)] for r in rows), base, colour))
    span = f"{window[0]}–{window[-1]}" if len(window) > 1 else "".join(str(y) for y in window)
    period = str(fixed_year) if fixed_year is not None else span
    if rest is not None and rest.code != YEAR:
        period += f", {lower_first(label(rest, choice.fixed))}"
    labels = tuple(label(rows_dim, r) for r in rows)
    spec = ChartSpec(question=question, title=q.title, year=fixed_year or (window[-1] if window else 0),
                     category_heading=rows_dim.name, items=tuple(rows), labels=labels, series=tuple(series),
                     alt_text="", period=period)
    return replace(spec, alt_text=alt_text(spec, series_dim.name))


def alt_text(spec: ChartSpec, main_name: str) -> str:
    """'Liggende stolpediagram. Tilbud til beboere, 2020–2024, tilbud til kvinner. Hovedinndeling: År.
    Sekundærinndeling: Tilbud. 2020: inntakssamtale 43 og barnepass 25. 2021: ...'"""
    head = (f"Liggende stolpediagram. {spec.heading}. Hovedinndeling: {main_name}. "
            f"Sekundærinndeling: {spec.category_heading}.")
    if spec.is_empty:
        return f"{head} Ingen tall."
    parts = [head]
    for s in spec.series:
        shown = [f"{lower_first(label)} {format_int(v)}" for label, v in zip(spec.labels, s.values, strict=True)
                 if v is not None]
        parts.append(f"{s.name}: {join_nb(shown)}.")
    return " ".join(parts)


def variants(pub: Publication, question: str, year: int) -> list[Variant]:
    """Every variant of the question's chart on the page of `year`: the default first."""
    dims = dimensions(pub, question, year)
    default = default_choice(pub, question, year, dims)
    out = [Variant(default, charts.chart_spec(pub, question, year))]
    for choice in choices(dims):
        if choice == default:
            continue
        if _is_natural(choice, default):
            spec = charts.chart_spec(pub, question, int(choice.fixed) if choice.main == GROUP else year)
        else:
            spec = variant_spec(pub, question, choice, dims)
        out.append(Variant(choice, spec))
    return out
