"""End-to-end: ``kedro run --pipelines=preprocessing,feature_engineering`` in a real session.

One real run (shared by the module) writes the feature tables, preprocessors and reports; a
second re-runs only feature_engineering after a YAML-only change. Bad parameters must stop a
run before any node.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from project_runs import copy_project, output_digests, run_session
from task_config import requires_tasks

TARGETS = {"credit": "Status", "ames": "price"}
# example-data tests: exact values and parameter edits of the shipped tables (the contract
# tests in test_contract.py check any configured task)
pytestmark = requires_tasks("credit", "ames")
TABULAR_TASKS = tuple(TARGETS)
FEATURE_FILE = "conf/base/parameters_feature_engineering.yml"


@pytest.fixture(scope="module")
def features_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy after preprocessing and feature_engineering (shared, read-only)."""
    project = copy_project(tmp_path_factory.mktemp("features-run") / "project")
    run_session(project, pipelines=["preprocessing", "feature_engineering"])
    return project


@pytest.fixture
def features_copy(features_run: Path, tmp_path: Path) -> Path:
    """A private copy of ``features_run``, outputs included, that a test may change."""
    destination = tmp_path / "project"
    shutil.copytree(features_run, destination)
    return destination


def _report(project: Path, task: str) -> dict[str, Any]:
    return json.loads((project / f"data/08_reporting/{task}/feature_report.json").read_text())


def _split(project: Path, task: str, split: str) -> tuple[pd.DataFrame, pd.Series]:
    table = pd.read_parquet(project / f"data/04_feature/{task}/{split}.parquet")
    return table.drop(columns=TARGETS[task]), table[TARGETS[task]]


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_run_writes_feature_tables_preprocessor_and_report(task: str, features_run: Path) -> None:
    for path in (
        f"data/04_feature/{task}/train.parquet",
        f"data/04_feature/{task}/test.parquet",
        f"data/04_feature/{task}/preprocessor.pkl",
        f"data/08_reporting/{task}/feature_report.json",
        f"data/08_reporting/{task}/feature_correlation_matrix.csv",
    ):
        assert (features_run / path).is_file(), path

    primary = pd.read_parquet(features_run / f"data/03_primary/{task}/test.parquet")
    features = pd.read_parquet(features_run / f"data/04_feature/{task}/test.parquet")
    report = _report(features_run, task)
    assert list(features.columns[: primary.shape[1]]) == list(primary.columns)
    assert sorted(features.columns[primary.shape[1] :]) == report["created_features"]
    assert len(features) == len(primary)

    preprocessor = joblib.load(features_run / f"data/04_feature/{task}/preprocessor.pkl")
    assert isinstance(preprocessor, Pipeline)
    with pytest.raises(NotFittedError):
        check_is_fitted(preprocessor)

    matrix = pd.read_csv(
        features_run / f"data/08_reporting/{task}/feature_correlation_matrix.csv", index_col=0
    )
    assert list(matrix.index) == list(matrix.columns)
    assert set(report["created_features"]) <= set(matrix.columns)


def test_credit_report_content(features_run: Path) -> None:
    report = _report(features_run, "credit")
    matrix = pd.read_csv(
        features_run / "data/08_reporting/credit/feature_correlation_matrix.csv", index_col=0
    )

    assert report["target"] == "Status"
    assert report["created_features"] == [
        "Age_x_Seniority",
        "debt_to_income",
        "disposable_income",
        "loan_to_price",
    ]
    # Records is ordinal: one column; Home/Marital/Job one-hot with rare labels pooled
    assert "Records" in report["transformed_features"]
    assert "Home_infrequent_sklearn" in report["transformed_features"]
    assert report["selectors"]["variance_threshold"]["dropped"] == []
    # the correlation filter (0.95) drops the later of each near-duplicate pair, and the
    # correlation matrix shows why
    assert report["selectors"]["correlation_filter"]["dropped"] == [
        "disposable_income",
        "Age_x_Seniority",
    ]
    assert matrix.loc["Income", "disposable_income"] > 0.95
    assert matrix.loc["Seniority", "Age_x_Seniority"] > 0.95
    assert report["selected_features"] == [
        name
        for name in report["transformed_features"]
        if name not in ("disposable_income", "Age_x_Seniority")
    ]

    # the saved (unfitted) preprocessor, fitted on the saved train features, selects the same
    preprocessor = joblib.load(features_run / "data/04_feature/credit/preprocessor.pkl")
    X, y = _split(features_run, "credit", "train")
    fitted = clone(preprocessor).fit(X, y)
    assert list(fitted.get_feature_names_out()) == report["selected_features"]
    test_X, _ = _split(features_run, "credit", "test")
    assert fitted.transform(test_X).notna().all().all()


