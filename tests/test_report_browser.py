"""The HTML report in a real browser, offline: headless Debian Chromium opens the page a full
run wrote, may load nothing but that file, and draws every figure and image.

Skipped locally without /usr/bin/chromium (``.ci/run`` installs it), like the Kedro-Viz
browser test. Set ``REPORT_SCREENSHOT_DIR`` to keep a screenshot of the page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI,
    reason="Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it",
)
def test_report_draws_every_figure_offline(default_run: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    page_file = default_run / "data/08_reporting/report.html"
    page_url = page_file.resolve().as_uri()
    refused: list[str] = []

    def only_the_page(route: Any) -> None:
        if route.request.url == page_url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", only_the_page)
            page.goto(page_url)
            figures = page.locator(".plotly-graph-div")
            count = figures.count()
            assert count >= 19
            # plotly has drawn each figure: its svg, and every trace of the figure's data
            expect(page.locator(".plotly-graph-div .main-svg").first).to_be_attached()
            expect(page.locator(".plotly-graph-div > .plot-container")).to_have_count(count)
            drawn = page.evaluate(
                """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(
                    (div) => [div.id, (div._fullData || []).length, div.data.length])"""
            )
            assert all(traces == expected > 0 for _, traces, expected in drawn), drawn
            images = page.locator("img")
            for index in range(images.count()):
                width = images.nth(index).evaluate("image => image.naturalWidth")
                assert width > 0, f"image {index} did not decode"
            shot = tmp_path / "report.png"
            page.screenshot(path=shot)
        finally:
            browser.close()

    assert errors == [], errors
    assert refused == [], f"the page tried to load: {refused}"
    if os.environ.get("REPORT_SCREENSHOT_DIR"):
        keep = Path(os.environ["REPORT_SCREENSHOT_DIR"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, keep / shot.name)
