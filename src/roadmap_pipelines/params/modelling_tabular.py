"""Schema of ``conf/base/parameters_modelling_tabular.yml``."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PositiveInt, field_validator, model_validator

from roadmap_pipelines.ml.import_policy import check_trusted
from roadmap_pipelines.ml.tabular.estimators import REGISTRY
from roadmap_pipelines.ml.tabular.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from roadmap_pipelines.params.base import StrictModel

_FILE = "parameters_modelling_tabular.yml"
_TASK = "modelling_tabular.<task>"


class IntRange(StrictModel):
    """Integers from ``low`` to ``high``; ``step`` spaces the grid and random draws."""

    model_config = ConfigDict(title=f"{_FILE}: an int of a search_space")

    type: Literal["int"]
    low: int
    high: int
    step: PositiveInt = 1
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is greater than high ({self.high})")
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError("log scale needs low >= 1 and step 1")
        return self

    def grid_values(self) -> list[int]:
        """The values a grid search tries: ``low``, ``low + step``, … up to ``high``."""
        return list(range(self.low, self.high + 1, self.step))


class FloatRange(StrictModel):
    """Real numbers from ``low`` to ``high``, on a log scale if ``log``; a grid takes
    ``grid_points`` evenly (or log-evenly) spaced values."""

    model_config = ConfigDict(title=f"{_FILE}: a float of a search_space")

    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    grid_points: int = Field(default=5, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> FloatRange:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be less than high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("log scale needs low > 0")
        return self

    def grid_values(self) -> list[float]:
        """The ``grid_points`` values a grid search tries, evenly (or log-evenly) spaced."""
        import numpy as np

        spacing = np.geomspace if self.log else np.linspace
        return [float(point) for point in spacing(self.low, self.high, self.grid_points)]


class Categorical(StrictModel):
    """One of a list of values (numbers, strings, booleans or null)."""

    model_config = ConfigDict(title=f"{_FILE}: a categorical of a search_space")

    type: Literal["categorical"]
    choices: list[bool | int | float | str | None] = Field(min_length=1)

    def grid_values(self) -> list[bool | int | float | str | None]:
        """The values a grid search tries: every choice."""
        return list(self.choices)


Dimension = Annotated[IntRange | FloatRange | Categorical, Field(discriminator="type")]


class Candidate(StrictModel):
    """One estimator to try: its registry name or import path, fixed and searched parameters.

    Parameter names are the estimator's own (``C``, ``num_leaves``); names starting with
    ``features__`` set parameters of the feature preprocessor instead.
    """

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.candidates.<name>")

    estimator: str
    params: dict[str, Any] = Field(default_factory=dict)
    search_space: dict[str, Dimension] = Field(default_factory=dict)
    target_transform: Literal["log1p"] | None = Field(
        default=None,
        description="regression: fit on log1p(target) and predict expm1 of the estimate "
        "(scikit-learn's TransformedTargetRegressor), for skewed positive targets",
    )

    @field_validator("estimator")
    @classmethod
    def _known_short_name(cls, name: str) -> str:
        # short names and the package of an import path are checked here, before any node
        # runs; the project's pre-run check builds every candidate (hooks.ConfigCheckHooks)
        if "." in name:
            check_trusted(name, "estimator")
        elif name not in REGISTRY:
            raise ValueError(
                f"unknown estimator '{name}'; short names: {sorted(REGISTRY)}, or an import "
                "path such as sklearn.ensemble.ExtraTreesRegressor"
            )
        return name

    @model_validator(mode="after")
    def _fixed_or_searched(self) -> Candidate:
        both = sorted(set(self.params) & set(self.search_space))
        if both:
            raise ValueError(f"parameters both fixed and searched: {both}")
        return self

    def grid_size(self) -> int:
        """How many points a grid search of ``search_space`` tries (1 when it is empty)."""
        return math.prod(len(dimension.grid_values()) for dimension in self.search_space.values())


class CrossValidation(StrictModel):
    """How training rows are split into folds."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.cv")

    strategy: Literal["kfold", "stratified_kfold", "group_kfold", "time_series"]
    n_splits: int = Field(default=5, ge=2)
    shuffle: bool = True
    group_column: str | None = None
    time_column: str | None = None

    @model_validator(mode="after")
    def _strategy_has_its_column(self) -> CrossValidation:
        if self.strategy == "group_kfold" and self.group_column is None:
            raise ValueError("strategy 'group_kfold' needs group_column")
        if self.strategy == "time_series" and self.time_column is None:
            raise ValueError("strategy 'time_series' needs time_column (rows are sorted by it)")
        return self


