"""The HTML report node: every report of the run on one self-contained page.

The node receives its inputs by catalog name. Names ``<task>.<report>`` form one section per
task, in the order the pipeline passes them; ``timeseries_*`` names form the time-series
section and ``forecast_*`` / ``ts_*`` names the forecasts section. ``REPORTS`` is the one
list of reports: it gives each its heading, its group and order on the page, how a table is
shown, and (by group) which reports the pipeline gathers per task or once. A report it does
not list comes last, titled by name. The page itself is rendered by
``roadmap_pipelines.ml.reports.html_page``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roadmap_pipelines.ml.reports.html_page import Group, Item, Section, TableView, render_page

TITLE = "roadmap-pipelines report"
INTRO = (
    "Written by the reporting pipeline (kedro run --pipelines=reporting) from the outputs "
    "under data/. Self-contained: it needs no network. Figures are interactive (zoom, hover)."
)


@dataclass(frozen=True)
class Report:
    """How one report appears: its heading, the group it belongs to, and for tables the rows
    and columns shown."""

    heading: str
    group: str
    table: TableView = field(default_factory=TableView)


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
    "target_associations": Report("Association with the target", EDA, TableView(rows=15)),
    "feature_pairs": Report("Top features, pairwise", EDA),
    "metrics": Report("Metrics (dvc metrics show)", MODEL),
    "leaderboard": Report(
        "Leaderboard table", MODEL, TableView(drop_columns_ending=("_std", "errors", "best"))
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
    "drift_table": Report("Drift per feature", DRIFT, TableView(rows=15)),
    # time series
    "timeseries_overview": Report("Series", SERIES),
    "timeseries_decomposition": Report("STL decomposition", SERIES),
    "timeseries_autocorrelation": Report("ACF and PACF", SERIES),
    # forecasts
    "forecast_chart": Report("Forecasts", FORECASTS),
    "forecast_horizon_chart": Report("Backtest error by horizon", FORECASTS),
    "forecast_model_comparison": Report("Model comparison", FORECASTS),
    "ts_leaderboard": Report(
        "Leaderboard over all series", FORECASTS, TableView(keep_rows_with="__overall__")
    ),
}
TASK_GROUPS = (EDA, MODEL, SEGMENTS, DRIFT)


def report_keys(*groups: str) -> tuple[str, ...]:
    """The keys of ``REPORTS`` in those groups, in page order."""
    return tuple(key for key, report in REPORTS.items() if report.group in groups)


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


def build_html_report(**reports: Any) -> str:
    """Gather the reports into one self-contained, deterministic HTML page.

    Args:
        **reports: Catalog name → plotly ``Figure``, base64 PNG (``str``), table
            (``DataFrame``) or metrics (``dict``); see the module docstring for the sections.

    Returns:
        The page: a table of contents, then one section per task (in input order), the time
        series and the forecasts, each report under its heading.
    """
    order = {key: number for number, key in enumerate(REPORTS)}
    sections: dict[str, list[tuple[str, str]]] = {}
    for name in reports:
        section, key = _section_of(name)
        sections.setdefault(section, []).append((key, name))
    shared = ["timeseries", "forecasts", "other"]
    ordered = [s for s in sections if s not in shared] + [s for s in shared if s in sections]
    page = []
    for section in ordered:
        groups: list[Group] = []
        items = sorted(sections[section], key=lambda item: (order.get(item[0], len(order)), item))
        for key, name in items:
            report = REPORTS.get(key, Report(key.replace("_", " ").capitalize(), "More"))
            if not groups or groups[-1].title != report.group:
                groups.append(Group(report.group))
            groups[-1].items.append(Item(name, report.heading, reports[name], report.table))
        page.append(Section(section, _section_title(section), groups))
    return render_page(TITLE, INTRO, page)
