"""Contract tests: what holds for every configured task, whatever its table.

Parametrised over the tasks ``conf/base/parameters_tasks.yml`` declares (``task_config``),
they assume nothing about the data (binary or multiclass, rows, columns): after a fork they
check the user's tables. Select them with ``pytest -m contract``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from project_runs import PROJECT_ROOT, catalog_datasets
from task_config import CONFIGURED_TASKS, project_parameters, task_declarations

pytestmark = [pytest.mark.contract, pytest.mark.parametrize("task", CONFIGURED_TASKS)]


def _read(project: Path, layer: str, task: str, name: str) -> Any:
    path = project / "data" / layer / task / name
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return json.loads(path.read_text())


def _raw(project: Path, task: str) -> pd.DataFrame:
    return catalog_datasets(project)[f"{task}.tabular_raw"].load()


def test_splits_partition_the_cleaned_rows_and_keep_the_target(
    default_run: Path, task: str
) -> None:
    spec = task_declarations()[task]
    split = project_parameters()["preprocessing"]["tabular"][task]["split"]
    raw = _raw(default_run, task)
    train = _read(default_run, "03_primary", task, "train.parquet")
    test = _read(default_run, "03_primary", task, "test.parquet")
    uncleaned = _read(default_run, "02_intermediate", task, "train_uncleaned.parquet")

    assert len(train) >= 1 and len(test) >= 1
    assert len(uncleaned) + len(test) <= len(raw)
    assert len(train) <= len(uncleaned)  # cleaning the train split only ever drops rows
    # the test share follows test_size (rounded either way)
    assert abs(len(test) - split["test_size"] * (len(uncleaned) + len(test))) <= 1
    for frame in (train, test):
        assert spec.target in frame and frame[spec.target].notna().all()
        assert set(frame.columns) - {f"{c}_outlier" for c in spec.columns} <= set(raw.columns)


def test_every_learnt_cleaning_statistic_comes_from_the_train_split(
    default_run: Path, task: str
) -> None:
    rules = _read(default_run, "02_intermediate", task, "cleaning_rules.json")
    train = _read(default_run, "02_intermediate", task, "train_uncleaned.parquet")
    impute = project_parameters()["preprocessing"]["tabular"][task]["cleaning"]["impute"]

    for column, rule in impute.items():
        if column not in rules["impute"]:
            continue
        values = train[column].dropna()
        if rule["strategy"] == "median":
            assert rules["impute"][column] == pytest.approx(float(values.median()))
        elif rule["strategy"] == "mean":
            assert rules["impute"][column] == pytest.approx(float(values.mean()))


def test_the_model_carries_its_preprocessor_so_no_fold_sees_test_rows(
    default_run: Path, task: str
) -> None:
    from sklearn.pipeline import Pipeline

    model = catalog_datasets(default_run)[f"{task}.model"].load()
    features = _read(default_run, "04_feature", task, "test.parquet")
    spec = task_declarations()[task]

    # the stateful transforms are fitted inside the model (per CV fold in the search)
    assert isinstance(model, Pipeline) and len(model.steps) >= 2
    predictions = model.predict(features.drop(columns=[spec.target]))
    assert len(predictions) == len(features)


def test_test_metrics_agree_with_the_saved_predictions(default_run: Path, task: str) -> None:
    from sklearn import metrics

    spec = task_declarations()[task]
    scores = _read(default_run, "07_model_output", task, "test_metrics.json")
    predictions = _read(default_run, "07_model_output", task, "test_predictions.parquet")

    assert scores["problem"] == spec.problem
    assert scores["rows"] == len(predictions)
    actual, predicted = predictions["actual"], predictions["predicted"]
    if spec.problem == "regression":
        expected = {
            "rmse": metrics.root_mean_squared_error(actual, predicted),
            "mae": metrics.mean_absolute_error(actual, predicted),
            "r2": metrics.r2_score(actual, predicted),
        }
    else:
        numeric = all(pd.api.types.is_numeric_dtype(c) for c in (actual, predicted))
        # integer labels may come back as floats: compare them as numbers, others as text
        same = (
            actual.to_numpy(float) == predicted.to_numpy(float)
            if numeric
            else actual.astype(str).to_numpy() == predicted.astype(str).to_numpy()
        )
        expected = {"accuracy": float(same.mean())}
        probabilities = predictions.filter(like="proba_")
        if len(probabilities.columns):
            np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    for name, value in expected.items():
        if name in scores["metrics"]:
            assert scores["metrics"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_every_per_task_output_is_written(default_run: Path, task: str) -> None:
    datasets = {
        name: dataset
        for name, dataset in catalog_datasets(default_run).items()
        if name.startswith(f"{task}.") and name != f"{task}.tabular_raw"
    }

    assert datasets, f"no dataset of task {task} in the catalog"
    missing = [name for name, dataset in datasets.items() if not dataset.exists()]
    assert not missing


def test_dvc_yaml_has_the_tasks_outputs(task: str) -> None:
    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
    outputs = [
        entry if isinstance(entry, str) else next(iter(entry))
        for stage in stages.values()
        for kind in ("outs", "metrics", "plots")
        for entry in stage.get(kind, [])
    ]
    assert any(f"/{task}/" in path for path in outputs)
    assert f"data/08_reporting/{task}/metrics.json" in outputs
