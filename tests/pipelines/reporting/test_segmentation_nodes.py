"""The segmentation figures: the traces each plot node draws from small hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from scipy.cluster.hierarchy import linkage

from roadmap_pipelines.pipelines.reporting import create_pipeline
from roadmap_pipelines.pipelines.reporting.segmentation_nodes import (
    plot_cluster_embeddings,
    plot_dendrogram,
    plot_pca_scree,
    plot_scores_by_k,
    segmentation_reports,
)


def variance() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "component": ["PC1", "PC2", "PC3"],
            "explained_variance": [6.0, 3.0, 1.0],
            "explained_variance_ratio": [0.6, 0.3, 0.1],
            "cumulative_ratio": [0.6, 0.9, 1.0],
            "kept": [True, True, False],
        }
    )


def scores() -> pd.DataFrame:
    """What cluster_scores.csv loads as: k is a float column once a trial has no k."""
    return pd.DataFrame(
        {
            "candidate": ["kmeans"] * 3 + ["agglomerative"] * 3 + ["dbscan"],
            "estimator": ["kmeans"] * 3 + ["agglomerative"] * 3 + ["dbscan"],
            "k": [2.0, 3.0, 4.0, 2.0, 3.0, 4.0, np.nan],
            "trial": [f"kmeans k={k}" for k in (2, 3, 4)]
            + [f"agglomerative k={k}" for k in (2, 3, 4)]
            + ["dbscan"],
            "silhouette": [0.5, 0.8, 0.6, 0.4, 0.7, 0.5, 0.3],
            "inertia": [90.0, 30.0, 25.0, np.nan, np.nan, np.nan, np.nan],
            "best_of_candidate": [False, True, False, False, True, False, True],
            "chosen": [False, True, False, False, False, False, False],
        }
    )


def test_scree_draws_each_components_share_and_the_cumulative_curve() -> None:
    figure = plot_pca_scree(variance())

    bars, line = figure.data
    assert (bars.type, line.type) == ("bar", "scatter")
    assert list(bars.x) == ["PC1", "PC2", "PC3"]
    assert list(bars.y) == [0.6, 0.3, 0.1]
    assert list(line.y) == [0.6, 0.9, 1.0]
    # kept components are drawn darker than the rest
    colours = list(bars.marker.color)
    assert colours[0] == colours[1] != colours[2]
    assert figure.layout.title.text == "PCA scree: 2 component(s) kept, 90.0% of the variance"


def test_embedding_plot_colours_each_cluster_alike_in_both_panels() -> None:
    pca = pd.DataFrame({"row": [0, 1, 2, 3], "x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 1.0, 2.0, 2.0]})
    tsne = pd.DataFrame({"row": [1, 3], "x": [5.0, 6.0], "y": [7.0, 8.0]})
    assignments = pd.DataFrame({"row": [0, 1, 2, 3], "cluster": [1, 0, -1, 0]})

    figure = plot_cluster_embeddings(pca, tsne, assignments)

    # clusters 0, 1 and noise, in each of the two panels
    assert [trace.name for trace in figure.data] == ["cluster 0", "cluster 1", "noise"] * 2
    assert [trace.showlegend for trace in figure.data] == [True] * 3 + [False] * 3
    pca_traces, tsne_traces = figure.data[:3], figure.data[3:]
    assert list(pca_traces[0].x) == [1.0, 3.0]  # rows 1 and 3
    assert list(pca_traces[1].x) == [0.0]
    assert list(pca_traces[2].x) == [2.0]
    assert list(tsne_traces[0].y) == [7.0, 8.0]
    assert list(tsne_traces[1].x) == []  # row 0 is not in the t-SNE sample
    for first, second in zip(pca_traces, tsne_traces, strict=True):
        assert first.marker.color == second.marker.color
        assert first.legendgroup == second.legendgroup
    assert pca_traces[2].marker.color == "#7f7f7f"
    assert (pca_traces[0].xaxis, tsne_traces[0].xaxis) == ("x", "x2")
    assert figure.layout.annotations[1].text == "t-SNE (2 rows)"


def _dendrogram(points: np.ndarray) -> pd.DataFrame:
    tree = linkage(points, method="ward")
    return pd.DataFrame(
        {
            "candidate": ["agglomerative"] * len(tree),
            "left": tree[:, 0].astype(int),
            "right": tree[:, 1].astype(int),
            "distance": tree[:, 2],
            "size": tree[:, 3].astype(int),
        }
    )


def test_dendrogram_draws_one_link_per_merge() -> None:
    # four rows on a line: (0, 1) and (2, 3) merge low, then the two pairs
    table = _dendrogram(np.array([[0.0], [1.0], [10.0], [11.0]]))

    figure = plot_dendrogram(table)

    (trace,) = figure.data
    assert trace.mode == "lines"
    # each merge is a 4-point bracket then a gap
    assert len(trace.x) == 3 * 5
    heights = [y for y in trace.y if y is not None]
    assert max(heights) == table["distance"].max()
    assert sorted(set(heights)) == sorted({0.0, *table["distance"]})
    assert sorted(figure.layout.xaxis.ticktext) == ["0", "1", "2", "3"]
    assert figure.layout.title.text.startswith("Dendrogram of agglomerative")


def test_dendrogram_of_many_rows_is_cut_to_thirty_leaves() -> None:
    points = np.random.default_rng(0).normal(size=(200, 2))

    figure = plot_dendrogram(_dendrogram(points))

    assert len(figure.layout.xaxis.ticktext) == 30
    assert len(figure.data[0].x) == 29 * 5
    # collapsed leaves show how many rows they hold, "(n)"; together every row
    counts = [
        int(label.strip("()")) if label.startswith("(") else 1
        for label in figure.layout.xaxis.ticktext
    ]
    assert sum(counts) == 200


def test_dendrogram_without_an_agglomerative_candidate_says_so() -> None:
    empty = pd.DataFrame(columns=["candidate", "left", "right", "distance", "size"])

    figure = plot_dendrogram(empty)

    assert figure.data == ()
    assert "no agglomerative candidate" in figure.layout.title.text


def test_scores_plot_draws_silhouette_by_k_the_choice_and_the_elbow() -> None:
    figure = plot_scores_by_k(scores())

    assert [trace.name for trace in figure.data] == [
        "kmeans silhouette",
        "agglomerative silhouette",
        "chosen: kmeans k=3",
        "kmeans inertia",
    ]
    kmeans, agglomerative, chosen, inertia = figure.data
    assert list(kmeans.x) == [2, 3, 4]
    assert list(kmeans.y) == [0.5, 0.8, 0.6]
    assert list(agglomerative.y) == [0.4, 0.7, 0.5]
    assert (list(chosen.x), list(chosen.y)) == ([3], [0.8])
    assert chosen.marker.symbol == "star"
    assert list(inertia.y) == [90.0, 30.0, 25.0]
    assert (kmeans.yaxis, inertia.yaxis) == ("y", "y2")  # silhouette above, elbow below


def test_scores_plot_without_a_searched_k_marks_no_choice() -> None:
    only_dbscan = scores().iloc[[6]].assign(chosen=True)

    figure = plot_scores_by_k(only_dbscan)

    assert figure.data == ()


def test_reporting_draws_the_four_figures_for_every_task() -> None:
    names = {"plot_pca_scree", "plot_cluster_embeddings", "plot_dendrogram", "plot_scores_by_k"}
    TABULAR_TASKS = ("first", "second")  # noqa: N806 - any task names will do
    reporting = create_pipeline(tasks=TABULAR_TASKS)

    segmentation_nodes = reporting.only_nodes_with_tags("segmentation")
    assert {node.name for node in segmentation_nodes.nodes} == {
        f"{task}.{name}" for task in TABULAR_TASKS for name in names
    }
    assert segmentation_nodes.outputs() == {
        f"{task}.{name}"
        for task in TABULAR_TASKS
        for name in (
            "pca_scree_plot",
            "cluster_embedding_plot",
            "dendrogram_plot",
            "silhouette_plot",
        )
    }


def test_segmentation_reports_run_on_an_in_memory_catalog() -> None:
    assignments = pd.DataFrame({"row": [0, 1, 2, 3], "cluster": [0, 0, 1, 1]})
    embedding = pd.DataFrame({"row": [0, 1, 2, 3], "x": [0.0, 0.1, 5.0, 5.1], "y": [0.0] * 4})
    catalog = DataCatalog(
        {
            "pca_variance": MemoryDataset(variance()),
            "pca_embedding": MemoryDataset(embedding),
            "tsne_embedding": MemoryDataset(embedding),
            "cluster_assignments": MemoryDataset(assignments),
            "dendrogram": MemoryDataset(_dendrogram(np.array([[0.0], [0.1], [5.0], [5.1]]))),
            "cluster_scores": MemoryDataset(scores()),
        }
    )

    outputs = SequentialRunner().run(segmentation_reports(), catalog)

    assert set(outputs) == {
        "pca_scree_plot",
        "cluster_embedding_plot",
        "dendrogram_plot",
        "silhouette_plot",
    }
    assert len(outputs["cluster_embedding_plot"].load().data) == 4
