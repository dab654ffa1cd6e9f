"""Unit tests of the EDA of a task's train split (reporting's nodes.py and eda_figure_nodes.py):
associations with the target, feature and target distributions, the scatter matrix and the
missing-value map, on small hand-made frames."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.params.preprocessing import TabularParams
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.pipelines.reporting.eda_figure_nodes import (
    plot_feature_distributions,
    plot_feature_pairs,
    plot_missing_values,
    plot_target_distribution,
)
from roadmap_pipelines.pipelines.reporting.nodes import rank_target_associations

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def tabular(target: str = "y") -> TabularParams:
    """The smallest valid preprocessing block naming ``target``."""
    return TabularParams(
        dataset="toy",
        target=target,
        columns={target: {"dtype": "float"}},
        split={"strategy": "random", "test_size": 0.2},
    )


def params(**overrides: object) -> ReportingParams:
    return ReportingParams(**overrides)


def classification_train() -> pd.DataFrame:
    """Classes p, p, p, q: ``f`` float, ``n`` integer with two values, ``c`` labels."""
    return pd.DataFrame(
        {
            "f": [1.0, 2.0, 3.0, 4.0],
            "n": pd.array([5, 5, 6, 6], dtype="Int64"),
            "c": ["a", "a", "b", "b"],
            "y": pd.Categorical(["p", "p", "p", "q"]),
        }
    )


# --- rank_target_associations ---------------------------------------------------------------


def test_associations_with_a_numeric_target() -> None:
    # x rises with y: |Spearman| 1. z ranks 1, 3, 2, 4 against 1, 2, 3, 4: squared rank
    # differences sum to 2, so rho = 1 - 6 * 2 / (4 * 15) = 0.8. g splits y into means 15 and
    # 35 around 25: between-group squares 400 of a total 500, eta = sqrt(0.8) = 0.894427.
    train = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0],
            "z": [1.0, 3.0, 2.0, 4.0],
            "g": ["a", "a", "b", "b"],
            "y": [10.0, 20.0, 30.0, 40.0],
        }
    )

    table = rank_target_associations(train, tabular(), "regression")

    assert table.to_dict(orient="records") == [
        {"feature": "x", "kind": "numeric", "measure": "abs_spearman", "association": 1.0},
        {
            "feature": "g",
            "kind": "categorical",
            "measure": "correlation_ratio",
            "association": 0.894427,
        },
        {"feature": "z", "kind": "numeric", "measure": "abs_spearman", "association": 0.8},
    ]


def test_associations_with_a_class_target() -> None:
    # u = 1, 2, 3, 4 against classes p, p, q, q: eta = sqrt(400 / 500) as above, scaled.
    # a, a, b, b matches the classes exactly (Cramér's V 1); a, b, a, b is independent (0).
    train = pd.DataFrame(
        {
            "u": [1.0, 2.0, 3.0, 4.0],
            "same": ["a", "a", "b", "b"],
            "other": ["a", "b", "a", "b"],
            "y": ["p", "p", "q", "q"],
        }
    )

    table = rank_target_associations(train, tabular(), "classification")

    assert list(zip(table["feature"], table["measure"], table["association"], strict=True)) == [
        ("same", "cramers_v", 1.0),
        ("u", "correlation_ratio", 0.894427),
        ("other", "cramers_v", 0.0),
    ]


def test_constant_features_have_no_association() -> None:
    train = pd.DataFrame({"k": [1.0, 1.0, 1.0], "y": ["p", "q", "p"]})

    table = rank_target_associations(train, tabular(), "classification")

    assert table["association"].tolist() == [0.0]


# --- plot_feature_distributions -------------------------------------------------------------


def test_distributions_by_class_are_shares_of_each_class() -> None:
    # bins=2 over f = 1..4: edges 1, 2.5, 4. Class p holds f = 1, 2, 3 (2 and 1 per bin) and
    # class q f = 4. n has two values, drawn one bar each; top_categories=1 folds b into
    # (other).
    figure = plot_feature_distributions(
        classification_train(),
        tabular(),
        "classification",
        params(distribution_bins=2, top_categories=1),
    )

    assert [annotation.text for annotation in figure.layout.annotations] == ["f", "n", "c"]
    bars = {(trace.name, trace.xaxis): trace for trace in figure.data}
    assert len(figure.data) == 6
    assert list(bars["p", "x"].x) == [1.75, 3.25]
    assert list(bars["p", "x"].y) == [0.666667, 0.333333]
    assert list(bars["q", "x"].y) == [0.0, 1.0]
    assert list(bars["p", "x2"].x) == [5.0, 6.0]
    assert list(bars["p", "x2"].y) == [0.666667, 0.333333]
    assert list(bars["p", "x3"].x) == ["a", "(other)"]
    assert list(bars["q", "x3"].y) == [0.0, 1.0]
    # one legend entry per class, on the first subplot only
    assert [(t.name, t.showlegend) for t in figure.data if t.showlegend] == [
        ("p", True),
        ("q", True),
    ]
    assert figure.layout.barmode == "group"


def test_distributions_of_a_regression_task_count_rows() -> None:
    train = pd.DataFrame(
        {"f": [1.0, 2.0, 3.0, 10.0], "c": ["a", "b", "b", None], "y": [1.0, 2.0, 3.0, 4.0]}
    )

    figure = plot_feature_distributions(train, tabular(), "regression", params(distribution_bins=3))

    f, c = figure.data
    # edges 1, 4, 7, 10: three values in the first bin, the last in the third
    assert list(f.x) == [2.5, 5.5, 8.5]
    assert list(f.y) == [3.0, 0.0, 1.0]
    assert list(c.x) == ["b", "(missing)", "a"]
    assert list(c.y) == [2.0, 1.0, 1.0]
    assert sum(f.y) == sum(c.y) == len(train)
    assert figure.layout.showlegend is False


def test_distributions_lay_out_four_features_a_row() -> None:
    train = pd.DataFrame({f"x{n}": [1.0, 2.0] for n in range(6)} | {"y": [1.0, 2.0]})

    figure = plot_feature_distributions(train, tabular(), "regression", params())

    assert [trace.xaxis for trace in figure.data] == ["x", "x2", "x3", "x4", "x5", "x6"]
    assert figure.layout.xaxis5.domain[0] == figure.layout.xaxis.domain[0]  # second row, first col


# --- plot_target_distribution ---------------------------------------------------------------


def test_target_classes_are_counted_with_their_share() -> None:
    figure = plot_target_distribution(classification_train(), tabular(), "classification", params())

    (bars,) = figure.data
    assert list(bars.x) == ["p", "q"]
    assert list(bars.y) == [3, 1]
    assert list(bars.text) == ["75.0%", "25.0%"]


def test_numeric_target_histogram_marks_mean_and_median() -> None:
    train = pd.DataFrame({"y": [1.0, 2.0, 3.0, 10.0]})

    figure = plot_target_distribution(train, tabular(), "regression", params(distribution_bins=3))

    (bars,) = figure.data
    assert list(bars.y) == [3.0, 0.0, 1.0]
    assert [shape.x0 for shape in figure.layout.shapes] == [4.0, 2.5]  # mean, median
    assert [a.text for a in figure.layout.annotations] == ["mean 4", "median 2.5"]


# --- plot_feature_pairs ---------------------------------------------------------------------


def pairs_train(rows: int = 40) -> pd.DataFrame:
    generator = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": generator.normal(size=rows),
            "b": generator.normal(size=rows),
            "c": generator.normal(size=rows),
            "label": ["u", "v"] * (rows // 2),
            "y": ["p", "q", "q", "q"] * (rows // 4),
        }
    )


def test_scatter_matrix_shows_the_top_numeric_features_per_class() -> None:
    train = pairs_train()
    associations = pd.DataFrame(
        {
            "feature": ["label", "c", "a", "b"],
            "kind": ["categorical", "numeric", "numeric", "numeric"],
        }
    )

    figure = plot_feature_pairs(
        train, associations, tabular(), "classification", params(top_features=2), 0
    )

    assert [trace.type for trace in figure.data] == ["splom", "splom"]
    assert [trace.name for trace in figure.data] == ["p", "q"]
    p, q = figure.data
    assert [dimension.label for dimension in p.dimensions] == ["c", "a"]
    expected = train.loc[train["y"] == "p", "c"].round(6).tolist()
    assert list(p.dimensions[0]["values"]) == expected
    assert len(q.dimensions[1]["values"]) == (train["y"] == "q").sum()


def test_scatter_matrix_of_a_regression_adds_the_target_and_colours_by_it() -> None:
    train = pairs_train().assign(y=np.arange(40.0))
    associations = pd.DataFrame({"feature": ["a", "b"], "kind": ["numeric", "numeric"]})

    figure = plot_feature_pairs(train, associations, tabular(), "regression", params(), 0)

    (trace,) = figure.data
    assert [dimension.label for dimension in trace.dimensions] == ["a", "b", "y"]
    assert list(trace.marker.color) == list(np.arange(40.0))


def test_scatter_matrix_samples_rows_reproducibly_in_train_order() -> None:
    train = pairs_train(400).assign(y=np.arange(400.0))
    associations = pd.DataFrame({"feature": ["a", "b"], "kind": ["numeric", "numeric"]})
    settings = params(scatter_max_rows=50)

    first = plot_feature_pairs(train, associations, tabular(), "regression", settings, 7)
    again = plot_feature_pairs(train, associations, tabular(), "regression", settings, 7)
    other = plot_feature_pairs(train, associations, tabular(), "regression", settings, 8)

    target = list(first.data[0].dimensions[2]["values"])
    assert len(target) == 50
    assert target == sorted(target)  # y is the row number: rows stay in train order
    assert target == list(again.data[0].dimensions[2]["values"])
    assert target != list(other.data[0].dimensions[2]["values"])


def test_scatter_matrix_needs_two_numeric_features() -> None:
    associations = pd.DataFrame({"feature": ["a", "label"], "kind": ["numeric", "categorical"]})

    figure = plot_feature_pairs(
        pairs_train(), associations, tabular(), "classification", params(), 0
    )

    assert figure.data == ()
    assert "needs two numeric features" in figure.layout.annotations[0].text


# --- plot_missing_values --------------------------------------------------------------------


def test_missing_value_map_draws_the_gaps_of_columns_with_any() -> None:
    train = pd.DataFrame(
        {
            "full": [1.0, 2.0, 3.0, 4.0],
            "half": [1.0, None, 3.0, None],
            "label": ["a", None, "b", "c"],
        }
    )

    figure, encoded = plot_missing_values(train)

    shares, grid = figure.axes
    assert [patch.get_height() for patch in shares.patches] == [0.5, 0.25]
    np.testing.assert_array_equal(grid.images[0].get_array(), [[0, 0], [1, 1], [0, 0], [1, 0]])
    assert [label.get_text() for label in grid.get_xticklabels()] == ["half", "label"]
    assert figure.get_suptitle().startswith("Missing values before cleaning: 2 of 3 columns")
    png = base64.b64decode(encoded)
    assert png.startswith(PNG_MAGIC)
    # the embedded PNG is what the catalog's MatplotlibDataset writes
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    assert buffer.getvalue() == png


def test_missing_value_map_of_a_complete_table_says_so() -> None:
    figure, encoded = plot_missing_values(pd.DataFrame({"x": [1, 2]}))

    (axes,) = figure.axes
    assert "No missing values" in axes.texts[0].get_text()
    assert base64.b64decode(encoded).startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    "node",
    [plot_feature_distributions, plot_target_distribution],
    ids=["distributions", "target"],
)
def test_a_missing_target_column_is_named(node) -> None:
    with pytest.raises(InputDataError, match="target column 'y' is missing"):
        node(pd.DataFrame({"x": [1.0]}), tabular(), "regression", params())
