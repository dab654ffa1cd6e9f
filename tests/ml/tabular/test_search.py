"""Cross-validation folds, per-fold evaluation and the grid, random and Bayesian searches.

Most searches here tune a toy model whose cross-validated score is a known function of its
parameter: ``ConstantRegressor(c)`` predicts ``c`` everywhere, so with equal-sized folds the
mean of the folds' MSE is smallest exactly at the target mean.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import toy_estimators
from roadmap_pipelines.ml.tabular.cv import cv_folds, evaluate, evaluate_batch, transform_folds
from roadmap_pipelines.ml.tabular.prediction import Scoring, predict
from roadmap_pipelines.ml.tabular.search import (
    FoldFitError,
    estimator_params,
    grid,
    search,
    trials_table,
)
from roadmap_pipelines.params.modelling_tabular import Candidate, CrossValidation, Search
from toy_estimators import (
    ConstantRegressor,
    MarkerFailRegressor,
    SleepyRegressor,
    SpyRegressor,
)

SEED = 42
MSE = Scoring("regression", ("mse", "mae"))
# 30 rows, target 0.5 … 29.5: mean 15.0; three folds of ten rows
ROWS = 30
OPTIMUM = 15.0


@pytest.fixture
def table() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(1)
    features = pd.DataFrame(
        {
            "x": rng.normal(size=ROWS),
            "row_id": np.arange(ROWS),
            "marker": (np.arange(ROWS) == 4).astype(int),
            "group": np.repeat(list("abcdefghij"), 3),
            "when": pd.date_range("2024-01-01", periods=ROWS, freq="D")[rng.permutation(ROWS)],
        }
    )
    return features, pd.Series(np.arange(ROWS) + 0.5, name="y")


def _pipeline(model: Any) -> Pipeline:
    return Pipeline([("features", "passthrough"), ("model", model)])


def _kfold(features: pd.DataFrame, target: pd.Series, n_splits: int = 3) -> list:
    return cv_folds(CrossValidation(strategy="kfold", n_splits=n_splits), features, target, SEED)


def _search(
    table: tuple[pd.DataFrame, pd.Series],
    model: Any,
    space: dict[str, Any],
    settings: dict[str, Any],
    rank_by: str = "mse",
    on_fit_error: str = "skip",
    n_splits: int = 3,
    scoring: Scoring = MSE,
) -> list[dict[str, Any]]:
    features, target = table
    pipeline = _pipeline(model)
    run_trials = partial(
        evaluate_batch,
        pipeline,
        features=features,
        target=target,
        folds=_kfold(features, target, n_splits),
        scoring=scoring,
        n_jobs=1,
    )
    candidate = Candidate(estimator="toy_estimators.Toy", search_space=space)
    return search(
        "toy",
        candidate,
        pipeline,
        run_trials,
        Search.model_validate(settings),
        rank_by,
        on_fit_error,
        SEED,
    )


def _mean(record: dict[str, Any], metric: str = "mse") -> float:
    return float(np.mean([fold[metric] for fold in record["folds"]]))


def _best(records: list[dict[str, Any]], metric: str = "mse") -> dict[str, Any]:
    return min((r for r in records if r["state"] == "complete"), key=lambda r: _mean(r, metric))


# -------------------------------------------------------------------------------------------
# folds


def test_kfold_partitions_the_rows_and_repeats_with_the_seed(table) -> None:
    features, target = table
    folds = _kfold(features, target)

    assert len(folds) == 3
    validation = np.concatenate([valid for _, valid in folds])
    assert sorted(validation) == list(range(ROWS))
    for train, valid in folds:
        assert len(valid) == 10
        assert set(train).isdisjoint(valid) and len(train) + len(valid) == ROWS
    # shuffled: not the first ten rows in order
    assert sorted(folds[0][1]) != list(range(10))
    assert all(
        np.array_equal(a[1], b[1]) for a, b in zip(folds, _kfold(features, target), strict=True)
    )
    unshuffled = cv_folds(
        CrossValidation(strategy="kfold", n_splits=3, shuffle=False), features, target, SEED
    )
    assert list(unshuffled[0][1]) == list(range(10))


def test_stratified_kfold_keeps_the_class_share_in_every_fold(table) -> None:
    features, _ = table
    labels = pd.Series(["bad"] * 9 + ["good"] * 21)
    folds = cv_folds(
        CrossValidation(strategy="stratified_kfold", n_splits=3), features, labels, SEED
    )
    for _, valid in folds:
        assert (labels.iloc[valid] == "bad").sum() == 3
        assert (labels.iloc[valid] == "good").sum() == 7


def test_group_kfold_never_splits_a_group_across_folds(table) -> None:
    features, target = table
    folds = cv_folds(
        CrossValidation(strategy="group_kfold", n_splits=5, group_column="group"),
        features,
        target,
        SEED,
    )
    assert len(folds) == 5
    seen: list[str] = []
    for train, valid in folds:
        valid_groups = set(features["group"].iloc[valid])
        assert valid_groups.isdisjoint(features["group"].iloc[train])
        seen += sorted(valid_groups)
    assert sorted(seen) == list("abcdefghij")  # each group validates exactly once


def test_time_series_folds_validate_on_rows_later_than_every_training_row(table) -> None:
    features, target = table
    folds = cv_folds(
        CrossValidation(strategy="time_series", n_splits=4, time_column="when"),
        features,
        target,
        SEED,
    )
    assert len(folds) == 4
    when = features["when"]
    previous_train = 0
    for train, valid in folds:
        assert when.iloc[train].max() < when.iloc[valid].min()
        assert len(train) > previous_train  # an expanding window
        previous_train = len(train)
    # the rows are shuffled in time, so positions are mapped back, not taken in file order
    assert sorted(folds[0][0]) != list(range(len(folds[0][0])))


def test_a_cv_run_never_fits_on_its_validation_rows(table) -> None:
    features, target = table
    folds = _kfold(features, target)
    toy_estimators.FITTED_ROWS.clear()

    records = evaluate(_pipeline(SpyRegressor()), {}, features, target, folds, MSE, n_jobs=1)

    assert len(toy_estimators.FITTED_ROWS) == len(folds)
    for fitted, (train, valid) in zip(toy_estimators.FITTED_ROWS, folds, strict=True):
        assert fitted == sorted(features["row_id"].iloc[train])
        assert set(fitted).isdisjoint(features["row_id"].iloc[valid])
    # the spy predicts its training mean: each fold's MAE is |mean(valid) - mean(train)|
    for record, (train, valid) in zip(records, folds, strict=True):
        expected = np.abs(target.iloc[valid] - target.iloc[train].mean()).mean()
        assert record["mae"] == pytest.approx(expected)
        assert record["error"] is None and record["fit_seconds"] >= 0


def test_parallel_folds_give_the_same_records_in_fold_order(table) -> None:
    features, target = table
    folds = _kfold(features, target)
    pipeline = _pipeline(LinearRegression())
    serial = evaluate(pipeline, {}, features[["x"]], target, folds, MSE, n_jobs=1)
    parallel = evaluate(pipeline, {}, features[["x"]], target, folds, MSE, n_jobs=2)

    assert [r["fold"] for r in parallel] == [0, 1, 2]
    for one, other in zip(serial, parallel, strict=True):
        assert one["mse"] == other["mse"] and one["mae"] == other["mae"]


# -------------------------------------------------------------------------------------------
# search methods find a known optimum


def test_grid_search_hits_the_exact_grid_optimum_and_records_every_point(table) -> None:
    space = {"c": {"type": "int", "low": 0, "high": 30}}
    records = _search(table, ConstantRegressor(), space, {"method": "grid"})

    assert len(records) == 31
    assert sorted(r["params"]["c"] for r in records) == list(range(31))
    assert [r["trial"] for r in records] == list(range(31))
    assert all(r["state"] == "complete" and len(r["folds"]) == 3 for r in records)
    best = _best(records)
    assert best["params"] == {"c": 15}
    # MSE of a constant c over each fold: variance of the fold + (fold mean - c)^2
    _, target = table
    folds = _kfold(*table)
    expected = np.mean([np.mean((target.iloc[v] - 15) ** 2) for _, v in folds])
    assert _mean(best) == pytest.approx(expected)


def test_random_search_gets_close_to_the_optimum_with_enough_trials(table) -> None:
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    records = _search(table, ConstantRegressor(), space, {"method": "random", "n_trials": 40})

    assert len(records) == 40
    values = [r["params"]["c"] for r in records]
    assert all(0.0 <= value <= 30.0 for value in values)
    assert len(set(values)) == 40
    assert _best(records)["params"]["c"] == pytest.approx(OPTIMUM, abs=1.0)


def test_bayesian_search_gets_close_to_the_optimum_with_enough_trials(table) -> None:
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    records = _search(table, ConstantRegressor(), space, {"method": "bayesian", "n_trials": 40})

    assert len(records) == 40
    assert _best(records)["params"]["c"] == pytest.approx(OPTIMUM, abs=0.5)
    # TPE concentrates its later trials near the optimum
    late = [abs(r["params"]["c"] - OPTIMUM) for r in records[-15:]]
    early = [abs(r["params"]["c"] - OPTIMUM) for r in records[:10]]
    assert np.median(late) < np.median(early)


def test_search_optimises_a_greater_is_better_metric_upwards(table) -> None:
    # r2 is highest where mse is lowest; a wrong direction would drive c to the ends
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    scoring = Scoring("regression", ("r2",))
    records = _search(
        table,
        ConstantRegressor(),
        space,
        {"method": "bayesian", "n_trials": 30},
        rank_by="r2",
        scoring=scoring,
    )
    late = [r["params"]["c"] for r in records[-10:]]
    assert abs(np.median(late) - OPTIMUM) < 3


def test_searches_repeat_exactly_with_the_same_seed(table) -> None:
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    for method in ("random", "bayesian", "grid"):
        settings = {"method": method, "n_trials": 8}
        first = _search(table, ConstantRegressor(), space, settings)
        second = _search(table, ConstantRegressor(), space, settings)
        assert [r["params"] for r in first] == [r["params"] for r in second], method


def test_batched_random_and_grid_searches_try_the_same_trials_as_one_at_a_time(table) -> None:
    # random and grid samplers do not read the history: batching changes who runs a trial,
    # never which trials run or what they score
    space = {"c": {"type": "int", "low": 0, "high": 30, "step": 2}}
    for method in ("random", "grid"):
        one = _search(table, ConstantRegressor(), space, {"method": method, "n_trials": 9})
        batched = _search(
            table, ConstantRegressor(), space, {"method": method, "n_trials": 9, "batch_size": 4}
        )
        assert _without_times(batched) == _without_times(one), method


def test_batched_bayesian_search_repeats_and_still_finds_the_optimum(table) -> None:
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    settings = {"method": "bayesian", "n_trials": 40, "batch_size": 4}
    first = _search(table, ConstantRegressor(), space, settings)
    second = _search(table, ConstantRegressor(), space, settings)

    assert [r["trial"] for r in first] == list(range(40))
    assert _without_times(first) == _without_times(second)
    assert _best(first)["params"]["c"] == pytest.approx(OPTIMUM, abs=1.0)


@pytest.mark.parametrize(
    ("settings", "calls"),
    [
        # bayesian (TPE) learns between batches: batch_size trials at a time
        ({"method": "bayesian", "n_trials": 10, "batch_size": 4}, [4, 4, 2]),
        # random and grid never read results: every trial in one call, no batch ends
        ({"method": "random", "n_trials": 10, "batch_size": 4}, [10]),
        ({"method": "random", "n_trials": 10}, [10]),
        ({"method": "grid", "batch_size": 2}, [7]),
        # a timeout is checked between batches: they stay batch_size long
        ({"method": "random", "n_trials": 10, "batch_size": 4, "timeout_seconds": 600}, [4, 4, 2]),
    ],
)
def test_trials_are_evaluated_in_batches_only_where_the_search_needs_them(
    table, settings, calls
) -> None:
    features, target = table
    seen: list[int] = []

    def run_trials(param_sets):
        seen.append(len(param_sets))
        folds = _kfold(features, target, 3)
        return evaluate_batch(
            _pipeline(ConstantRegressor()), param_sets, features, target, folds, MSE, 1
        )

    space = {"c": {"type": "int", "low": 0, "high": 30, "step": 5}}
    candidate = Candidate(estimator="toy_estimators.Toy", search_space=space)
    records = search(
        "toy",
        candidate,
        _pipeline(ConstantRegressor()),
        run_trials,
        Search.model_validate(settings),
        "mse",
        "skip",
        SEED,
    )

    assert seen == calls
    assert [r["trial"] for r in records] == list(range(sum(calls)))


def _without_times(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "folds": [{k: v for k, v in f.items() if k != "fit_seconds"} for f in r["folds"]]}
        for r in records
    ]


def test_int_log_int_step_and_categorical_dimensions_are_sampled_within_their_domain(
    table,
) -> None:
    space = {
        "c": {"type": "int", "low": 0, "high": 30, "step": 5},
        "seconds": {"type": "int", "low": 1, "high": 1000, "log": True},
        "kind": {"type": "categorical", "choices": ["a", None, 3, True]},
    }
    for method in ("random", "bayesian"):
        records = _search(
            table, MarkerFailRegressor(fragile=False), {"c": space["c"]}, {"method": method}
        )
        assert {r["params"]["c"] for r in records} <= {0, 5, 10, 15, 20, 25, 30}

    sampled = Candidate(estimator="toy_estimators.Toy", search_space=space)
    import optuna

    from roadmap_pipelines.ml.tabular.search import _suggest

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    draws = []
    for _ in range(200):
        trial = study.ask()
        draws.append({key: _suggest(trial, key, dim) for key, dim in sampled.search_space.items()})
        study.tell(trial, 0.0)
    assert {d["c"] for d in draws} == {0, 5, 10, 15, 20, 25, 30}
    logs = [d["seconds"] for d in draws]
    assert all(isinstance(v, int) and 1 <= v <= 1000 for v in logs)
    # log-uniform: about half the draws below sqrt(1000) ≈ 32, far more than uniform's 3 %
    assert 0.35 < np.mean(np.array(logs) < 32) < 0.65
    assert {d["kind"] for d in draws} == {"a", None, 3, True}


def test_grid_values_of_each_dimension() -> None:
    space = Candidate(
        estimator="toy_estimators.Toy",
        search_space={
            "n": {"type": "int", "low": 2, "high": 11, "step": 3},
            "alpha": {"type": "float", "low": 0.01, "high": 1.0, "log": True, "grid_points": 3},
            "ratio": {"type": "float", "low": 0.0, "high": 1.0, "grid_points": 5},
            "kind": {"type": "categorical", "choices": ["l1", "l2"]},
        },
    ).search_space
    values = grid(space)
    assert values["n"] == [2, 5, 8, 11]
    assert values["alpha"] == pytest.approx([0.01, 0.1, 1.0])
    assert values["ratio"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert values["kind"] == ["l1", "l2"]


def test_grid_search_tries_every_combination_once(table) -> None:
    space = {
        "c": {"type": "int", "low": 14, "high": 16},
        "fragile": {"type": "categorical", "choices": [False, None]},
    }
    records = _search(table, MarkerFailRegressor(), space, {"method": "grid", "n_trials": 2})

    combos = sorted((r["params"]["c"], str(r["params"]["fragile"])) for r in records)
    assert combos == sorted((c, f) for c in (14, 15, 16) for f in ("False", "None"))
    assert _best(records)["params"]["c"] == 15


def test_grid_larger_than_max_grid_size_is_refused(table) -> None:
    space = {
        "c": {"type": "int", "low": 0, "high": 30},
        "fragile": {"type": "categorical", "choices": [False, None]},
    }
    with pytest.raises(ValueError, match=r"grid has 62 points, more than search\.max_grid_size"):
        _search(table, MarkerFailRegressor(), space, {"method": "grid", "max_grid_size": 61})


def test_empty_search_space_runs_the_fixed_parameters_once(table) -> None:
    records = _search(table, ConstantRegressor(c=15), {}, {"method": "bayesian", "n_trials": 9})
    assert len(records) == 1
    assert records[0]["params"] == {} and records[0]["state"] == "complete"


def test_timeout_stops_starting_new_trials(table) -> None:
    space = {"c": {"type": "float", "low": 0.0, "high": 30.0}}
    records = _search(
        table,
        SleepyRegressor(seconds=0.05),  # 3 folds: 0.15 s a trial
        space,
        {"method": "random", "n_trials": 1000, "timeout_seconds": 0.5},
    )

    # at most ceil(0.5 / 0.15) trials start before the timeout; far fewer than n_trials
    assert 2 <= len(records) <= 6


def test_feature_parameters_route_to_the_preprocessor() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    pipeline = Pipeline([("features", StandardScaler()), ("model", Ridge())])
    params = {"alpha": 1, "features__with_mean": False}

    assert estimator_params(params, pipeline) == {
        "model__alpha": 1,
        "features__with_mean": False,
    }


def test_parameters_of_a_target_transformed_regressor_route_inside_it() -> None:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    model = TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1)
    pipeline = Pipeline([("features", StandardScaler()), ("model", model)])
    routed = estimator_params({"alpha": 3.0, "features__with_mean": False}, pipeline)

    assert routed == {"model__regressor__alpha": 3.0, "features__with_mean": False}
    assert pipeline.set_params(**routed).named_steps["model"].regressor.alpha == 3.0


# -------------------------------------------------------------------------------------------
# failing folds


def test_failing_fold_fails_its_trial_and_the_search_goes_on(table) -> None:
    space = {"fragile": {"type": "categorical", "choices": [True, False]}}
    records = _search(table, MarkerFailRegressor(c=15), space, {"method": "grid"}, n_splits=2)

    by_fragile = {r["params"]["fragile"]: r for r in records}
    failed, complete = by_fragile[True], by_fragile[False]
    assert failed["state"] == "failed" and complete["state"] == "complete"
    errors = [fold["error"] for fold in failed["folds"] if fold["error"]]
    # two folds: the marker row is in the training rows of exactly one
    assert errors == ["ValueError: marker row in the training set"]

    table_ = trials_table(records, ("mse", "mae"))
    row = table_.set_index("params").loc[json.dumps({"fragile": True})]
    assert row["state"] == "failed"
    assert re.fullmatch(r"fold [01]: ValueError: marker row in the training set", row["errors"])
    assert np.isnan(row["mse_mean"]) and np.isnan(row["mae_std"])
    ok = table_.set_index("params").loc[json.dumps({"fragile": False})]
    assert ok["errors"] == "" and ok["mse_mean"] == pytest.approx(_mean(complete))


def test_failing_fold_with_raise_names_candidate_trial_fold_and_message(table) -> None:
    features, target = table
    folds = _kfold(features, target, 2)
    failing = next(
        number
        for number, (train, _) in enumerate(folds)
        if (features["marker"].iloc[train] == 1).any()
    )
    space = {"c": {"type": "int", "low": 1, "high": 3}}
    with pytest.raises(FoldFitError) as raised:
        _search(
            table,
            MarkerFailRegressor(),
            space,
            {"method": "random", "n_trials": 3},
            on_fit_error="raise",
            n_splits=2,
        )
    message = str(raised.value)
    assert message.startswith("candidate 'toy' trial 0 failed on fold ")
    assert f"on fold {failing} with params {{'c': " in message
    assert message.endswith("ValueError: marker row in the training set")


# -------------------------------------------------------------------------------------------
# trials table


def test_trials_table_has_json_params_and_mean_and_std_of_each_metric(table) -> None:
    space = {"c": {"type": "int", "low": 14, "high": 15}}
    records = _search(table, ConstantRegressor(), space, {"method": "grid"})
    trials = trials_table(records, ("mse", "mae"))

    assert list(trials.columns) == [
        "candidate",
        "trial",
        "params",
        "state",
        "mse_mean",
        "mse_std",
        "mae_mean",
        "mae_std",
        "errors",
    ]
    assert len(trials) == 2
    for record, row in zip(records, trials.itertuples(), strict=True):
        assert json.loads(row.params) == record["params"]
        folds = [fold["mae"] for fold in record["folds"]]
        assert row.mae_mean == pytest.approx(np.mean(folds))
        assert row.mae_std == pytest.approx(np.std(folds))
    assert (
        trials_table(
            [
                {
                    "candidate": "a",
                    "trial": 0,
                    "params": {"b": 1, "a": 2},
                    "state": "complete",
                    "folds": [{"fold": 0, "mse": 1.0, "error": None}],
                }
            ],
            ("mse",),
        )["params"].iloc[0]
        == '{"a": 2, "b": 1}'
    )


# -------------------------------------------------------------------------------------------
# predictions


class _CountingScaler(TransformerMixin, BaseEstimator):
    """Multiplies by two; counts its transform calls."""

    calls = 0

    def fit(self, X, y=None):  # noqa: N803
        self.n_features_in_ = np.shape(X)[1]
        return self

    def transform(self, X):  # noqa: N803
        type(self).calls += 1
        return np.asarray(X, dtype=float) * 2


def test_predict_transforms_once_and_matches_the_pipelines_own_results() -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.linspace(-2, 2, 40).reshape(-1, 1)
    y = np.where(x.ravel() + np.sin(7 * x.ravel()) > 0, "bad", "good")
    model = Pipeline([("features", _CountingScaler()), ("model", LogisticRegression())]).fit(x, y)
    _CountingScaler.calls = 0

    predictions, probabilities = predict(model, x, "classification")

    assert _CountingScaler.calls == 1
    np.testing.assert_array_equal(predictions, model.predict(x))
    np.testing.assert_array_equal(probabilities, model.predict_proba(x))
    regression = Pipeline([("features", _CountingScaler()), ("model", LinearRegression())])
    values, none = predict(regression.fit(x, x.ravel() * 3), x, "regression")
    assert none is None
    np.testing.assert_allclose(values, x.ravel() * 3)


# -------------------------------------------------------------------------------------------
# pruning


def test_pruning_stops_trials_worse_than_the_median_and_keeps_the_best(table) -> None:
    space = {"c": {"type": "categorical", "choices": [15, 0, 30, 14, 1, 29, 16, 2]}}
    settings = {"method": "grid", "prune_after_trials": 2}
    records = _search(table, ConstantRegressor(), space, settings)
    unpruned = _search(table, ConstantRegressor(), space, {"method": "grid"})

    pruned = [r for r in records if r["state"] == "pruned"]
    assert pruned and all(len(r["folds"]) < 3 for r in pruned)
    assert all(r["state"] == "complete" for r in records[:2])  # the startup trials run fully
    # the best trial and its score are those of the search without pruning
    assert _best(records)["params"] == _best(unpruned)["params"] == {"c": 15}
    assert _mean(_best(records)) == _mean(_best(unpruned))
    fits = sum(len(r["folds"]) for r in records)
    assert fits < sum(len(r["folds"]) for r in unpruned) == 24


def test_pruned_trials_have_no_scores_in_the_trials_table(table) -> None:
    space = {"c": {"type": "categorical", "choices": [15, 14, 0, 30]}}
    records = _search(
        table, ConstantRegressor(), space, {"method": "grid", "prune_after_trials": 1}
    )
    pruned = trials_table(records, ("mse", "mae")).query("state == 'pruned'")

    assert len(pruned) >= 1
    assert pruned["mse_mean"].isna().all() and (pruned["errors"] == "").all()


def test_pruning_is_off_by_default(table) -> None:
    space = {"c": {"type": "categorical", "choices": [15, 0, 30, 14, 1]}}
    records = _search(table, ConstantRegressor(), space, {"method": "grid"})

    assert {r["state"] for r in records} == {"complete"}


def test_pruning_runs_folds_one_at_a_time_whatever_n_jobs_evaluate_batch_gets(table) -> None:
    features, target = table
    folds = _kfold(features, target)
    seen = []

    def stop_after(fold: int, record: dict[str, Any]) -> bool:
        seen.append((fold, record["mse"]))
        return fold == 1  # prune after the second fold

    (records,) = evaluate_batch(
        _pipeline(ConstantRegressor(c=3.0)),
        [{}],
        features,
        target,
        folds,
        MSE,
        n_jobs=2,
        stop_after=stop_after,
    )

    assert [r["fold"] for r in records] == [0, 1]  # the third fold never ran
    assert seen == [(0, records[0]["mse"]), (1, records[1]["mse"])]


def test_a_batch_on_shared_fold_transforms_scores_as_whole_pipelines_do(table) -> None:
    # the batched (and parallel) path fits only the estimator on the shared transforms, except
    # for parameter sets that tune the preprocessor: every score is the whole pipeline's
    features, target = table[0][["x", "row_id"]], table[1]
    folds = _kfold(features, target)
    pipeline = Pipeline([("features", StandardScaler()), ("model", LinearRegression())])
    shared = transform_folds(pipeline.named_steps["features"], features, target, folds)
    param_sets = [
        {"model__fit_intercept": True},
        {"model__fit_intercept": False},
        {"features__with_mean": False, "model__fit_intercept": False},
    ]

    batched = evaluate_batch(
        pipeline, param_sets, features, target, folds, MSE, n_jobs=2, transformed=shared
    )

    for params, records in zip(param_sets, batched, strict=True):
        whole = evaluate(pipeline, params, features, target, folds, MSE, n_jobs=1)
        assert [r["mse"] for r in records] == pytest.approx([r["mse"] for r in whole], rel=1e-12)
    # the shared transforms are centred: without an intercept only a re-fitted, uncentred
    # preprocessor gives different scores, so the third set did not use them
    assert [r["mse"] for r in batched[1]] != pytest.approx([r["mse"] for r in batched[2]])


def test_a_failed_shared_transform_fails_the_fold_of_every_trial_in_a_batch(table) -> None:
    features, target = table
    folds = _kfold(features, target)
    shared = transform_folds(StandardScaler(), features[["group"]], target, folds)
    pipeline = Pipeline([("features", StandardScaler()), ("model", LinearRegression())])

    batched = evaluate_batch(
        pipeline, [{}, {}], features[["group"]], target, folds, MSE, n_jobs=1, transformed=shared
    )

    errors = [record["error"] for records in batched for record in records]
    assert len(errors) == 6 and all(error and "ValueError" in error for error in errors)
