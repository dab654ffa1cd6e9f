"""The leaderboard: each candidate's best complete trial, ranked by the search metric."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.metrics import GREATER_IS_BETTER
from roadmap_pipelines.params.modelling_tabular import TabularModelling

if TYPE_CHECKING:
    import pandas as pd


def rank_candidates(trials: pd.DataFrame, params: TabularModelling) -> pd.DataFrame:
    """Each candidate's best complete trial, ranked by ``rank_by`` (ties by trial, then name).

    Args:
        trials: Every trial (``trials_table``).
        params: The task's modelling parameters (candidates and ``rank_by``).

    Returns:
        One row per candidate: rank, estimator, trial counts, mean and std of each metric,
        params (JSON) and errors; ``best`` marks rank 1.

    Raises:
        InputDataError: If every trial of every candidate failed.
    """
    import pandas as pd

    rank_by = f"{params.rank_by}_mean"
    ascending = not GREATER_IS_BETTER[params.rank_by]
    rows = []
    for name, candidate in params.candidates.items():
        own = trials[trials["candidate"] == name]
        complete = own[own["state"] == "complete"]
        row: dict[str, Any] = {
            "candidate": name,
            "estimator": candidate.estimator,
            "n_trials": len(own),
            "n_failed": int((own["state"] == "failed").sum()),
        }
        if complete.empty:
            row["params"] = None
            row["errors"] = own["errors"].iloc[0] if len(own) else ""
        else:
            best = complete.sort_values([rank_by, "trial"], ascending=[ascending, True]).iloc[0]
            columns = [c for c in trials.columns if c.endswith(("_mean", "_std"))]
            row.update({column: best[column] for column in columns})
            row["params"] = best["params"]
            row["errors"] = ""
        rows.append(row)
    board = pd.DataFrame(rows)
    if board["params"].isna().all():
        raise InputDataError(
            "every trial of every candidate failed; first errors: "
            + " | ".join(f"{r.candidate}: {r.errors}" for r in board.itertuples())
        )
    board = board.sort_values(
        [rank_by, "candidate"], ascending=[ascending, True], na_position="last"
    )
    board.insert(0, "rank", range(1, len(board) + 1))
    board["best"] = board["rank"] == 1
    return board.reset_index(drop=True)
