"""Unit tests of the model reports (reporting/model_nodes.py) on hand-made predictions,
leaderboards and small fitted pipelines, checked against scikit-learn where it has the same
computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance as sklearn_permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import precision_recall_curve, roc_curve
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor

from roadmap_pipelines.ml.tabular.metrics import classification_metrics, regression_metrics
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.model_nodes import (
    CALIBRATION_COLUMNS,
    PR_COLUMNS,
    RESIDUAL_COLUMNS,
    ROC_COLUMNS,
    classification_curves,
    compute_feature_importance,
    confusion_counts,
    leaderboard_scores,
    permutation_importance,
    plot_feature_importance,
    plot_leaderboard,
    plot_model_evaluation,
    plot_search_history,
    residual_points,
    summarise_metrics,
)

# --- builders -------------------------------------------------------------------------------


def modelling(rank_by: str = "roc_auc", **overrides: object) -> TabularModelling:
    values: dict[str, object] = {
        "metrics": [rank_by],
        "rank_by": rank_by,
        "positive_class": "bad" if rank_by == "roc_auc" else None,
        "cv": {"strategy": "kfold", "n_splits": 3},
        "search": {"method": "random", "n_trials": 2},
        "candidates": {"a": {"estimator": "ridge"}, "b": {"estimator": "ridge"}},
    }
    values.update(overrides)
    return TabularModelling(**values)


def tabular(target: str = "y") -> TabularParams:
    return TabularParams(
        dataset="toy",
        target=target,
        columns={target: {"dtype": "float"}},
        split={"strategy": "random", "test_size": 0.2},
    )


def leaderboard() -> pd.DataFrame:
    """Three candidates ranked by ROC-AUC; ``c`` failed every trial."""
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "candidate": ["lr", "tree", "c"],
            "estimator": ["logistic_regression", "decision_tree", "svm"],
            "roc_auc_mean": [0.83, 0.77, np.nan],
            "roc_auc_std": [0.01, 0.02, np.nan],
            "accuracy_mean": [0.79, 0.75, np.nan],
            "accuracy_std": [0.002, 0.004, np.nan],
            "params": ['{"C": 1.0}', '{"max_depth": 3}', None],
            "best": [True, False, False],
        }
    )


def binary_predictions() -> pd.DataFrame:
    """Eight test rows, positive class ``bad``; probabilities rise with the row."""
    proba_bad = np.array([0.1, 0.2, 0.35, 0.4, 0.55, 0.6, 0.8, 0.9])
    return pd.DataFrame(
        {
            "actual": ["good", "good", "bad", "good", "good", "bad", "bad", "bad"],
            "predicted": ["good", "good", "good", "good", "bad", "bad", "bad", "bad"],
            "proba_bad": proba_bad,
            "proba_good": 1 - proba_bad,
        }
    )


def binary_metrics() -> dict:
    # bad scores 0.35, 0.6, 0.8, 0.9 beat 2, 4, 4 and 4 of the good ones: ROC-AUC 14/16;
    # rows 2 and 4 are wrong: accuracy 6/8, and bad has 3 of 4 right each way: F1 0.75
    return {
        "problem": "classification",
        "rows": 8,
        "positive_class": "bad",
        "metrics": {"roc_auc": 0.875, "accuracy": 0.75, "f1": 0.75},
    }


def regression_predictions() -> pd.DataFrame:
    return pd.DataFrame({"actual": [10.0, 20.0, 30.0, 40.0], "predicted": [12.0, 18.0, 33.0, 40.0]})


# --- metrics for DVC ------------------------------------------------------------------------


def test_metrics_document_has_test_and_best_cv_numbers_only() -> None:
    document = summarise_metrics(binary_metrics(), leaderboard())

    assert document == {
        "test": {"accuracy": 0.75, "f1": 0.75, "roc_auc": 0.875},
        "cv_mean": {"accuracy": 0.79, "roc_auc": 0.83},
        "cv_std": {"accuracy": 0.002, "roc_auc": 0.01},
        "test_rows": 8,
        "candidates": 3,
    }


def test_metrics_document_rounds_and_turns_nan_into_null() -> None:
    test_metrics = {"rows": 3, "metrics": {"r2": 0.123456789, "roc_auc": float("nan")}}

    document = summarise_metrics(test_metrics, leaderboard())

    assert document["test"] == {"r2": 0.123457, "roc_auc": None}


# --- leaderboard and search history ---------------------------------------------------------


def test_leaderboard_scores_follow_rank_by() -> None:
    scores = leaderboard_scores(leaderboard().iloc[::-1], modelling())

    assert scores["candidate"].tolist() == ["lr", "tree", "c"]
    assert scores["score"].tolist()[:2] == [0.83, 0.77]
    assert np.isnan(scores["score"].iloc[2])
    assert scores["std"].tolist()[:2] == [0.01, 0.02]


def test_leaderboard_chart_draws_mean_and_std_in_rank_order() -> None:
    figure = plot_leaderboard(leaderboard_scores(leaderboard(), modelling()), modelling())

    (bars,) = figure.data
    assert list(bars.x) == ["lr", "tree", "c (failed)"]
    assert list(bars.y) == [0.83, 0.77, None]
    assert list(bars.error_y.array) == [0.01, 0.02, 0.0]
    assert bars.marker.color[0] != bars.marker.color[1] == bars.marker.color[2]
    assert figure.layout.title.text.startswith("Leaderboard: CV roc_auc, mean ± std over 3 folds")


def test_leaderboard_without_cv_says_why_there_is_nothing() -> None:
    board = pd.DataFrame({"rank": [1], "candidate": ["only"], "best": [True], "params": ["{}"]})
    single = modelling(cv=None, candidates={"only": {"estimator": "ridge"}})

    figure = plot_leaderboard(leaderboard_scores(board, single), single)

    assert figure.data == ()
    assert "cv: null" in figure.layout.annotations[0].text


def trials() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate": ["a", "a", "a", "b", "b"],
            "trial": [0, 1, 2, 0, 1],
            "params": ["{}"] * 5,
            "state": ["complete", "complete", "failed", "complete", "complete"],
            "rmse_mean": [5.0, 7.0, np.nan, 4.0, 3.0],
            "rmse_std": [0.1] * 5,
        }
    )


def test_search_history_draws_every_trial_and_the_best_so_far() -> None:
    figure = plot_search_history(trials(), modelling("rmse"))

    names = [trace.name for trace in figure.data]
    assert names == ["a (1 failed)", "a best so far", "b", "b best so far"]
    a, a_best, b, b_best = figure.data
    assert list(a.x) == [0, 1, 2]
    assert list(a.y) == [5.0, 7.0, None]
    # rmse: lower is better, so the best so far is the running minimum
    assert list(a_best.y) == [5.0, 5.0, 5.0]
    assert list(b_best.y) == [4.0, 3.0]


def test_search_history_of_a_greater_is_better_metric_keeps_the_maximum() -> None:
    table = trials().rename(columns={"rmse_mean": "roc_auc_mean", "rmse_std": "roc_auc_std"})

    figure = plot_search_history(table, modelling())

    assert list(figure.data[1].y) == [5.0, 7.0, 7.0]


# --- test-set curves ------------------------------------------------------------------------


def test_roc_and_precision_recall_points_are_scikit_learns() -> None:
    predictions = binary_predictions()
    truth = predictions["actual"] == "bad"

    roc, pr, _ = classification_curves(
        predictions, binary_metrics(), "classification", ReportingParams()
    )

    fpr, tpr, _ = roc_curve(truth, predictions["proba_bad"])
    assert roc["fpr"].tolist() == list(np.round(fpr, 6))
    assert roc["tpr"].tolist() == list(np.round(tpr, 6))
    precision, recall, _ = precision_recall_curve(
        truth, predictions["proba_bad"], drop_intermediate=True
    )
    assert pr["recall"].tolist() == list(np.round(recall[::-1], 6))
    assert pr["precision"].tolist() == list(np.round(precision[::-1], 6))
    assert pr["recall"].is_monotonic_increasing


def test_calibration_bins_are_scikit_learns_with_their_row_counts() -> None:
    predictions = binary_predictions()

    _, _, calibration = classification_curves(
        predictions, binary_metrics(), "classification", ReportingParams(calibration_bins=4)
    )

    observed, predicted = calibration_curve(
        predictions["actual"] == "bad", predictions["proba_bad"], n_bins=4
    )
    assert calibration["observed_fraction"].tolist() == list(np.round(observed, 6))
    assert calibration["mean_predicted"].tolist() == list(np.round(predicted, 6))
    # 0.1 and 0.2 | 0.35 and 0.4 | 0.55 and 0.6 | 0.8 and 0.9
    assert calibration["rows"].tolist() == [2, 2, 2, 2]


def test_multiclass_curves_are_per_class_one_vs_rest_with_a_macro_average() -> None:
    predictions = pd.DataFrame(
        {
            "actual": ["a", "b", "c"],
            "predicted": ["a", "b", "b"],
            "proba_a": [0.7, 0.2, 0.1],
            "proba_b": [0.2, 0.5, 0.5],
            "proba_c": [0.1, 0.3, 0.4],
        }
    )
    metrics = {"positive_class": None, "metrics": {}}

    params = ReportingParams(calibration_bins=4)
    roc, pr, calibration = classification_curves(predictions, metrics, "classification", params)

    assert list(roc["class"].unique()) == ["a", "b", "c", "macro average"]
    for label in "abc":
        fpr, tpr, _ = roc_curve(predictions["actual"] == label, predictions[f"proba_{label}"])
        curve = roc[roc["class"] == label]
        assert curve["fpr"].tolist() == list(np.round(fpr, 6))
        assert curve["tpr"].tolist() == list(np.round(tpr, 6))
    # the macro average: each class's true-positive rate on the union of their fpr values
    macro = roc[roc["class"] == "macro average"]
    assert macro["fpr"].is_monotonic_increasing and macro["fpr"].iloc[-1] == 1.0
    assert macro["tpr"].is_monotonic_increasing and macro["tpr"].iloc[-1] == 1.0
    assert macro[["fpr", "tpr"]].iloc[0].tolist() == [0.0, 0.0]
    assert set(pr["class"]) == set(calibration["class"]) == {"a", "b", "c", "macro average"}
    # calibration bins come from calibration_bins: every row lands in one of the 4 bins
    per_class = calibration[calibration["class"] != "macro average"]
    assert per_class.groupby("class")["rows"].sum().tolist() == [3, 3, 3]
    assert len(calibration[calibration["class"] == "a"]) <= 4


def test_curves_of_a_regression_are_headers_only() -> None:
    tables = classification_curves(
        regression_predictions(), {"metrics": {}}, "regression", ReportingParams()
    )

    assert [list(table.columns) for table in tables] == [
        ROC_COLUMNS,
        PR_COLUMNS,
        CALIBRATION_COLUMNS,
    ]
    assert all(table.empty for table in tables)


def test_residuals_are_actual_minus_predicted_by_increasing_prediction() -> None:
    points = residual_points(regression_predictions().iloc[::-1], "regression")

    assert points.to_dict(orient="list") == {
        "predicted": [12.0, 18.0, 33.0, 40.0],
        "residual": [-2.0, 2.0, -3.0, 0.0],
    }


def test_residuals_of_a_classifier_are_a_header_only() -> None:
    points = residual_points(binary_predictions(), "classification")

    assert list(points.columns) == RESIDUAL_COLUMNS and points.empty


def test_confusion_counts_rows_actual_columns_predicted() -> None:
    # bad rows: 2, 5, 6, 7 (row 2 predicted good); good rows: 0, 1, 3, 4 (row 4 predicted bad)
    counts = confusion_counts(binary_predictions())

    assert counts.to_dict() == {"bad": {"bad": 3, "good": 1}, "good": {"bad": 1, "good": 3}}


# --- evaluation figure ----------------------------------------------------------------------


def test_classification_evaluation_draws_confusion_roc_pr_and_calibration() -> None:
    predictions, metrics, settings = binary_predictions(), binary_metrics(), ReportingParams()
    roc, pr, calibration = classification_curves(predictions, metrics, "classification", settings)

    figure = plot_model_evaluation(
        predictions,
        metrics,
        roc,
        pr,
        calibration,
        residual_points(predictions, "classification"),
        "classification",
        settings,
    )

    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    assert [list(row) for row in heatmap.z] == [[3, 1], [1, 3]]
    assert list(heatmap.x) == list(heatmap.y) == ["bad", "good"]
    by_axis = {
        trace.xaxis: trace
        for trace in figure.data
        if not trace.name.startswith(("chance", "perfect"))
    }
    assert list(by_axis["x2"].x) == roc["fpr"].tolist()
    assert list(by_axis["x2"].y) == roc["tpr"].tolist()
    assert by_axis["x2"].name == "bad (area 0.875)"
    assert list(by_axis["x3"].x) == pr["recall"].tolist()
    assert list(by_axis["x4"].y) == calibration["observed_fraction"].tolist()
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles[1] == "ROC curve (positive class: bad)"
    assert figure.layout.title.text == "Test-set evaluation: roc_auc 0.875, accuracy 0.75, f1 0.75"


def test_regression_evaluation_draws_residuals_histogram_and_predicted_vs_actual() -> None:
    predictions = regression_predictions()
    residuals = residual_points(predictions, "regression")
    empty = classification_curves(predictions, {}, "regression", ReportingParams())

    figure = plot_model_evaluation(
        predictions,
        {"metrics": {"rmse": 12345.6, "r2": 0.5}},
        *empty,
        residuals,
        "regression",
        ReportingParams(distribution_bins=2),
    )

    scatter, histogram, versus, identity = figure.data
    assert list(scatter.x) == [12.0, 18.0, 33.0, 40.0]
    assert list(scatter.y) == [-2.0, 2.0, -3.0, 0.0]
    assert sum(histogram.y) == 4 and list(histogram.y) == [2, 2]
    assert list(versus.x) == [10.0, 20.0, 30.0, 40.0]
    assert list(identity.x) == [10.0, 40.0]
    assert figure.layout.title.text == "Test-set evaluation: rmse 12,346, r2 0.5"


# --- feature importance ---------------------------------------------------------------------


def credit_like(rows: int = 60) -> pd.DataFrame:
    generator = np.random.default_rng(1)
    income = generator.normal(size=rows)
    job = pd.Categorical(generator.choice(["a", "b", "c"], size=rows))
    noise = generator.normal(size=rows)
    score = 2 * income + (job == "a") + 0.3 * generator.normal(size=rows)
    return pd.DataFrame(
        {"income": income, "job": job, "noise": noise, "y": np.where(score > 0.5, "bad", "good")}
    )


def classifier(train: pd.DataFrame, estimator=None) -> Pipeline:
    features = ColumnTransformer(
        [("num", StandardScaler(), ["income", "noise"]), ("cat", OneHotEncoder(), ["job"])]
    )
    model = Pipeline([("features", features), ("model", estimator or LogisticRegression())])
    return model.fit(train.drop(columns="y"), train["y"])


@pytest.mark.parametrize(("metric", "greater"), [("roc_auc", True), ("log_loss", False)])
def test_batched_permutation_importance_equals_scikit_learns(metric: str, greater: bool) -> None:
    train = credit_like()
    model = classifier(train)
    features, target = train.drop(columns="y"), train["y"]

    def scorer(estimator, x, y) -> float:
        value = classification_metrics(
            y, estimator.predict(x), estimator.predict_proba(x), list(estimator.classes_), "bad"
        )[metric]
        return value if greater else -value

    expected = sklearn_permutation_importance(
        model, features, target, scoring=scorer, n_repeats=4, random_state=3
    )
    ours = permutation_importance(model, features, target, metric, "classification", "bad", 4, 3)

    assert ours["feature"].tolist() == ["income", "job", "noise"]
    np.testing.assert_allclose(ours["importance"], expected.importances_mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours["std"], expected.importances_std, rtol=0, atol=1e-12)
    assert ours["importance"].idxmax() == 0  # income drives the target


def test_batched_permutation_importance_of_a_regression_equals_scikit_learns() -> None:
    generator = np.random.default_rng(2)
    features = pd.DataFrame({"a": generator.normal(size=30), "b": generator.normal(size=30)})
    target = pd.Series(3 * features["a"] + 0.1 * generator.normal(size=30))
    model = LinearRegression().fit(features, target)

    expected = sklearn_permutation_importance(
        model,
        features,
        target,
        scoring=lambda e, x, y: -regression_metrics(y, e.predict(x))["rmse"],
        n_repeats=3,
        random_state=0,
    )
    ours = permutation_importance(model, features, target, "rmse", "regression", None, 3, 0)

    np.testing.assert_allclose(ours["importance"], expected.importances_mean, atol=1e-12)


def test_feature_importance_table_has_permutation_and_coefficient_rows() -> None:
    train = credit_like()
    model = classifier(train)

    table = compute_feature_importance(
        model,
        train,
        modelling("roc_auc"),
        tabular(),
        "classification",
        ReportingParams(permutation_repeats=2),
        0,
    )

    permutation = table[table["source"] == "permutation"]
    assert set(permutation["feature"]) == {"income", "job", "noise"}
    assert permutation["feature"].iloc[0] == "income"
    assert permutation["measure"].iloc[0] == "drop in roc_auc"
    assert permutation["rank"].tolist() == [1, 2, 3]
    coefficients = table[table["source"] == "model"].set_index("feature")
    estimator = model.named_steps["model"]
    names = list(model[:-1].get_feature_names_out())
    for name, value in zip(names, np.abs(estimator.coef_[0]), strict=True):
        assert coefficients.loc[name, "importance"] == round(value, 6)
    assert coefficients["measure"].unique().tolist() == ["|coefficient|"]
    assert table["importance"].is_monotonic_decreasing is False  # two sources, each sorted
    for source in ("permutation", "model"):
        own = table.loc[table["source"] == source, "importance"]
        assert own.is_monotonic_decreasing


def test_feature_importance_uses_a_seeded_sample_of_test_rows() -> None:
    train = credit_like(200)
    model = classifier(train)
    settings = ReportingParams(permutation_max_rows=50, permutation_repeats=2)

    def run(seed: int) -> pd.DataFrame:
        return compute_feature_importance(
            model, train, modelling(), tabular(), "classification", settings, seed
        )

    pd.testing.assert_frame_equal(run(5), run(5))
    assert not run(5).equals(run(6))


def test_tree_importances_and_estimators_without_any() -> None:
    generator = np.random.default_rng(4)
    test = pd.DataFrame({"a": generator.normal(size=40), "b": generator.normal(size=40)})
    test["y"] = 5 * test["a"]
    tree = Pipeline([("features", StandardScaler()), ("model", DecisionTreeRegressor(max_depth=2))])
    tree.fit(test[["a", "b"]], test["y"])

    table = compute_feature_importance(
        tree, test, modelling("rmse"), tabular(), "regression", ReportingParams(), 0
    )

    model_rows = table[table["source"] == "model"]
    assert model_rows["feature"].tolist() == ["a", "b"]
    assert model_rows["importance"].tolist() == [1.0, 0.0]
    assert table.loc[table["source"] == "permutation", "measure"].iloc[0] == "rise in rmse"

    labels = credit_like()
    knn = classifier(labels, KNeighborsClassifier())
    table = compute_feature_importance(
        knn, labels, modelling(), tabular(), "classification", ReportingParams(), 0
    )
    assert set(table["source"]) == {"permutation"}
    figure = plot_feature_importance(table, ReportingParams())
    assert len(figure.data) == 1
    assert "exposes no importances" in figure.layout.title.text


def test_importance_figure_draws_the_top_features_of_each_source() -> None:
    table = pd.DataFrame(
        {
            "source": ["permutation"] * 3 + ["model"] * 2,
            "feature": ["a", "b", "c", "a_x", "b_y"],
            "measure": ["drop in roc_auc"] * 3 + ["|coefficient|"] * 2,
            "importance": [0.3, 0.2, 0.1, 2.0, 1.0],
            "std": [0.01, 0.02, 0.03, np.nan, np.nan],
            "rank": [1, 2, 3, 1, 2],
        }
    )

    figure = plot_feature_importance(table, ReportingParams(importance_top_features=2))

    permutation, model = figure.data
    # horizontal bars, strongest at the top (plotly draws the first y at the bottom)
    assert list(permutation.y) == ["b", "a"]
    assert list(permutation.x) == [0.2, 0.3]
    assert list(permutation.error_x.array) == [0.02, 0.01]
    assert list(model.y) == ["b_y", "a_x"]
    assert [a.text for a in figure.layout.annotations] == [
        "Permutation importance: drop in roc_auc (input columns, test split)",
        "Model |coefficient| (transformed features)",
    ]


def test_integer_labels_match_the_models_float_classes() -> None:
    # an integer target comes back as 0/1/2 in `actual` but as 0.0/1.0/2.0 in the classes
    predictions = pd.DataFrame(
        {
            "actual": [0, 1, 2, 1],
            "predicted": [0.0, 1.0, 2.0, 2.0],
            "proba_0.0": [0.8, 0.1, 0.1, 0.2],
            "proba_1.0": [0.1, 0.8, 0.1, 0.3],
            "proba_2.0": [0.1, 0.1, 0.8, 0.5],
        }
    )
    metrics = {"positive_class": None, "metrics": {}}

    roc, _, _ = classification_curves(predictions, metrics, "classification", ReportingParams())

    assert list(roc["class"].unique()) == ["0", "1", "2", "macro average"]
    assert confusion_counts(predictions).loc["1", "2"] == 1
