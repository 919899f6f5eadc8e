"""The chart of each question for the latest year, as SVG and PNG, with alt text.

Main grouping "Sentre": horizontal grouped bars, women and men side by side, items in codebook
order, values labelled. Main grouping "År": the same items with one bar per year (the last
`YEAR_SERIES_LENGTH` years). A question without figures gets a chart saying so.

`layout` solves the chart once, in points, from the spec and the advance widths of the packaged
DejaVu Sans (`data/DejaVuSans-subset.ttf`): boxes (bars, grid, axis, ticks, legend keys) and text
lines placed by their baseline. `svg_element` writes it as SVG (text as <text> in a font stack
led by DejaVu Sans, role="img", <title> and <desc> with the alt text); `png_bytes` draws the same
layout with Pillow at 150 dpi in the packaged font. Both are deterministic: the same spec gives
the same bytes.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

from krise_pipeline.language import texts
from krise_pipeline.language.rules import format_int
from krise_pipeline.language.texts import YEAR_SERIES_LENGTH
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import TARGET_GROUP_NAMES
from krise_pipeline.publication.model import Publication

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

WIDTH_PT: Final = 518.4  # 7.2 in
PNG_DPI: Final = 150
LABEL_WRAP: Final = 44

GROUP_COLOURS: Final = {"kvinner": "#0E5A8A", "menn": "#C25E14", "alle": "#0E5A8A"}
LATEST_YEAR_COLOUR: Final = "#0E5A8A"
EARLIER_YEAR_COLOURS: Final = ("#D4D4D4", "#B4B4B4", "#949494", "#6E6E6E")
ITEM_COLOURS: Final = ("#0E5A8A", "#C25E14", "#3A8A3A", "#8A3A7A", "#B8A200", "#5A5A5A", "#2AA0C8", "#D65A8A",
                       "#7A5A2A", "#6A7AD0")
"""Series that are items (a chart a reader regrouped), in turn."""
TEXT_COLOUR: Final = "#222222"
GRID_COLOUR: Final = "#E3E3E3"
AXIS_COLOUR: Final = "#888888"
BACKGROUND: Final = "#FFFFFF"

FONT_FILE: Final = "DejaVuSans-subset.ttf"
FONT_FAMILY: Final = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, Geneva, sans-serif"

# Sizes and distances in points.
LABEL_SIZE: Final = 9.0  # item labels, legend, axis title
VALUE_SIZE: Final = 8.5  # value labels, tick labels
EMPTY_SIZE: Final = 10.0
EDGE: Final = 3.0  # between the figure's edge and what it holds
TICK_LENGTH: Final = 3.5
TICK_PAD: Final = 3.5
AXIS_TITLE_PAD: Final = 4.0
LINE_WIDTH: Final = 0.8
LINE_SPACING: Final = 1.2  # between the baselines of a wrapped label, in em
ASCENT: Final = 0.76  # a text line: 0.76 em above the baseline and 0.24 em below
LINE_HEIGHT: Final = 1.0
BAR_SHARE: Final = 0.8  # of an item's row taken by its bars
BAR_FILL: Final = 0.92  # of a bar's slot taken by the bar
VALUE_GAP: Final = 0.012  # between a bar and its value, as a share of the largest value
X_HEADROOM: Final = 1.1  # the axis runs to 110 % of the largest value or base
MAX_TICKS: Final = 10
# The legend above the plot, in em of LABEL_SIZE: margins, key, gaps.
LEGEND_MARGIN: Final = 0.5
LEGEND_PAD: Final = 0.4
KEY_WIDTH: Final = 1.2
KEY_HEIGHT: Final = 0.7
KEY_GAP: Final = 0.8
COLUMN_GAP: Final = 2.0
ROW_GAP: Final = 0.5
LEGEND_COLUMNS: Final = 5


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
    period: str = ""
    """What the title says after the chart's name ("2020–2024, tilbud til kvinner"); the year when empty."""

    @property
    def heading(self) -> str:
        """'Tilbud til beboere, 2024': the chart's title as the SVG, the caption and the table give it."""
        return f"{self.title}, {self.period or self.year}"

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


@lru_cache(maxsize=4096)
def _wrap(label: str) -> tuple[str, ...]:
    """The label's lines (the same labels come back in every variant of a chart)."""
    return tuple(textwrap.wrap(label, LABEL_WRAP)) or ("",)


