"""Each candidate's unfitted ``features`` + ``model`` pipeline, and the trials it plans."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.estimators import (
    Problem,
    handles_native_features,
    make_estimator,
)
from roadmap_pipelines.params.modelling_tabular import Candidate, TabularModelling
from roadmap_pipelines.pipelines.modelling_tabular.checks import KEY

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline
else:
    # Kedro resolves node type hints to validate parameters: a stand-in keeps them resolvable
    # without importing scikit-learn (and SciPy) when the CLI or Kedro-Viz loads the pipelines.
    Pipeline = Any


def build_pipeline(
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
    import numpy as np
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
        raise InputDataError(f"{KEY}.candidates.{name}: {error}") from None
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
            f"{KEY}.candidates.{name}: the feature preprocessor has no parameter(s) {unknown}"
            f"; close names: {close or 'none'} (features__<step>__<parameter>, steps "
            f"{[step for step, _ in preprocessor.steps]})"
        )
    feature_params = {k: v for k, v in fixed.items() if k.startswith("features__")}
    return pipeline.set_params(**feature_params)


def planned_trials(candidate: Candidate, params: TabularModelling) -> int:
    """Trials the search of ``candidate`` runs unless its timeout stops it first."""
    if not candidate.search_space:
        return 1
    return candidate.grid_size() if params.search.method == "grid" else params.search.n_trials
