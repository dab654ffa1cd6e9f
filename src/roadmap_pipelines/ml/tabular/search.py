"""Cross-validated evaluation and grid, random or Bayesian (Optuna TPE) search of candidates.

Every candidate is the feature preprocessor and an estimator as one scikit-learn ``Pipeline``
(``features``, ``model``), cloned and fitted per fold on the fold's training rows only. All
three search methods run through Optuna (``GridSampler``, ``RandomSampler``, ``TPESampler``)
from one search-space schema, seeded by the project seed, so every trial is recorded alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from roadmap_pipelines.ml.tabular.metrics import (
    GREATER_IS_BETTER,
    classification_metrics,
    regression_metrics,
)
from roadmap_pipelines.params.modelling_tabular import (
    Candidate,
    Categorical,
    CrossValidation,
    FloatRange,
    IntRange,
    Search,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any


class FoldFitError(RuntimeError):
    """A candidate failed to fit or predict on one CV fold."""


@dataclass(frozen=True)
class Scoring:
    """What every fold reports: the problem, metric names and the binary positive class."""

    problem: str
    metrics: tuple[str, ...]
    positive_class: Any = None


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


def predict(model: Pipeline, features: pd.DataFrame, problem: str) -> tuple[Any, Any]:
    """Predictions and, for a classifier with ``predict_proba``, class probabilities.

    The feature transforms run once for both (``Pipeline.predict`` and ``predict_proba``
    would each run them again); the results are the pipeline's own.

    Args:
        model: The fitted pipeline (or a bare estimator).
        features: The rows' features.
        problem: ``classification`` or ``regression``.

    Returns:
        Predictions, and probabilities (one column per ``classes_``) or ``None``.
    """
    from sklearn.pipeline import Pipeline

    final, transformed = model, features
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        final, transformed = model.steps[-1][1], model[:-1].transform(features)
    predictions = final.predict(transformed)
    if problem == "classification" and hasattr(final, "predict_proba"):
        return predictions, final.predict_proba(transformed)
    return predictions, None


def score(
    target: Any, predictions: Any, probabilities: Any, classes: list[Any], scoring: Scoring
) -> dict[str, float]:
    """Each requested metric of ``predictions`` (and ``probabilities``) against ``target``."""
    if scoring.problem == "regression":
        values = regression_metrics(target, predictions)
    else:
        values = classification_metrics(
            target, predictions, probabilities, classes, scoring.positive_class
        )
    return {name: values[name] for name in scoring.metrics}


def score_predictions(
    model: Pipeline, features: pd.DataFrame, target: pd.Series, scoring: Scoring
) -> dict[str, float]:
    """Score a fitted model on rows it has not seen.

    Args:
        model: The fitted pipeline.
        features: The rows' features.
        target: Their true target.
        scoring: Problem, metric names and positive class.

    Returns:
        Each requested metric's value.
    """
    predictions, probabilities = predict(model, features, scoring.problem)
    classes = list(model.classes_) if scoring.problem == "classification" else []
    return score(target, predictions, probabilities, classes, scoring)


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


def estimator_params(params: dict[str, Any], pipeline: Pipeline) -> dict[str, Any]:
    """Route parameter names to the pipeline step they belong to: ``features__`` names to the
    preprocessor, others to the estimator (inside a target transform, if there is one)."""
    model = pipeline.named_steps["model"]
    prefix = "model__regressor__" if _wraps_regressor(model) else "model__"
    return {
        name if name.startswith("features__") else f"{prefix}{name}": value
        for name, value in params.items()
    }


def _wraps_regressor(model: Any) -> bool:
    from sklearn.compose import TransformedTargetRegressor

    return isinstance(model, TransformedTargetRegressor)


def grid(space: dict[str, IntRange | FloatRange | Categorical]) -> dict[str, list[Any]]:
    """The values a grid search tries for each dimension."""
    return {name: dimension.grid_values() for name, dimension in space.items()}


def search(
    name: str,
    candidate: Candidate,
    pipeline: Pipeline,
    run_trials: Callable[..., list[list[dict[str, Any]]]],
    settings: Search,
    rank_by: str,
    on_fit_error: str,
    random_state: int,
) -> list[dict[str, Any]]:
    """Search one candidate's space and record every trial.

    Trials are asked from Optuna ``settings.batch_size`` at a time and their folds evaluated
    together (``run_trials``, which may spread them over processes or a Dask cluster); the
    study stays in this process and is told the results in trial order. So the trials depend
    on the seed and ``batch_size`` only, never on who ran them or when they finished, and no
    storage has to be shared between processes.

    Args:
        name: The candidate's name (for records and errors).
        candidate: Its estimator, fixed parameters and search space.
        pipeline: Its unfitted pipeline with the fixed parameters set.
        run_trials: Evaluates parameter sets on every fold (``evaluate_batch`` bound to the
            data): per set, per-fold records; with pruning, called with one set and
            ``stop_after`` to prune the trial between folds.
        settings: Method, trial budget, batch size, pruning and timeout.
        rank_by: The metric the search optimises.
        on_fit_error: ``skip`` records a failing trial and goes on; ``raise`` stops.
        random_state: Seed of the sampler.

    Returns:
        One record per trial: candidate, trial, params, state, folds (per-fold records).

    Raises:
        FoldFitError: If a fold fails and ``on_fit_error`` is ``raise``.
        ValueError: If a grid has more points than ``max_grid_size``.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = candidate.search_space
    records: list[dict[str, Any]] = []

    def record(
        number: int, params: dict[str, Any], folds: list[dict[str, Any]], pruned: bool = False
    ) -> float:
        failed = [fold for fold in folds if fold["error"]]
        if failed and on_fit_error == "raise":
            first = failed[0]
            raise FoldFitError(
                f"candidate '{name}' trial {number} failed on fold {first['fold']} with "
                f"params {params}: {first['error']}"
            )
        state = "pruned" if pruned else "failed" if failed else "complete"
        records.append(
            {"candidate": name, "trial": number, "params": params, "state": state, "folds": folds}
        )
        if failed or pruned:
            return float("nan")
        return float(np.mean([fold[rank_by] for fold in folds]))

    if not space:
        record(0, {}, run_trials([{}])[0])
        return records
    values = grid(space) if settings.method == "grid" else {}
    sampler, n_trials = _sampler(name, settings, values, random_state)
    direction: Literal["minimize", "maximize"] = (
        "maximize" if GREATER_IS_BETTER[rank_by] else "minimize"
    )
    # a trial worse than the median of the earlier trials on a fold stops there: the folds
    # it would have fitted go to trials that still look promising
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=settings.prune_after_trials)
        if settings.prune_after_trials is not None
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction=direction, sampler=sampler, pruner=pruner)

    def suggest(trial: optuna.Trial) -> dict[str, Any]:
        if settings.method == "grid":
            return {key: trial.suggest_categorical(key, values[key]) for key in space}
        return {key: _suggest(trial, key, dimension) for key, dimension in space.items()}

    started = time.monotonic()
    done = 0
    while done < n_trials:
        # like study.optimize: the timeout is checked before starting more trials
        if settings.timeout_seconds and time.monotonic() - started >= settings.timeout_seconds:
            break
        trials = [study.ask() for _ in range(min(settings.batch_size, n_trials - done))]
        asked = [suggest(trial) for trial in trials]
        param_sets = [estimator_params(params, pipeline) for params in asked]
        pruned = None
        if settings.prune_after_trials is not None:
            pruned = _Pruning(trials, rank_by)
            results = run_trials(param_sets, stop_after=pruned)
        else:
            results = run_trials(param_sets)
        for trial, params, folds in zip(trials, asked, results, strict=True):
            was_pruned = pruned is not None and pruned.pruned
            try:
                value = record(trial.number, params, folds, was_pruned)
            except FoldFitError:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                raise
            if was_pruned:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            elif np.isnan(value):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
        done += len(trials)
    return records


