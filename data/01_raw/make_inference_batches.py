"""Write the demo batches `inference` scores and `monitoring` checks (data/01_raw/SOURCES.md).

Each batch is the task's held-out test split (the rows preprocessing put in test, found by
running the project's own validate → clean_rows → split nodes with the committed parameters),
with a documented, deterministic shift so monitoring has something to flag, and a few invalid
rows so the rejects table has something to show. Labels are kept: the batch also exercises
the performance check. Rerun after changing the raw data or the split:

    .venv/bin/python data/01_raw/make_inference_batches.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from roadmap_pipelines.pipelines.preprocessing.nodes import (
    clean_rows,
    split_train_test,
    validate_tabular,
)
from roadmap_pipelines.project.deployment import task_declaration

ROOT = Path(__file__).resolve().parents[2]


def held_out(catalog, parameters, task: str) -> pd.DataFrame:
    """The task's test split as raw-looking values (text and numbers)."""
    params, _, _ = task_declaration(parameters, task)
    validated, _ = validate_tabular(catalog.load(f"{task}.tabular_raw"), params)
    rows, _ = clean_rows(validated, params)
    _, test, _ = split_train_test(rows, params, parameters["random_state"])
    return test.astype({c: object for c in test.select_dtypes("category").columns})


def credit(test: pd.DataFrame) -> pd.DataFrame:
    """Incomes up 60% (a currency or inflation change); three rows that break the schema."""
    batch = test.copy()
    batch["Income"] = (batch["Income"] * 1.6).round(0)
    batch.loc[0, "Age"] = 15  # below the declared minimum of 18
    batch.loc[1, "Home"] = "castle"  # not an allowed level
    batch.loc[2, "Seniority"] = None  # Seniority is declared non-nullable
    return batch


def ames(test: pd.DataFrame) -> pd.DataFrame:
    """A new neighbourhood in a quarter of the rows (seeded); one row with quality 11 of 10."""
    batch = test.copy()
    new = np.random.default_rng(0).random(len(batch)) < 0.25
    batch["Neighborhood"] = batch["Neighborhood"].where(~new, "NewDevelopment")
    batch.loc[0, "Overall.Qual"] = 11
    return batch


def main() -> None:
    bootstrap_project(ROOT)
    with KedroSession.create(project_path=ROOT) as session:
        context = session.load_context()
        catalog, parameters = context.catalog, context.params
        catalog.save("credit.inference_input", credit(held_out(catalog, parameters, "credit")))
        catalog.save("ames.inference_input", ames(held_out(catalog, parameters, "ames")))


if __name__ == "__main__":
    main()