# --- the layout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A filled rectangle, in points from the top left corner."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    kind: Literal["grid", "bar", "axis", "tick", "key"]


@dataclass(frozen=True)
class Text:
    """One line of text; y is its baseline."""

    x: float
    y: float
    text: str
    size: float
    anchor: Literal["start", "middle", "end"]
    kind: Literal["item", "value", "tick", "axis", "legend", "empty"]


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    """In painting order: grid, bars, axis, ticks, legend keys."""
    texts: tuple[Text, ...]


@cache
def font_bytes() -> bytes:
    return resources.files("krise_pipeline").joinpath("data", FONT_FILE).read_bytes()


@cache
def has_raqm() -> bool:
    from PIL import features

    return bool(features.check_feature("raqm"))


@cache
def _font(pixels: float, *, exact: bool = False) -> FreeTypeFont:
    """The packaged font at `pixels` per em. Text is laid out by FreeType alone when `exact` (or
    without libraqm), by libraqm otherwise: it places glyphs at their unhinted advances, so a line
    is as wide as the layout measured it (FreeType's hinted advances are 2 % wider at 150 dpi)."""
    from PIL import ImageFont

    engine = ImageFont.Layout.RAQM if not exact and has_raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(io.BytesIO(font_bytes()), pixels, layout_engine=engine)


METRICS_SIZE: Final = 2048  # the font's units per em: unhinted advance widths in whole pixels


@lru_cache(maxsize=4096)
def _advance(text: str) -> float:
    return _font(METRICS_SIZE, exact=True).getlength(text) / METRICS_SIZE


def text_width(text: str, size: float) -> float:
    """The advance width of one line in DejaVu Sans at `size` points."""
    return _advance(text) * size


def ticks(upper: float) -> tuple[int, ...]:
    """Whole-number ticks from 0 up to `upper`: the first step of 1, 2, 5 (or 2.5 when a whole
    number) times a power of ten that gives at most MAX_TICKS intervals."""
    raw = upper / MAX_TICKS
    scale = 10.0 ** math.floor(math.log10(raw))
    candidates = [m * scale for m in (1, 2, 2.5, 5, 10)]
    whole = [c for c in candidates if c < 1 or abs(c - round(c)) < 1e-9]
    step = next((c for c in whole if c >= raw * (1 - 1e-10)), whole[-1])
    step_int = max(1, round(step))
    return tuple(range(0, math.floor(upper + 1e-9) + 1, step_int))


def _height(spec: ChartSpec) -> float:
    n_items = max(len(spec.items), 1)
    n_series = max(len(spec.series), 1)
    lines = sum(len(_wrap(label)) for label in spec.labels) or 1
    row = max(0.22 * n_series + 0.2, 0.17 * max(1, lines / n_items) + 0.12)
    return (1.1 + n_items * row) * 72


def _legend(spec: ChartSpec) -> tuple[list[Box], list[Text], float]:
    """The legend's keys and names, top left above the plot; and the height it takes."""
    em = LABEL_SIZE
    n = len(spec.series)
    n_columns = min(n, LEGEND_COLUMNS)
    n_rows = math.ceil(n / n_columns)
    # Column by column, the first columns one entry longer when they do not come out even.
    columns: list[list[Series]] = []
    rest = list(spec.series)
    for c in range(n_columns):
        take = n_rows if c < n % n_columns or n % n_columns == 0 else n_rows - 1
        columns.append(rest[:take])
        rest = rest[take:]
    boxes: list[Box] = []
    labels: list[Text] = []
    start = (LEGEND_MARGIN + LEGEND_PAD) * em  # from the top and from the left
    x = start
    for column in columns:
        for r, s in enumerate(column):
            baseline = start + ASCENT * em + r * (LINE_HEIGHT + ROW_GAP) * em
            boxes.append(Box(x, baseline - KEY_HEIGHT * em, KEY_WIDTH * em, KEY_HEIGHT * em, s.colour, "key"))
            labels.append(Text(x + (KEY_WIDTH + KEY_GAP) * em, baseline, s.name, em, "start", "legend"))
        widest = max(text_width(s.name, em) for s in column)
        x += (KEY_WIDTH + KEY_GAP + COLUMN_GAP) * em + widest
    height = (2 * LEGEND_MARGIN + 2 * LEGEND_PAD + n_rows * LINE_HEIGHT + (n_rows - 1) * ROW_GAP) * em
    return boxes, labels, height


