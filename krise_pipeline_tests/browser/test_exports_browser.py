"""The preview page rendered in real headless Chromium (Debian package `chromium`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from krise_pipeline.exports.writer import write_exports
from krise_pipeline_tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, require_browser
from krise_pipeline_tests.support.exports_fixture import build_publication

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


@pytest.mark.slow
def test_preview_renders_in_chromium(tmp_path: Path) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright


    db = build_publication(tmp_path / "publication.duckdb")
    out = tmp_path / "exports"
    write_exports(db, out)
    page_url = (out / "index.html").resolve().as_uri()
    screenshot = tmp_path / "preview.png"
    requests: list[str] = []
    errors: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_url)

            banner = page.locator(".notice-draft")
            assert banner.is_visible()
            assert "UTKAST" in banner.inner_text()
            assert page.locator("h1").inner_text() == "Bo- og dagtilbud"
            for heading in ("Botilbud for voksne", "Tilbud til barn", "Dagtilbudet",
                            "Sikkerhetstiltak ved krisesentrene", "Utadrettet informasjonsarbeid"):
                assert page.get_by_role("heading", level=2, name=heading, exact=True).is_visible(), heading

            chart = page.locator("#q-tilbud_beboere figure.chart svg")
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 400 and box["height"] > 150
            assert page.get_by_role("img", name="Tilbud til beboere, 2024").count() == 1
            assert page.locator("figure.chart svg").count() == 4

            page.locator("#q-tilbud_beboere summary").click()
            table = page.locator("#q-tilbud_beboere table.data")
            assert table.is_visible()
            assert table.locator("tbody tr").count() == 6
            assert page.get_by_text("30 av de 43 sentrene med tilbud til kvinner").is_visible()

            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert screenshot.stat().st_size > 50_000


# --- the chart controls and the publishing status, on the shipped sample ----------------------

SAMPLE_YEARS = ["2020", "2021", "2022", "2023", "2024"]


@pytest.fixture(scope="module")
def sample_page(shipped_run: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    """file:// address of the preview of the shipped sample (2020-2023 published, 2024 a draft)."""
    data, warehouse = shipped_run
    out = tmp_path_factory.mktemp("sample_exports")
    write_exports(warehouse / "publication.duckdb", out, data)
    return (out / "index.html").resolve().as_uri()


@pytest.fixture()
def page(sample_page: str) -> Iterator[Page]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1100, "height": 1000})
            errors: list[str] = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(sample_page)
            yield tab
            assert errors == []
        finally:
            browser.close()


def _legend(block: Locator) -> list[str]:
    return [t or "" for t in block.locator("figure.chart svg text.chart-legend").all_text_contents()]


def _svg_text(block: Locator, tag: str) -> str:
    return block.locator(f"figure.chart svg {tag}").text_content() or ""


def _table_head(block: Locator) -> list[str]:
    return [t.strip() for t in block.locator("table.data thead th").all_inner_texts()]


def _base(publication: Path, year: int, group: str) -> int:
    """The centres the sample's tilbud_beboere counts are out of, read straight from the database."""
    con = duckdb.connect(str(publication), read_only=True)
    try:
        row = con.execute("select n_base from centre_offers where question = 'tilbud_beboere' and item = 'minst_ett' "
                          "and year = ? and target_group = ?", [year, group]).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def test_choosing_years_as_main_grouping_shows_the_years(page: Page, shipped_publication: Path) -> None:
    block = page.locator("#q-tilbud_beboere")
    assert _legend(block) == ["Tilbud til kvinner (43 sentre)", "Tilbud til menn (42 sentre)"]
    assert not page.locator("#q-tilbud_beboere dl.groupings").is_visible()  # the controls replace the labels
    block.locator("summary").click()  # the table open before the switch stays open after it
    assert _table_head(block)[1:] == ["Tilbud til kvinner (43 sentre)", "Tilbud til menn (42 sentre)"]

    block.get_by_role("combobox", name="Hovedinndeling", exact=True).select_option(label="År")
    assert _legend(block) == SAMPLE_YEARS
    assert block.locator("table.data").is_visible()
    assert _table_head(block) == ["Tilbud", *SAMPLE_YEARS]
    assert block.locator("table.data caption").inner_text() == \
        "Tilbud til beboere, 2020–2024, tilbud til kvinner. Antall sentre."
    assert _svg_text(block, "title") == "Tilbud til beboere, 2020–2024, tilbud til kvinner"
    assert _svg_text(block, "desc").startswith(
        "Liggende stolpediagram. Tilbud til beboere, 2020–2024, tilbud til kvinner. Hovedinndeling: År.")
    assert block.get_by_role("combobox", name="Sentre", exact=True).is_visible()
    assert not block.get_by_role("combobox", name="År", exact=True).is_visible()

    block.get_by_role("combobox", name="Sentre", exact=True).select_option(label="Tilbud til menn")
    assert _legend(block) == SAMPLE_YEARS
    assert block.locator("table.data caption").inner_text() == \
        "Tilbud til beboere, 2020–2024, tilbud til menn. Antall sentre."

    # the secondary grouping set to the main one: the two change places
    block.get_by_role("combobox", name="Sekundærinndeling", exact=True).select_option(label="År")
    assert block.get_by_role("combobox", name="Hovedinndeling", exact=True).input_value() == "item"
    assert _table_head(block)[0] == "År"
    assert [t.strip() for t in block.locator("table.data tbody th").all_inner_texts()] == SAMPLE_YEARS

    block.get_by_role("combobox", name="Hovedinndeling", exact=True).select_option(label="Sentre")
    block.get_by_role("combobox", name="Sekundærinndeling", exact=True).select_option(label="Tilbud")
    block.get_by_role("combobox", name="År", exact=True).select_option("2022")
    assert _svg_text(block, "title") == "Tilbud til beboere, 2022"
    women, men = _base(shipped_publication, 2022, "kvinner"), _base(shipped_publication, 2022, "menn")
    assert (women, men) != (43, 42)  # the year shows its own bases
    assert _table_head(block)[1:] == [f"Tilbud til kvinner ({women} sentre)", f"Tilbud til menn ({men} sentre)"]


