"""Reader-facing outputs generated from a finished publication.duckdb only.

`writer.write_exports` writes, for the latest year of `releases`:
- `<question>.xlsx` for every question (sheets "Om tallene" and "Data"), and `bistand.xlsx`;
- `charts/<question>.png`, `.svg` and `.txt` (the alt text);
- `index.html`, the self-contained preview of the page, with every variant of every chart the
  reader can choose (their SVG kept in `charts/.variants.json`) and the page as published.
- `data/`, the open data files (`opendata`): every table as CSV and Parquet, `datapackage.json` and
  JSON-stat datasets, replaced as a whole.
The same database gives the same files (SVG and HTML byte for byte). A chart whose data and drawing
code are unchanged since its files were written is not drawn again (`chart_cache`).
"""

from __future__ import annotations

from pathlib import Path

EXPORTS_DIR = "exports"
PREVIEW_FILE = "index.html"
OPEN_DATA_DIR = "data"
CHARTS_DIR = "charts"
BISTAND_FILE = "bistand.xlsx"


def preview_path(warehouse_dir: Path) -> Path:
    """Where the preview page of a warehouse lives: <warehouse>/exports/index.html."""
    return Path(warehouse_dir) / EXPORTS_DIR / PREVIEW_FILE