class Search(StrictModel):
    """How each candidate's search space is explored."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.search")

    method: Literal["grid", "random", "bayesian"]
    n_trials: PositiveInt = Field(default=20, description="random and bayesian; grid tries all")
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="per candidate; a timeout makes runs non-repeatable"
    )
    max_grid_size: PositiveInt = 200
    batch_size: PositiveInt = Field(
        default=1,
        description="bayesian trials asked together and evaluated in parallel (with their "
        "folds; TPE sees finished trials only, so its trials depend on it); random and grid "
        "evaluate all their trials together, in batches of batch_size only with a timeout",
    )
    prune_after_trials: PositiveInt | None = Field(
        default=None,
        description="once this many trials completed, a trial whose score on a fold is worse "
        "than the median of the earlier trials on that fold skips its remaining folds "
        "(Optuna's MedianPruner; trials and folds run one at a time: batch_size 1, n_jobs 1); "
        "null: never prune",
    )


class TabularModelling(StrictModel):
    """``modelling_tabular.<task>``: candidates, folds, search and metrics of one task."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}")

    metrics: list[str] = Field(min_length=1)
    rank_by: str
    positive_class: bool | int | str | None = Field(
        default=None, description="binary classification: the class precision/recall/F1 score"
    )
    cv: CrossValidation | None = Field(
        default=None, description="null: no CV, each candidate's fixed parameters fit once"
    )
    search: Search
    on_fit_error: Literal["skip", "raise"] = "skip"
    n_jobs: int = Field(default=1, ge=1, description="folds fitted in parallel")
    estimator_threads: int = Field(default=1, ge=1, description="n_jobs given to estimators")
    candidates: dict[str, Candidate] = Field(min_length=1)

    @model_validator(mode="after")
    def _pruning_sequential(self) -> TabularModelling:
        # the pruner judges a trial by its earlier folds and by the trials before it, so its
        # folds and trials must run one after another
        if self.search.prune_after_trials is None:
            return self
        for key, value in (("search.batch_size", self.search.batch_size), ("n_jobs", self.n_jobs)):
            if value > 1:
                raise ValueError(
                    f"search.prune_after_trials needs trials and folds evaluated one at a time, "
                    f"but {key} is {value}: set {key}: 1, or prune_after_trials: null to "
                    "evaluate in parallel without pruning"
                )
        return self

    @model_validator(mode="after")
    def _metrics_known(self) -> TabularModelling:
        known = set(REGRESSION_METRICS) | set(CLASSIFICATION_METRICS)
        unknown = sorted(set(self.metrics) - known)
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; known: {sorted(known)}")
        if self.rank_by not in self.metrics:
            raise ValueError(f"rank_by '{self.rank_by}' must be one of metrics {self.metrics}")
        if self.cv is None and (
            len(self.candidates) > 1 or any(c.search_space for c in self.candidates.values())
        ):
            raise ValueError(
                "cv: null fits one candidate with fixed parameters; comparing candidates or "
                "searching needs cross-validation folds"
            )
        if self.search.method == "grid":
            too_big = {
                name: size
                for name, candidate in self.candidates.items()
                if (size := candidate.grid_size()) > self.search.max_grid_size
            }
            if too_big:
                raise ValueError(
                    f"grid search: candidates {too_big} have more grid points than "
                    f"search.max_grid_size ({self.search.max_grid_size}); coarsen step or "
                    "grid_points, or raise max_grid_size"
                )
        return self