def test_controls_work_by_keyboard(page: Page) -> None:
    block = page.locator("#q-tilbud_beboere")
    main = block.get_by_role("combobox", name="Hovedinndeling", exact=True)
    main.focus()
    page.keyboard.press("ArrowDown")  # Tilbud, Sentre, År: from Sentre to År
    assert main.input_value() == "year"
    assert _legend(block) == SAMPLE_YEARS
    page.keyboard.press("Tab")  # Sekundærinndeling
    page.keyboard.press("Tab")  # the target group left over
    assert block.get_by_role("combobox", name="Sentre", exact=True).evaluate("e => e === document.activeElement")
    page.keyboard.press("ArrowDown")
    assert _svg_text(block, "title") == "Tilbud til beboere, 2020–2024, tilbud til menn"

    draft = page.get_by_role("radio", name="Utkast")
    draft.focus()
    page.keyboard.press("ArrowLeft")  # to "Publisert"
    assert page.get_by_role("radio", name="Publisert (til og med 2023)").is_checked()
    assert page.locator(".meta").inner_text() == "Statistikkår 2023 · Publisert"
    page.keyboard.press("ArrowRight")
    assert page.locator(".meta").inner_text() == "Statistikkår 2024 · Utkast (ikke publisert)"


def test_status_control_shows_the_page_as_published_then_the_draft(page: Page) -> None:
    assert page.get_by_text("Forhåndsvisning: velg publiserings-status").is_visible()
    assert page.get_by_role("radio", name="Utkast").is_checked()
    assert page.locator(".notice-draft").is_visible()

    page.get_by_role("radio", name="Publisert (til og med 2023)").check()
    side = page.locator("#side")
    assert page.locator(".meta").inner_text() == "Statistikkår 2023 · Publisert"
    assert page.locator(".notice-draft").count() == 0
    for summary in page.locator("#side summary").all():
        summary.click()  # every table open
    text = page.locator("body").inner_text()
    assert "2024" not in text and "UTKAST" not in text and "Utkast til publisering" not in text
    assert "2024" not in side.evaluate("e => e.outerHTML")  # no SVG, alt text or table holds it either
    assert "2024" not in page.title()
    block = page.locator("#q-tilbud_beboere")
    block.get_by_role("combobox", name="Hovedinndeling", exact=True).select_option(label="År")
    assert _legend(block) == SAMPLE_YEARS[:-1]
    assert "2024" not in side.evaluate("e => e.outerHTML")

    page.get_by_role("radio", name="Utkast").check()
    assert page.locator(".notice-draft").is_visible()
    assert page.locator(".meta").inner_text() == "Statistikkår 2024 · Utkast (ikke publisert)"
    assert page.get_by_role("img", name="Tilbud til beboere, 2024").count() == 1
    assert "2024" in page.title()


def test_no_request_leaves_the_page(sample_page: str) -> None:
    require_browser()
    from playwright.sync_api import Route, sync_playwright

    requests: list[str] = []  # as routed
    seen: list[str] = []  # as the page asked for them

    def only_the_page(route: Route) -> None:
        requests.append(route.request.url)
        if route.request.url == sample_page:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", only_the_page)
            tab = context.new_page()
            tab.on("request", lambda r: seen.append(r.url))
            tab.goto(sample_page)
            block = tab.locator("#q-tilbud_beboere")
            block.get_by_role("combobox", name="Hovedinndeling", exact=True).select_option(label="År")
            block.locator("summary").click()
            tab.get_by_role("radio", name="Publisert (til og med 2023)").check()
            tab.get_by_role("radio", name="Utkast").check()
            assert _legend(block) == SAMPLE_YEARS  # the draft as it was left
        finally:
            browser.close()
    assert requests == [sample_page] and seen == [sample_page]


def test_without_javascript_the_page_shows_the_charts_of_today(sample_page: str) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_context(java_script_enabled=False).new_page()
            tab.goto(sample_page)
            block = tab.locator("#q-tilbud_beboere")
            assert tab.get_by_role("img", name="Tilbud til beboere, 2024").is_visible()
            assert _legend(block) == ["Tilbud til kvinner (43 sentre)", "Tilbud til menn (42 sentre)"]
            assert block.locator("dl.groupings").inner_text().split() == [
                "Hovedinndeling", "Sentre", "Sekundærinndeling", "Tilbud"]
            assert not block.locator("form.chart-controls").is_visible()
            assert not tab.get_by_text("Forhåndsvisning: velg publiserings-status").is_visible()
            assert tab.locator(".notice-draft").is_visible()  # the draft, as the restricted preview
            block.locator("summary").click()
            assert _table_head(block)[0] == "Tilbud"
        finally:
            browser.close()
