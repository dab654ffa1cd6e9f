"""Bad input stops a real run with a message naming what is wrong, and loses nothing.

Each case starts from a project that already holds the outputs of a good run, breaks one
input or parameter, runs the default pipeline and checks the error and that every output
file on disk is byte for byte what the good run left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from project_runs import output_digests, run_session
from roadmap_pipelines.errors import InputDataError
from task_config import requires_tasks

# example-data tests: each breaks the shipped credit table or its parameters
pytestmark = requires_tasks("credit")


def _drop_column(data: pd.DataFrame) -> pd.DataFrame:
    return data.drop(columns="Age")


def _uncastable_value(data: pd.DataFrame) -> pd.DataFrame:
    data = data.astype({"Seniority": object})
    data.loc[7, "Seniority"] = "ten years"
    return data


def _target_all_missing(data: pd.DataFrame) -> pd.DataFrame:
    return data.assign(Status=None)


def _single_row_class(data: pd.DataFrame) -> pd.DataFrame:
    status = ["good"] * len(data)
    status[3] = "bad"
    return data.assign(Status=status)


def _short_series(data: pd.DataFrame) -> pd.DataFrame:
    uk_gas = data.index[data["series_id"] == "uk_gas"]
    return data.drop(index=uk_gas[7:])  # 7 quarters, fewer than two seasons of 4


CASES = {
    "missing required column": ("credit.csv", _drop_column, InputDataError, ["tabular_raw", "Age"]),
    "value that cannot be cast": (
        "credit.csv",
        _uncastable_value,
        InputDataError,
        ["tabular_raw", "Seniority", "ten years"],
    ),
    "target all missing": (
        "credit.csv",
        _target_all_missing,
        InputDataError,
        ["tabular_raw", "target column 'Status'", "all 4454 rows"],
    ),
    "class too small for the split": (
        "credit.csv",
        _single_row_class,
        InputDataError,
        ["tabular_raw", "'Status'", "'bad': 1", "stratified"],
    ),
    "series shorter than two seasons": (
        "timeseries.csv",
        _short_series,
        InputDataError,
        ["timeseries_raw", "'uk_gas'", "7 point(s)", "at least 8"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_raw_data_stops_the_run_and_keeps_previous_outputs(
    case: str, completed_project: Path, rewrite_raw: Callable
) -> None:
    file, change, error, fragments = CASES[case]
    before = output_digests(completed_project)
    rewrite_raw(file, change)

    with pytest.raises(error) as raised:
        run_session(completed_project)

    for fragment in fragments:
        assert fragment in str(raised.value)
    assert output_digests(completed_project) == before


def test_empty_input_file_names_the_file(completed_project: Path) -> None:
    from kedro.io import DatasetError

    before = output_digests(completed_project)
    (completed_project / "data/01_raw/credit.csv").write_text("")

    with pytest.raises(DatasetError, match=r"credit\.csv"):
        run_session(completed_project)
    assert output_digests(completed_project) == before


def test_header_only_file_is_reported_as_empty(completed_project: Path) -> None:
    before = output_digests(completed_project)
    raw = completed_project / "data/01_raw/credit.csv"
    raw.write_text(raw.read_text().splitlines()[0] + "\n")

    with pytest.raises(InputDataError, match="Dataset 'credit.tabular_raw' has no rows"):
        run_session(completed_project)
    assert output_digests(completed_project) == before


def _edit_parameters(project: Path, change: Callable[[dict], None]) -> None:
    path = project / "conf/base/parameters_preprocessing.yml"
    params = yaml.safe_load(path.read_text())
    change(params["preprocessing"])
    path.write_text(yaml.safe_dump(params))


PARAMETER_CASES = {
    "unknown strategy": (
        lambda p: p["tabular"]["credit"]["cleaning"]["impute"]["Income"].update(strategy="mode"),
        ["preprocessing.tabular", "Income", "strategy", "'median', 'mean', 'most_frequent'"],
    ),
    "unknown key": (
        lambda p: p["tabular"]["credit"]["cleaning"].update(drop_duplicate_rows=True),
        ["preprocessing.tabular", "drop_duplicate_rows", "Extra inputs are not permitted"],
    ),
    "unknown top-level key": (
        lambda p: p.update(sampling={"rows": 10}),
        ["parameters_preprocessing.yml", "sampling", "Extra inputs are not permitted"],
    ),
    "impossible value": (
        lambda p: p["tabular"]["credit"]["split"].update(test_size=1.5),
        ["split", "test_size", "less than 1"],
    ),
    "undeclared column": (
        lambda p: p["tabular"]["credit"]["cleaning"]["outliers"].update(
            Salary={"method": "iqr", "threshold": 1.5, "action": "clip"}
        ),
        ["cleaning.outliers: 'Salary'", "not declared"],
    ),
}


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_bad_parameters_stop_before_any_node(
    case: str, completed_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kedro.validation import ParameterValidationError
    from pydantic import ValidationError

    change, fragments = PARAMETER_CASES[case]
    before = output_digests(completed_project)
    _edit_parameters(completed_project, change)

    # Kedro validates each node's parameters; a task's declaration joined with its
    # preprocessing block is validated when the pipelines are registered
    with pytest.raises((ParameterValidationError, ValidationError)) as raised:
        run_session(completed_project)

    for fragment in fragments:
        assert fragment in str(raised.value)
    assert output_digests(completed_project) == before
    assert "node validate_tabular" not in caplog.text  # no node started
