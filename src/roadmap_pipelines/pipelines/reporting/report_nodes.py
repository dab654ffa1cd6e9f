"""One self-contained HTML page gathering the reports, for readers without Kedro-Viz.

The page works offline: plotly.js is inlined once (in the first figure), matplotlib images
are embedded as base64 PNGs and tables are plain HTML. Nothing in it depends on when it was
built: no timestamps, and every figure's ``<div>`` id is derived from its dataset name
(plotly would otherwise draw a random one), so reruns give the same bytes.

The node receives its inputs by catalog name. Names ``<task>.<report>`` form one section per
task, in ``TABULAR_TASKS`` order; ``timeseries_*`` names form the time-series section and
``forecast_*`` / ``ts_*`` names the forecasts section. ``REPORTS`` gives each report its
heading, its order and how it is shown; a report it does not list comes last, titled by name.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from roadmap_pipelines.tabular_tasks import TABULAR_TASKS

TITLE = "roadmap-pipelines report"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_TABLE_ROWS = 30


@dataclass(frozen=True)
class Report:
    """How one report appears: its heading, the group it belongs to, and for tables the rows
    and columns shown."""

    heading: str
    group: str
    rows: int | None = None
    drop_columns_ending: tuple[str, ...] = ()
    keep_rows_with: str | None = None  # keep the rows holding this value in some column


EDA = "Exploratory analysis (train split)"
MODEL = "Chosen model (cross-validation and test split)"
SERIES = "Time series (cleaned)"
FORECASTS = "Forecasts (modelling_timeseries)"
SEGMENTS = "Segments (segmentation, train split)"
DRIFT = "Drift of the scored batch (monitoring)"

REPORTS: dict[str, Report] = {
    # per task, by the name after "<task>."
    "target_distribution": Report("Target", EDA),
    "feature_distributions": Report("Feature distributions", EDA),
    "missing_values_png": Report("Missing values before cleaning", EDA),
    "correlation_heatmap": Report("Correlations", EDA),
    "target_associations": Report("Association with the target", EDA, rows=15),
    "feature_pairs": Report("Top features, pairwise", EDA),
    "metrics": Report("Metrics (dvc metrics show)", MODEL),
    "leaderboard": Report(
        "Leaderboard table", MODEL, drop_columns_ending=("_std", "errors", "best")
    ),
    "leaderboard_chart": Report("Leaderboard", MODEL),
    "search_history": Report("Search history", MODEL),
    "model_evaluation": Report("Test-set evaluation", MODEL),
    "feature_importance_chart": Report("Feature importance", MODEL),
    "silhouette_plot": Report("Silhouette and inertia by k", SEGMENTS),
    "cluster_embedding_plot": Report("Clusters on the PCA and t-SNE maps", SEGMENTS),
    "pca_scree_plot": Report("PCA explained variance", SEGMENTS),
    "dendrogram_plot": Report("Dendrogram", SEGMENTS),
    "drift_metrics": Report("Retrain signal (dvc metrics show)", DRIFT),
    "drift_chart": Report("Feature drift (PSI)", DRIFT),
    "drift_table": Report("Drift per feature", DRIFT, rows=15),
    # time series
    "timeseries_overview": Report("Series", SERIES),
    "timeseries_decomposition": Report("STL decomposition", SERIES),
    "timeseries_autocorrelation": Report("ACF and PACF", SERIES),
    # forecasts
    "forecast_chart": Report("Forecasts", FORECASTS),
    "forecast_horizon_chart": Report("Backtest error by horizon", FORECASTS),
    "forecast_model_comparison": Report("Model comparison", FORECASTS),
    "ts_leaderboard": Report(
        "Leaderboard over all series", FORECASTS, keep_rows_with="__overall__"
    ),
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 24px;
  color: #222; }
nav ul { columns: 3; }
h2 { border-bottom: 2px solid #1f77b4; padding-top: 24px; }
h3 { color: #1f77b4; margin-top: 28px; }
h4 { margin: 24px 0 8px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; }
.note { color: #666; font-size: 13px; }
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _section_of(name: str) -> tuple[str, str]:
    """(section, report key) of a dataset name."""
    if "." in name:
        task, _, key = name.partition(".")
        return task, key
    if name.startswith("timeseries_"):
        return "timeseries", name
    if name.startswith(("forecast_", "ts_")):
        return "forecasts", name
    return "other", name


def _section_title(section: str) -> str:
    return {"timeseries": "Time series", "forecasts": "Forecasts", "other": "Other"}.get(
        section, f"Task: {section}"
    )


def _figure_html(figure: Any, div_id: str, first: bool) -> str:
    import plotly.io as pio

    height = figure.layout.height or 450
    return pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=first,  # inlined once, in the first figure: the page works offline
        div_id=div_id,
        default_height=f"{height}px",
        config={"displaylogo": False, "responsive": True},
    )


def _image_html(encoded: str, alt: str) -> str:
    if not base64.b64decode(encoded[:24]).startswith(PNG_MAGIC):
        raise ValueError(f"{alt}: a text report input must be a base64 PNG")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.6g}"
    return html.escape(str(value))


def _table_html(table: pd.DataFrame, report: Report) -> str:
    if report.keep_rows_with is not None:
        table = table.loc[(table.astype(str) == report.keep_rows_with).any(axis=1)]
    table = table[[c for c in table.columns if not str(c).endswith(report.drop_columns_ending)]]
    limit = report.rows or MAX_TABLE_ROWS
    shown = table.head(limit)
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_format(value)}</td>" for value in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = f'<p class="note">First {limit} of {len(table)} rows.</p>' if len(table) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _flatten(document: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows = []
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, f"{name}.")
        else:
            rows.append((name, value))
    return rows


def _mapping_html(document: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{_format(value)}</td></tr>"
        for key, value in _flatten(document)
    )
    return f"<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"


def build_html_report(**reports: Any) -> str:
    """Gather the reports into one self-contained, deterministic HTML page.

    Args:
        **reports: Catalog name → plotly ``Figure``, base64 PNG (``str``), table
            (``DataFrame``) or metrics (``dict``); see the module docstring for the sections.

    Returns:
        The page: a table of contents, then one section per task, the time series and the
        forecasts, each report under its heading.
    """
    order = {name: number for number, name in enumerate(REPORTS)}
    sections: dict[str, list[tuple[str, str]]] = {}
    for name in reports:
        section, key = _section_of(name)
        sections.setdefault(section, []).append((key, name))
    section_order = [*TABULAR_TASKS, "timeseries", "forecasts"]
    ordered = sorted(
        sections,
        key=lambda s: (section_order.index(s) if s in section_order else len(section_order), s),
    )
    contents, body = [], []
    first_figure = True
    for section in ordered:
        title = _section_title(section)
        anchor = _slug(f"section {section}")
        contents.append(f'<li><a href="#{anchor}">{html.escape(title)}</a></li>')
        body.append(f'<section><h2 id="{anchor}">{html.escape(title)}</h2>')
        group = None
        items = sorted(sections[section], key=lambda item: (order.get(item[0], len(order)), item))
        for key, name in items:
            report = REPORTS.get(key, Report(key.replace("_", " ").capitalize(), "More"))
            if report.group != group:
                group = report.group
                body.append(f"<h3>{html.escape(group)}</h3>")
            value = reports[name]
            element = f"report-{_slug(name)}"
            body.append(
                f'<h4 id="{element}">{html.escape(report.heading)} '
                f'<span class="note">({html.escape(name)})</span></h4>'
            )
            if hasattr(value, "to_plotly_json"):
                body.append(_figure_html(value, f"figure-{_slug(name)}", first_figure))
                first_figure = False
            elif isinstance(value, str):
                body.append(_image_html(value, name))
            elif isinstance(value, pd.DataFrame):
                body.append(_table_html(value, report))
            elif isinstance(value, dict):
                body.append(_mapping_html(value))
            else:
                raise TypeError(f"{name}: cannot put a {type(value).__name__} in the report")
        body.append("</section>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            f"<title>{TITLE}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{TITLE}</h1>",
            '<p class="note">Written by the reporting pipeline (<code>kedro run '
            "--pipelines=reporting</code>) from the outputs under <code>data/</code>. "
            "Self-contained: it needs no network. Figures are interactive (zoom, hover).</p>",
            f'<nav id="contents"><h2>Contents</h2><ul>{"".join(contents)}</ul></nav>',
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
