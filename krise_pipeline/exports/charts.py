"""The chart of each question for the latest year, as PNG and SVG, with alt text.

Main grouping "Sentre": horizontal grouped bars, women and men side by side, items in codebook
order, values labelled. Main grouping "År": the same items with one bar per year (the last
`YEAR_SERIES_LENGTH` years). Output is deterministic: a fixed SVG hash salt, glyphs as paths,
no dates in the metadata.
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, Final

from krise_pipeline import contract
from krise_pipeline.exports import texts
from krise_pipeline.exports.model import Publication
from krise_pipeline.exports.rules import format_int
from krise_pipeline.exports.texts import YEAR_SERIES_LENGTH
from krise_pipeline.exports.vocabulary import TARGET_GROUP_NAMES

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.figure import Figure

WIDTH_IN: Final = 7.2
PNG_DPI: Final = 150
LABEL_WRAP: Final = 44

GROUP_COLOURS: Final = {"kvinner": "#0E5A8A", "menn": "#C25E14", "alle": "#0E5A8A"}
LATEST_YEAR_COLOUR: Final = "#0E5A8A"
EARLIER_YEAR_COLOURS: Final = ("#D4D4D4", "#B4B4B4", "#949494", "#6E6E6E")
TEXT_COLOUR: Final = "#222222"
GRID_COLOUR: Final = "#E3E3E3"



@dataclass(frozen=True)
class Series:
    key: str
    name: str
    values: tuple[int | None, ...]
    base: int | None
    colour: str


@dataclass(frozen=True)
class ChartSpec:
    question: str
    title: str
    year: int
    category_heading: str
    items: tuple[str, ...]
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    alt_text: str

    @property
    def is_empty(self) -> bool:
        return not self.items or not self.series


def chart_spec(pub: Publication, question: str, year: int) -> ChartSpec:
    """What the chart shows: items (codebook order) x series (target groups, or years)."""
    q = pub.question(question)
    items = pub.items(question, year)
    labels = tuple(_label(pub, question, item, year) for item in items)
    series: list[Series] = []
    if q.is_year_series:
        years = [y for y in pub.years(question) if y <= year][-YEAR_SERIES_LENGTH:]
        earlier = EARLIER_YEAR_COLOURS[-(len(years) - 1):] if len(years) > 1 else ()
        colours = (*earlier, LATEST_YEAR_COLOUR)
        for y, colour in zip(years, colours, strict=True):
            group = contract.TARGET_GROUP_ALL
            values = tuple(_n(pub, y, question, item, group) for item in items)
            series.append(Series(str(y), str(y), values, pub.base(y, question, group), colour))
    else:
        for group in pub.target_groups(question):
            values = tuple(_n(pub, year, question, item, group) for item in items)
            if all(v is None for v in values):
                continue
            base = pub.base(year, question, group)
            if question == contract.ORGANISERING:
                name = TARGET_GROUP_NAMES[group]
            else:
                name = f"{TARGET_GROUP_NAMES[group]} ({format_int(base or 0)} sentre)"
            series.append(Series(group, name, values, base, GROUP_COLOURS.get(group, LATEST_YEAR_COLOUR)))
    return ChartSpec(
        question=question,
        title=q.title,
        year=year,
        category_heading=q.secondary_grouping,
        items=items,
        labels=labels,
        series=tuple(series),
        alt_text=texts.alt_text(pub, question, year),
    )


def _label(pub: Publication, question: str, item: str, year: int) -> str:
    for group in pub.target_groups(question):
        o = pub.offer(year, question, item, group)
        if o is not None:
            return o.label
    return item


def _n(pub: Publication, year: int, question: str, item: str, group: str) -> int | None:
    o = pub.offer(year, question, item, group)
    return None if o is None else o.n_centres


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_WRAP)) or " "


def _figure(spec: ChartSpec) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    n_items = max(len(spec.items), 1)
    n_series = max(len(spec.series), 1)
    lines = sum(max(1, len(textwrap.wrap(label, LABEL_WRAP))) for label in spec.labels) or 1
    row_h = max(0.22 * n_series + 0.2, 0.17 * max(1, lines / n_items) + 0.12)
    height = 1.1 + n_items * row_h
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot()
    if spec.is_empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"Ingen tall for {spec.year}", ha="center", va="center", transform=ax.transAxes)
        return fig
    bar_h = 0.8 / n_series
    xmax = max([s.base or 0 for s in spec.series] + [v or 0 for s in spec.series for v in s.values] + [1])
    pad = xmax * 0.012
    present = [[j for j, s in enumerate(spec.series) if s.values[i] is not None] for i in range(n_items)]
    for j, s in enumerate(spec.series):
        for i, value in enumerate(s.values):
            if value is None:
                continue
            slots = present[i]
            y = i + (slots.index(j) - (len(slots) - 1) / 2) * bar_h
            ax.barh(y, value, height=bar_h * 0.92, color=s.colour, zorder=2)
            ax.text(value + pad, y, format_int(value), va="center", ha="left", fontsize=8.5, zorder=3)
    ax.set_yticks(range(n_items), [_wrap(label) for label in spec.labels])
    ax.tick_params(axis="y", length=0, labelsize=9)
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_ylim(n_items - 0.5, -0.5)
    ax.set_xlim(0, xmax * 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("Antall sentre", fontsize=9)
    handles = [Patch(facecolor=s.colour, label=s.name) for s in spec.series]
    fig.legend(handles=handles, loc="outside upper left", ncols=min(len(handles), 5), frameon=False,
               fontsize=9, handlelength=1.2)
    return fig


_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def _prefix_ids(svg: str, prefix: str) -> str:
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = _HREF.sub(lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    return _URL.sub(lambda m: f"url(#{prefix}{m.group(1)})", svg)


def svg_element(spec: ChartSpec, raw_svg: str) -> str:
    """The <svg> element with unique ids, role="img", <title> and <desc> (alt text)."""
    prefix = f"chart-{spec.question}-"
    body = _prefix_ids(raw_svg[raw_svg.index("<svg"):], prefix)
    end = body.index(">") + 1
    title_id, desc_id = f"{prefix}title", f"{prefix}desc"
    opening = body[: end - 1] + f' role="img" aria-labelledby="{title_id} {desc_id}">'
    title = f"{spec.title}, {spec.year}"
    return (
        f'{opening}\n <title id="{title_id}">{escape(title, quote=False)}</title>\n'
        f' <desc id="{desc_id}">{escape(spec.alt_text, quote=False)}</desc>{body[end:]}'
    )


@dataclass(frozen=True)
class RenderedChart:
    spec: ChartSpec
    svg: str
    """The complete SVG document (standalone file)."""
    svg_inline: str
    """The <svg> element alone, for embedding in HTML."""
    png: bytes


RC_PARAMS: Final[dict[str, Any]] = {
    "svg.hashsalt": "krise_pipeline",
    "svg.fonttype": "path",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": "#888888",
    "text.color": TEXT_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
}
XML_DECLARATION: Final = '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'


def render(spec: ChartSpec) -> RenderedChart:
    """Draw the chart as SVG and as PNG.

    Each file gets the constrained layout solved at its own resolution: a layout solved once for
    both (0.05 s a chart) lets long labels touch the PNG's edge, as text is wider at 150 dpi.
    """
    import matplotlib

    with matplotlib.rc_context(RC_PARAMS):  # type: ignore[arg-type]
        fig = _figure(spec)
        svg_buf = io.StringIO()
        fig.savefig(svg_buf, format="svg", metadata={"Date": None})
        png_buf = io.BytesIO()
        fig.savefig(png_buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return from_files(spec, XML_DECLARATION + svg_element(spec, svg_buf.getvalue()), png_buf.getvalue())


def from_files(spec: ChartSpec, svg_document: str, png: bytes) -> RenderedChart:
    """The rendered chart of `spec` from its SVG document and PNG (as written by `render`)."""
    element = svg_document[svg_document.index("<svg"):]
    return RenderedChart(spec, svg_document, _METADATA.sub("", element), png)


def render_question(pub: Publication, question: str, year: int) -> RenderedChart:
    return render(chart_spec(pub, question, year))
