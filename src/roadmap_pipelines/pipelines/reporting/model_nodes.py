"""Reports on each task's model search: the metrics DVC compares, the leaderboard and the
search history.

Everything here reads the ``modelling_tabular`` outputs; nothing refits a model. The test-set
evaluation is in ``evaluation_nodes`` (tables) and ``evaluation_figure_nodes`` (its figure),
feature importance in ``importance_nodes``. Plot data tables are rounded to 6 decimals and
sorted, so reruns give byte-identical files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.reports.figures import BASELINE_GREY, colour, note, round_value, rounded
from roadmap_pipelines.ml.tabular.metrics import GREATER_IS_BETTER
from roadmap_pipelines.params.modelling_tabular import TabularModelling

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd


def _better(metric: str) -> str:
    return "higher is better" if GREATER_IS_BETTER.get(metric, True) else "lower is better"


# --- metrics for DVC ------------------------------------------------------------------------


def summarise_metrics(test_metrics: dict[str, Any], leaderboard: pd.DataFrame) -> dict[str, Any]:
    """Gather the numbers ``dvc metrics show`` and ``dvc metrics diff`` compare.

    Keys: ``test.<metric>`` every metric of the problem on the test split;
    ``cv_mean.<metric>`` and ``cv_std.<metric>`` the best candidate's cross-validated mean and
    standard deviation of each searched metric (empty without CV); ``test_rows``;
    ``candidates`` (how many were compared). Numbers only, rounded to 6 decimals; a metric
    that could not be computed is ``null``.

    Args:
        test_metrics: ``<task>.test_metrics`` (``evaluate_on_test``).
        leaderboard: ``<task>.leaderboard``.

    Returns:
        The metrics document.
    """
    import pandas as pd

    best = leaderboard.loc[leaderboard["best"].astype(bool)]
    row = best.iloc[0] if len(best) else pd.Series(dtype=object)
    means = {
        name.removesuffix("_mean"): round_value(row[name])
        for name in sorted(leaderboard.columns)
        if name.endswith("_mean")
    }
    stds = {
        name.removesuffix("_std"): round_value(row[name])
        for name in sorted(leaderboard.columns)
        if name.endswith("_std")
    }
    return {
        "test": {
            name: round_value(value) for name, value in sorted(test_metrics["metrics"].items())
        },
        "cv_mean": means,
        "cv_std": stds,
        "test_rows": int(test_metrics["rows"]),
        "candidates": len(leaderboard),
    }


# --- leaderboard and search history ---------------------------------------------------------


def leaderboard_scores(leaderboard: pd.DataFrame, modelling: TabularModelling) -> pd.DataFrame:
    """Each candidate's cross-validated ``rank_by`` score, in rank order, for DVC's bar plot.

    Args:
        leaderboard: ``<task>.leaderboard``.
        modelling: The task's ``modelling_tabular.<task>`` parameters (``rank_by``).

    Returns:
        ``rank``, ``candidate``, ``score`` (CV mean) and ``std``; empty scores without CV.
    """
    import pandas as pd

    mean, std = f"{modelling.rank_by}_mean", f"{modelling.rank_by}_std"
    board = leaderboard.sort_values("rank", kind="stable")
    return pd.DataFrame(
        {
            "rank": board["rank"].astype(int).to_numpy(),
            "candidate": board["candidate"].astype(str).to_numpy(),
            "score": rounded(board[mean]) if mean in board else [None] * len(board),
            "std": rounded(board[std]) if std in board else [None] * len(board),
        }
    )


def plot_leaderboard(scores: pd.DataFrame, modelling: TabularModelling) -> Any:
    """Draw each candidate's CV mean ± standard deviation of ``rank_by``, best first.

    Args:
        scores: ``leaderboard_scores`` output.
        modelling: The task's modelling parameters (``rank_by``, ``cv``).

    Returns:
        A plotly ``Figure`` with one bar per candidate in rank order; the best is coloured,
        the others grey; a candidate whose every trial failed has no bar and says so.
    """
    import pandas as pd
    import plotly.graph_objects as go

    metric = modelling.rank_by
    if scores["score"].isna().all():
        return note(
            "Leaderboard",
            "No cross-validation (cv: null): the single candidate was fitted as configured.",
        )
    labels = [
        f"{name} (failed)" if pd.isna(score) else name
        for name, score in zip(scores["candidate"], scores["score"], strict=True)
    ]
    folds = modelling.cv.n_splits if modelling.cv else 0
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=rounded(scores["score"]),
            error_y={"type": "data", "array": rounded(scores["std"].fillna(0)), "visible": True},
            marker_color=[colour(0) if rank == 1 else BASELINE_GREY for rank in scores["rank"]],
            text=[None if pd.isna(s) else f"{s:.4g}" for s in scores["score"]],
            textposition="outside",
            cliponaxis=False,
            name=metric,
        )
    )
    figure.update_layout(
        title=f"Leaderboard: CV {metric}, mean ± std over {folds} folds ({_better(metric)})",
        xaxis_title="candidate (rank order)",
        yaxis_title=metric,
    )
    return figure


def plot_search_history(trials: pd.DataFrame, modelling: TabularModelling) -> Any:
    """Draw the CV ``rank_by`` score of every search trial, per candidate, with its best so far.

    Args:
        trials: ``<task>.search_trials``.
        modelling: The task's modelling parameters (``rank_by``).

    Returns:
        A plotly ``Figure``: per candidate a markers trace (one point per trial, failed trials
        left out) and a dotted line of the best score reached so far.
    """
    import plotly.graph_objects as go

    metric = modelling.rank_by
    column = f"{metric}_mean"
    if trials.empty or column not in trials:
        return note("Search history", "No search trials (cv: null): nothing was searched.")
    figure = go.Figure()
    greater = GREATER_IS_BETTER.get(metric, True)
    for shade, (name, rows) in enumerate(trials.groupby("candidate", sort=False)):
        own = rows.sort_values("trial", kind="stable")
        scores = own[column].astype("float64")
        best = scores.cummax() if greater else scores.cummin()
        failed = int((own["state"] == "failed").sum())
        pruned = int((own["state"] == "pruned").sum())
        notes = [f"{failed} failed"] * bool(failed) + [f"{pruned} pruned"] * bool(pruned)
        label = f"{name} ({', '.join(notes)})" if notes else name
        figure.add_trace(
            go.Scatter(
                x=own["trial"].astype(int).tolist(),
                y=rounded(scores),
                mode="markers",
                name=label,
                legendgroup=name,
                marker={"color": colour(shade), "size": 8},
                customdata=own["params"].astype(str).tolist(),
                hovertemplate="trial %{x}<br>%{y}<br>%{customdata}<extra>" + name + "</extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=own["trial"].astype(int).tolist(),
                y=rounded(best.ffill()),
                mode="lines",
                line={"color": colour(shade), "dash": "dot", "shape": "hv"},
                name=f"{name} best so far",
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title=f"Search history: CV {metric} per trial ({_better(metric)}; dotted: best so far)",
        xaxis_title="trial",
        yaxis_title=f"CV {metric} (mean over folds)",
    )
    return figure
