"""Nodes that compare candidate models by cross-validation, refit the best and evaluate it."""

from __future__ import annotations

import difflib
import hashlib
import json
import platform
from collections.abc import Callable, Iterable
from functools import partial
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.labels import check_labels_seen_in_training, check_target_labels
from roadmap_pipelines.ml.progress import progress
from roadmap_pipelines.ml.tabular.estimators import (
    Problem,
    handles_native_features,
    make_estimator,
)
from roadmap_pipelines.ml.tabular.metrics import (
    CLASSIFICATION_METRICS,
    GREATER_IS_BETTER,
    REGRESSION_METRICS,
)
from roadmap_pipelines.ml.tabular.model_file import model_sha256
from roadmap_pipelines.ml.tabular.search import (
    Scoring,
    TransformedFold,
    cv_folds,
    estimator_params,
    evaluate_batch,
    predict,
    score,
    search,
    transform_folds,
    trials_table,
)
from roadmap_pipelines.ml.tabular.targets import split_target
from roadmap_pipelines.params.modelling_tabular import Candidate, TabularModelling
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any

_KEY = "parameters_modelling_tabular.yml: modelling_tabular.<task>"
_LIBRARIES = ("scikit-learn", "lightgbm", "pandas", "numpy", "optuna", "kedro")


