"""The estimator registry: short names for the roadmap's algorithms, or any import path.

``make_estimator("ridge", "regression", {"alpha": 2.0}, random_state=42, n_jobs=1)`` builds a
configured, unfitted scikit-learn-compatible estimator. A name containing a dot is imported
(``sklearn.ensemble.ExtraTreesClassifier``, ``xgboost.XGBRegressor`` once ``xgboost`` is in
``trusted_packages``…): only estimator classes of trusted packages. Classes are imported
only when built, so listing the registry (and the CLI, which reads it through the parameter
models) stays cheap: this module imports no scientific library.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from roadmap_pipelines.compat import lightgbm_parameter_aliases
from roadmap_pipelines.ml.import_policy import import_class

Problem = Literal["classification", "regression"]


@dataclass(frozen=True)
class Entry:
    """One short name: the class for each problem it solves, and defaults it starts from."""

    classification: str | None
    regression: str | None
    defaults: dict[str, Any] = field(default_factory=dict)
    # scikit-learn 1.8 deprecated n_jobs on LogisticRegression, where it no longer does anything
    takes_threads: bool = True
    # splits on missing values and pandas categories itself (the preprocessor's fast path)
    native_features: bool = False


_LIGHTGBM_DEFAULTS = {"deterministic": True, "force_row_wise": True, "verbose": -1}

REGISTRY: dict[str, Entry] = {
    "linear_regression": Entry(None, "sklearn.linear_model.LinearRegression"),
    "polynomial_regression": Entry(
        None, "roadmap_pipelines.ml.tabular.polynomial.PolynomialRegression"
    ),
    "ridge": Entry("sklearn.linear_model.RidgeClassifier", "sklearn.linear_model.Ridge"),
    "lasso": Entry(None, "sklearn.linear_model.Lasso"),
    "elastic_net": Entry(None, "sklearn.linear_model.ElasticNet"),
    "logistic_regression": Entry(
        "sklearn.linear_model.LogisticRegression", None, {"max_iter": 1000}, takes_threads=False
    ),
    "decision_tree": Entry(
        "sklearn.tree.DecisionTreeClassifier", "sklearn.tree.DecisionTreeRegressor"
    ),
    "svm": Entry("sklearn.svm.SVC", "sklearn.svm.SVR"),
    "knn": Entry("sklearn.neighbors.KNeighborsClassifier", "sklearn.neighbors.KNeighborsRegressor"),
    "naive_bayes": Entry("sklearn.naive_bayes.GaussianNB", None),
    "random_forest": Entry(
        "sklearn.ensemble.RandomForestClassifier", "sklearn.ensemble.RandomForestRegressor"
    ),
    "gradient_boosting": Entry(
        "sklearn.ensemble.GradientBoostingClassifier", "sklearn.ensemble.GradientBoostingRegressor"
    ),
    "hist_gradient_boosting": Entry(
        "sklearn.ensemble.HistGradientBoostingClassifier",
        "sklearn.ensemble.HistGradientBoostingRegressor",
        native_features=True,
    ),
    "lightgbm": Entry(
        "lightgbm.LGBMClassifier",
        "lightgbm.LGBMRegressor",
        _LIGHTGBM_DEFAULTS,
        native_features=True,
    ),
    "mlp": Entry(
        "sklearn.neural_network.MLPClassifier",
        "sklearn.neural_network.MLPRegressor",
        {"max_iter": 500, "early_stopping": True},
    ),
}


def known_names(problem: Problem) -> list[str]:
    """The short names that solve ``problem``, sorted."""
    return sorted(name for name, entry in REGISTRY.items() if getattr(entry, problem))


def handles_native_features(name: str, problem: Problem) -> bool:
    """Whether the estimator ``name`` (short name or import path) splits on missing values and
    pandas categories itself, so the feature preprocessor's fast path suits it."""
    entry = REGISTRY.get(name)
    if entry is not None:
        return entry.native_features
    native = {getattr(entry, problem) for entry in REGISTRY.values() if entry.native_features}
    return name in native


