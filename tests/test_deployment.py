"""The deployable scorer, batch inference and the service give the training run's numbers.

Contract tests over the configured tasks, on a copy of the project after one default run
(``default_run``): a raw test row scored in-process, through the ``inference`` pipeline and over
HTTP gets exactly the prediction the training run wrote for it; a model file that is not the
one training recorded is refused, naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deployment_cases import raw_test_rows
from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.model_file import ModelFileError
from roadmap_pipelines.project.deployment import load_scorer, load_service
from task_config import CONFIGURED_TASKS as TABULAR_TASKS


def assert_same_predictions(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(actual) == len(expected)
    assert list(actual["predicted"]) == list(expected["predicted"])
    for column in [c for c in expected.columns if c.startswith("proba_")]:
        np.testing.assert_array_equal(actual[column].to_numpy(), expected[column].to_numpy())


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_scoring_raw_test_rows_gives_the_training_runs_test_predictions(loaded, task) -> None:
    catalog, parameters = loaded
    scorer = load_scorer(catalog, parameters, task)
    predictions = scorer.score(raw_test_rows(catalog, parameters, task)).predictions
    assert_same_predictions(predictions, catalog.load(f"{task}.test_predictions"))
    assert set(predictions["model_version"]) == {scorer.metadata["model_sha256"][:12]}
    assert list(predictions["row_id"]) == list(range(len(predictions)))


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_the_batch_pipeline_scores_as_the_scorer_does(loaded, task) -> None:
    catalog, parameters = loaded
    scorer = load_scorer(catalog, parameters, task)
    options = parameters["inference"][task]
    scored = scorer.score(
        catalog.load(f"{task}.inference_input"), options.id_column, options.on_invalid
    )
    written = catalog.load(f"{task}.inference_predictions")
    pd.testing.assert_frame_equal(
        written.reset_index(drop=True), scored.predictions, check_dtype=False
    )
    rejects = catalog.load(f"{task}.inference_rejects")
    assert list(rejects["column"]) == list(scored.rejects["column"])
    assert len(written) + rejects["row_id"].nunique() == len(
        catalog.load(f"{task}.inference_input")
    )


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_invalid_rows_fail_naming_rows_and_columns_or_go_to_rejects(loaded, task) -> None:
    catalog, parameters = loaded
    scorer = load_scorer(catalog, parameters, task)
    rows = raw_test_rows(catalog, parameters, task).head(5).reset_index(drop=True)
    numeric = next(
        name
        for name, spec in scorer.declared_columns().items()
        if spec.dtype in ("int", "float") and spec.max is not None
    )
    rows[numeric] = rows[numeric].astype(object)
    rows.loc[3, numeric] = scorer.declared_columns()[numeric].max + 1
    with pytest.raises(InputDataError, match=rf"column '{numeric}'.*at rows \[3\]"):
        scorer.score(rows)
    scored = scorer.score(rows, on_invalid="reject")
    assert list(scored.predictions["row_id"]) == [0, 1, 2, 4]
    assert scored.rejects[["row_id", "column"]].values.tolist() == [[3, numeric]]
    assert scored.rejects.loc[0, "check"].startswith("less_than_or_equal_to")


def test_a_model_file_other_than_the_one_training_recorded_is_refused(
    completed_project: Path,
) -> None:
    task = TABULAR_TASKS[0]
    model = completed_project / "data" / "06_models" / task / "model.pkl"
    model.write_bytes(model.read_bytes() + b"\x00")
    with pytest.raises(ModelFileError, match=rf"{model.name}.*refusing to unpickle"):
        load_service(completed_project)
    model.unlink()
    with pytest.raises(ModelFileError, match="does not exist"):
        load_service(completed_project)
