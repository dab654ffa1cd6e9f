"""Figures of the segmentation pipeline's tables: PCA scree, 2-D maps coloured by cluster,
dendrogram, and the scores of every k.

The nodes read the tables ``segmentation`` writes, so the figures can be redrawn without
refitting anything. ``segmentation_reports`` wires them for one task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kedro.pipeline import Node, Pipeline

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

# Figures are typed ``Any``: importing plotly at module level would slow every CLI call.

DENDROGRAM_LEAVES = 30  # the dendrogram shows the last merges, down to this many leaves
NOISE = -1


def plot_pca_scree(variance: pd.DataFrame) -> Any:
    """Bars of the variance each principal component explains, with the cumulative curve.

    Args:
        variance: ``<task>.pca_variance`` (``component``, ``explained_variance_ratio``,
            ``cumulative_ratio``, ``kept``).

    Returns:
        A plotly ``Figure``: a bar trace (kept components darker) and a line trace.
    """
    import plotly.graph_objects as go

    kept = variance["kept"].astype(bool)
    figure = go.Figure(
        [
            go.Bar(
                x=variance["component"].tolist(),
                y=variance["explained_variance_ratio"].tolist(),
                name="explained variance",
                marker_color=["#1f77b4" if flag else "#aec7e8" for flag in kept],
            ),
            go.Scatter(
                x=variance["component"].tolist(),
                y=variance["cumulative_ratio"].tolist(),
                name="cumulative",
                mode="lines+markers",
            ),
        ]
    )
    share = float(variance.loc[kept, "cumulative_ratio"].iloc[-1]) if kept.any() else 0.0
    figure.update_layout(
        title=f"PCA scree: {int(kept.sum())} component(s) kept, {share:.1%} of the variance",
        xaxis_title="component",
        yaxis_title="share of variance",
        yaxis_range=[0, 1.02],
    )
    return figure


def plot_cluster_embeddings(
    pca_embedding: pd.DataFrame, tsne_embedding: pd.DataFrame, assignments: pd.DataFrame
) -> Any:
    """The PCA and t-SNE maps side by side, each point coloured by its cluster.

    Args:
        pca_embedding: ``<task>.pca_embedding`` (``row``, ``x``, ``y``).
        tsne_embedding: ``<task>.tsne_embedding`` (``row``, ``x``, ``y``; a sample of rows).
        assignments: ``<task>.cluster_assignments`` (``row``, ``cluster``).

    Returns:
        A plotly ``Figure`` with one scatter trace per cluster in each panel (a cluster has
        one colour and one legend entry across both).
    """
    import plotly.express as px
    from plotly.subplots import make_subplots

    clusters = sorted(assignments["cluster"].unique(), key=lambda label: (label == NOISE, label))
    colours = px.colors.qualitative.Plotly
    panels = (("PCA", pca_embedding), (f"t-SNE ({len(tsne_embedding)} rows)", tsne_embedding))
    figure = make_subplots(rows=1, cols=2, subplot_titles=[title for title, _ in panels])
    for column, (_, embedding) in enumerate(panels, start=1):
        points = embedding.merge(assignments, on="row", how="inner", validate="one_to_one")
        for index, cluster in enumerate(clusters):
            members = points.loc[points["cluster"] == cluster]
            figure.add_scatter(
                x=members["x"].tolist(),
                y=members["y"].tolist(),
                mode="markers",
                marker={
                    "size": 4,
                    "color": "#7f7f7f" if cluster == NOISE else colours[index % len(colours)],
                },
                name="noise" if cluster == NOISE else f"cluster {cluster}",
                legendgroup=str(cluster),
                showlegend=column == 1,
                row=1,
                col=column,
            )
    figure.update_layout(title="Clusters on 2-D maps of the training rows")
    return figure


def plot_dendrogram(dendrogram: pd.DataFrame) -> Any:
    """The top of the agglomerative merge tree, down to ``DENDROGRAM_LEAVES`` leaves.

    Args:
        dendrogram: ``<task>.dendrogram``: SciPy's linkage matrix (``left``, ``right``,
            ``distance``, ``size``) and the ``candidate`` it belongs to; may be empty.

    Returns:
        A plotly ``Figure`` with one line trace drawing every link (leaf labels give the rows
        under each leaf), or an empty figure saying there is no agglomerative candidate.
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    if dendrogram.empty:
        figure.update_layout(
            title="Dendrogram: no agglomerative candidate in parameters_segmentation.yml"
        )
        return figure
    from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram

    linkage = dendrogram[["left", "right", "distance", "size"]].to_numpy(dtype=float)
    tree = scipy_dendrogram(
        linkage, truncate_mode="lastp", p=DENDROGRAM_LEAVES, no_plot=True, show_leaf_counts=True
    )
    xs: list[float | None] = []
    ys: list[float | None] = []
    for x, y in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs += [*x, None]
        ys += [*y, None]
    figure.add_scatter(x=xs, y=ys, mode="lines", line={"color": "#1f77b4"}, name="merges")
    leaves = len(tree["ivl"])
    figure.update_layout(
        title=f"Dendrogram of {dendrogram['candidate'].iloc[0]} (last merges, {leaves} leaves)",
        xaxis={
            "tickmode": "array",
            "tickvals": [5 + 10 * index for index in range(leaves)],
            "ticktext": list(tree["ivl"]),
            "title": "rows under each leaf",
        },
        yaxis_title="merge distance",
        showlegend=False,
    )
    return figure


