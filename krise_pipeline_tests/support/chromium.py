"""Debian's Chromium for the browser tests: where it is, how it is started, and a loud failure
(never a skip) when it or Playwright is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    """Fail the calling test unless Playwright and Chromium are installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - the dev dependencies include playwright
        pytest.fail("The playwright package is missing: install the dev dependencies (pip install -e '.[dev]').")
    if not CHROMIUM.is_file():
        pytest.fail(f"No browser at {CHROMIUM}: install Chromium with `apt-get install -y chromium`.")
