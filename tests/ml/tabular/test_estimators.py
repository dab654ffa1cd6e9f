"""The estimator registry: short names and import paths build configured, working estimators."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor

from roadmap_pipelines.ml.tabular.estimators import (
    REGISTRY,
    estimator_class,
    known_names,
    make_estimator,
)
from roadmap_pipelines.ml.tabular.polynomial import PolynomialRegression

SEED = 7
THREADS = 3
# short name → parameters that keep its fit on a tiny table fast
FAST = {
    "random_forest": {"n_estimators": 5},
    "gradient_boosting": {"n_estimators": 5},
    "hist_gradient_boosting": {"max_iter": 5},
    "lightgbm": {"n_estimators": 5, "min_child_samples": 2},
    "mlp": {"max_iter": 50, "early_stopping": False, "hidden_layer_sizes": (4,)},
}
PAIRS = [
    (name, problem)
    for name, entry in sorted(REGISTRY.items())
    for problem in ("classification", "regression")
    if getattr(entry, problem)
]


@pytest.fixture(scope="module")
def tiny() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    labels = np.where(features["a"] + 0.3 * rng.normal(size=40) > 0, "yes", "no")
    values = 2.0 * features["a"].to_numpy() - features["b"].to_numpy()
    return features, labels, values


def test_every_short_name_solves_at_least_one_problem() -> None:
    assert REGISTRY
    for entry in REGISTRY.values():
        assert entry.classification or entry.regression
    assert set(known_names("classification")) | set(known_names("regression")) == set(REGISTRY)
    assert "naive_bayes" in known_names("classification")
    assert "naive_bayes" not in known_names("regression")
    assert {"ridge", "lightgbm", "knn"} <= set(known_names("regression"))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(("name", "problem"), PAIRS, ids=[f"{n}-{p}" for n, p in PAIRS])
def test_short_name_builds_and_fits_a_tiny_table(
    name: str, problem: str, tiny: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    features, labels, values = tiny
    estimator = make_estimator(name, problem, FAST.get(name, {}), SEED, THREADS)

    assert type(estimator) is estimator_class(name, problem)
    assert (is_classifier if problem == "classification" else is_regressor)(estimator)
    params = estimator.get_params()
    if "random_state" in params:
        assert params["random_state"] == SEED
    for key, value in {**REGISTRY[name].defaults, **FAST.get(name, {})}.items():
        assert params[key] == value
    target = labels if problem == "classification" else values
    predictions = estimator.fit(features, target).predict(features)
    assert len(predictions) == len(features)
    if problem == "classification":
        assert set(predictions) <= {"yes", "no"}
        assert list(estimator.classes_) == ["no", "yes"]
    else:
        assert np.isfinite(predictions).all()


def test_seed_and_threads_are_injected_only_where_accepted() -> None:
    forest = make_estimator("random_forest", "classification", {}, SEED, THREADS)
    assert (forest.random_state, forest.n_jobs) == (SEED, THREADS)

    knn = make_estimator("knn", "regression", {}, SEED, THREADS)  # n_jobs, no random_state
    assert knn.n_jobs == THREADS
    assert "random_state" not in knn.get_params()

    bayes = make_estimator("naive_bayes", "classification", {}, SEED, THREADS)  # neither
    assert "random_state" not in bayes.get_params() and "n_jobs" not in bayes.get_params()

    # scikit-learn 1.8 deprecated LogisticRegression's n_jobs: left unset, whatever the path
    for name in ("logistic_regression", "sklearn.linear_model.LogisticRegression"):
        logistic = make_estimator(name, "classification", {}, SEED, THREADS)
        assert logistic.n_jobs is None
        assert logistic.random_state == SEED

    lgbm = make_estimator("lightgbm", "regression", {}, SEED, THREADS)
    assert (lgbm.random_state, lgbm.n_jobs) == (SEED, THREADS)
    assert lgbm.get_params()["deterministic"] is True


def test_explicit_params_override_seed_threads_and_registry_defaults() -> None:
    forest = make_estimator(
        "random_forest", "regression", {"random_state": 1, "n_jobs": 2}, SEED, THREADS
    )
    assert (forest.random_state, forest.n_jobs) == (1, 2)
    logistic = make_estimator("logistic_regression", "classification", {"max_iter": 5}, SEED, 1)
    assert logistic.max_iter == 5
    assert make_estimator("logistic_regression", "classification", {}, SEED, 1).max_iter == 1000


def test_import_path_builds_with_its_kwargs() -> None:
    trees = make_estimator(
        "sklearn.ensemble.ExtraTreesRegressor", "regression", {"n_estimators": 7}, SEED, THREADS
    )
    from sklearn.ensemble import ExtraTreesRegressor

    assert type(trees) is ExtraTreesRegressor
    assert (trees.n_estimators, trees.random_state, trees.n_jobs) == (7, SEED, THREADS)
    x = np.arange(20.0).reshape(-1, 1)
    assert trees.fit(x, 3 * x.ravel()).predict(x).shape == (20,)
    # an import path needs no registry entry: our own class too
    poly = make_estimator(
        "roadmap_pipelines.ml.tabular.polynomial.PolynomialRegression",
        "regression",
        {"degree": 3},
        0,
        1,
    )
    assert isinstance(poly, PolynomialRegression) and poly.degree == 3


def test_unknown_name_lists_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown regression estimator 'ridge_regression'") as e:
        make_estimator("ridge_regression", "regression", {}, SEED, 1)
    assert str(known_names("regression")) in str(e.value)
    assert "import path" in str(e.value)


def test_classification_only_name_for_regression_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown regression estimator 'logistic_regression'") as e:
        make_estimator("logistic_regression", "regression", {}, SEED, 1)
    assert "'lasso'" in str(e.value) and "'naive_bayes'" not in str(e.value)
    with pytest.raises(ValueError, match="unknown classification estimator 'lasso'"):
        make_estimator("lasso", "classification", {}, SEED, 1)


def test_import_path_that_does_not_import_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'sklearn\.ensemble\.NoSuchForest' does not import"):
        make_estimator("sklearn.ensemble.NoSuchForest", "regression", {}, SEED, 1)
    with pytest.raises(ValueError, match="package 'no_such_package' is not trusted"):
        make_estimator("no_such_package.Model", "regression", {}, SEED, 1)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("os.system", "package 'os' is not trusted"),
        ("subprocess.Popen", "package 'subprocess' is not trusted"),
        ("builtins.eval", "package 'builtins' is not trusted"),
        ("sklearn.utils.estimator_html_repr", "is a function, not a class"),
        ("statsmodels.regression.linear_model.OLS", "has no get_params method"),
    ],
)
def test_import_paths_reach_only_estimator_classes_of_trusted_packages(
    path: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        make_estimator(path, "regression", {}, SEED, 1)


def test_a_package_listed_as_trusted_is_allowed() -> None:
    from roadmap_pipelines.ml import import_policy

    with pytest.raises(ValueError, match="add 'toy_estimators2' to trusted_packages"):
        import_policy.check_trusted("toy_estimators2.Toy", "estimator")
    before = set(import_policy._extra_packages)
    try:
        import_policy.allow_packages(["toy_estimators2"])
        import_policy.check_trusted("toy_estimators2.Toy", "estimator")
    finally:
        import_policy._extra_packages.clear()
        import_policy._extra_packages.update(before)


def test_unknown_kwarg_lists_the_accepted_ones() -> None:
    with pytest.raises(ValueError) as raised:
        make_estimator("ridge", "regression", {"alpa": 1.0}, SEED, 1)
    message = str(raised.value)
    assert "estimator 'ridge' (Ridge) takes no argument(s) ['alpa']" in message
    assert "did you mean 'alpha'" in message
    from sklearn.linear_model import Ridge

    assert str(sorted(inspect.signature(Ridge).parameters)) in message


def test_lightgbm_typo_is_refused_but_native_names_and_aliases_are_taken() -> None:
    # LightGBM's **kwargs would silently ignore a typo and keep the default num_leaves
    with pytest.raises(ValueError, match=r"\['num_leafs'\].*did you mean.*'num_leaves'"):
        make_estimator("lightgbm", "classification", {"num_leafs": 8}, SEED, 1)
    native = make_estimator(
        "lightgbm", "classification", {"min_data_in_leaf": 3, "bagging_freq": 1}, SEED, 1
    )
    assert native.get_params()["min_data_in_leaf"] == 3
    # a searched name is checked like a fixed one
    with pytest.raises(ValueError, match=r"\['learning_rat'\]"):
        make_estimator("lightgbm", "regression", {}, SEED, 1, searched=["learning_rat"])
    with pytest.raises(ValueError, match=r"\['alpah'\]"):
        make_estimator("ridge", "regression", {}, SEED, 1, searched=["alpah"])


def test_polynomial_regression_recovers_a_known_quadratic_exactly() -> None:
    x = np.linspace(-3, 3, 25).reshape(-1, 1)
    y = 3.0 + 2.0 * x.ravel() - 0.5 * x.ravel() ** 2
    model = PolynomialRegression(degree=2).fit(x, y)

    linear = model.pipeline_[-1]
    assert linear.intercept_ == pytest.approx(3.0, abs=1e-10)
    np.testing.assert_allclose(linear.coef_, [2.0, -0.5], atol=1e-10)
    unseen = np.array([[10.0], [-7.5]])
    np.testing.assert_allclose(
        model.predict(unseen), 3 + 2 * unseen.ravel() - 0.5 * unseen.ravel() ** 2
    )
    assert model.n_features_in_ == 1
    # a straight line cannot: degree matters
    assert np.abs(PolynomialRegression(degree=1).fit(x, y).predict(x) - y).max() > 1


def test_polynomial_regression_degree_is_a_searchable_parameter() -> None:
    from sklearn.model_selection import GridSearchCV

    assert PolynomialRegression().get_params() == {"degree": 2, "fit_intercept": True}
    assert clone(PolynomialRegression(degree=4)).degree == 4
    x = np.linspace(-2, 2, 30).reshape(-1, 1)
    y = x.ravel() ** 3 - x.ravel()
    search = GridSearchCV(
        PolynomialRegression(), {"degree": [1, 2, 3]}, cv=3, scoring="neg_mean_squared_error"
    ).fit(x, y)
    assert search.best_params_ == {"degree": 3}
    assert search.best_score_ == pytest.approx(0.0, abs=1e-12)


def test_polynomial_regression_refuses_to_predict_unfitted() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        PolynomialRegression().predict(np.zeros((2, 1)))