def search_candidates(
    train: pd.DataFrame,
    preprocessor: Pipeline,
    tree_preprocessor: Pipeline,
    params: TabularModelling,
    tabular: TaskParams,
    problem: str,
    random_state: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Cross-validate every candidate over its search space and rank them.

    Everything that can be checked is checked before the first fit: the metrics suit the
    problem, the target has at least two classes, the positive class exists, every estimator
    resolves and takes its parameters, and the CV columns exist.

    Args:
        train: Training features and target (``feature_engineering`` output).
        preprocessor: The unfitted feature preprocessor.
        tree_preprocessor: The unfitted preprocessor of estimators that handle missing values
            and categories themselves.
        params: The task's ``modelling_tabular.<task>`` parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        random_state: The project seed.

    Returns:
        Every trial (params, state, mean and std of each metric, errors by fold), the
        leaderboard (each candidate's best trial, ranked by ``rank_by``), and fit times (not
        reproducible, so kept apart from the leaderboard).

    Raises:
        InputDataError: If a check fails, or every trial of every candidate failed.
        FoldFitError: If a fold fails and ``on_fit_error`` is ``raise``.
    """
    import joblib

    kind = problem_kind(problem)
    features, target = split_target(train, tabular, kind)
    scoring = _scoring(params, kind, target, tabular)
    _check_target_transforms(params, kind, target, tabular)
    pipelines = {
        name: _pipeline(
            preprocessor,
            tree_preprocessor,
            candidate,
            kind,
            params,
            random_state,
            name,
            searched=candidate.search_space,
        )
        for name, candidate in params.candidates.items()
    }
    if params.cv is None:
        name = next(iter(params.candidates))
        leaderboard = pd.DataFrame(
            [
                {
                    "rank": 1,
                    "candidate": name,
                    "estimator": params.candidates[name].estimator,
                    "best": True,
                    "n_trials": 0,
                    "n_failed": 0,
                    "params": "{}",
                }
            ]
        )
        return pd.DataFrame(), leaderboard, {}
    _check_cv(params, features, kind)
    folds = cv_folds(params.cv, features, target, random_state)
    records = []
    planned = sum(_planned_trials(candidate, params) for candidate in params.candidates.values())
    # candidates that share a preprocessor and do not tune it share its fits on each fold
    shared: dict[str, list[TransformedFold]] = {}
    with progress(planned * len(folds), f"{tabular.dataset}: CV fold fits") as advance:
        for name, candidate in params.candidates.items():
            preprocessor_step = pipelines[name].named_steps["features"]
            key = joblib.hash(preprocessor_step)  # equal for clones with equal parameters
            tunes_features = any(k.startswith("features__") for k in candidate.search_space)
            if not tunes_features and key not in shared:
                shared[key] = transform_folds(preprocessor_step, features, target, folds)
            run_trials = partial(
                _counted,
                partial(
                    evaluate_batch,
                    pipelines[name],
                    features=features,
                    target=target,
                    folds=folds,
                    scoring=scoring,
                    n_jobs=params.n_jobs,
                    transformed=None if tunes_features else shared[key],
                ),
                advance,
                len(folds),
            )
            records += search(
                name,
                candidate,
                pipelines[name],
                run_trials,
                params.search,
                params.rank_by,
                params.on_fit_error,
                random_state,
            )
    trials = trials_table(records, scoring.metrics)
    fit_times = {
        name: {
            "trials": sum(1 for r in records if r["candidate"] == name),
            "mean_fit_seconds": float(
                np.mean(
                    [
                        f["fit_seconds"]
                        for r in records
                        if r["candidate"] == name
                        for f in r["folds"]
                        if "fit_seconds" in f
                    ]
                    or [np.nan]
                )
            ),
        }
        for name in params.candidates
    }
    return trials, _leaderboard(trials, params), fit_times


def refit_best(
    train: pd.DataFrame,
    preprocessor: Pipeline,
    tree_preprocessor: Pipeline,
    leaderboard: pd.DataFrame,
    params: TabularModelling,
    tabular: TaskParams,
    problem: str,
    random_state: int,
) -> Pipeline:
    """Fit the leaderboard's best candidate, with its best parameters, on every training row.

    Args:
        train: Training features and target.
        preprocessor: The unfitted feature preprocessor.
        tree_preprocessor: The unfitted preprocessor of estimators that handle missing values
            and categories themselves.
        leaderboard: Ranked candidates (``search_candidates`` output).
        params: The task's modelling parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        random_state: The project seed.

    Returns:
        The fitted ``features`` + ``model`` pipeline: the whole model, transforms included.
    """
    kind = problem_kind(problem)
    best = leaderboard.loc[leaderboard["best"]].iloc[0]
    candidate = params.candidates[best["candidate"]]
    searched = json.loads(best["params"])
    model = _pipeline(
        preprocessor,
        tree_preprocessor,
        candidate,
        kind,
        params,
        random_state,
        best["candidate"],
        searched=candidate.search_space,
    )
    model.set_params(**estimator_params(searched, model))
    features, target = split_target(train, tabular, kind)
    return model.fit(features, target)


def evaluate_on_test(
    model: Pipeline,
    test: pd.DataFrame,
    params: TabularModelling,
    tabular: TaskParams,
    problem: str,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Score the refitted model on the test rows it has never seen.

    Args:
        model: The fitted pipeline.
        test: Test features and target.
        params: The task's modelling parameters.
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.

    Returns:
        The test metrics (every metric of the problem, whatever ``metrics`` lists) and the
        test predictions: ``actual``, ``predicted`` and, for classifiers, ``proba_<class>``.
    """
    kind = problem_kind(problem)
    features, target = split_target(test, tabular, kind)
    if kind == "classification":
        _check_labels(target, params, tabular, "test rows")
        check_labels_seen_in_training(
            model.classes_, target, f"{tabular.dataset} (test split), target '{tabular.target}'"
        )
    names = REGRESSION_METRICS if kind == "regression" else CLASSIFICATION_METRICS
    positive = _positive_class(params, kind, list(model.classes_)) if kind != "regression" else None
    scoring = Scoring(kind, names, positive)
    predicted, probabilities = predict(model, features, kind)
    classes = list(model.classes_) if kind == "classification" else []
    scores = score(target, predicted, probabilities, classes, scoring)
    predictions = pd.DataFrame(
        {"actual": target.to_numpy(), "predicted": predicted}, index=test.index
    )
    if probabilities is not None:
        for column, label in enumerate(classes):
            predictions[f"proba_{label}"] = probabilities[:, column]
    report = {
        "problem": kind,
        "rows": len(test),
        "positive_class": _json_value(positive),
        "metrics": {name: _round(value) for name, value in scores.items()},
    }
    return report, predictions.reset_index(drop=True)


def describe_model(
    model: Pipeline,
    train: pd.DataFrame,
    leaderboard: pd.DataFrame,
    test_metrics: dict[str, Any],
    tabular: TaskParams,
    problem: str,
) -> dict[str, Any]:
    """Write down what the saved model is and how it was made.

    Args:
        model: The fitted pipeline.
        train: The training rows it was fitted on.
        leaderboard: Ranked candidates.
        test_metrics: ``evaluate_on_test`` output.
        tabular: The task's preprocessing parameters.
        problem: The task's ``tasks.<task>.problem``.

    Returns:
        Input features with dtypes, output feature names, problem, target, classes, the chosen
        candidate and its parameters, CV and test metrics, library versions, the SHA-256 of
        the training rows and of the saved model file (checked before serving loads it).
    """
    kind = problem_kind(problem)
    best = leaderboard.loc[leaderboard["best"]].iloc[0].to_dict()
    inputs = list(model.named_steps["features"].feature_names_in_)
    row_hashes = pd.util.hash_pandas_object(train, index=True).to_numpy()
    return {
        "dataset": tabular.dataset,
        "problem": kind,
        "target": tabular.target,
        "classes": [_json_value(c) for c in getattr(model, "classes_", [])],
        "estimator": best["estimator"],
        "candidate": best["candidate"],
        "params": json.loads(best["params"]),
        "cv": {
            key: _round(value) for key, value in best.items() if key.endswith(("_mean", "_std"))
        },
        "test": test_metrics["metrics"],
        "input_features": {name: str(train[name].dtype) for name in inputs},
        "model_features": list(model[:-1].get_feature_names_out()),
        "training_rows": len(train),
        "training_data_sha256": hashlib.sha256(row_hashes.tobytes()).hexdigest(),
        "model_sha256": model_sha256(model),
        "libraries": {name: metadata.version(name) for name in _LIBRARIES},
        "python": platform.python_version(),
    }


def _scoring(
    params: TabularModelling, problem: Problem, target: pd.Series, tabular: TaskParams
) -> Scoring:
    allowed = REGRESSION_METRICS if problem == "regression" else CLASSIFICATION_METRICS
    wrong = [name for name in params.metrics if name not in allowed]
    if wrong:
        raise InputDataError(
            f"{_KEY}.metrics: {wrong} do not apply to {problem}; use {list(allowed)}"
        )
    if problem == "regression":
        return Scoring(problem, tuple(params.metrics))
    classes = sorted(target.dropna().unique().tolist(), key=str)
    if len(classes) < 2:
        raise InputDataError(
            f"the training target '{tabular.target}' of '{tabular.dataset}' has a single "
            f"class {classes}; a classifier needs at least two"
        )
    positive = _positive_class(params, problem, classes)
    _check_labels(target, params, tabular, "training rows")
    return Scoring(problem, tuple(params.metrics), positive)


def _check_labels(
    target: pd.Series, params: TabularModelling, tabular: TaskParams, rows: str
) -> None:
    # thin plumbing: the declared classes are the target column's `allowed` list
    column = tabular.columns.get(tabular.target)
    check_target_labels(
        target,
        column.allowed if column is not None else None,
        params.positive_class,
        f"{tabular.dataset} ({rows}), target '{tabular.target}'",
    )


def _positive_class(params: TabularModelling, problem: Problem, classes: list[Any]) -> Any:
    if problem == "regression" or len(classes) != 2:
        return None
    if params.positive_class is None:
        raise InputDataError(
            f"{_KEY}.positive_class: binary target with classes {classes}; say which one "
            "precision, recall and F1 score"
        )
    if params.positive_class not in classes:
        raise InputDataError(
            f"{_KEY}.positive_class: {params.positive_class!r} is not a class of the target "
            f"({classes})"
        )
    return params.positive_class


def _pipeline(
    preprocessor: Pipeline,
    tree_preprocessor: Pipeline,
    candidate: Candidate,
    problem: Problem,
    params: TabularModelling,
    random_state: int,
    name: str,
    searched: Iterable[str] = (),
) -> Pipeline:
    """The candidate's unfitted ``features`` + ``model`` pipeline with its fixed parameters.

    Estimators that handle missing values and categories themselves get ``tree_preprocessor``
    unless the candidate tunes the preprocessor (``features__`` names). Every fixed and
    searched parameter name is checked here, before anything is fitted: a wrong name would
    otherwise fail every fold (or, for LightGBM, be silently ignored).
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    fixed = candidate.params
    model_params = {k: v for k, v in fixed.items() if not k.startswith("features__")}
    model_searched = [k for k in searched if not k.startswith("features__")]
    feature_names = [k for k in [*fixed, *searched] if k.startswith("features__")]
    try:
        model = make_estimator(
            candidate.estimator,
            problem,
            model_params,
            random_state,
            params.estimator_threads,
            searched=model_searched,
        )
    except ValueError as error:
        raise InputDataError(f"{_KEY}.candidates.{name}: {error}") from None
    if candidate.target_transform == "log1p":
        from sklearn.compose import TransformedTargetRegressor

        model = TransformedTargetRegressor(
            model, func=np.log1p, inverse_func=np.expm1, check_inverse=False
        )
    native = not feature_names and handles_native_features(candidate.estimator, problem)
    features = tree_preprocessor if native else preprocessor
    pipeline = Pipeline([("features", clone(features)), ("model", model)])
    valid = {key for key in pipeline.get_params(deep=True) if key.startswith("features__")}
    unknown = sorted(set(feature_names) - valid)
    if unknown:
        close = sorted({m for key in unknown for m in difflib.get_close_matches(key, valid, n=3)})
        raise InputDataError(
            f"{_KEY}.candidates.{name}: the feature preprocessor has no parameter(s) {unknown}"
            f"; close names: {close or 'none'} (features__<step>__<parameter>, steps "
            f"{[step for step, _ in preprocessor.steps]})"
        )
    feature_params = {k: v for k, v in fixed.items() if k.startswith("features__")}
    return pipeline.set_params(**feature_params)


def _planned_trials(candidate: Candidate, params: TabularModelling) -> int:
    """Trials the search of ``candidate`` runs unless its timeout stops it first."""
    if not candidate.search_space:
        return 1
    return candidate.grid_size() if params.search.method == "grid" else params.search.n_trials


def _counted(
    run_trials: Callable[..., list[list[dict[str, Any]]]],
    advance: Callable[[int], None],
    n_folds: int,
    param_sets: list[dict[str, Any]],
    **options: Any,
) -> list[list[dict[str, Any]]]:
    results = run_trials(param_sets, **options)
    advance(n_folds * len(param_sets))  # a pruned trial's skipped folds are done too
    return results


def _check_target_transforms(
    params: TabularModelling, problem: Problem, target: pd.Series, tabular: TaskParams
) -> None:
    for name, candidate in params.candidates.items():
        if candidate.target_transform is None:
            continue
        if problem != "regression":
            raise InputDataError(
                f"{_KEY}.candidates.{name}.target_transform: applies to regression only; "
                "remove it for this classification task"
            )
        if target.min() <= -1:
            raise InputDataError(
                f"{_KEY}.candidates.{name}.target_transform: log1p needs a target above -1, "
                f"but '{tabular.target}' of '{tabular.dataset}' reaches {target.min()}"
            )


def _check_cv(params: TabularModelling, features: pd.DataFrame, problem: Problem) -> None:
    assert params.cv is not None  # a run without cv returns before candidates are compared
    if params.cv.strategy == "stratified_kfold" and problem == "regression":
        raise InputDataError(
            f"{_KEY}.cv.strategy: stratified_kfold keeps class shares per fold and needs a "
            "classification target; use kfold for regression"
        )
    for key in ("group_column", "time_column"):
        column = getattr(params.cv, key)
        if column is not None and column not in features.columns:
            raise InputDataError(
                f"{_KEY}.cv.{key}: column '{column}' is not among the training features"
            )


def _leaderboard(trials: pd.DataFrame, params: TabularModelling) -> pd.DataFrame:
    rank_by = f"{params.rank_by}_mean"
    ascending = not GREATER_IS_BETTER[params.rank_by]
    rows = []
    for name, candidate in params.candidates.items():
        own = trials[trials["candidate"] == name]
        complete = own[own["state"] == "complete"]
        row: dict[str, Any] = {
            "candidate": name,
            "estimator": candidate.estimator,
            "n_trials": len(own),
            "n_failed": int((own["state"] == "failed").sum()),
        }
        if complete.empty:
            row["params"] = None
            row["errors"] = own["errors"].iloc[0] if len(own) else ""
        else:
            best = complete.sort_values([rank_by, "trial"], ascending=[ascending, True]).iloc[0]
            columns = [c for c in trials.columns if c.endswith(("_mean", "_std"))]
            row.update({column: best[column] for column in columns})
            row["params"] = best["params"]
            row["errors"] = ""
        rows.append(row)
    board = pd.DataFrame(rows)
    if board["params"].isna().all():
        raise InputDataError(
            "every trial of every candidate failed; first errors: "
            + " | ".join(f"{r.candidate}: {r.errors}" for r in board.itertuples())
        )
    board = board.sort_values(
        [rank_by, "candidate"], ascending=[ascending, True], na_position="last"
    )
    board.insert(0, "rank", range(1, len(board) + 1))
    board["best"] = board["rank"] == 1
    return board.reset_index(drop=True)


def _round(value: Any) -> Any:
    return round(float(value), 10) if isinstance(value, float | np.floating) else value


def _json_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