def _edit_features(project: Path, change: Callable[[dict], None]) -> None:
    path = project / FEATURE_FILE
    params = yaml.safe_load(path.read_text())
    change(params["feature_engineering"])
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def _new_choices(params: dict) -> None:
    credit = params["credit"]
    credit["transform"]["numeric"][0]["scaler"] = "minmax"
    onehot = credit["transform"]["categorical"][0]
    assert onehot["columns"] == ["Home", "Marital", "Job"] and onehot["encoder"] == "onehot"
    onehot["encoder"] = "target"
    del onehot["min_frequency"]
    credit["selection"]["mutual_information"] = {"k": 8}


def test_changing_the_yaml_alone_changes_the_output(features_copy: Path) -> None:
    before = output_digests(features_copy)
    old_report = _report(features_copy, "credit")
    scaled = features_copy / "data/04_feature/credit/preprocessor.pkl"
    X, y = _split(features_copy, "credit", "train")
    old_out = clone(joblib.load(scaled)).fit(X, y).transform(X)

    _edit_features(features_copy, _new_choices)
    run_session(features_copy, pipelines=["feature_engineering"])

    after = output_digests(features_copy)
    report = _report(features_copy, "credit")
    preprocessor = joblib.load(scaled)
    # encoder: one target-encoded column per variable instead of one per label
    assert {"Home", "Marital", "Job"} <= set(report["transformed_features"])
    assert not [n for n in report["transformed_features"] if n.startswith(("Home_", "Job_"))]
    assert "Home_owner" in old_report["transformed_features"]
    # selector: mutual information now keeps the 8 features it scores highest
    mutual = report["selectors"]["mutual_information"]
    scores = mutual["scores"]
    assert len(mutual["kept"]) == 8 and len(report["selected_features"]) == 8
    assert set(mutual["kept"]) == set(sorted(scores, key=scores.get, reverse=True)[:8])
    assert "mutual_information" not in old_report["selectors"]
    # scaler: a fitted copy of the new preprocessor min-max scales the numeric group
    numeric = preprocessor.named_steps["transform"].transformers[0]
    assert type(numeric[1].named_steps["scale"]).__name__ == "MinMaxScaler"
    out = clone(preprocessor).fit(X, y).transform(X)
    assert len(out.columns) == 8
    scaled_columns = [c for c in out.columns if c in numeric[2]]
    assert scaled_columns
    assert out[scaled_columns].min().min() == pytest.approx(0.0)
    assert out[scaled_columns].max().max() == pytest.approx(1.0)
    assert old_out["Age"].mean() == pytest.approx(0.0, abs=1e-9)  # standardised before
    assert old_out["Age"].std(ddof=0) == pytest.approx(1.0)
    # only the credit preprocessor and report changed: the row-wise feature tables and the
    # other task are byte for byte what they were
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {
        "data/04_feature/credit/preprocessor.pkl",
        "data/04_feature/credit/preprocessor.pkl.sha256",
        "data/08_reporting/credit/feature_report.json",
    }


