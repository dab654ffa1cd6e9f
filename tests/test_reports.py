"""End-to-end: the reports a full default run writes, the metrics and plot data DVC reads, and
the HTML page gathering them."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project

from project_runs import PROJECT_ROOT, reporting_datasets
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.project.dvc_stages import expected_files, load_project
from task_config import CONFIGURED_TASKS, task_declarations

# what every run writes holds for whatever tasks are configured
pytestmark = pytest.mark.contract
TABULAR_TASKS = CONFIGURED_TASKS
PROBLEMS = {task: spec.problem for task, spec in task_declarations().items()}
MODELLING = yaml.safe_load(
    (PROJECT_ROOT / "conf/base/parameters_modelling_tabular.yml").read_text()
)["modelling_tabular"]
PLOTS = {
    "leaderboard_scores": ("score", "candidate"),
    "roc_points": ("fpr", "tpr"),
    "pr_points": ("recall", "precision"),
    "calibration_points": ("mean_predicted", "observed_fraction"),
    "residual_points": ("predicted", "residual"),
}


def _file(project: Path, dataset) -> Path:
    return project / Path(dataset._describe()["filepath"]).relative_to(project.resolve())


def test_default_run_writes_every_report(default_run: Path) -> None:
    reports = reporting_datasets(default_run)
    bootstrap_project(PROJECT_ROOT)
    written_by_reporting = pipelines["reporting"].all_outputs()

    mine = {name: dataset for name, dataset in reports.items() if name in written_by_reporting}
    # 20 per task and 4 segmentation figures per task; STL table, decomposition, ACF,
    # overview; 4 forecast reports; the page
    assert len(mine) == (20 + 4) * len(TABULAR_TASKS) + 4 + 4 + 1
    for name, dataset in mine.items():
        path = _file(default_run, dataset)
        assert path.is_file() and path.stat().st_size > 0, name


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_metrics_json_has_the_documented_keys(default_run: Path, task: str) -> None:
    folder = default_run / "data/08_reporting" / task
    metrics = json.loads((folder / "metrics.json").read_text())
    test = json.loads((default_run / f"data/07_model_output/{task}/test_metrics.json").read_text())
    leaderboard = pd.read_csv(default_run / f"data/06_models/{task}/leaderboard.csv")

    assert set(metrics) == {"test", "cv_mean", "cv_std", "test_rows", "candidates"}
    names = CLASSIFICATION_METRICS if PROBLEMS[task] == "classification" else REGRESSION_METRICS
    assert set(metrics["test"]) == set(names)
    assert set(metrics["cv_mean"]) == set(metrics["cv_std"]) == set(MODELLING[task]["metrics"])
    for name, value in test["metrics"].items():
        assert metrics["test"][name] == round(value, 6)
    rank_by = MODELLING[task]["rank_by"]
    best = leaderboard.loc[leaderboard["best"]].iloc[0]
    assert metrics["cv_mean"][rank_by] == round(best[f"{rank_by}_mean"], 6)
    assert metrics["test_rows"] == test["rows"]
    assert metrics["candidates"] == len(leaderboard) == len(MODELLING[task]["candidates"])
    numbers = [v for group in ("test", "cv_mean", "cv_std") for v in metrics[group].values()]
    assert all(isinstance(value, int | float) for value in numbers)


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_plot_data_suits_the_task_problem(default_run: Path, task: str) -> None:
    folder = default_run / "data/08_reporting" / task
    tables = {name: pd.read_csv(folder / f"{name}.csv") for name in PLOTS}
    for name, (x, y) in PLOTS.items():
        assert {x, y} <= set(tables[name].columns), name
    predictions = pd.read_parquet(
        default_run / f"data/07_model_output/{task}/test_predictions.parquet"
    )
    assert len(tables["leaderboard_scores"]) == len(MODELLING[task]["candidates"])
    if PROBLEMS[task] == "classification":
        classes = predictions["actual"].astype(str).nunique()
        # one curve per class (the positive class of a binary task), plus a macro average
        assert tables["roc_points"]["class"].nunique() == (1 if classes == 2 else classes + 1)
        for _, roc in tables["roc_points"].groupby("class"):
            assert roc[["fpr", "tpr"]].iloc[0].tolist() == [0.0, 0.0]
            assert roc[["fpr", "tpr"]].iloc[-1].tolist() == [1.0, 1.0]
            assert roc["fpr"].is_monotonic_increasing and roc["tpr"].is_monotonic_increasing
        for _, pr in tables["pr_points"].groupby("class"):
            assert pr["recall"].is_monotonic_increasing
        for label, calibration in tables["calibration_points"].groupby("class"):
            scored = classes if label == "macro average" else 1  # the macro pools every class
            assert calibration["rows"].sum() == scored * len(predictions), label
        assert tables["residual_points"].empty
    else:
        residuals = tables["residual_points"]
        assert len(residuals) == len(predictions)
        assert residuals["predicted"].is_monotonic_increasing
        assert tables["roc_points"].empty and tables["pr_points"].empty


def test_dvc_sync_lists_each_task_metrics_and_plots() -> None:
    """What `kedro dvc sync` writes: metrics and plots with their axes, kept by git."""
    files = expected_files(load_project(PROJECT_ROOT))
    stages = yaml.safe_load(files["dvc.yaml"])["stages"]
    reporting = [stage for name, stage in stages.items() if name.startswith("reporting")]
    gitignore = files[".gitignore"]

    metrics = {
        next(iter(entry)): entry[next(iter(entry))]
        for stage in reporting
        for entry in stage.get("metrics", [])
    }
    plots = {
        next(iter(entry)): entry[next(iter(entry))]
        for stage in reporting
        for entry in stage.get("plots", [])
    }
    for task in TABULAR_TASKS:
        path = f"data/08_reporting/{task}/metrics.json"
        assert metrics[path] == {"cache": False}
        assert f"!/{path}" in gitignore
        for name, (x, y) in PLOTS.items():
            entry = plots[f"data/08_reporting/{task}/{name}.csv"]
            assert (entry["x"], entry["y"], entry["cache"]) == (x, y, False), name
            assert f"!/data/08_reporting/{task}/{name}.csv" in gitignore


def test_html_report_gathers_every_section_offline(default_run: Path) -> None:
    page = (default_run / "data/08_reporting/report.html").read_text()

    sections = re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page)
    assert sections == [*(f"Task: {task}" for task in TABULAR_TASKS), "Time series", "Forecasts"]
    for task in TABULAR_TASKS:
        for report in (
            "target-distribution",
            "missing-values-png",
            "model-evaluation",
            "silhouette-plot",
            "dendrogram-plot",
        ):
            assert f'id="report-{task}-{report}"' in page
    # plotly figures of the tasks (8 model and EDA, 4 segmentation, 1 drift), the series and
    # the forecasts, by one inlined plotly.js
    assert page.count('class="plotly-graph-div"') == (8 + 4 + 1) * len(TABULAR_TASKS) + 3 + 3
    assert "Segments (segmentation, train split)" in page
    assert "Drift of the scored batch (monitoring)" in page
    for task in TABULAR_TASKS:
        for report in ("drift-metrics", "drift-chart", "drift-table"):
            assert f'id="report-{task}-{report}"' in page
    table = re.search(r"report-ts-leaderboard.*?</table>", page, re.S).group(0)
    leaderboard = pd.read_parquet(
        default_run / "data/07_model_output/timeseries_leaderboard.parquet"
    )
    models = leaderboard.loc[leaderboard["series_id"] == "__overall__", "model"]
    assert table.count("<td>__overall__</td>") == len(models) > 0  # all series together
    assert all(f"<td>{model}</td>" in table for model in models)
    assert len(re.findall(r"plotly\.js v\d", page)) == 1
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert page.count('src="data:image/png;base64,') == len(TABULAR_TASKS)
    png = (default_run / f"data/08_reporting/{TABULAR_TASKS[0]}/missing_values.png").read_bytes()
    assert base64.b64encode(png).decode() in page