def layout(spec: ChartSpec) -> Layout:
    """Where every bar, line and text of the chart goes, in points."""
    width, height = WIDTH_PT, _height(spec)
    if spec.is_empty:
        message = Text(width / 2, height / 2 + (ASCENT - LINE_HEIGHT / 2) * EMPTY_SIZE,
                       f"Ingen tall for {spec.period or spec.year}", EMPTY_SIZE, "middle", "empty")
        return Layout(width, height, (), (message,))
    keys, legend, legend_height = _legend(spec)
    wrapped = [_wrap(label) for label in spec.labels]
    widest = max(text_width(line, LABEL_SIZE) for lines in wrapped for line in lines)
    left = EDGE + widest + TICK_PAD
    right = width - EDGE
    top = legend_height
    bottom = height - (EDGE + LINE_HEIGHT * LABEL_SIZE + AXIS_TITLE_PAD + LINE_HEIGHT * VALUE_SIZE
                       + TICK_PAD + TICK_LENGTH)
    n_items = len(spec.items)
    row = (bottom - top) / n_items
    xmax = max([s.base or 0 for s in spec.series] + [v or 0 for s in spec.series for v in s.values] + [1])
    upper = xmax * X_HEADROOM
    per_unit = (right - left) / upper

    grid: list[Box] = []
    tick_marks: list[Box] = []
    labels: list[Text] = []
    for t in ticks(upper):
        x = left + t * per_unit
        grid.append(Box(x - LINE_WIDTH / 2, top, LINE_WIDTH, bottom - top, GRID_COLOUR, "grid"))
        tick_marks.append(Box(x - LINE_WIDTH / 2, bottom, LINE_WIDTH, TICK_LENGTH, TEXT_COLOUR, "tick"))
        labels.append(Text(x, bottom + TICK_LENGTH + TICK_PAD + ASCENT * VALUE_SIZE, str(t), VALUE_SIZE,
                           "middle", "tick"))
    labels.append(Text((left + right) / 2, bottom + TICK_LENGTH + TICK_PAD + LINE_HEIGHT * VALUE_SIZE
                       + AXIS_TITLE_PAD + ASCENT * LABEL_SIZE, "Antall sentre", LABEL_SIZE, "middle", "axis"))

    bars: list[Box] = []
    slot = BAR_SHARE / len(spec.series)
    for i, lines in enumerate(wrapped):
        centre = top + (i + 0.5) * row
        # The block of lines centred on the row, the letters' middle of a single line on its centre.
        first = centre + (ASCENT / 2 - (len(lines) - 1) * LINE_SPACING / 2) * LABEL_SIZE
        labels.extend(Text(left - TICK_PAD, first + k * LINE_SPACING * LABEL_SIZE, line, LABEL_SIZE, "end", "item")
                      for k, line in enumerate(lines))
        present = [(s.colour, v) for s in spec.series if (v := s.values[i]) is not None]
        for k, (colour, value) in enumerate(present):
            middle = centre + (k - (len(present) - 1) / 2) * slot * row
            bar_height = slot * BAR_FILL * row
            bars.append(Box(left, middle - bar_height / 2, value * per_unit, bar_height, colour, "bar"))
            labels.append(Text(left + (value + xmax * VALUE_GAP) * per_unit,
                               middle + (ASCENT - LINE_HEIGHT / 2) * VALUE_SIZE, format_int(value), VALUE_SIZE,
                               "start", "value"))
    axis = Box(left, bottom - LINE_WIDTH / 2, right - left, LINE_WIDTH, AXIS_COLOUR, "axis")
    return Layout(width, height, (*grid, *bars, axis, *tick_marks, *keys), (*labels, *legend))


