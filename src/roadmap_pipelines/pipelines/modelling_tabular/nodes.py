"""Nodes that compare candidate models by cross-validation, refit the best and evaluate it."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from functools import partial
from importlib import metadata
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.labels import check_labels_seen_in_training
from roadmap_pipelines.ml.progress import progress
from roadmap_pipelines.ml.tabular.cv import (
    TransformedFold,
    cv_folds,
    evaluate_batch,
    transform_folds,
)
from roadmap_pipelines.ml.tabular.leaderboard import rank_candidates
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.ml.tabular.model_file import model_sha256
from roadmap_pipelines.ml.tabular.prediction import Scoring, predict, score
from roadmap_pipelines.ml.tabular.search import estimator_params, search, trials_table
from roadmap_pipelines.ml.tabular.targets import split_target
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines.modelling_tabular.candidates import (
    build_pipeline,
    planned_trials,
)
from roadmap_pipelines.pipelines.modelling_tabular.checks import (
    check_cv,
    check_labels,
    check_target_transforms,
    positive_class,
    scoring_for,
)

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    from roadmap_pipelines.hint_stand_ins import pd

    Pipeline = Any

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
    import numpy as np
    import pandas as pd

    kind = problem_kind(problem)
    features, target = split_target(train, tabular, kind)
    scoring = scoring_for(params, kind, target, tabular)
    check_target_transforms(params, kind, target, tabular)
    pipelines = {
        name: build_pipeline(
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
    check_cv(params, features, kind)
    folds = cv_folds(params.cv, features, target, random_state)
    records = []
    planned = sum(planned_trials(candidate, params) for candidate in params.candidates.values())
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
    return trials, rank_candidates(trials, params), fit_times


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
    model = build_pipeline(
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
    import pandas as pd

    kind = problem_kind(problem)
    features, target = split_target(test, tabular, kind)
    if kind == "classification":
        check_labels(target, params, tabular, "test rows")
        check_labels_seen_in_training(
            model.classes_, target, f"{tabular.dataset} (test split), target '{tabular.target}'"
        )
    names = REGRESSION_METRICS if kind == "regression" else CLASSIFICATION_METRICS
    positive = positive_class(params, kind, list(model.classes_)) if kind != "regression" else None
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
    import pandas as pd

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


def _round(value: Any) -> Any:
    import numpy as np

    return round(float(value), 10) if isinstance(value, float | np.floating) else value


def _json_value(value: Any) -> Any:
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value
