"""Feature importance of a task's model on the test split: permutation importance of its input
columns and the estimator's own importances, as a table and a figure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.reports.figures import colour, rounded
from roadmap_pipelines.ml.tabular.importance import model_importance, permutation_importance
from roadmap_pipelines.ml.tabular.metrics import GREATER_IS_BETTER
from roadmap_pipelines.params.modelling_tabular import TabularModelling
from roadmap_pipelines.params.problems import problem_kind
from roadmap_pipelines.params.reporting import ReportingParams
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import np, pd


def _sample_rows(frame: pd.DataFrame, limit: int, random_state: int) -> np.ndarray:
    import numpy as np

    if len(frame) <= limit:
        return np.arange(len(frame))
    return np.sort(np.random.RandomState(random_state).choice(len(frame), limit, replace=False))


def compute_feature_importance(
    model: Any,
    test: pd.DataFrame,
    modelling: TabularModelling,
    tabular: TaskParams,
    problem: str,
    params: ReportingParams,
    random_state: int,
) -> pd.DataFrame:
    """Permutation importance of every input column on the test split, and the estimator's own
    importances where it exposes them.

    Permutation importance shuffles one input column of the whole pipeline (transforms and
    estimator) at a time and measures the drop in ``rank_by`` over ``permutation_repeats``
    shuffles, on at most ``permutation_max_rows`` test rows (a seeded sample).

    Args:
        model: ``<task>.model``, the fitted ``features`` + ``model`` pipeline.
        test: ``<task>.feature_test``.
        modelling: The task's modelling parameters (``rank_by``, ``positive_class``).
        tabular: The task's preprocessing parameters (for the target).
        problem: The task's ``tasks.<task>.problem``.
        params: ``reporting`` parameters.
        random_state: The project seed.

    Returns:
        ``source`` (``permutation`` or ``model``), ``feature``, ``measure``, ``importance``,
        ``std`` and ``rank`` within the source; strongest first, rounded to 6 decimals.
    """
    import pandas as pd

    from roadmap_pipelines.ml.tabular.targets import split_target

    kind = problem_kind(problem)
    features, target = split_target(test, tabular, kind)
    inputs = list(getattr(model, "feature_names_in_", features.columns))
    rows = _sample_rows(features, params.permutation_max_rows, random_state)
    positive = modelling.positive_class if kind == "classification" else None
    classes = list(getattr(model, "classes_", []))
    if kind == "classification" and len(classes) != 2:
        positive = None
    permuted = permutation_importance(
        model,
        features[inputs].iloc[rows].reset_index(drop=True),
        target.iloc[rows].reset_index(drop=True),
        modelling.rank_by,
        kind,
        positive,
        params.permutation_repeats,
        random_state,
    )
    change = "drop" if GREATER_IS_BETTER[modelling.rank_by] else "rise"
    permuted["measure"] = f"{change} in {modelling.rank_by}"
    tables = [permuted.assign(source="permutation")]
    own = model_importance(model)
    if own is not None:
        tables.append(own.assign(source="model"))
    return _ranked(pd.concat(tables, ignore_index=True))


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Rounded, strongest first within each source, with its rank there."""
    table["importance"] = rounded(table["importance"])
    table["std"] = rounded(table["std"])
    table = table.sort_values(
        ["source", "importance", "feature"], ascending=[False, False, True], kind="stable"
    )
    table["rank"] = table.groupby("source").cumcount() + 1
    columns = ["source", "feature", "measure", "importance", "std", "rank"]
    return table[columns].reset_index(drop=True)


def plot_feature_importance(importance: pd.DataFrame, params: ReportingParams) -> Any:
    """Draw the ``importance_top_features`` strongest features of each source side by side.

    Args:
        importance: ``compute_feature_importance`` output.
        params: ``reporting`` parameters (``importance_top_features``).

    Returns:
        A plotly ``Figure`` with a horizontal bar panel for permutation importance (with its
        standard deviation over repeats) and, if the estimator exposes them, one for its own.
    """
    from plotly.subplots import make_subplots

    sources = [s for s in ("permutation", "model") if (importance["source"] == s).any()]
    titles = []
    for source in sources:
        measure = importance.loc[importance["source"] == source, "measure"].iloc[0]
        titles.append(
            f"Permutation importance: {measure} (input columns, test split)"
            if source == "permutation"
            else f"Model {measure} (transformed features)"
        )
    top = params.importance_top_features
    figure = make_subplots(rows=1, cols=max(len(sources), 1), subplot_titles=titles or [""])
    for number, source in enumerate(sources, start=1):
        rows = importance[importance["source"] == source].head(top).iloc[::-1]
        figure.add_bar(
            x=rows["importance"].tolist(),
            y=rows["feature"].tolist(),
            orientation="h",
            error_x=(
                {"type": "data", "array": rows["std"].fillna(0).tolist(), "visible": True}
                if source == "permutation"
                else None
            ),
            marker_color=colour(number - 1),
            name=source,
            row=1,
            col=number,
        )
    shown = min(top, max((importance["source"] == s).sum() for s in sources) if sources else 1)
    missing = "" if "model" in sources else " (the estimator exposes no importances)"
    figure.update_layout(
        title=f"Feature importance: top {top}{missing}",
        height=max(360, 22 * shown + 160),
        showlegend=False,
        margin={"l": 160},
    )
    return figure