def estimator_class(name: str, problem: Problem) -> type:
    """Resolve a short name or an import path to its class.

    Args:
        name: A key of ``REGISTRY`` or ``package.module.Class``.
        problem: ``classification`` or ``regression``.

    Returns:
        The estimator class.

    Raises:
        ValueError: If the name is unknown, does not solve ``problem``, names a package
            that is not trusted (``roadmap_pipelines.ml.import_policy``), does not import,
            or is not an estimator class.
    """
    if "." not in name:
        entry = REGISTRY.get(name)
        path = getattr(entry, problem) if entry else None
        if path is None:
            raise ValueError(
                f"unknown {problem} estimator '{name}'; known: {known_names(problem)}, or "
                "give an import path such as sklearn.ensemble.ExtraTreesRegressor"
            )
    else:
        path = name
    return import_class(path, "estimator", ("fit", "get_params"))


def make_estimator(
    name: str,
    problem: Problem,
    params: dict[str, Any],
    random_state: int,
    n_jobs: int,
    searched: Iterable[str] = (),
) -> Any:
    """Build an unfitted estimator from its name and keyword arguments.

    The project seed and thread count are passed to every class that takes ``random_state`` or
    ``n_jobs`` unless ``params`` sets them, so runs repeat exactly and stay within the cores.

    Args:
        name: A short name or an import path.
        problem: ``classification`` or ``regression``.
        params: Keyword arguments for the class (over the registry's defaults).
        random_state: The project seed.
        n_jobs: Threads an estimator may use.
        searched: Names a search will set later; checked like ``params``.

    Returns:
        The estimator.

    Raises:
        ValueError: If the name does not resolve, or ``params`` or ``searched`` name an
            argument the class does not take (the message lists the ones it does).
    """
    cls = estimator_class(name, problem)
    entry = REGISTRY.get(name)
    named, extra = _accepted_arguments(cls)
    arguments = {**(entry.defaults if entry else {}), **params}
    unknown = sorted((set(arguments) | set(searched)) - named - (extra or set()))
    if unknown and extra is not None:
        hints = [
            f"for '{word}' did you mean {' or '.join(repr(match) for match in close)}?"
            for word in unknown
            if (close := difflib.get_close_matches(word, named | extra, n=3))
        ]
        raise ValueError(
            f"estimator '{name}' ({cls.__name__}) takes no argument(s) {unknown}"
            + (f" ({'; '.join(hints)})" if hints else "")
            + f"; it takes {sorted(named)}"
            + (" or a LightGBM parameter or alias" if extra else "")
        )
    if "random_state" in named and "random_state" not in arguments:
        arguments["random_state"] = random_state
    if _takes_threads(cls) and "n_jobs" in named and "n_jobs" not in arguments:
        arguments["n_jobs"] = n_jobs
    return cls(**arguments)


def _accepted_arguments(cls: type) -> tuple[set[str], set[str] | None]:
    """The named arguments of ``cls``, and the ones its ``**kwargs`` take.

    The second set is empty for a class without ``**kwargs``. LightGBM passes ``**kwargs`` on
    as native parameters and silently ignores unknown ones (a typo such as ``num_leafs`` would
    leave the default in place), so its native names and aliases are listed. ``None`` means
    ``**kwargs`` takes anything we cannot check.
    """
    parameters = inspect.signature(cls).parameters.values()
    named = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if not any(p.kind is p.VAR_KEYWORD for p in parameters):
        return named, set()
    if cls.__module__.split(".")[0] == "lightgbm":
        return named, lightgbm_parameter_aliases()
    return named, None


def _takes_threads(cls: type) -> bool:
    """Whether ``n_jobs`` does anything for ``cls`` (registry entries can say it does not)."""
    return not any(
        not entry.takes_threads
        and cls in (_resolve(path) for path in (entry.classification, entry.regression) if path)
        for entry in REGISTRY.values()
    )


def _resolve(path: str) -> type | None:
    module_name, _, class_name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return None
