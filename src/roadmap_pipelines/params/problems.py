"""Schema of ``tasks.<task>.problem`` in ``conf/base/parameters_tasks.yml``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, RootModel


class ProblemParam(RootModel[Literal["classification", "regression"]]):
    """``tasks.<task>.problem``: classification or regression, checked before any node runs."""

    model_config = ConfigDict(title="parameters_tasks.yml: tasks.<task>.problem", frozen=True)


def problem_kind(problem: ProblemParam | str) -> Literal["classification", "regression"]:
    """The problem as a string, from Kedro's validated parameter or the raw YAML value."""
    return ProblemParam.model_validate(problem).root
