"""The preview page rendered in real headless Chromium (Debian package `chromium`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from krise_pipeline.exports import write_exports
from krise_pipeline_tests.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from krise_pipeline_tests.exports_fixture import build_publication


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
