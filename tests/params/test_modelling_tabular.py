"""The modelling parameter models refuse impossible configurations up front, naming the key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.ml.tabular.estimators import REGISTRY, make_estimator
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.params.modelling_tabular import (
    Candidate,
    CrossValidation,
    FloatRange,
    IntRange,
    Search,
    TabularModelling,
)
from task_config import CONFIGURED_TASKS, task_declarations

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
FILE = "parameters_modelling_tabular.yml"
TITLE = f"{FILE}: modelling_tabular.<task>"

VALID: dict[str, Any] = {
    "metrics": ["rmse", "r2"],
    "rank_by": "rmse",
    "cv": {"strategy": "kfold", "n_splits": 3},
    "search": {"method": "grid"},
    "candidates": {
        "ridge": {
            "estimator": "ridge",
            "search_space": {"alpha": {"type": "float", "low": 0.1, "high": 10.0, "log": True}},
        },
        "trees": {"estimator": "sklearn.ensemble.ExtraTreesRegressor"},
    },
}


def _with(change) -> dict[str, Any]:
    params = copy.deepcopy(VALID)
    change(params)
    return params


def _error(params: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        TabularModelling.model_validate(params)
    return str(raised.value)


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return yaml.safe_load((CONF / FILE).read_text())["modelling_tabular"]


@pytest.mark.contract
def test_shipped_file_is_valid_and_every_candidate_builds_for_its_problem(shipped) -> None:
    problems = {task: spec.problem for task, spec in task_declarations().items()}
    assert set(shipped) == set(CONFIGURED_TASKS)
    for task in CONFIGURED_TASKS:
        params = TabularModelling.model_validate(shipped[task])
        allowed = (
            CLASSIFICATION_METRICS if problems[task] == "classification" else (REGRESSION_METRICS)
        )
        assert set(params.metrics) <= set(allowed), task
        for name, candidate in params.candidates.items():
            estimator = make_estimator(
                candidate.estimator,
                problems[task],
                candidate.params,
                0,
                1,
                searched=candidate.search_space,
            )
            assert estimator.get_params()  # builds, takes its fixed and searched names
            assert name in params.candidates


def test_valid_parameters_keep_their_values_and_defaults() -> None:
    params = TabularModelling.model_validate(VALID)
    assert params.on_fit_error == "skip"
    assert (params.n_jobs, params.estimator_threads) == (1, 1)
    assert params.search.n_trials == 20 and params.search.max_grid_size == 200
    assert params.cv.shuffle is True
    alpha = params.candidates["ridge"].search_space["alpha"]
    assert isinstance(alpha, FloatRange) and alpha.grid_points == 5
    assert params.candidates["trees"].grid_size() == 1
    assert params.candidates["ridge"].grid_size() == 5


ERROR_CASES = {
    "unknown metric": (
        lambda p: p.update(metrics=["rmse", "rsme"]),
        ["unknown metrics ['rsme']", "'log_loss'", "'rmse'"],
    ),
    "rank_by not in metrics": (
        lambda p: p.update(rank_by="mae"),
        ["rank_by 'mae' must be one of metrics ['rmse', 'r2']"],
    ),
    "unknown key": (
        lambda p: p.update(folds=3),
        ["folds", "Extra inputs are not permitted"],
    ),
    "unknown search method": (
        lambda p: p["search"].update(method="hyperband"),
        ["search.method", "'grid', 'random' or 'bayesian'"],
    ),
    "zero trials": (
        lambda p: p["search"].update(n_trials=0),
        ["search.n_trials", "greater than 0"],
    ),
    "negative timeout": (
        lambda p: p["search"].update(timeout_seconds=-1),
        ["timeout_seconds", "greater than 0"],
    ),
    "unknown on_fit_error": (
        lambda p: p.update(on_fit_error="ignore"),
        ["on_fit_error", "'skip' or 'raise'"],
    ),
    "unknown cv strategy": (
        lambda p: p["cv"].update(strategy="loo"),
        ["cv.strategy", "'kfold', 'stratified_kfold', 'group_kfold' or 'time_series'"],
    ),
    "one fold": (lambda p: p["cv"].update(n_splits=1), ["cv.n_splits", "greater than or equal"]),
    "group kfold without its column": (
        lambda p: p["cv"].update(strategy="group_kfold"),
        ["group_kfold' needs group_column"],
    ),
    "time series without its column": (
        lambda p: p["cv"].update(strategy="time_series"),
        ["time_series' needs time_column"],
    ),
    "no candidates": (lambda p: p.update(candidates={}), ["candidates", "at least 1 item"]),
    "cv null with two candidates": (
        lambda p: p.update(cv=None),
        ["cv: null fits one candidate with fixed parameters"],
    ),
    "unknown short estimator name": (
        lambda p: p["candidates"]["trees"].update(estimator="extra_trees"),
        [
            "candidates.trees.estimator",
            "unknown estimator 'extra_trees'",
            "'random_forest'",
            "import path",
        ],
    ),
    "fixed and searched": (
        lambda p: p["candidates"]["ridge"].update(params={"alpha": 1.0}),
        ["parameters both fixed and searched: ['alpha']"],
    ),
    "dimension without type": (
        lambda p: p["candidates"]["ridge"]["search_space"].update(tol={"low": 0.1, "high": 1}),
        ["tol", "Unable to extract tag using discriminator 'type'"],
    ),
    "pruning with a batch of trials": (
        lambda p: p["search"].update(prune_after_trials=3, batch_size=4),
        [
            "search.prune_after_trials needs trials and folds evaluated one at a time",
            "but search.batch_size is 4",
            "set search.batch_size: 1, or prune_after_trials: null",
        ],
    ),
    "pruning with parallel folds": (
        lambda p: p.update(n_jobs=2, search={**p["search"], "prune_after_trials": 3}),
        ["search.prune_after_trials needs", "but n_jobs is 2", "set n_jobs: 1"],
    ),
    "grid larger than max_grid_size": (
        lambda p: p["search"].update(max_grid_size=4),
        ["candidates {'ridge': 5} have more grid points than search.max_grid_size (4)"],
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_bad_parameters_are_refused_with_file_key_and_reason(case: str) -> None:
    change, fragments = ERROR_CASES[case]
    message = _error(_with(change))
    assert TITLE in message
    for fragment in fragments:
        assert fragment in message


def test_cv_null_takes_one_candidate_with_fixed_parameters_only() -> None:
    one = {"lgbm": {"estimator": "lightgbm", "params": {"n_estimators": 10}}}
    params = TabularModelling.model_validate(_with(lambda p: p.update(cv=None, candidates=one)))
    assert params.cv is None
    searched = {"ridge": VALID["candidates"]["ridge"]}
    message = _error(_with(lambda p: p.update(cv=None, candidates=searched)))
    assert "searching needs cross-validation folds" in message


def test_grid_size_is_checked_only_for_grid_searches() -> None:
    big = _with(lambda p: p["search"].update(method="random", max_grid_size=1, n_trials=3))
    assert TabularModelling.model_validate(big).search.method == "random"


def test_every_registry_short_name_passes_the_schema() -> None:
    for name in REGISTRY:
        assert Candidate(estimator=name).estimator == name


@pytest.mark.parametrize(
    ("dimension", "fragment"),
    [
        ({"type": "int", "low": 5, "high": 1}, "low (5) is greater than high (1)"),
        ({"type": "int", "low": 0, "high": 9, "log": True}, "log scale needs low >= 1"),
        ({"type": "int", "low": 1, "high": 9, "log": True, "step": 2}, "and step 1"),
        ({"type": "int", "low": 1, "high": 9, "step": 0}, "greater than 0"),
        ({"type": "float", "low": 1.0, "high": 1.0}, "must be less than high"),
        ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, "log scale needs low > 0"),
        ({"type": "float", "low": 0.0, "high": 1.0, "grid_points": 1}, "greater than or equal"),
        ({"type": "categorical", "choices": []}, "at least 1 item"),
        ({"type": "categorical", "choices": [[1, 2]]}, "choices"),
    ],
)
def test_impossible_dimensions_are_refused(dimension: dict[str, Any], fragment: str) -> None:
    message = _error(
        _with(lambda p: p["candidates"]["ridge"]["search_space"].update(alpha=dimension))
    )
    assert "alpha" in message and fragment in message


def test_dimension_grid_values() -> None:
    assert IntRange(type="int", low=1, high=10, step=4).grid_values() == [1, 5, 9]
    assert FloatRange(type="float", low=1, high=100, log=True, grid_points=3).grid_values() == (
        pytest.approx([1, 10, 100])
    )
    candidate = Candidate(
        estimator="ridge",
        search_space={
            "alpha": {"type": "float", "low": 1, "high": 2, "grid_points": 4},
            "solver": {"type": "categorical", "choices": ["auto", "svd", "lsqr"]},
        },
    )
    assert candidate.grid_size() == 12


def test_models_are_immutable() -> None:
    params = TabularModelling.model_validate(VALID)
    with pytest.raises(ValidationError):
        params.rank_by = "r2"
    assert CrossValidation(strategy="kfold").n_splits == 5
    assert Search(method="random").timeout_seconds is None