def plot_scores_by_k(scores: pd.DataFrame) -> Any:
    """Silhouette against k for each candidate, the chosen clustering marked, and the k-means
    inertia (elbow) curve below.

    Args:
        scores: ``<task>.cluster_scores``.

    Returns:
        A plotly ``Figure``: one silhouette line per candidate with a searched k, a star on
        the chosen trial, and one inertia line per candidate that has an inertia.
    """
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        subplot_titles=["Silhouette by k", "Inertia by k (elbow)"],
        vertical_spacing=0.12,
    )
    searched = scores.loc[scores["k"].notna()]
    for candidate, trials in searched.groupby("candidate", sort=False):
        figure.add_scatter(
            x=trials["k"].astype(int).tolist(),
            y=trials["silhouette"].tolist(),
            mode="lines+markers",
            name=f"{candidate} silhouette",
            row=1,
            col=1,
        )
    chosen = scores.loc[scores["chosen"].astype(bool)]
    if chosen["k"].notna().all():
        figure.add_scatter(
            x=chosen["k"].astype(int).tolist(),
            y=chosen["silhouette"].tolist(),
            mode="markers",
            marker={"symbol": "star", "size": 14, "color": "black"},
            name=f"chosen: {chosen['trial'].iloc[0]}",
            row=1,
            col=1,
        )
    for candidate, trials in searched.groupby("candidate", sort=False):
        if trials["inertia"].notna().any():
            figure.add_scatter(
                x=trials["k"].astype(int).tolist(),
                y=trials["inertia"].tolist(),
                mode="lines+markers",
                name=f"{candidate} inertia",
                row=2,
                col=1,
            )
    figure.update_xaxes(title_text="k (number of clusters)", dtick=1, row=2, col=1)
    figure.update_yaxes(title_text="silhouette", row=1, col=1)
    figure.update_yaxes(title_text="inertia", row=2, col=1)
    figure.update_layout(title="Choosing k", height=700)
    return figure


def segmentation_reports() -> Pipeline:
    """The segmentation figures of one task, for ``for_each_task``."""
    return Pipeline(
        [
            Node(plot_pca_scree, "pca_variance", "pca_scree_plot", name="plot_pca_scree"),
            Node(
                plot_cluster_embeddings,
                ["pca_embedding", "tsne_embedding", "cluster_assignments"],
                "cluster_embedding_plot",
                name="plot_cluster_embeddings",
            ),
            Node(plot_dendrogram, "dendrogram", "dendrogram_plot", name="plot_dendrogram"),
            Node(plot_scores_by_k, "cluster_scores", "silhouette_plot", name="plot_scores_by_k"),
        ],
        tags=["segmentation"],
    )
