"""Cross-validated evaluation of a candidate pipeline: folds, one preprocessor fit per fold
shared by trials, and every (parameter set, fold) fit as one joblib task."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.tabular.prediction import Scoring, score_predictions
from roadmap_pipelines.params.modelling_tabular import CrossValidation

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any


def cv_folds(
    cv: CrossValidation, features: pd.DataFrame, target: pd.Series, random_state: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split training rows into (train, validation) positions.

    Args:
        cv: The ``cv`` parameters.
        features: Training features (group and time columns are read from here).
        target: Training target.
        random_state: Seed of shuffled splits.

    Returns:
        One (train positions, validation positions) pair per fold.
    """
    import numpy as np
    from sklearn import model_selection

    shuffle = {"shuffle": cv.shuffle, "random_state": random_state if cv.shuffle else None}
    if cv.strategy == "kfold":
        splitter = model_selection.KFold(cv.n_splits, **shuffle)
        return list(splitter.split(features))
    if cv.strategy == "stratified_kfold":
        splitter = model_selection.StratifiedKFold(cv.n_splits, **shuffle)
        return list(splitter.split(features, target))
    if cv.strategy == "group_kfold":
        splitter = model_selection.GroupKFold(cv.n_splits)
        return list(splitter.split(features, target, groups=features[cv.group_column]))
    order = np.argsort(features[cv.time_column].to_numpy(), kind="stable")
    splitter = model_selection.TimeSeriesSplit(cv.n_splits)
    return [(order[train], order[valid]) for train, valid in splitter.split(order)]


@dataclass(frozen=True)
class TransformedFold:
    """One fold's rows through the fitted preprocessor, or the error its fit raised."""

    train: Any = None
    valid: Any = None
    error: str | None = None


