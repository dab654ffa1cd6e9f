"""End-to-end: what the default ``kedro run`` leaves from modelling_tabular, and bad modelling
parameters in a real session.

The outputs are read from the session-wide ``default_run``; each bad-parameter case runs a
real session on a private copy of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn import metrics

from project_runs import PROJECT_ROOT, catalog_datasets, output_digests, run_session
from task_config import requires_tasks

TARGETS = {"credit": "Status", "ames": "price"}
# example-data tests: exact values and parameter edits of the shipped tables (the contract
# tests in test_contract.py check any configured task)
pytestmark = requires_tasks("credit", "ames")
TABULAR_TASKS = tuple(TARGETS)
PARAMETERS = "conf/base/parameters_modelling_tabular.yml"
FILES = (
    "data/06_models/{task}/leaderboard.csv",
    "data/06_models/{task}/search_trials.csv",
    "data/06_models/{task}/fit_times.json",
    "data/06_models/{task}/model.pkl",
    "data/07_model_output/{task}/model_metadata.json",
    "data/07_model_output/{task}/test_metrics.json",
    "data/07_model_output/{task}/test_predictions.parquet",
)


def _config(task: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / PARAMETERS).read_text())["modelling_tabular"][task]


def _json(project: Path, path: str) -> dict[str, Any]:
    return json.loads((project / path).read_text())


@pytest.fixture(scope="module")
def models(default_run: Path) -> dict[str, Any]:
    """Each task's saved model, loaded through its catalog entry."""
    datasets = catalog_datasets(default_run)
    return {task: datasets[f"{task}.model"].load() for task in TABULAR_TASKS}


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_run_writes_every_modelling_output(task: str, default_run: Path) -> None:
    for path in FILES:
        file = default_run / path.format(task=task)
        assert file.is_file() and file.stat().st_size > 0, file


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_leaderboard_has_every_candidate_ranked_by_rank_by(task: str, default_run: Path) -> None:
    config = _config(task)
    board = pd.read_csv(default_run / f"data/06_models/{task}/leaderboard.csv")
    trials = pd.read_csv(default_run / f"data/06_models/{task}/search_trials.csv")
    rank_by = f"{config['rank_by']}_mean"

    assert sorted(board["candidate"]) == sorted(config["candidates"])
    assert list(board["rank"]) == list(range(1, len(board) + 1))
    descending = config["rank_by"] == "roc_auc"
    assert list(board[rank_by]) == sorted(board[rank_by], reverse=descending)
    assert board["best"].tolist() == [True] + [False] * (len(board) - 1)
    assert (board["n_failed"] == 0).all()
    # pruned trials stopped early for scoring below the median of earlier ones on a fold
    assert trials["state"].isin(["complete", "pruned"]).all()
    assert trials[trials["state"] == "pruned"][rank_by].isna().all()
    for name, candidate in config["candidates"].items():
        expected = config["search"]["n_trials"] if candidate.get("search_space") else 1
        assert board.set_index("candidate").loc[name, "n_trials"] == expected, name
        own = trials[trials["candidate"] == name]
        assert len(own) == expected
        assert (own["state"] == "complete").any(), name
        # the leaderboard row is the candidate's best trial
        best = own[rank_by].max() if descending else own[rank_by].min()
        assert board.set_index("candidate").loc[name, rank_by] == pytest.approx(best)
        for params in own["params"]:
            assert set(json.loads(params)) == set(candidate.get("search_space", {}))
    for metric in config["metrics"]:
        assert board[f"{metric}_mean"].notna().all() and (board[f"{metric}_std"] >= 0).all()


def test_test_scores_are_sensible(default_run: Path) -> None:
    credit = _json(default_run, "data/07_model_output/credit/test_metrics.json")
    ames = _json(default_run, "data/07_model_output/ames/test_metrics.json")
    assert credit["metrics"]["roc_auc"] > 0.75
    assert 0.6 < credit["metrics"]["accuracy"] < 1
    assert credit["positive_class"] == "bad"
    assert ames["metrics"]["r2"] > 0.8
    assert ames["metrics"]["rmse"] == pytest.approx(np.sqrt(ames["metrics"]["mse"]))


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_test_metrics_equal_scikit_learns_on_the_saved_predictions(
    task: str, default_run: Path
) -> None:
    report = _json(default_run, f"data/07_model_output/{task}/test_metrics.json")
    predictions = pd.read_parquet(
        default_run / f"data/07_model_output/{task}/test_predictions.parquet"
    )
    test = pd.read_parquet(default_run / f"data/04_feature/{task}/test.parquet")
    actual, predicted = predictions["actual"], predictions["predicted"]

    assert report["rows"] == len(predictions) == len(test)
    assert list(actual.astype(str)) == list(test[TARGETS[task]].astype(str))
    if task == "credit":
        expected = {
            "accuracy": metrics.accuracy_score(actual, predicted),
            "precision": metrics.precision_score(actual, predicted, pos_label="bad"),
            "recall": metrics.recall_score(actual, predicted, pos_label="bad"),
            "f1": metrics.f1_score(actual, predicted, pos_label="bad"),
            "roc_auc": metrics.roc_auc_score(actual == "bad", predictions["proba_bad"]),
            "log_loss": metrics.log_loss(
                actual, predictions[["proba_bad", "proba_good"]], labels=["bad", "good"]
            ),
        }
    else:
        expected = {
            "mse": metrics.mean_squared_error(actual, predicted),
            "rmse": metrics.root_mean_squared_error(actual, predicted),
            "mae": metrics.mean_absolute_error(actual, predicted),
            "r2": metrics.r2_score(actual, predicted),
        }
    assert report["metrics"] == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_metadata_names_the_leaderboards_best_and_the_training_data(
    task: str, default_run: Path
) -> None:
    meta = _json(default_run, f"data/07_model_output/{task}/model_metadata.json")
    board = pd.read_csv(default_run / f"data/06_models/{task}/leaderboard.csv")
    report = _json(default_run, f"data/07_model_output/{task}/test_metrics.json")
    train = pd.read_parquet(default_run / f"data/04_feature/{task}/train.parquet")
    best = board.iloc[0]

    assert (meta["estimator"], meta["candidate"]) == (best["estimator"], best["candidate"])
    assert meta["params"] == json.loads(best["params"])
    assert meta["cv"][f"{_config(task)['rank_by']}_mean"] == pytest.approx(
        best[f"{_config(task)['rank_by']}_mean"]
    )
    assert meta["test"] == report["metrics"]
    assert meta["target"] == TARGETS[task] and meta["training_rows"] == len(train)
    features = train.drop(columns=TARGETS[task])
    assert meta["input_features"] == {name: str(dtype) for name, dtype in features.dtypes.items()}
    hashes = pd.util.hash_pandas_object(train, index=True).to_numpy()
    assert meta["training_data_sha256"] == hashlib.sha256(hashes.tobytes()).hexdigest()
    assert meta["classes"] == (["bad", "good"] if task == "credit" else [])


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_saved_model_reloads_and_predicts_the_saved_predictions(
    task: str, default_run: Path, models: dict[str, Any]
) -> None:
    model = models[task]
    test = pd.read_parquet(default_run / f"data/04_feature/{task}/test.parquet")
    saved = pd.read_parquet(default_run / f"data/07_model_output/{task}/test_predictions.parquet")
    features = test.drop(columns=TARGETS[task])

    np.testing.assert_array_equal(model.predict(features), saved["predicted"].to_numpy())
    if task == "credit":
        np.testing.assert_array_equal(
            model.predict_proba(features), saved[["proba_bad", "proba_good"]].to_numpy()
        )
    meta = _json(default_run, f"data/07_model_output/{task}/model_metadata.json")
    assert list(model[:-1].get_feature_names_out()) == meta["model_features"]


