"""Records of what each cleaning step did, gathered into the data-quality report."""

from __future__ import annotations

from typing import TypedDict


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