def _sampler(
    name: str, settings: Search, values: dict[str, list[Any]], random_state: int
) -> tuple[Any, int]:
    """The seeded Optuna sampler of ``settings.method`` and how many trials it runs."""
    import optuna

    if settings.method == "grid":
        n_trials = int(np.prod([len(choices) for choices in values.values()]))
        if n_trials > settings.max_grid_size:
            raise ValueError(
                f"candidate '{name}': the grid has {n_trials} points, more than "
                f"search.max_grid_size ({settings.max_grid_size}); coarsen step/grid_points"
            )
        return _grid_sampler(values, random_state), n_trials
    if settings.method == "random":
        return optuna.samplers.RandomSampler(seed=random_state), settings.n_trials
    return optuna.samplers.TPESampler(seed=random_state), settings.n_trials


class _Pruning:
    """``stop_after`` of one trial: reports each fold's score to Optuna and asks its pruner.

    The pruner needs a fold's score before the next fold starts, so a pruned search runs
    one trial at a time with its folds in order (``search.batch_size`` and ``n_jobs`` 1,
    checked by the parameter models).
    """

    def __init__(self, trials: list[Any], rank_by: str) -> None:
        (self.trial,) = trials
        self.rank_by = rank_by
        self.pruned = False

    def __call__(self, fold: int, record: dict[str, Any]) -> bool:
        if record["error"]:
            return False
        self.trial.report(record[self.rank_by], step=fold)
        self.pruned = self.trial.should_prune()
        return self.pruned


def _grid_sampler(values: dict[str, list[Any]], random_state: int) -> Any:
    """Optuna's ``GridSampler`` without its end-of-grid ``study.stop()``.

    ``stop()`` only works inside ``study.optimize``; the ask/tell loop asks exactly one trial
    per grid point and ends by itself.
    """
    import optuna

    class GridSampler(optuna.samplers.GridSampler):
        def after_trial(self, *args: Any) -> None:
            return None

    return GridSampler(values, seed=random_state)


def _suggest(trial: Any, key: str, dimension: IntRange | FloatRange | Categorical) -> Any:
    if isinstance(dimension, Categorical):
        return trial.suggest_categorical(key, dimension.choices)
    if isinstance(dimension, IntRange):
        return trial.suggest_int(
            key, dimension.low, dimension.high, step=dimension.step, log=dimension.log
        )
    return trial.suggest_float(key, dimension.low, dimension.high, log=dimension.log)


def trials_table(records: list[dict[str, Any]], metrics: tuple[str, ...]) -> pd.DataFrame:
    """One row per trial: params as JSON, state, mean and std of each metric, errors by fold."""
    rows = []
    for record in records:
        folds = record["folds"]
        row = {
            "candidate": record["candidate"],
            "trial": record["trial"],
            "params": json.dumps(record["params"], sort_keys=True),
            "state": record["state"],
        }
        for metric in metrics:
            values = [fold[metric] for fold in folds if not fold["error"]]
            ok = record["state"] == "complete"
            row[f"{metric}_mean"] = float(np.mean(values)) if ok else np.nan
            row[f"{metric}_std"] = float(np.std(values)) if ok else np.nan
        row["errors"] = "; ".join(
            f"fold {fold['fold']}: {fold['error']}" for fold in folds if fold["error"]
        )
        rows.append(row)
    return pd.DataFrame(rows)