@pytest.mark.parametrize(("task", "column"), [("credit", "Home"), ("ames", "Neighborhood")])
def test_saved_model_predicts_raw_rows_with_an_unseen_category(
    task: str, column: str, default_run: Path, models: dict[str, Any]
) -> None:
    test = pd.read_parquet(default_run / f"data/04_feature/{task}/test.parquet")
    rows = test.drop(columns=TARGETS[task]).head(5).copy()
    rows[column] = rows[column].cat.add_categories(["never_seen_before"])
    rows.loc[rows.index[0], column] = "never_seen_before"

    predictions = models[task].predict(rows)
    assert len(predictions) == 5
    if task == "credit":
        assert set(predictions) <= {"bad", "good"}
        assert np.isfinite(models[task].predict_proba(rows)).all()
    else:
        assert np.isfinite(predictions).all() and (predictions > 0).all()


# -------------------------------------------------------------------------------------------
# bad modelling parameters in a real session


def _edit(project: Path, change: Callable[[dict], None]) -> None:
    path = project / PARAMETERS
    params = yaml.safe_load(path.read_text())
    change(params["modelling_tabular"])
    path.write_text(yaml.safe_dump(params))


PARAMETER_CASES = {
    "unknown metric": (
        lambda p: p["credit"].update(metrics=["roc_auc", "auc"]),
        ["modelling_tabular.credit", "unknown metrics ['auc']", "'roc_auc'"],
    ),
    "rank_by not in metrics": (
        lambda p: p["ames"].update(rank_by="mse"),
        ["modelling_tabular.ames", "rank_by 'mse' must be one of metrics ['rmse', 'mae', 'r2']"],
    ),
    "unknown estimator name": (
        lambda p: p["credit"]["candidates"]["lightgbm"].update(estimator="light_gbm"),
        ["modelling_tabular.credit", "unknown estimator 'light_gbm'", "'lightgbm'"],
    ),
    "grid over max_grid_size": (
        lambda p: p["ames"]["search"].update(method="grid", max_grid_size=10),
        ["modelling_tabular.ames", "search.max_grid_size (10)", "'lightgbm'"],
    ),
}


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_bad_modelling_parameters_stop_before_any_node(
    case: str, completed_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kedro.validation import ParameterValidationError

    caplog.set_level(logging.INFO)
    change, fragments = PARAMETER_CASES[case]
    before = output_digests(completed_project)
    _edit(completed_project, change)

    with pytest.raises(ParameterValidationError) as raised:
        run_session(completed_project)

    assert "parameters_modelling_tabular.yml" in str(raised.value)
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert output_digests(completed_project) == before
    assert "node " not in caplog.text  # no node started


def test_estimator_that_does_not_solve_the_problem_stops_before_any_fit(
    completed_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The configuration checks build every candidate for its task's problem before the run
    from roadmap_pipelines.project.config_checks import ConfigurationError

    caplog.set_level(logging.INFO)
    before = output_digests(completed_project)
    _edit(
        completed_project,
        lambda p: p["ames"]["candidates"].update(bayes={"estimator": "naive_bayes"}),
    )

    with pytest.raises(ConfigurationError) as raised:
        run_session(completed_project, pipelines=["modelling_tabular"])

    assert (
        "conf/base/parameters_modelling_tabular.yml: modelling_tabular.ames.candidates.bayes: "
        "unknown regression estimator 'naive_bayes'"
    ) in str(raised.value)
    assert output_digests(completed_project) == before
    assert "search_candidates" not in "".join(
        record.getMessage() for record in caplog.records if record.getMessage().startswith("node")
    )