def transform_folds(
    preprocessor: Any,
    features: pd.DataFrame,
    target: pd.Series,
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> list[TransformedFold]:
    """Fit the preprocessor once per fold, for every trial that does not tune it to reuse.

    ``fit_transform`` on the training rows and ``transform`` on the validation rows are what
    ``Pipeline.fit`` and ``predict`` compute, so a trial fitted on these gives the same
    predictions as the whole pipeline fitted per trial (target encoding stays cross-fitted).

    Args:
        preprocessor: The unfitted ``features`` step.
        features: Training features.
        target: Training target.
        folds: The CV folds.

    Returns:
        One transformed (or failed) fold per fold.
    """
    from sklearn.base import clone

    transformed = []
    for train, valid in folds:
        step = clone(preprocessor)
        try:
            fitted = step.fit_transform(features.iloc[train], target.iloc[train])
            transformed.append(TransformedFold(fitted, step.transform(features.iloc[valid])))
        except Exception as error:  # noqa: BLE001 - reported by every trial on this fold
            transformed.append(TransformedFold(error=f"{type(error).__name__}: {error}"))
    return transformed


def evaluate(
    pipeline: Pipeline,
    params: dict[str, Any],
    features: pd.DataFrame,
    target: pd.Series,
    folds: list[tuple[np.ndarray, np.ndarray]],
    scoring: Scoring,
    n_jobs: int,
    transformed: list[TransformedFold] | None = None,
    stop_after: Callable[[int, dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Fit ``pipeline`` with ``params`` on each fold's training rows and score its validation rows.

    Args:
        pipeline: The unfitted ``features`` + ``model`` pipeline.
        params: Parameters to set (``model__C`` …).
        features: Training features.
        target: Training target.
        folds: The CV folds.
        scoring: Problem, metric names and positive class.
        n_jobs: Folds fitted in parallel.
        transformed: The folds through ``pipeline``'s preprocessor (``transform_folds``):
            then only the estimator is fitted. Ignored when ``params`` tune the preprocessor.
        stop_after: Called with each fold's number and record; returning True skips the
            remaining folds (a pruned trial). Given, the folds run one after another in this
            process whatever ``n_jobs`` and joblib's backend.

    Returns:
        One record per fold: ``fold``, ``fit_seconds``, each metric, and ``error`` (the
        exception's type and message if the fold failed, else ``None``).
    """
    return evaluate_batch(
        pipeline, [params], features, target, folds, scoring, n_jobs, transformed, stop_after
    )[0]


def evaluate_batch(
    pipeline: Pipeline,
    param_sets: list[dict[str, Any]],
    features: pd.DataFrame,
    target: pd.Series,
    folds: list[tuple[np.ndarray, np.ndarray]],
    scoring: Scoring,
    n_jobs: int,
    transformed: list[TransformedFold] | None = None,
    stop_after: Callable[[int, dict[str, Any]], bool] | None = None,
) -> list[list[dict[str, Any]]]:
    """``evaluate`` each parameter set, every (set, fold) fit one joblib task.

    The tasks run on joblib's active backend: in this process when ``n_jobs`` is 1, in
    ``n_jobs`` local processes, or on every worker of a Dask cluster when the caller runs
    this inside ``joblib.parallel_config(backend="dask")`` (the Dask backend ignores
    ``n_jobs``, and ships ``features`` and ``target`` to the workers once per call). Results
    come back in order whatever ran them. With ``stop_after`` (pruning, one parameter set)
    the folds run one after another in this process instead, so each can stop the rest.

    Args:
        pipeline: The unfitted ``features`` + ``model`` pipeline.
        param_sets: Parameter sets to set (``model__C`` …), e.g. one per trial of a batch.
        features: Training features.
        target: Training target.
        folds: The CV folds.
        scoring: Problem, metric names and positive class.
        n_jobs: Local processes.
        transformed: The folds through the pipeline's preprocessor (``transform_folds``):
            then only the estimator is fitted, for every set that does not tune the
            preprocessor.
        stop_after: ``evaluate``'s; only with a single parameter set.

    Returns:
        Per parameter set, ``evaluate``'s per-fold records.
    """
    from joblib import Parallel, delayed

    if stop_after is not None:
        # pruning decides after each fold whether the next one runs: one at a time, here
        (params,) = param_sets
        records = []
        for number, (train, valid) in enumerate(folds):
            fold = _shared(transformed, params, number)
            records.append(
                _fit_fold(pipeline, params, features, target, number, train, valid, scoring, fold)
            )
            if stop_after(number, records[-1]):
                break
        return [records]
    jobs = [
        delayed(_fit_fold)(
            pipeline,
            params,
            features,
            target,
            number,
            train,
            valid,
            scoring,
            _shared(transformed, params, number),
            n_jobs > 1,
        )
        for params in param_sets
        for number, (train, valid) in enumerate(folds)
    ]
    records = list(Parallel(n_jobs=n_jobs)(jobs))
    per_set = len(folds)
    return [records[start : start + per_set] for start in range(0, len(records), per_set)]


def _shared(
    transformed: list[TransformedFold] | None, params: dict[str, Any], number: int
) -> TransformedFold | None:
    """Fold ``number`` of the shared transforms, unless ``params`` tune the preprocessor."""
    if transformed is None or any(name.startswith("features__") for name in params):
        return None
    return transformed[number]


def _fit_fold(
    pipeline: Pipeline,
    params: dict[str, Any],
    features: pd.DataFrame,
    target: pd.Series,
    number: int,
    train: np.ndarray,
    valid: np.ndarray,
    scoring: Scoring,
    transformed: TransformedFold | None = None,
    in_worker: bool = False,
) -> dict[str, Any]:
    # module level, with the data as arguments: picklable for any backend, and the Dask
    # backend scatters features and target once instead of once per task
    from joblib import parallel_config
    from sklearn.base import clone

    if in_worker:
        from roadmap_pipelines.ml.workers import exit_with_parent

        # a run killed with SIGKILL must not leave its workers behind
        exit_with_parent()
    if transformed is not None and transformed.error is not None:
        return {"fold": number, "error": transformed.error}
    model = clone(pipeline).set_params(**params)
    start = time.perf_counter()
    try:
        # an estimator's own joblib calls (forests' trees) stay in this task's threads, as in
        # a loky worker; a Dask task would otherwise send every tree to the cluster
        with parallel_config(backend="threading"):
            if transformed is None:
                model.fit(features.iloc[train], target.iloc[train])
                valid_features = features.iloc[valid]
            else:
                # the preprocessor was fitted on this fold once for all trials: only the
                # estimator is fitted here
                model = model.steps[-1][1].fit(transformed.train, target.iloc[train])
                valid_features = transformed.valid
            fit_seconds = time.perf_counter() - start
            scores = score_predictions(model, valid_features, target.iloc[valid], scoring)
    except Exception as error:  # noqa: BLE001 - any estimator error is reported per fold
        return {"fold": number, "error": f"{type(error).__name__}: {error}"}
    return {"fold": number, "fit_seconds": fit_seconds, **scores, "error": None}
