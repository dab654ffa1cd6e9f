"""Records of what each cleaning step did, gathered into the data-quality report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd


class QualityStep(TypedDict):
    """One count in the data-quality report: what a rule did to a column of a split."""

    dataset: str
    stage: str
    rule: str
    column: str | None
    split: str
    count: int


def record(
    dataset: str, stage: str, rule: str, count: int, column: str | None = None, split: str = "all"
) -> QualityStep:
    """Build one ``QualityStep`` with a plain ``int`` count (numpy ints do not serialise)."""
    return QualityStep(
        dataset=dataset, stage=stage, rule=rule, column=column, split=split, count=int(count)
    )


def quality_report(
    params: BaseModel, step_lists: Iterable[list[QualityStep]]
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Gather the steps of several nodes into a report and a table.

    Args:
        params: The parameters the steps ran with, echoed into the report.
        step_lists: The quality steps of each node.

    Returns:
        The report as a JSON-ready dict (parameters, totals per rule, every step) and the
        same steps as a table.
    """
    import pandas as pd

    steps = [step for step_list in step_lists for step in step_list]
    table = pd.DataFrame(steps, columns=list(QualityStep.__annotations__))
    totals = (
        table.groupby(["dataset", "stage", "rule", "split"], sort=True)["count"].sum().reset_index()
    )
    report = {
        "parameters": params.model_dump(mode="json"),
        "totals": totals.to_dict(orient="records"),
        "steps": steps,
    }
    return report, table
