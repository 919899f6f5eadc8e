"""The charts' SVG and PNG drawn from hand-made chart specs.

Expected values are worked out by hand from the specs: the axis runs to 110 % of the largest value
or base, so a bar's length is its value over that.
"""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from PIL import Image

from krise_pipeline.exports import charts
from krise_pipeline.exports.charts import ChartSpec, Series

NS = "{http://www.w3.org/2000/svg}"
BLUE, ORANGE = "#0E5A8A", "#C25E14"
LONG_LABEL = "Hjelp i forbindelse med samvær/overlevering av barn & <andre>"  # 62 characters: two lines

SPEC = ChartSpec(
    question="tilbud_test",
    title="Tilbud til beboere",
    year=2024,
    category_heading="Tilbud",
    items=("inntak", "samvaer", "barnepass"),
    labels=("Inntakssamtale", LONG_LABEL, "Barnepass"),
    series=(
        Series("kvinner", "Tilbud til kvinner (40 sentre)", (40, 10, None), 40, BLUE),
        Series("menn", "Tilbud til menn (20 sentre)", (20, 5, 15), 20, ORANGE),
    ),
    alt_text="Liggende stolpediagram. Alle 40 sentre for kvinner tilbød inntakssamtale & mer.",
)
EMPTY = ChartSpec("tom", "Tom", 2024, "Tilbud", (), (), (), "Ingen tall.")


def _svg(spec: ChartSpec) -> ElementTree.Element:
    return ElementTree.fromstring(charts.render(spec).svg)


def _of(root: ElementTree.Element, tag: str, kind: str) -> list[ElementTree.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if e.get("class") == f"chart-{kind}"]


def _f(e: ElementTree.Element, name: str) -> float:
    return float(e.get(name) or "nan")


def test_svg_is_an_accessible_image_with_the_alt_text() -> None:
    root = _svg(SPEC)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-tilbud_test-title chart-tilbud_test-desc"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text == "Tilbud til beboere, 2024"
    assert title.get("id") == "chart-tilbud_test-title"
    assert desc is not None and desc.text == SPEC.alt_text
    assert root.get("viewBox", "").startswith("0 0 518.4 ")


def test_bar_lengths_are_proportional_to_the_values() -> None:
    root = _svg(SPEC)
    (axis,) = _of(root, "rect", "axis")
    bars = _of(root, "rect", "bar")
    # Item by item, women before men; the missing value (barnepass, kvinner) has no bar.
    assert [b.get("fill") for b in bars] == [c.lower() for c in (BLUE, ORANGE, BLUE, ORANGE, ORANGE)]
    axis_width = _f(axis, "width")  # the axis is 1.1 x 40 = 44 centres long
    for bar, value in zip(bars, (40, 20, 10, 5, 15), strict=True):
        assert _f(bar, "x") == _f(axis, "x")
        assert _f(bar, "width") == pytest.approx(axis_width * value / 44, abs=0.01)
    tops = [_f(b, "y") for b in bars]
    assert tops == sorted(tops)  # items from the top down in codebook order
    heights = {_f(b, "height") for b in bars}
    assert len(heights) == 1


def test_values_items_ticks_and_legend_are_labelled() -> None:
    root = _svg(SPEC)
    assert [t.text for t in _of(root, "text", "value")] == ["40", "20", "10", "5", "15"]
    items = _of(root, "text", "item")
    # Wrapped at 44 characters: the first line breaks before "av" (46 characters with it).
    assert [t.text for t in items] == ["Inntakssamtale", "Hjelp i forbindelse med samvær/overlevering",
                                       "av barn & <andre>", "Barnepass"]
    (axis,) = _of(root, "rect", "axis")
    assert {t.get("text-anchor") for t in items} == {"end"}
    assert [_f(t, "x") for t in items] == pytest.approx([_f(axis, "x") - 3.5] * 4, abs=0.01)
    assert [t.text for t in _of(root, "text", "tick")] == ["0", "5", "10", "15", "20", "25", "30", "35", "40"]
    assert [t.text for t in _of(root, "text", "axis")] == ["Antall sentre"]
    assert [t.text for t in _of(root, "text", "legend")] == ["Tilbud til kvinner (40 sentre)",
                                                             "Tilbud til menn (20 sentre)"]
    assert [k.get("fill") for k in _of(root, "rect", "key")] == [BLUE.lower(), ORANGE.lower()]


