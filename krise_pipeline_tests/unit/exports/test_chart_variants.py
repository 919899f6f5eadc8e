"""The variants of a chart the page's controls choose between, and the page's publishing states,
from a small hand-made publication (expected values worked out by hand from the figures below)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from krise_pipeline.exports import chart_cache, charts, preview
from krise_pipeline.exports import chart_variants as cv
from krise_pipeline.exports.writer import write_exports
from krise_pipeline.metadata import contract
from krise_pipeline.publication.model import Offer, Publication, QuestionInfo, Release, load_publication
from krise_pipeline_tests.support.exports_fixture import build_publication, execute

Q = "tilbud_beboere"
BASE = {"kvinner": 12, "menn": 8}
# (year, item, label, target group, centres); items not in the codebook sort by their code
FIGURES = [
    (2022, "a_samtale", "Samtale", "kvinner", 10), (2022, "a_samtale", "Samtale", "menn", 5),
    (2023, "a_samtale", "Samtale", "kvinner", 11), (2023, "a_samtale", "Samtale", "menn", 6),
    (2024, "a_samtale", "Enesamtale", "kvinner", 12), (2024, "a_samtale", "Enesamtale", "menn", 7),
    (2023, "b_pass", "Barnepass", "kvinner", 3),
    (2024, "b_pass", "Barnepass", "kvinner", 4), (2024, "b_pass", "Barnepass", "menn", 2),
]


def _pub(statuses: tuple[str, str, str] = ("publisert", "publisert", "utkast")) -> Publication:
    offers = [Offer(y, Q, i, label, g, n, BASE[g], n / BASE[g]) for y, i, label, g, n in FIGURES]
    offers += [Offer(y, Q, contract.MINST_ETT, "Minst ett", g, BASE[g], BASE[g], 1.0)
               for y in (2022, 2023, 2024) for g in ("kvinner", "menn")]
    return Publication(
        questions=(QuestionInfo(Q, "kvinner_menn", "Tilbud til beboere", "Hva?", "Sentre", "Tilbud"),),
        offers=tuple(offers), shares=(), counts=(), label_changes=(),
        releases=tuple(Release(y, s, None, None) for y, s in zip((2022, 2023, 2024), statuses, strict=True)),
    )


def test_dimensions_of_a_question_for_women_and_men() -> None:
    dims = cv.dimensions(_pub(), Q, 2024)
    assert [(d.code, d.name) for d in dims] == [("item", "Tilbud"), ("group", "Sentre"), ("year", "År")]
    assert dims[0].values == ("a_samtale", "b_pass")
    assert dims[0].labels == ("Enesamtale", "Barnepass")  # the latest year's label
    assert dims[1].labels == ("Tilbud til kvinner", "Tilbud til menn")
    assert dims[2].values == ("2022", "2023", "2024")
    # 3 years x 2 orders of (Sentre, Tilbud), 2 target groups x 2 of (År, Tilbud), 2 items x 2 of (Sentre, År)
    assert len(cv.choices(dims)) == 14
    assert cv.default_choice(_pub(), Q, 2024) == cv.Choice("group", "item", "2024")


def test_years_as_series_for_one_target_group() -> None:
    pub = _pub()
    spec = cv.variant_spec(pub, Q, cv.Choice("year", "item", "kvinner"), cv.dimensions(pub, Q, 2024))
    assert spec.heading == "Tilbud til beboere, 2022–2024, tilbud til kvinner"
    assert spec.category_heading == "Tilbud"
    assert spec.labels == ("Enesamtale", "Barnepass")
    assert [(s.name, s.values, s.base, s.colour) for s in spec.series] == [
        ("2022", (10, None), 12, "#949494"), ("2023", (11, 3), 12, "#6E6E6E"), ("2024", (12, 4), 12, "#0E5A8A")]
    assert spec.alt_text == (
        "Liggende stolpediagram. Tilbud til beboere, 2022–2024, tilbud til kvinner. Hovedinndeling: År. "
        "Sekundærinndeling: Tilbud. 2022: enesamtale 10. 2023: enesamtale 11 og barnepass 3. "
        "2024: enesamtale 12 og barnepass 4.")
    table = preview.data_table(spec)
    assert "<caption>Tilbud til beboere, 2022–2024, tilbud til kvinner. Antall sentre.</caption>" in table
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    assert [re.sub(r"<[^>]+>", "|", r).replace("||", "|") for r in rows] == [
        "|Tilbud|2022|2023|2024|", "|Enesamtale|10|11|12|", "|Barnepass|–|3|4|"]


def test_years_as_rows_for_one_item_leave_out_a_year_without_figures() -> None:
    pub = _pub()
    spec = cv.variant_spec(pub, Q, cv.Choice("group", "year", "b_pass"), cv.dimensions(pub, Q, 2024))
    assert spec.heading == "Tilbud til beboere, 2022–2024, barnepass"
    assert (spec.category_heading, spec.items, spec.labels) == ("År", ("2023", "2024"), ("2023", "2024"))
    assert [(s.name, s.values, s.base) for s in spec.series] == [
        ("Tilbud til kvinner", (3, 4), None), ("Tilbud til menn", (None, 2), None)]


def test_items_as_series_in_one_year_use_that_years_labels() -> None:
    pub = _pub()
    spec = cv.variant_spec(pub, Q, cv.Choice("item", "group", "2023"), cv.dimensions(pub, Q, 2024))
    assert spec.heading == "Tilbud til beboere, 2023"
    assert spec.labels == ("Tilbud til kvinner", "Tilbud til menn")
    assert [(s.name, s.values, s.colour) for s in spec.series] == [
        ("Samtale", (11, 6), charts.ITEM_COLOURS[0]), ("Barnepass", (3, None), charts.ITEM_COLOURS[1])]


def test_the_charts_of_today_are_variants() -> None:
    pub = _pub()
    found = {v.choice: v.spec for v in cv.variants(pub, Q, 2024)}
    assert len(found) == 14
    assert cv.variants(pub, Q, 2024)[0].spec == charts.chart_spec(pub, Q, 2024)
    assert found[cv.Choice("group", "item", "2023")] == charts.chart_spec(pub, Q, 2023)
    assert [s.name for s in found[cv.Choice("group", "item", "2022")].series] == [
        "Tilbud til kvinner (12 sentre)", "Tilbud til menn (8 sentre)"]


def test_a_publication_restricted_to_its_released_years() -> None:
    pub = _pub(("publisert", "revidert", "utkast"))
    assert pub.released_years == (2022, 2023)
    shown = pub.restricted_to(pub.released_years)
    assert shown.latest_year == 2023
    assert {o.year for o in shown.offers} == {2022, 2023}
    assert cv.dimensions(shown, Q, 2023)[2].values == ("2022", "2023")
    assert cv.dimensions(shown, Q, 2023)[0].labels == ("Samtale", "Barnepass")
    assert _pub(("utkast", "utkast", "utkast")).released_years == ()


def test_variant_templates_are_kept_once() -> None:
    pub = _pub()
    store = preview.VariantTemplates()
    spec = charts.chart_spec(pub, Q, 2024)
    first = store.add(spec)
    assert store.add(spec) == first and len(store.fragments) == 1
    assert store.add(charts.chart_spec(pub, Q, 2023)) != first
    assert store.html().count("<template ") == 2


def test_chart_controls_are_labelled_selects() -> None:
    pub = _pub()
    html = preview.chart_controls(Q, cv.dimensions(pub, Q, 2024), cv.default_choice(pub, Q, 2024))
    assert '<label for="c-tilbud_beboere-main">Hovedinndeling</label>' in html
    assert '<label for="c-tilbud_beboere-secondary">Sekundærinndeling</label>' in html
    assert re.findall(r'<select id="c-tilbud_beboere-(\w+)"', html) == ["main", "secondary", "item", "group", "year"]
    assert '<div data-for="year">' in html and '<div data-for="item" hidden>' in html
    assert '<option value="2024" selected>2024</option>' in html


def _page(db: Path) -> tuple[str, str, str]:
    """(the page without JavaScript, the page as published, the whole file)."""
    pub = load_publication(db)
    rendered = {q.question: charts.render_question(pub, q.question, pub.latest_year) for q in pub.questions}
    html = preview.render_html(pub, rendered)
    start = html.find('<template id="side-publisert"')
    shown = html[:html.index("<template")]
    published = html[start:html.index("</template>", start)] if start >= 0 else ""
    return shown, published, html


def test_preview_of_a_draft_holds_the_page_as_published(tmp_path: Path) -> None:
    shown, published, _ = _page(build_publication(tmp_path / "publication.duckdb"))
    assert "Forhåndsvisning: velg publiserings-status" in shown
    assert "UTKAST" in shown and "Statistikkår 2024" in shown
    assert "Statistikkår 2023 · Publisert" in published
    assert "2024" not in published and "UTKAST" not in published
    assert 'data-title="Bo- og dagtilbud 2023 – krisesenterstatistikken"' in published


def test_preview_when_no_year_is_released_or_the_latest_is(tmp_path: Path) -> None:
    db = build_publication(tmp_path / "publication.duckdb")
    execute(db, "update releases set status = 'utkast'")
    _, published, _ = _page(db)
    assert preview.NOTHING_RELEASED in published and "<svg" not in published
    execute(db, "update releases set status = 'publisert'")
    shown, published, html = _page(db)
    assert published == "" and "velg publiserings-status" not in html and "UTKAST" not in shown


def test_a_page_of_the_released_years_only(tmp_path: Path) -> None:
    pub = load_publication(build_publication(tmp_path / "publication.duckdb"))
    html = preview.render_page(pub.restricted_to(pub.released_years))
    assert "2024" not in html and "velg publiserings-status" not in html
    assert "Statistikkår 2023" in html and 'data-for="year"' in html


def test_chart_variants_are_drawn_again_only_when_changed(tmp_path: Path) -> None:
    db = build_publication(tmp_path / "publication.duckdb")
    out = tmp_path / "exports"
    write_exports(db, out)
    record = out / "charts" / chart_cache.VARIANTS_FILE
    drawn = json.loads(record.read_text(encoding="utf-8"))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(svg in page for svg in drawn.values())
    # A mark only a reused variant can carry
    marked = {k: v.replace("</svg>", "<!-- reused -->\n</svg>") for k, v in drawn.items()}
    record.write_text(json.dumps(marked), encoding="utf-8")
    write_exports(db, out)
    again = (out / "index.html").read_text(encoding="utf-8")
    assert all(svg in again for svg in marked.values())
    record.write_text("{damaged", encoding="utf-8")
    write_exports(db, out)
    assert (out / "index.html").read_text(encoding="utf-8") == page
    assert json.loads(record.read_text(encoding="utf-8")) == drawn
