"""The HTML page (reporting/report_nodes.py) and its dataset's Kedro-Viz preview."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from roadmap_pipelines.pipelines.reporting.report_nodes import build_html_report
from roadmap_pipelines.project.datasets import HTMLReportDataset

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def figure(title: str) -> go.Figure:
    return go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": title, "height": 300})


def reports() -> dict[str, object]:
    """A little of everything, listed out of the page's order (tasks come in the order the node
    receives them, which the pipeline takes from the configured task list)."""
    return {
        "timeseries_decomposition": figure("STL"),
        "credit.model_evaluation": figure("Evaluation"),
        "ames.metrics": {"test": {"rmse": 2.5}, "test_rows": 10},
        "credit.missing_values_png": PNG,
        "credit.target_distribution": figure("Target"),
        "credit.leaderboard": pd.DataFrame(
            {"rank": [1], "candidate": ["lr"], "roc_auc_mean": [0.8312345], "roc_auc_std": [0.1]}
        ),
        "forecast_chart": figure("Forecasts"),
        "ts_leaderboard": pd.DataFrame(
            {"series_id": ["__overall__", "a"], "model": ["arima", "arima"], "mase": [0.9, 1.1]}
        ),
    }


def test_page_has_a_section_per_task_then_time_series_and_forecasts() -> None:
    page = build_html_report(**reports())

    sections = re.findall(r'<h2 id="([^"]+)">([^<]+)</h2>', page)
    # tasks in the order their first report arrives (the pipeline passes them task by task)
    assert sections == [
        ("section-credit", "Task: credit"),
        ("section-ames", "Task: ames"),
        ("section-timeseries", "Time series"),
        ("section-forecasts", "Forecasts"),
    ]
    contents = re.search(r'<nav id="contents">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r'href="#([^"]+)"', contents) == [anchor for anchor, _ in sections]
    # within a task: exploratory analysis first, then the model, each report under its name
    headings = re.findall(r'<h4 id="report-(credit-[^"]+)">', page)
    assert headings == [
        "credit-target-distribution",
        "credit-missing-values-png",
        "credit-leaderboard",
        "credit-model-evaluation",
    ]
    assert page.index("Exploratory analysis (train split)") < page.index("Chosen model")


def test_page_is_offline_with_plotly_js_inlined_once() -> None:
    page = build_html_report(**reports())

    # nothing is fetched: no script or stylesheet has a source
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert "<link" not in page
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # the library's banner, once
    assert page.index("plotly.js v") < page.index('id="figure-credit-target-distribution"')
    assert page.count('class="plotly-graph-div"') == 4


def test_page_is_deterministic_with_div_ids_from_dataset_names() -> None:
    first, second = build_html_report(**reports()), build_html_report(**reports())

    assert first == second
    ids = re.findall(r'<div id="([^"]+)" class="plotly-graph-div"', first)
    assert ids == [
        "figure-credit-target-distribution",
        "figure-credit-model-evaluation",
        "figure-timeseries-decomposition",
        "figure-forecast-chart",
    ]
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", first)  # no uuid anywhere
    assert 'style="height:300px; width:100%;"' in first


def test_images_tables_and_metrics_are_embedded() -> None:
    page = build_html_report(**reports())

    assert f'src="data:image/png;base64,{PNG}"' in page
    # leaderboard table without the std columns, floats at 6 significant digits
    assert "<th>roc_auc_mean</th>" in page and "roc_auc_std" not in page
    assert "<td>0.831234</td>" in page
    # the forecast leaderboard shows the all-series rows only
    table = re.search(r"report-ts-leaderboard.*?</table>", page, re.S).group(0)
    assert "__overall__" in table and "<td>a</td>" not in table
    # metrics: one row per flattened key
    assert "<td>test.rmse</td><td>2.5</td>" in page
    assert "<td>test_rows</td><td>10</td>" in page


def test_anything_else_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="credit.odd: cannot put a int in the report"):
        build_html_report(**{"credit.odd": 3})
    with pytest.raises(ValueError, match="must be a base64 PNG"):
        build_html_report(**{"credit.text": base64.b64encode(b"not an image").decode()})


def test_viz_preview_lists_sections_and_reports(tmp_path: Path) -> None:
    dataset = HTMLReportDataset(filepath=str(tmp_path / "report.html"))
    dataset.save(build_html_report(**reports()))

    preview = dataset.preview()

    lines = preview.splitlines()
    assert lines[0] == "**roadmap-pipelines report**"
    assert f"`{tmp_path / 'report.html'}`" in lines[2]
    assert lines[4:8] == [
        "- **Task: credit**",
        "  - Target (credit.target_distribution)",
        "  - Missing values before cleaning (credit.missing_values_png)",
        "  - Leaderboard table (credit.leaderboard)",
    ]
    assert "- **Forecasts**" in lines
    assert "<" not in preview
