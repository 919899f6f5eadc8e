"""Editorial texts in the Dagster run: the gate for published years, the lineage, the draft preview.

Each test copies the shipped sample's data and warehouse (built once per session) and runs the
`publish` job in process with texts added under data/tekster/2024/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.defs import jobs
from krise_pipeline_tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, require_browser

WRONG = ("Sammenlignet med 2023, var det i 2024 færre sentre med skoletilbud på/i regi av krisesenteret. "
         "14 sentre for kvinner hadde skoletilbud.\n\n"
         "Det ble gjennomført en velkomstsamtale ved {{ andel barn_opphold velkomstsamtale 6-10 }} prosent av "
         "oppholdene av barn i alderen 6–10 år.\n")


def copy_with_text(shipped_run: tuple[Path, Path], root: Path, status: str, text: str) -> tuple[Path, Path]:
    data, wh = root / "data", root / "wh"
    shutil.copytree(shipped_run[0], data)
    shutil.copytree(shipped_run[1], wh)
    releases = data / "releases.csv"
    lines = [line if not line.startswith("2024,") else f"2024,{status},Juni 2025."
             for line in releases.read_text(encoding="utf-8").splitlines()]
    releases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "tekster" / "2024").mkdir(parents=True)
    (data / "tekster" / "2024" / "tilbud_barn.md").write_text(text, encoding="utf-8")
    return data, wh


def publish(data: Path, wh: Path) -> dg.ExecuteInProcessResult:
    defs = build_definitions(settings_for(str(data), str(wh)))
    return defs.resolve_job_def(jobs.PUBLISH).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_a_wrong_figure_stops_a_published_year_and_a_right_one_publishes(
        shipped_run: tuple[Path, Path], tmp_path: Path) -> None:
    data, wh = copy_with_text(shipped_run, tmp_path, "publisert", WRONG)
    before = (wh / "publication.duckdb").read_bytes()
    result = publish(data, wh)
    assert not result.success
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    gate = checks["published_texts_hold"]
    assert gate.passed is False
    examples = [r.data for r in gate.metadata["examples"].records]  # a labelled table, as the UI shows it
    assert examples and "14 sentre for kvinner hadde skoletilbud" in str(examples[0]["claim"])
    assert examples[0]["file"] == "tekster/2024/tilbud_barn.md" and examples[0]["status"] == "publisert"
    assert (wh / "publication.duckdb").read_bytes() == before

    text = data / "tekster" / "2024" / "tilbud_barn.md"
    text.write_text(WRONG.replace("14 sentre", "12 sentre"), encoding="utf-8")
    assert publish(data, wh).success
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        row = con.execute("SELECT status, texts FROM releases WHERE year = 2024").fetchone()
    assert row is not None and row[0] == "publisert"
    assert json.loads(row[1]) == {"tilbud_barn.md": hashlib.sha256(text.read_bytes()).hexdigest()}


@pytest.mark.slow
def test_a_draft_publishes_with_the_finding_highlighted(shipped_run: tuple[Path, Path], tmp_path: Path) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    data, wh = copy_with_text(shipped_run, tmp_path, "utkast", WRONG)
    assert publish(data, wh).success
    html = (wh / "exports" / "index.html").read_text(encoding="utf-8")
    assert "{{" not in html
    screenshot = tmp_path / "draft.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((wh / "exports" / "index.html").resolve().as_uri())
            block = page.locator('#q-tilbud_barn .editorial[data-text="tilbud_barn"]')
            assert block.is_visible()
            mark = block.locator("mark.finding")
            assert mark.count() == 1
            assert mark.inner_text() == "14 sentre for kvinner hadde skoletilbud"
            assert "12 av 43" in (mark.get_attribute("title") or "")
            assert "ved 79 prosent av oppholdene" in block.inner_text()
            notes = block.locator(".text-findings")
            assert notes.is_visible() and "Linje 1" in notes.inner_text()
            # the generated sentences of that question give way to the text; other questions keep theirs
            assert page.locator("#q-tilbud_barn").get_by_text("Nesten alle de 43 sentrene").count() == 0
            assert page.locator("#q-mal_barn p").count() > 1
            block.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    assert screenshot.stat().st_size > 20_000