# --- SVG and PNG ------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _num(x: float) -> str:
    """A coordinate with two decimals at most: 25.2, 170.65, 0."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_ANCHORS: Final = {"start": "ls", "middle": "ms", "end": "rs"}


def svg_element(spec: ChartSpec, drawing: Layout) -> str:
    """The <svg> element: role="img", <title>, <desc> (the alt text), then the drawing."""
    prefix = f"chart-{spec.question}-"
    title_id, desc_id = f"{prefix}title", f"{prefix}desc"
    w, h = _num(drawing.width), _num(drawing.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" '
        f'version="1.1" role="img" aria-labelledby="{title_id} {desc_id}">',
        f' <title id="{title_id}">{escape(spec.heading, quote=False)}</title>',
        f' <desc id="{desc_id}">{escape(spec.alt_text, quote=False)}</desc>',
        f' <rect width="{w}" height="{h}" fill="{BACKGROUND.lower()}"/>',
    ]
    parts.extend(
        f' <rect class="chart-{b.kind}" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.width)}" '
        f'height="{_num(b.height)}" fill="{b.colour.lower()}"/>'
        for b in drawing.boxes
    )
    parts.append(f' <g font-family="{FONT_FAMILY}" fill="{TEXT_COLOUR.lower()}">')
    for t in drawing.texts:
        anchor = "" if t.anchor == "start" else f' text-anchor="{t.anchor}"'
        parts.append(f'  <text class="chart-{t.kind}" x="{_num(t.x)}" y="{_num(t.y)}" font-size="{_num(t.size)}"'
                     f"{anchor}>{escape(t.text, quote=False)}</text>")
    parts.append(" </g>\n</svg>\n")
    return "\n".join(parts)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


PNG_COMPRESSION: Final = 3  # zlib level: 1/3 of the time of the default 6, files 15 % larger


def png_bytes(drawing: Layout, dpi: int = PNG_DPI) -> bytes:
    """The layout drawn with Pillow in the packaged font, `dpi` pixels per inch, as a palette PNG.

    The picture is drawn as palette indices: a grey #gggggg is index gg, and each other colour
    (bars, keys) gets an index below the text's grey. Text is grey on greys only (white, grid), so
    its antialiased edges blend to the greys between, which the palette holds.
    """
    from PIL import Image, ImageDraw

    scale = dpi / 72
    text_grey = _rgb(TEXT_COLOUR)[0]
    palette = [(g, g, g) for g in range(256)]
    indices: dict[str, int] = {}
    n_colours = 0
    for colour in dict.fromkeys(b.colour for b in drawing.boxes):
        r, g, b = _rgb(colour)
        if r == g == b:
            indices[colour] = r
            continue
        if n_colours >= text_grey:
            raise ValueError(f"more colours than the palette holds below the text's grey: {colour}")
        indices[colour], palette[n_colours] = n_colours, (r, g, b)
        n_colours += 1
    image = Image.new("L", (round(drawing.width * scale), round(drawing.height * scale)), _rgb(BACKGROUND)[0])
    draw = ImageDraw.Draw(image)
    for box in drawing.boxes:
        x0, y0 = round(box.x * scale), round(box.y * scale)
        x1 = max(x0 + 1, round((box.x + box.width) * scale))
        y1 = max(y0 + 1, round((box.y + box.height) * scale))
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=indices[box.colour])
    for t in drawing.texts:
        draw.text((t.x * scale, t.y * scale), t.text, fill=text_grey, font=_font(t.size * scale),
                  anchor=_ANCHORS[t.anchor])
    image.putpalette([v for rgb in palette for v in rgb])  # now a palette image
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESSION)
    return out.getvalue()


@dataclass(frozen=True)
class RenderedChart:
    spec: ChartSpec
    svg: str
    """The complete SVG document (standalone file)."""
    svg_inline: str
    """The <svg> element alone, for embedding in HTML."""
    png: bytes


XML_DECLARATION: Final = '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'


def render(spec: ChartSpec) -> RenderedChart:
    """The chart as SVG and as PNG, from one layout."""
    drawing = layout(spec)
    element = svg_element(spec, drawing)
    return RenderedChart(spec, XML_DECLARATION + element, element, png_bytes(drawing))


def from_files(spec: ChartSpec, svg_document: str, png: bytes) -> RenderedChart:
    """The rendered chart of `spec` from its SVG document and PNG (as written by `render`)."""
    return RenderedChart(spec, svg_document, svg_document[svg_document.index("<svg"):], png)


def render_question(pub: Publication, question: str, year: int) -> RenderedChart:
    return render(chart_spec(pub, question, year))
