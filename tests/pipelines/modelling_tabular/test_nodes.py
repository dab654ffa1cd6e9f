"""Unit tests for the modelling nodes, on small synthetic tables and the real preprocessor.

Expected values are recomputed independently with scikit-learn (folds, fits, metrics).
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kedro_datasets.pickle import PickleDataset
from sklearn import metrics
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

import toy_estimators
from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.features.native import build_native_preprocessor
from roadmap_pipelines.ml.features.preprocessor import build_preprocessor
from roadmap_pipelines.ml.tabular.search import FoldFitError
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.pipelines.modelling_tabular.nodes import (
    describe_model,
    evaluate_on_test,
    refit_best,
    search_candidates,
)

SEED = 42
KEY = "parameters_modelling_tabular.yml: modelling_tabular.<task>"
FEATURES = {
    "transform": {
        "numeric": [
            {"columns": ["x1", "x2"], "impute": "median", "scaler": "standard"},
            {"columns": ["row_id"], "impute": None, "scaler": "none"},
        ],
        "categorical": [{"columns": ["cat"], "encoder": "onehot"}],
    },
    "selection": {"variance_threshold": None},
}


def _table(rows: int, seed: int, target: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.integers(0, 10, rows).astype(float)
    cat = rng.choice(["a", "b", "c"], rows)
    table = pd.DataFrame(
        {
            "x1": x1,
            "x2": pd.array(x2, dtype="Int64"),
            "cat": pd.Categorical(cat, categories=["a", "b", "c"]),
            "row_id": np.arange(rows),
        }
    )
    table.loc[3, "x2"] = pd.NA
    noise = rng.normal(scale=0.7, size=rows)
    if target == "Status":
        bad = 1.5 * x1 + (cat == "a") + noise > 0.8
        table[target] = pd.Categorical(np.where(bad, "bad", "good"), categories=["good", "bad"])
    else:
        table[target] = 3.0 * x1 + 0.5 * x2 + 2.0 * (cat == "b") + noise
    return table


def _tabular(target: str) -> TabularParams:
    return TabularParams.model_validate(
        {
            "dataset": f"toy_{target}",
            "target": target,
            "columns": {target: {"dtype": "category" if target == "Status" else "float"}},
            "split": {"strategy": "random", "test_size": 0.25},
        }
    )


def _preprocessor(problem: str) -> Pipeline:
    return build_preprocessor(FeatureParams.model_validate(FEATURES), problem, SEED)


def _params(**changes: Any) -> TabularModelling:
    return TabularModelling.model_validate(changes)


CLASSIFICATION = {
    "metrics": ["roc_auc", "accuracy", "log_loss"],
    "rank_by": "roc_auc",
    "positive_class": "bad",
    "cv": {"strategy": "stratified_kfold", "n_splits": 3},
    "search": {"method": "grid"},
    "candidates": {
        "logistic": {
            "estimator": "logistic_regression",
            "search_space": {"C": {"type": "categorical", "choices": [0.001, 1.0]}},
        },
        "stump": {"estimator": "decision_tree", "params": {"max_depth": 1}},
        "dummy": {"estimator": "sklearn.dummy.DummyClassifier"},
    },
}
REGRESSION = {
    "metrics": ["rmse", "r2"],
    "rank_by": "rmse",
    "cv": {"strategy": "kfold", "n_splits": 3},
    "search": {"method": "grid"},
    "candidates": {
        "ridge": {
            "estimator": "ridge",
            "search_space": {"alpha": {"type": "categorical", "choices": [0.1, 1000.0]}},
        },
        "dummy": {"estimator": "sklearn.dummy.DummyRegressor"},
        "tree": {"estimator": "decision_tree", "params": {"max_depth": 2}},
    },
}


@pytest.fixture(scope="module")
def credit() -> dict[str, Any]:
    """A small classification task searched once (shared by the module)."""
    train, test = _table(150, 0, "Status"), _table(60, 1, "Status")
    params = _params(**CLASSIFICATION)
    tabular = _tabular("Status")
    preprocessor = _preprocessor("classification")
    trials, board, fit_times = search_candidates(
        train, preprocessor, preprocessor, params, tabular, "classification", SEED
    )
    model = refit_best(
        train, preprocessor, preprocessor, board, params, tabular, "classification", SEED
    )
    report, predictions = evaluate_on_test(model, test, params, tabular, "classification")
    return {
        "train": train,
        "test": test,
        "params": params,
        "tabular": tabular,
        "preprocessor": preprocessor,
        "trials": trials,
        "board": board,
        "fit_times": fit_times,
        "model": model,
        "report": report,
        "predictions": predictions,
    }


@pytest.fixture(scope="module")
def ames() -> dict[str, Any]:
    """A small regression task searched once (shared by the module)."""
    train, test = _table(120, 2, "price"), _table(50, 3, "price")
    params = _params(**REGRESSION)
    tabular = _tabular("price")
    preprocessor = _preprocessor("regression")
    trials, board, _ = search_candidates(
        train, preprocessor, preprocessor, params, tabular, "regression", SEED
    )
    model = refit_best(
        train, preprocessor, preprocessor, board, params, tabular, "regression", SEED
    )
    report, predictions = evaluate_on_test(model, test, params, tabular, "regression")
    return {
        "train": train,
        "test": test,
        "params": params,
        "tabular": tabular,
        "preprocessor": preprocessor,
        "trials": trials,
        "board": board,
        "model": model,
        "report": report,
        "predictions": predictions,
    }


# -------------------------------------------------------------------------------------------
# search_candidates: trials and leaderboard


def test_trials_record_every_grid_point_of_every_candidate(credit) -> None:
    trials = credit["trials"]
    assert sorted(trials.groupby("candidate").size().items()) == [
        ("dummy", 1),
        ("logistic", 2),
        ("stump", 1),
    ]
    assert (trials["state"] == "complete").all() and (trials["errors"] == "").all()
    assert sorted(trials.loc[trials["candidate"] == "logistic", "params"]) == [
        '{"C": 0.001}',
        '{"C": 1.0}',
    ]
    assert {"roc_auc_mean", "roc_auc_std", "accuracy_mean", "log_loss_std"} <= set(trials)
    assert "precision_mean" not in trials  # only the configured metrics
    assert credit["fit_times"]["logistic"]["trials"] == 2
    assert credit["fit_times"]["stump"]["mean_fit_seconds"] >= 0


def test_leaderboard_ranks_by_roc_auc_highest_first(credit) -> None:
    board = credit["board"]
    assert list(board["rank"]) == [1, 2, 3]
    assert list(board["roc_auc_mean"]) == sorted(board["roc_auc_mean"], reverse=True)
    assert board["best"].tolist() == [True, False, False]
    assert board["candidate"].iloc[-1] == "dummy"
    assert board["roc_auc_mean"].iloc[-1] == pytest.approx(0.5)  # a constant score
    assert board["roc_auc_mean"].iloc[0] > 0.8
    assert list(board["n_trials"]) == [
        2 if name == "logistic" else 1 for name in board["candidate"]
    ]
    assert (board["n_failed"] == 0).all()
    assert board.set_index("candidate").loc["stump", "params"] == "{}"


def test_leaderboard_scores_equal_an_independent_cross_validation(credit) -> None:
    train, preprocessor = credit["train"], credit["preprocessor"]
    features, target = train.drop(columns="Status"), train["Status"].astype(object)
    from sklearn.tree import DecisionTreeClassifier

    stump = DecisionTreeClassifier(max_depth=1, random_state=SEED)
    pipeline = Pipeline([("features", clone(preprocessor)), ("model", stump)])
    aucs, losses = [], []
    for fit_rows, valid in StratifiedKFold(3, shuffle=True, random_state=SEED).split(
        features, target
    ):
        model = clone(pipeline).fit(features.iloc[fit_rows], target.iloc[fit_rows])
        proba = model.predict_proba(features.iloc[valid])
        bad = list(model.classes_).index("bad")
        aucs.append(metrics.roc_auc_score(target.iloc[valid] == "bad", proba[:, bad]))
        losses.append(metrics.log_loss(target.iloc[valid], proba, labels=model.classes_))
    row = credit["board"].set_index("candidate").loc["stump"]
    assert row["roc_auc_mean"] == pytest.approx(np.mean(aucs))
    assert row["roc_auc_std"] == pytest.approx(np.std(aucs))
    assert row["log_loss_mean"] == pytest.approx(np.mean(losses))


def test_leaderboard_takes_each_candidates_best_trial(credit) -> None:
    trials = credit["trials"]
    logistic = trials[trials["candidate"] == "logistic"]
    best = logistic.loc[logistic["roc_auc_mean"].idxmax()]
    row = credit["board"].set_index("candidate").loc["logistic"]
    assert row["params"] == best["params"]
    assert row["roc_auc_mean"] == best["roc_auc_mean"]
    assert json.loads(row["params"]) == {"C": 1.0}  # C=0.001 shrinks every coefficient away


def test_leaderboard_ranks_rmse_lowest_first(ames) -> None:
    board = ames["board"]
    assert list(board["rmse_mean"]) == sorted(board["rmse_mean"])
    assert board["candidate"].tolist()[0] == "ridge"
    assert board["candidate"].tolist()[-1] == "dummy"
    assert json.loads(board.iloc[0]["params"]) == {"alpha": 0.1}
    assert board.iloc[0]["r2_mean"] > 0.8
    # the dummy predicts the training mean: R² a little below zero on every fold
    assert -0.2 < board.iloc[-1]["r2_mean"] <= 0


def test_leaderboard_ranks_log_loss_lowest_first(credit) -> None:
    params = _params(**{**CLASSIFICATION, "rank_by": "log_loss"})
    _, board, _ = search_candidates(
        credit["train"],
        credit["preprocessor"],
        credit["preprocessor"],
        params,
        credit["tabular"],
        "classification",
        SEED,
    )
    assert list(board["log_loss_mean"]) == sorted(board["log_loss_mean"])
    assert board.iloc[0]["candidate"] == "logistic"


def test_regression_kfold_scores_equal_an_independent_cross_validation(ames) -> None:
    train = ames["train"]
    features, target = train.drop(columns="price"), train["price"]
    from sklearn.tree import DecisionTreeRegressor

    pipeline = Pipeline(
        [
            ("features", clone(ames["preprocessor"])),
            ("model", DecisionTreeRegressor(max_depth=2, random_state=SEED)),
        ]
    )
    rmses = [
        metrics.root_mean_squared_error(
            target.iloc[valid],
            clone(pipeline)
            .fit(features.iloc[fit_rows], target.iloc[fit_rows])
            .predict(features.iloc[valid]),
        )
        for fit_rows, valid in KFold(3, shuffle=True, random_state=SEED).split(features)
    ]
    row = ames["board"].set_index("candidate").loc["tree"]
    assert row["rmse_mean"] == pytest.approx(np.mean(rmses))


def test_no_fold_ever_fits_on_its_validation_rows() -> None:
    train = _table(60, 0, "Status")
    params = _params(
        **{
            **CLASSIFICATION,
            "candidates": {"spy": {"estimator": "toy_estimators.SpyClassifier"}},
        }
    )
    toy_estimators.FITTED_ROWS.clear()
    search_candidates(
        train,
        _preprocessor("classification"),
        _preprocessor("classification"),
        params,
        _tabular("Status"),
        "classification",
        1,
    )
    folds = list(StratifiedKFold(3, shuffle=True, random_state=1).split(train, train["Status"]))
    assert len(toy_estimators.FITTED_ROWS) == 3
    for fitted, (fit_rows, valid) in zip(toy_estimators.FITTED_ROWS, folds, strict=True):
        assert fitted == sorted(train["row_id"].iloc[fit_rows])
        assert set(fitted).isdisjoint(train["row_id"].iloc[valid])


# -------------------------------------------------------------------------------------------
# failing candidates


def test_failing_candidate_is_recorded_and_the_others_still_rank(credit) -> None:
    params = _params(
        **{
            **CLASSIFICATION,
            "candidates": {
                "broken": {
                    "estimator": "toy_estimators.AlwaysFailClassifier",
                    "search_space": {"strength": {"type": "int", "low": 1, "high": 2}},
                },
                "bayes": {"estimator": "naive_bayes"},
            },
        }
    )
    trials, board, _ = search_candidates(
        credit["train"],
        credit["preprocessor"],
        credit["preprocessor"],
        params,
        credit["tabular"],
        "classification",
        1,
    )
    broken = trials[trials["candidate"] == "broken"]
    assert (broken["state"] == "failed").all() and len(broken) == 2
    strength = json.loads(broken["params"].iloc[0])["strength"]
    assert broken["errors"].iloc[0] == "; ".join(
        f"fold {n}: RuntimeError: cannot fit at strength {strength}" for n in range(3)
    )
    assert board["candidate"].tolist() == ["bayes", "broken"]
    assert board.set_index("candidate").loc["broken", "n_failed"] == 2
    assert pd.isna(board.set_index("candidate").loc["broken", "params"])
    assert board.set_index("candidate").loc["broken", "errors"].startswith("fold 0: RuntimeError")


def test_every_trial_failing_is_a_clear_error(credit) -> None:
    params = _params(
        **{
            **CLASSIFICATION,
            "candidates": {"broken": {"estimator": "toy_estimators.AlwaysFailClassifier"}},
        }
    )
    with pytest.raises(InputDataError) as raised:
        search_candidates(
            credit["train"],
            credit["preprocessor"],
            credit["preprocessor"],
            params,
            credit["tabular"],
            "classification",
            1,
        )
    assert str(raised.value).startswith(
        "every trial of every candidate failed; first errors: broken: fold 0: RuntimeError: "
        "cannot fit at strength 1"
    )


def test_failing_fold_with_raise_stops_with_a_fold_fit_error(credit) -> None:
    params = _params(
        **{
            **CLASSIFICATION,
            "on_fit_error": "raise",
            "candidates": {"broken": {"estimator": "toy_estimators.AlwaysFailClassifier"}},
        }
    )
    with pytest.raises(
        FoldFitError,
        match=r"candidate 'broken' trial 0 failed on fold 0 with params \{\}: RuntimeError: "
        r"cannot fit at strength 1",
    ):
        search_candidates(
            credit["train"],
            credit["preprocessor"],
            credit["preprocessor"],
            params,
            credit["tabular"],
            "classification",
            1,
        )


# -------------------------------------------------------------------------------------------
# checks before any fit


def _search_error(train, params, problem="classification", target="Status") -> str:
    toy_estimators.FITTED_ROWS.clear()
    with pytest.raises(InputDataError) as raised:
        search_candidates(
            train,
            _preprocessor(problem),
            _preprocessor(problem),
            params,
            _tabular(target),
            problem,
            SEED,
        )
    assert toy_estimators.FITTED_ROWS == []  # nothing was fitted
    return str(raised.value)


SPY = {"spy": {"estimator": "toy_estimators.SpyClassifier"}}


def test_single_class_training_target_is_refused_before_any_fit() -> None:
    train = _table(30, 0, "Status")
    train["Status"] = pd.Categorical(["good"] * 30, categories=["good", "bad"])
    message = _search_error(train, _params(**{**CLASSIFICATION, "candidates": SPY}))
    assert "training target 'Status' of 'toy_Status' has a single class ['good']" in message


def test_binary_target_needs_a_positive_class_that_exists() -> None:
    train = _table(30, 0, "Status")
    missing = {**CLASSIFICATION, "candidates": SPY, "positive_class": None}
    message = _search_error(train, _params(**missing))
    assert f"{KEY}.positive_class: binary target with classes ['bad', 'good']" in message

    wrong = {**CLASSIFICATION, "candidates": SPY, "positive_class": "ugly"}
    message = _search_error(train, _params(**wrong))
    assert "positive_class: 'ugly' is not a class of the target (['bad', 'good'])" in message


def test_regression_metric_for_a_classification_task_is_refused() -> None:
    params = _params(
        **{**CLASSIFICATION, "candidates": SPY, "metrics": ["rmse"], "rank_by": "rmse"}
    )
    message = _search_error(_table(30, 0, "Status"), params)
    assert f"{KEY}.metrics: ['rmse'] do not apply to classification" in message
    assert "'roc_auc'" in message


def test_non_numeric_regression_target_is_refused() -> None:
    train = _table(30, 0, "price")
    train["price"] = np.where(train["price"] > 0, "high", "low")
    params = _params(**{**REGRESSION, "candidates": {"dummy": REGRESSION["candidates"]["dummy"]}})
    message = _search_error(train, params, "regression", "price")
    assert "regression target 'price' of 'toy_price' is" in message
    assert "tasks.<task>.problem: classification" in message


def test_missing_target_column_is_refused() -> None:
    train = _table(30, 0, "Status").drop(columns="Status")
    message = _search_error(train, _params(**{**CLASSIFICATION, "candidates": SPY}))
    assert "target column 'Status' is missing from the features of 'toy_Status'" in message


def test_classification_only_estimator_for_regression_is_refused_before_any_fit() -> None:
    params = _params(
        **{
            **REGRESSION,
            "candidates": {
                "spy": {"estimator": "toy_estimators.SpyRegressor"},
                "bayes": {"estimator": "naive_bayes"},
            },
        }
    )
    message = _search_error(_table(30, 0, "price"), params, "regression", "price")
    assert f"{KEY}.candidates.bayes: unknown regression estimator 'naive_bayes'" in message
    assert "'ridge'" in message


@pytest.mark.parametrize(
    ("candidate", "fragment"),
    [
        ({"estimator": "ridge", "params": {"alpah": 1.0}}, "takes no argument(s) ['alpah']"),
        (
            {
                "estimator": "lightgbm",
                "search_space": {"num_leafs": {"type": "int", "low": 4, "high": 8}},
            },
            "takes no argument(s) ['num_leafs']",
        ),
        (
            {"estimator": "ridge", "params": {"features__transform__numeric_9__scale": None}},
            "preprocessor has no parameter(s) ['features__transform__numeric_9__scale']",
        ),
        ({"estimator": "sklearn.linear_model.Rdge"}, "'sklearn.linear_model.Rdge' does not import"),
    ],
)
def test_wrong_estimator_or_parameter_names_are_refused_before_any_fit(
    candidate: dict[str, Any], fragment: str
) -> None:
    params = _params(
        **{
            **REGRESSION,
            "candidates": {"spy": {"estimator": "toy_estimators.SpyRegressor"}, "bad": candidate},
        }
    )
    message = _search_error(_table(30, 0, "price"), params, "regression", "price")
    assert message.startswith(f"{KEY}.candidates.bad: ")
    assert fragment in message


def test_cv_settings_that_cannot_apply_are_refused_before_any_fit() -> None:
    spy = {"spy": {"estimator": "toy_estimators.SpyRegressor"}}
    stratified = {**REGRESSION, "candidates": spy, "cv": {"strategy": "stratified_kfold"}}
    message = _search_error(_table(30, 0, "price"), _params(**stratified), "regression", "price")
    assert f"{KEY}.cv.strategy: stratified_kfold" in message and "use kfold" in message

    grouped = {
        **REGRESSION,
        "candidates": spy,
        "cv": {"strategy": "group_kfold", "group_column": "store"},
    }
    message = _search_error(_table(30, 0, "price"), _params(**grouped), "regression", "price")
    assert f"{KEY}.cv.group_column: column 'store' is not among the training features" in message


# -------------------------------------------------------------------------------------------
# refit_best


def test_refit_uses_the_best_candidate_and_params_on_every_training_row(credit) -> None:
    model, train = credit["model"], credit["train"]
    best = credit["board"].iloc[0]
    assert best["candidate"] == "logistic"
    assert model.named_steps["model"].get_params()["C"] == json.loads(best["params"])["C"]
    assert model.named_steps["model"].get_params()["random_state"] == SEED
    # the scaler inside the model was fitted on all training rows (and only those)
    scaler = (
        model.named_steps["features"]
        .named_steps["transform"]
        .named_transformers_["numeric_1"]["scale"]
    )
    assert scaler.mean_[0] == pytest.approx(train["x1"].mean())
    assert scaler.n_samples_seen_ == len(train)
    # the same as fitting that pipeline by hand
    from sklearn.linear_model import LogisticRegression

    by_hand = Pipeline(
        [
            ("features", clone(credit["preprocessor"])),
            ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=SEED)),
        ]
    ).fit(train.drop(columns="Status"), train["Status"].astype(object))
    features = credit["test"].drop(columns="Status")
    np.testing.assert_array_equal(model.predict_proba(features), by_hand.predict_proba(features))


def test_refit_with_cv_null_fits_the_one_candidate_on_all_rows() -> None:
    train = _table(40, 0, "price")
    params = _params(
        **{
            **REGRESSION,
            "cv": None,
            "candidates": {"spy": {"estimator": "toy_estimators.SpyRegressor"}},
        }
    )
    toy_estimators.FITTED_ROWS.clear()
    trials, board, fit_times = search_candidates(
        train,
        _preprocessor("regression"),
        _preprocessor("regression"),
        params,
        _tabular("price"),
        "regression",
        SEED,
    )
    assert toy_estimators.FITTED_ROWS == []  # no CV: nothing fitted before the refit
    assert trials.empty and fit_times == {}
    assert board.to_dict("records") == [
        {
            "rank": 1,
            "candidate": "spy",
            "estimator": "toy_estimators.SpyRegressor",
            "best": True,
            "n_trials": 0,
            "n_failed": 0,
            "params": "{}",
        }
    ]
    model = refit_best(
        train,
        _preprocessor("regression"),
        _preprocessor("regression"),
        board,
        params,
        _tabular("price"),
        "regression",
        0,
    )
    assert [sorted(train["row_id"])] == toy_estimators.FITTED_ROWS
    assert model.named_steps["model"].mean_ == pytest.approx(train["price"].mean())


def test_refit_reads_a_leaderboard_loaded_back_from_csv(credit, tmp_path: Path) -> None:
    path = tmp_path / "leaderboard.csv"
    credit["board"].to_csv(path, index=False)
    board = pd.read_csv(path)
    model = refit_best(
        credit["train"],
        credit["preprocessor"],
        credit["preprocessor"],
        board,
        credit["params"],
        credit["tabular"],
        "classification",
        SEED,
    )
    assert model.named_steps["model"].C == 1.0


# -------------------------------------------------------------------------------------------
# evaluate_on_test


def test_test_metrics_equal_scikit_learns_on_the_saved_predictions(credit) -> None:
    report, predictions = credit["report"], credit["predictions"]
    assert list(predictions.columns) == ["actual", "predicted", "proba_bad", "proba_good"]
    assert len(predictions) == len(credit["test"]) == report["rows"]
    assert list(predictions["actual"]) == list(credit["test"]["Status"].astype(str))
    actual, predicted = predictions["actual"], predictions["predicted"]
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
    # every classification metric, not only the configured three
    assert report["metrics"] == pytest.approx(expected, abs=1e-9)
    assert report["problem"] == "classification" and report["positive_class"] == "bad"
    assert report["metrics"]["roc_auc"] > 0.8
    json.dumps(report)  # plain JSON values


def test_regression_test_metrics_equal_scikit_learns(ames) -> None:
    report, predictions = ames["report"], ames["predictions"]
    assert list(predictions.columns) == ["actual", "predicted"]
    actual, predicted = predictions["actual"], predictions["predicted"]
    assert report["metrics"] == pytest.approx(
        {
            "mse": metrics.mean_squared_error(actual, predicted),
            "rmse": metrics.root_mean_squared_error(actual, predicted),
            "mae": metrics.mean_absolute_error(actual, predicted),
            "r2": metrics.r2_score(actual, predicted),
        },
        rel=1e-9,
    )
    assert report["positive_class"] is None and report["metrics"]["r2"] > 0.8
    np.testing.assert_array_equal(
        predicted, ames["model"].predict(ames["test"].drop(columns="price"))
    )


# -------------------------------------------------------------------------------------------
# describe_model


def _describe(task: dict[str, Any], train: pd.DataFrame | None = None) -> dict[str, Any]:
    problem = "classification" if "Status" in task["train"] else "regression"
    return describe_model(
        task["model"],
        task["train"] if train is None else train,
        task["board"],
        task["report"],
        task["tabular"],
        problem,
    )


def test_metadata_describes_the_model_and_how_it_was_made(credit) -> None:
    meta = _describe(credit)
    best = credit["board"].iloc[0]

    assert meta["problem"] == "classification" and meta["target"] == "Status"
    assert meta["dataset"] == "toy_Status"
    assert meta["classes"] == ["bad", "good"]
    assert (meta["estimator"], meta["candidate"]) == ("logistic_regression", "logistic")
    assert meta["params"] == json.loads(best["params"]) == {"C": 1.0}
    assert meta["cv"]["roc_auc_mean"] == pytest.approx(best["roc_auc_mean"])
    assert set(meta["cv"]) == {
        f"{m}_{s}" for m in ("roc_auc", "accuracy", "log_loss") for s in ("mean", "std")
    }
    assert meta["test"] == credit["report"]["metrics"]
    assert meta["input_features"] == {
        "x1": "float64",
        "x2": "Int64",
        "cat": "category",
        "row_id": "int64",
    }
    assert meta["model_features"] == ["x1", "x2", "row_id", "cat_a", "cat_b", "cat_c"]
    assert meta["training_rows"] == 150
    assert meta["libraries"]["scikit-learn"] == metadata.version("scikit-learn")
    assert set(meta["libraries"]) == {
        "scikit-learn",
        "lightgbm",
        "pandas",
        "numpy",
        "optuna",
        "kedro",
    }
    assert len(meta["training_data_sha256"]) == 64
    json.dumps(meta)


def test_training_data_hash_changes_when_a_training_row_changes(credit) -> None:
    train = credit["train"]
    same = _describe(credit, train.copy())["training_data_sha256"]
    changed = train.copy()
    changed.loc[17, "x1"] += 1e-9
    relabelled = train.copy()
    relabelled.loc[5, "Status"] = "bad" if relabelled.loc[5, "Status"] == "good" else "good"

    assert same == _describe(credit)["training_data_sha256"]
    assert _describe(credit, changed)["training_data_sha256"] != same
    assert _describe(credit, relabelled)["training_data_sha256"] != same
    assert _describe(credit, train.iloc[:-1])["training_data_sha256"] != same


# -------------------------------------------------------------------------------------------
# the saved model


def test_saved_model_reloads_and_predicts_identically(credit, tmp_path: Path) -> None:
    dataset = PickleDataset(
        filepath=str(tmp_path / "model.pkl"), backend="roadmap_pipelines.ml.canonical_pickle"
    )
    dataset.save(credit["model"])
    loaded = dataset.load()
    features = credit["test"].drop(columns="Status")

    assert loaded is not credit["model"]
    np.testing.assert_array_equal(loaded.predict(features), credit["model"].predict(features))
    np.testing.assert_array_equal(
        loaded.predict_proba(features), credit["model"].predict_proba(features)
    )
    # saving the reloaded model gives the same bytes
    again = PickleDataset(
        filepath=str(tmp_path / "again.pkl"), backend="roadmap_pipelines.ml.canonical_pickle"
    )
    again.save(loaded)
    assert (tmp_path / "again.pkl").read_bytes() == (tmp_path / "model.pkl").read_bytes()


def test_the_model_is_the_whole_pipeline_and_takes_raw_rows_with_unseen_categories(
    credit,
) -> None:
    model = credit["model"]
    raw = credit["test"].drop(columns="Status").head(3).copy()
    raw["cat"] = raw["cat"].cat.add_categories(["never_seen"])
    raw.loc[raw.index[0], "cat"] = "never_seen"
    raw.loc[raw.index[1], "x2"] = pd.NA  # imputed by the fitted median

    proba = model.predict_proba(raw)
    assert set(model.predict(raw)) <= {"bad", "good"}
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # an unseen category is all zeros in the one-hot columns
    encoded = model[:-1].transform(raw)
    assert encoded.loc[raw.index[0], ["cat_a", "cat_b", "cat_c"]].tolist() == [0.0, 0.0, 0.0]


# -------------------------------------------------------------------------------------------
# the tree models' fast path and target transforms


def _native(problem: str) -> Pipeline:
    return build_native_preprocessor(FeatureParams.model_validate(FEATURES).transform)


def test_tree_models_get_native_columns_and_linear_models_the_full_preprocessor() -> None:
    train = _table(120, 0, "price")
    params = _params(
        **{
            **REGRESSION,
            "candidates": {
                "ridge": {"estimator": "ridge"},
                "lightgbm": {"estimator": "lightgbm", "params": {"n_estimators": 20}},
                "hgb": {"estimator": "hist_gradient_boosting", "params": {"max_iter": 20}},
                "tuned": {
                    "estimator": "lightgbm",
                    "params": {"n_estimators": 20, "features__transform__sparse_threshold": 0.5},
                },
            },
        }
    )
    _, board, _ = search_candidates(
        train,
        _preprocessor("regression"),
        _native("regression"),
        params,
        _tabular("price"),
        "regression",
        SEED,
    )
    steps = {}
    for name in ("ridge", "lightgbm", "hgb", "tuned"):
        one = board.assign(best=board["candidate"] == name)
        model = refit_best(
            train,
            _preprocessor("regression"),
            _native("regression"),
            one,
            params,
            _tabular("price"),
            "regression",
            SEED,
        )
        steps[name] = type(model.named_steps["features"].steps[0][1]).__name__
    assert steps == {
        "ridge": "ColumnTransformer",
        "lightgbm": "NativeColumns",
        "hgb": "NativeColumns",
        # tuning the preprocessor needs the preprocessor
        "tuned": "ColumnTransformer",
    }
    assert board["n_failed"].sum() == 0


def test_native_tree_model_is_reproducible_and_survives_pickling(tmp_path: Path) -> None:
    train, test = _table(200, 0, "price"), _table(50, 1, "price")
    test.loc[0, "cat"] = pd.NA  # missing at predict time stays missing
    params = _params(
        **{
            **REGRESSION,
            "candidates": {"lightgbm": {"estimator": "lightgbm", "params": {"n_estimators": 30}}},
        }
    )
    args = (_preprocessor("regression"), _native("regression"))
    _, board, _ = search_candidates(train, *args, params, _tabular("price"), "regression", SEED)
    first = refit_best(train, *args, board, params, _tabular("price"), "regression", SEED)
    second = refit_best(train, *args, board, params, _tabular("price"), "regression", SEED)
    features = test.drop(columns=["price"])
    dataset = PickleDataset(
        filepath=str(tmp_path / "model.pkl"), backend="roadmap_pipelines.ml.canonical_pickle"
    )
    dataset.save(first)

    expected = first.predict(features)
    np.testing.assert_array_equal(second.predict(features), expected)
    np.testing.assert_array_equal(dataset.load().predict(features), expected)
    booster = first.named_steps["model"]
    assert booster.booster_.pandas_categorical == [["a", "b", "c"]]


def test_log1p_target_transform_wraps_the_regressor_and_routes_searched_parameters() -> None:
    train = _table(150, 0, "price")
    train["price"] = np.exp(train["price"] / 3)
    params = _params(
        **{
            **REGRESSION,
            "candidates": {
                "ridge_log": {
                    "estimator": "ridge",
                    "target_transform": "log1p",
                    "search_space": {"alpha": {"type": "categorical", "choices": [0.5, 2.0]}},
                }
            },
        }
    )
    args = (_preprocessor("regression"), _native("regression"))
    trials, board, _ = search_candidates(train, *args, params, _tabular("price"), "regression", 0)
    model = refit_best(train, *args, board, params, _tabular("price"), "regression", 0)

    assert (trials["state"] == "complete").all() and len(trials) == 2
    wrapped = model.named_steps["model"]
    assert wrapped.regressor_.alpha == json.loads(board.loc[0, "params"])["alpha"]
    features = train.drop(columns=["price"])
    transformed = model[:-1].transform(features)
    np.testing.assert_allclose(
        model.predict(features), np.expm1(wrapped.regressor_.predict(transformed))
    )


def test_target_transform_is_refused_for_classification_and_for_targets_below_minus_one() -> None:
    classification = _params(
        **{
            **CLASSIFICATION,
            "candidates": {"ridge": {"estimator": "ridge", "target_transform": "log1p"}},
        }
    )
    with pytest.raises(InputDataError, match="candidates.ridge.target_transform: applies to"):
        search_candidates(
            _table(60, 0, "Status"),
            _preprocessor("classification"),
            _native("classification"),
            classification,
            _tabular("Status"),
            "classification",
            0,
        )
    regression = _params(
        **{
            **REGRESSION,
            "candidates": {"ridge": {"estimator": "ridge", "target_transform": "log1p"}},
        }
    )
    with pytest.raises(InputDataError, match="log1p needs a target above -1"):
        search_candidates(
            _table(60, 0, "price"),
            _preprocessor("regression"),
            _native("regression"),
            regression,
            _tabular("price"),
            "regression",
            0,
        )


def test_preprocessor_is_fitted_once_per_fold_and_shared_by_trials_and_candidates(
    monkeypatch,
) -> None:
    from roadmap_pipelines.ml.tabular import cv as cv_module

    train = _table(150, 0, "price")
    params = _params(
        **{
            **REGRESSION,
            "candidates": {
                "ridge": {
                    "estimator": "ridge",
                    "search_space": {"alpha": {"type": "categorical", "choices": [0.1, 10.0]}},
                },
                "lasso": {"estimator": "lasso", "params": {"alpha": 0.01}},
            },
        }
    )
    calls = []
    real = cv_module.transform_folds
    monkeypatch.setattr(
        "roadmap_pipelines.pipelines.modelling_tabular.nodes.transform_folds",
        lambda *args: calls.append(1) or real(*args),
    )
    args = (_preprocessor("regression"), _native("regression"))
    trials, _, _ = search_candidates(train, *args, params, _tabular("price"), "regression", 0)

    assert len(calls) == 1  # one preprocessor fit per fold for 3 trials of 2 candidates
    features, target = train.drop(columns=["price"]), train["price"]
    folds = cv_module.cv_folds(params.cv, features, target, 0)
    for trial in trials.itertuples():
        pipeline = Pipeline(
            [("features", clone(_preprocessor("regression"))), ("model", _sklearn(trial))]
        )
        expected = [
            metrics.root_mean_squared_error(
                target.iloc[valid],
                clone(pipeline)
                .fit(features.iloc[fit], target.iloc[fit])
                .predict(features.iloc[valid]),
            )
            for fit, valid in folds
        ]
        assert trial.rmse_mean == pytest.approx(np.mean(expected), rel=1e-12)


def _sklearn(trial: Any) -> Any:
    from sklearn.linear_model import Lasso, Ridge

    chosen = json.loads(trial.params)
    if trial.candidate == "ridge":
        return Ridge(alpha=chosen["alpha"], random_state=0)
    return Lasso(alpha=0.01, random_state=0)