def test_a_report_row_budget_below_the_training_rows_samples_the_report(
    features_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = output_digests(features_copy)
    _, y = _split(features_copy, "credit", "train")
    assert len(y) > 1000

    _edit_features(features_copy, lambda p: p["credit"].update(report_rows=1000))
    run_session(features_copy, pipelines=["feature_engineering"])

    seed = yaml.safe_load((features_copy / "conf/base/parameters.yml").read_text())
    assert _report(features_copy, "credit")["fitted_on"] == {
        "rows": 1000,
        "training_rows": len(y),
        "sampled": True,
        "stratified_by": "Status",
        "seed": seed["random_state"],
    }
    assert f"sample of 1000 of {len(y)} training rows" in caplog.text
    # the model's inputs are untouched: only the credit report and its correlation matrix
    after = output_digests(features_copy)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {
        "data/08_reporting/credit/feature_report.json",
        "data/08_reporting/credit/feature_correlation_matrix.csv",
    }


def _set_problem(project: Path) -> None:
    path = project / "conf/base/parameters_tasks.yml"
    params = yaml.safe_load(path.read_text())
    params["tasks"]["credit"]["problem"] = "clustering"
    path.write_text(yaml.safe_dump(params))


PARAMETER_CASES = {
    "unknown scaler": (
        lambda p: p["credit"]["transform"]["numeric"][0].update(scaler="zscore"),
        [
            "feature_engineering.credit",
            "parameters_feature_engineering.yml: feature_engineering.<task>",
            "transform.numeric.0.scaler",
            "'standard', 'minmax', 'robust' or 'none'",
        ],
    ),
    "column in two groups": (
        lambda p: p["ames"]["transform"]["categorical"][0]["columns"].append("area"),
        [
            "feature_engineering.ames",
            "parameters_feature_engineering.yml: feature_engineering.<task>\ntransform\n",
            "columns listed in more than one group: ['area']",
        ],
    ),
    "report_rows 0": (
        lambda p: p["credit"].update(report_rows=0),
        [
            "feature_engineering.credit",
            "parameters_feature_engineering.yml: feature_engineering.<task>",
            "report_rows",
            "greater than 0",
        ],
    ),
}


def _files(project: Path) -> dict[str, bytes]:
    """Every file under data/ (read without a session: the parameters are broken)."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted((project / "data").rglob("*"))
        if path.is_file()
    }


def _assert_stops_before_any_node(
    project: Path,
    fragments: list[str],
    caplog: pytest.LogCaptureFixture,
    error: type[Exception] | None = None,
) -> None:
    from kedro.validation import ParameterValidationError

    before = _files(project)
    with pytest.raises(error or ParameterValidationError) as raised:
        run_session(project, pipelines=["feature_engineering"])

    for fragment in fragments:
        assert fragment in str(raised.value)
    assert _files(project) == before
    assert "create_train_features" not in caplog.text  # no node started


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_bad_feature_parameters_stop_before_any_node(
    case: str, features_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    change, fragments = PARAMETER_CASES[case]
    _edit_features(features_copy, change)

    _assert_stops_before_any_node(features_copy, fragments, caplog)


def test_unknown_problem_stops_before_any_node(
    features_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _set_problem(features_copy)

    from pydantic import ValidationError

    # the task declarations are checked when the pipelines are registered
    _assert_stops_before_any_node(
        features_copy,
        ["parameters_tasks.yml: tasks", "credit.problem", "'classification' or 'regression'"],
        caplog,
        ValidationError,
    )


def test_feature_tables_hold_the_formulas(features_run: Path) -> None:
    X, _ = _split(features_run, "ames", "test")

    np.testing.assert_allclose(X["age_at_sale"], X["Yr.Sold"] - X["Year.Built"])
    np.testing.assert_allclose(X["log_lot_area"], np.log(X["Lot.Area"]))
    np.testing.assert_allclose(X["Overall.Qual_x_area"], X["Overall.Qual"] * X["area"])
