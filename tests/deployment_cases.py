"""Helpers of the deployment and serving tests: a run's raw test rows and JSON records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from roadmap_pipelines.pipelines.preprocessing.nodes import (
    clean_rows,
    split_train_test,
    validate_tabular,
)
from roadmap_pipelines.project.deployment import task_declaration


def load_project(project: Path) -> tuple[Any, Any]:
    """The catalog and validated parameters of ``project``."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        context = session.load_context()
        return context.catalog, context.params


def raw_test_rows(catalog, parameters, task: str) -> pd.DataFrame:
    """The training run's test rows as a source would deliver them, without the target."""
    tabular, _, _ = task_declaration(parameters, task)
    validated, _ = validate_tabular(catalog.load(f"{task}.tabular_raw"), tabular)
    rows, _ = clean_rows(validated, tabular)
    _, test, _ = split_train_test(rows, tabular, parameters["random_state"])
    test = test.astype({c: object for c in test.select_dtypes("category").columns})
    return test.drop(columns=[tabular.target])


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: Python numbers and strings, None for missing."""
    return [
        {
            key: None if pd.isna(value) else getattr(value, "item", lambda v=value: v)()
            for key, value in row.items()
        }
        for row in frame.astype(object).to_dict(orient="records")
    ]
