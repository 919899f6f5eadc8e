"""Every export of a finished publication.duckdb written in one go: the open data, the Excel
downloads, the charts and the preview page (see the package's docstring for the files)."""


from __future__ import annotations

import os
from pathlib import Path

from krise_pipeline.editorial import folder
from krise_pipeline.exports import BISTAND_FILE, CHARTS_DIR, PREVIEW_FILE, chart_cache, charts, opendata, preview
from krise_pipeline.language import texts
from krise_pipeline.metadata import vocabulary
from krise_pipeline.publication import publish
from krise_pipeline.publication.model import LabelChangeRow, Publication, load_publication


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _write_text(path: Path, text: str) -> Path:
    return _write_bytes(path, text.encode("utf-8"))


def write_exports(publication_db: Path, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    """Write every export of the publication into out_dir; return the paths written, in order.

    With `data_dir`, the editors' texts of the latest year (`<data_dir>/tekster/<year>/`) are shown
    in the preview in place of the generated sentences, their findings highlighted on a draft.
    """
    pub = load_publication(Path(publication_db))
    written = write_open_data(Path(publication_db), Path(out_dir))
    return written + write_publication_exports(pub, Path(out_dir), data_dir)


def write_open_data(publication_db: Path, out_dir: Path) -> list[Path]:
    """`<out_dir>/data/` from publication.duckdb, built beside the previous folder and swapped in."""
    def footnote(year: int, question: str, item: str, old: str | None, new: str) -> str:
        return texts.footnote(LabelChangeRow(year, question, item, old, new))

    return opendata.write_open_data(publication_db, out_dir, title=vocabulary.PAGE_TITLE, source=vocabulary.SOURCE,
                                    footnote=footnote, make_public=publish.make_public)


def write_publication_exports(pub: Publication, out_dir: Path, data_dir: Path | None = None) -> list[Path]:
    from krise_pipeline.exports import excel  # openpyxl: only when the downloads are written

    year = pub.latest_year
    editorial = {c.text.name: c for c in folder.check_year(pub, Path(data_dir), year)} if data_dir else {}
    released = pub.released_years
    published_editorial: dict[str, folder.CheckedText] = {}
    if data_dir and released and released[-1] != year:  # the preview's page as published
        shown = pub.restricted_to(released)
        published_editorial = {c.text.name: c for c in folder.check_year(shown, Path(data_dir), released[-1])}
    written: list[Path] = []
    rendered: dict[str, charts.RenderedChart] = {}
    for q in pub.questions:
        written.append(excel.save(excel.question_workbook(pub, q.question), out_dir / f"{q.question}.xlsx"))
    written.append(excel.save(excel.bistand_workbook(pub), out_dir / BISTAND_FILE))
    chart_dir = out_dir / CHARTS_DIR
    drawn = chart_cache.ChartCache(chart_dir)
    for q in pub.questions:
        spec = charts.chart_spec(pub, q.question, year)
        chart = drawn.reuse(spec)
        if chart is None:
            chart = charts.render(spec)
            _write_bytes(chart_dir / f"{q.question}.png", chart.png)
            _write_text(chart_dir / f"{q.question}.svg", chart.svg)
        drawn.record(chart)
        rendered[q.question] = chart
        written.append(chart_dir / f"{q.question}.png")
        written.append(chart_dir / f"{q.question}.svg")
        written.append(_write_text(chart_dir / f"{q.question}.txt", chart.spec.alt_text + "\n"))
    _write_text(chart_dir / chart_cache.RECORD_FILE, drawn.text())
    variants = chart_cache.VariantCache(chart_dir)
    page = preview.render_html(pub, rendered, editorial, published_editorial=published_editorial, draw=variants.svg)
    _write_text(chart_dir / chart_cache.VARIANTS_FILE, variants.text())
    written.append(_write_text(out_dir / PREVIEW_FILE, page))
    return written
