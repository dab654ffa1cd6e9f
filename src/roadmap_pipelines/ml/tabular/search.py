"""Grid, random or Bayesian (Optuna TPE) search of one candidate's space, trial by trial.

Every candidate is the feature preprocessor and an estimator as one scikit-learn ``Pipeline``
(``features``, ``model``), cloned and fitted per fold on the fold's training rows only
(``ml.tabular.cv``). All three search methods run through Optuna (``GridSampler``,
``RandomSampler``, ``TPESampler``) from one search-space schema, seeded by the project seed,
so every trial is recorded alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from roadmap_pipelines.ml.tabular.metrics import GREATER_IS_BETTER
from roadmap_pipelines.params.modelling_tabular import (
    Candidate,
    Categorical,
    FloatRange,
    IntRange,
    Search,
)

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any


class FoldFitError(RuntimeError):
    """A candidate failed to fit or predict on one CV fold."""


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

    Trials are asked from Optuna in batches and their folds evaluated together
    (``run_trials``, which may spread them over processes or a Dask cluster): all the trials
    of a random or grid search at once, ``settings.batch_size`` at a time for a bayesian,
    pruned or timed search (``_batch_size``). The study stays in this process and is told the
    results in trial order. So the trials depend on the seed and ``batch_size`` only, never
    on who ran them or when they finished, and no storage has to be shared between
    processes. With ``on_fit_error: raise`` the first failed trial (in trial order) is
    raised once its batch is evaluated.

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
    import numpy as np
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
        trials = [study.ask() for _ in range(min(_batch_size(settings, n_trials), n_trials - done))]
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


def _batch_size(settings: Search, n_trials: int) -> int:
    """How many trials are asked and evaluated together.

    Random and grid samplers never read the results, so their trials are the same whatever
    the batch: all of them are evaluated in one call, where no worker waits at a batch's end
    for the slowest fold of the others (with 2 workers and 3 folds a trial, one trial at a
    time leaves a worker idle half the time). A timeout needs batch ends to look at the
    clock, TPE (bayesian) needs them to learn from the results, and pruning needs each
    trial's folds one after another: ``batch_size`` then.
    """
    if (
        settings.method == "bayesian"
        or settings.timeout_seconds
        or settings.prune_after_trials is not None
    ):
        return settings.batch_size
    return n_trials


def _sampler(
    name: str, settings: Search, values: dict[str, list[Any]], random_state: int
) -> tuple[Any, int]:
    """The seeded Optuna sampler of ``settings.method`` and how many trials it runs."""
    import numpy as np
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
    import numpy as np
    import pandas as pd

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
