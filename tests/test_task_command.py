"""``kedro task add`` / ``kedro task remove``: reading a table, inferring its declarations,
writing plain commented YAML without touching the other blocks, and refusing bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from project_runs import PROJECT_ROOT, copy_project
from roadmap_pipelines.project.task_command import (
    BLOCKS,
    CATALOG,
    OPT_IN_BLOCKS,
    add_task,
    remove_task,
)
from roadmap_pipelines.project.task_inference import TaskInputError, infer_problem, profile_table
from roadmap_pipelines.project.yaml_blocks import append_block, has_block, remove_block

TEXT = """\
# heading comment
section:
  # the first block
  first:
    a: 1  # kept comment

  second:
    b: {x: 2}
other:
  c: 3
"""


def test_append_then_remove_gives_back_the_same_text() -> None:
    block = "  # a new one\n  third:\n    d: [1, 2]\n"
    added = append_block(TEXT, ("section",), block)

    assert yaml.safe_load(added)["section"]["third"] == {"d": [1, 2]}
    assert added.startswith(TEXT.split("other:", maxsplit=1)[0].rstrip("\n"))
    assert added.endswith("other:\n  c: 3\n")
    assert remove_block(added, ("section",), "third") == TEXT


def test_remove_takes_the_block_and_its_heading_comment_only() -> None:
    removed = remove_block(TEXT, ("section",), "first")

    assert "the first block" not in removed and "kept comment" not in removed
    assert yaml.safe_load(removed) == {"section": {"second": {"b": {"x": 2}}}, "other": {"c": 3}}
    assert removed.startswith("# heading comment\nsection:\n  second:")
    assert has_block(TEXT, ("section",), "second") and not has_block(removed, ("section",), "first")


def test_append_creates_a_missing_or_empty_mapping() -> None:
    assert yaml.safe_load(append_block("tasks: {}\n", ("tasks",), "  t:\n    a: 1\n")) == {
        "tasks": {"t": {"a": 1}}
    }
    assert yaml.safe_load(append_block("x: 1\n", ("tasks",), "  t: 1\n")) == {
        "x": 1,
        "tasks": {"t": 1},
    }


def _categorical_counts() -> pd.DataFrame:
    """An all-categorical table of counts expanded to rows: most rows repeat."""
    rows = [("a", "x", "yes")] * 30 + [("b", "y", "no")] * 25 + [("a", "y", "no")] * 5
    return pd.DataFrame(rows, columns=["colour", "size", "bought"])


def test_profile_declares_types_levels_identifiers_dates_and_text() -> None:
    table = pd.DataFrame(
        {
            "customer_id": np.arange(60),
            "when": pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d"),
            "plan": [" basic", "pro"] * 30,
            "review": [f"the product number {i} was fine and cheap" for i in range(60)],
            "spend": np.linspace(0, 10, 60),
            "churned": ["yes", "no", "no"] * 20,
        }
    )

    profile = profile_table(table, "churned", None)

    assert profile.problem == "classification" and profile.class_counts == {"no": 40, "yes": 20}
    columns = profile.columns
    assert columns["churned"].spec == {
        "dtype": "category",
        "nullable": False,
        "allowed": ["no", "yes"],
    }
    assert columns["customer_id"].role == "identifier"
    assert columns["when"].spec == {
        "dtype": "datetime",
        "date_format": "%Y-%m-%d",
        "nullable": False,
    }
    assert columns["plan"].spec["allowed"] == ["basic", "pro"]  # stripped
    assert columns["review"].role == "text"
    assert columns["spend"].spec == {"dtype": "float", "nullable": False, "min": 0}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (["a", "b"] * 50, "classification"),
        ([0, 1, 2] * 40, "classification"),
        (list(np.linspace(1, 500, 120)), "regression"),
        (list(range(120)), "regression"),
    ],
)
def test_problem_is_inferred_from_the_target(values: list, problem: str) -> None:
    assert infer_problem(pd.Series(values)) == problem


@pytest.mark.parametrize(
    ("table", "target", "message"),
    [
        (pd.DataFrame({"x": [1, 2]}), "y", "target 'y' is not a column of the table"),
        (pd.DataFrame({"x": [1, 2], "y": [None, None]}), "y", "missing on every row"),
        (pd.DataFrame({"x": [1, 2], "y": ["a", "a"]}), "y", "single class ('a')"),
    ],
)
def test_bad_targets_are_refused_with_what_to_do(
    table: pd.DataFrame, target: str, message: str
) -> None:
    with pytest.raises(TaskInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        profile_table(table, target, None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copied = copy_project(tmp_path / "project")
    for name in ("dvc.yaml", ".gitignore"):
        shutil.copy2(PROJECT_ROOT / name, copied / name)
    return copied


def _conf(project: Path) -> dict[str, str]:
    return {file: (project / file).read_text() for file in [*(b[0] for b in BLOCKS), CATALOG]}


def test_add_writes_every_block_and_remove_takes_them_back(project: Path, tmp_path: Path) -> None:
    data = tmp_path / "purchases.csv"
    _categorical_counts().to_csv(data, index=False)
    before = _conf(project)

    add_task(project, "purchases", data, "bought")

    after = _conf(project)
    assert (project / "data/01_raw/purchases.csv").read_bytes() == data.read_bytes()
    for file, path, _ in BLOCKS:
        content = yaml.safe_load(after[file])
        for key in path:
            content = content[key]
        assert "purchases" in content, file
        # the other blocks are untouched, byte for byte, comments included
        assert after[file].startswith(
            before[file].rstrip("\n").rsplit("\n", 1)[0]
        ) or file.endswith("preprocessing.yml")
    preprocessing = yaml.safe_load(after["conf/base/parameters_preprocessing.yml"])
    assert preprocessing["preprocessing"]["tabular"]["purchases"]["cleaning"]["duplicates"] is None
    assert "so duplicates are kept" in after["conf/base/parameters_preprocessing.yml"]
    task = yaml.safe_load(after["conf/base/parameters_tasks.yml"])["tasks"]["purchases"]
    assert task["problem"] == "classification" and task["target"] == "bought"
    assert "purchases.tabular_raw" in yaml.safe_load(after[CATALOG])
    assert "purchases" in (project / "dvc.yaml").read_text()

    with pytest.raises(TaskInputError, match="exists already.*--overwrite"):
        add_task(project, "purchases", data, "bought")
    add_task(project, "purchases", data, "bought", problem="classification", overwrite=True)
    assert _conf(project) == after

    # the other blocks were never touched: removing the task gives every file back, byte for
    # byte, comments included
    remove_task(project, "purchases")
    assert _conf(project) == before


def test_remove_also_takes_a_block_the_user_opted_into_by_hand(
    project: Path, tmp_path: Path
) -> None:
    data = tmp_path / "purchases.csv"
    _categorical_counts().to_csv(data, index=False)
    dask_file, dask_path = OPT_IN_BLOCKS[0]
    before = (project / dask_file).read_text()
    add_task(project, "purchases", data, "bought")
    opted_in = append_block(before, dask_path, "  purchases:\n    test_size: 0.2\n")
    (project / dask_file).write_text(opted_in)

    messages = remove_task(project, "purchases")

    assert (project / dask_file).read_text() == before
    assert f"{dask_file}: block 'purchases' removed" in messages


@pytest.mark.parametrize(
    ("name", "content", "target", "message"),
    [
        ("Bad-Name", "x,y\n1,a\n2,b\n", "y", "must be a lower-case Python identifier"),
        ("fine", "x,y\n1,a\n2,b\n", "z", "target 'z' is not a column"),
        ("fine", "", "y", "cannot be read as pandas.CSVDataset"),
    ],
)
def test_bad_input_stops_and_leaves_the_project_as_it_was(
    project: Path, tmp_path: Path, name: str, content: str, target: str, message: str
) -> None:
    data = tmp_path / "table.csv"
    data.write_text(content)
    before = _conf(project)

    with pytest.raises(TaskInputError, match=message):
        add_task(project, name, data, target)
    assert _conf(project) == before
    assert not (project / "data/01_raw/fine.csv").exists()


def test_an_unknown_file_type_names_the_readable_ones(project: Path, tmp_path: Path) -> None:
    data = tmp_path / "table.txt"
    data.write_text("x")

    with pytest.raises(TaskInputError, match=r"no reader for '.txt' files; use one of"):
        add_task(project, "fine", data, "y")


def test_the_cli_reports_bad_input_without_a_traceback(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "task", "remove", "nosuchtask"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Error: no task 'nosuchtask' in conf/base/parameters_tasks.yml" in result.stderr
    assert "Traceback" not in result.stderr