def test_a_value_the_publication_lacks_gets_neither_bar_nor_label() -> None:
    spec = ChartSpec("q", "T", 2024, "Tilbud", ("a",), ("A",),
                     (Series("kvinner", "K", (None,), 12, BLUE), Series("menn", "M", (7,), 12, ORANGE)), "alt")
    root = _svg(spec)
    bars = _of(root, "rect", "bar")
    assert [b.get("fill") for b in bars] == [ORANGE.lower()]
    assert [t.text for t in _of(root, "text", "value")] == ["7"]
    assert ".." not in charts.render(spec).svg


def test_one_bar_per_year_in_a_year_series() -> None:
    greys = ("#B4B4B4", "#949494", "#0E5A8A")
    spec = ChartSpec("info", "Informasjon", 2024, "Tiltak", ("a",), ("A",),
                     tuple(Series(str(y), str(y), (v,), 50, c) for y, v, c in zip((2022, 2023, 2024), (30, 33, 36),
                                                                                     greys, strict=True)), "alt")
    root = _svg(spec)
    assert [b.get("fill") for b in _of(root, "rect", "bar")] == [c.lower() for c in greys]
    assert [t.text for t in _of(root, "text", "legend")] == ["2022", "2023", "2024"]
    assert [t.text for t in _of(root, "text", "tick")] == ["0", "10", "20", "30", "40", "50"]  # up to 55


def test_an_empty_chart_says_so() -> None:
    root = _svg(EMPTY)
    assert [t.text for t in root.iter(f"{NS}text")] == ["Ingen tall for 2024"]
    assert not _of(root, "rect", "bar")
    assert Image.open(io.BytesIO(charts.render(EMPTY).png)).format == "PNG"


def test_the_same_spec_gives_the_same_bytes() -> None:
    first, second = charts.render(SPEC), charts.render(SPEC)
    assert first.svg == second.svg
    assert first.png == second.png
    assert first.svg_inline == first.svg[first.svg.index("<svg"):]


def test_png_is_the_same_drawing_at_150_dpi() -> None:
    rendered = charts.render(SPEC)
    root = ElementTree.fromstring(rendered.svg)
    height_pt = float(root.get("viewBox", "").split()[3])
    image = Image.open(io.BytesIO(rendered.png))
    assert image.format == "PNG"
    assert image.size == (1080, round(height_pt * 150 / 72))  # 7.2 in wide
    rgb = image.convert("RGB")
    scale = 150 / 72
    for bar in _of(root, "rect", "bar")[:2]:
        middle = ((_f(bar, "x") + _f(bar, "width") / 2) * scale, (_f(bar, "y") + _f(bar, "height") / 2) * scale)
        fill = bar.get("fill", "")
        assert rgb.getpixel((round(middle[0]), round(middle[1]))) == tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
    assert rgb.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(("upper", "expected"), [
    (47.3, tuple(range(0, 46, 5))),  # 43 centres: 0, 5, ..., 45 as on the published charts
    (1.1, (0, 1)),
    (27.5, (0, 5, 10, 15, 20, 25)),  # no step of 2.5
    (110.0, (0, 20, 40, 60, 80, 100)),
    (220.0, (0, 25, 50, 75, 100, 125, 150, 175, 200)),  # a step of 25 is a whole number
])
def test_ticks_are_whole_numbers_at_most_ten_steps(upper: float, expected: tuple[int, ...]) -> None:
    assert charts.ticks(upper) == expected
