"""End-to-end: a task asks for ``modelling_tabular_dask`` in conf, and ``kedro run`` trains it on
a LocalCluster (127.0.0.1) from a Parquet folder read by kedro-datasets' ``dask.ParquetDataset``.

Contract test over the configured tasks: the first one's cleaned rows (its preprocessing
output, whatever the table) become the folder the catalog's ``<task>.tabular_dask`` pattern
points at; only configuration changes.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import yaml

from project_runs import run_session
from task_config import project_parameters, task_declarations


def _configure(project: Path, task: str, block: dict) -> None:
    conf = project / "conf" / "base"
    (conf / "parameters_modelling_tabular_dask.yml").write_text(
        yaml.safe_dump({"modelling_tabular_dask": {task: block}})
    )
    execution = conf / "parameters_execution.yml"
    raw = yaml.safe_load(execution.read_text())
    raw["execution"] |= {"engine": "dask", "n_workers": 2, "memory_limit": "1GiB"}
    execution.write_text(yaml.safe_dump(raw))


def test_a_task_configured_for_dask_trains_on_the_cluster(project: Path) -> None:
    task, declaration = next(iter(task_declarations().items()))
    run_session(project, ["preprocessing"])
    primary = project / "data" / "03_primary" / task
    cleaned = pd.concat(pd.read_parquet(primary / f"{name}.parquet") for name in ("train", "test"))
    folder = project / "data" / "01_raw" / f"{task}_parquet"
    folder.mkdir()
    for index in range(3):  # three partitions, as a folder of Parquet files would have
        cleaned.iloc[index::3].to_parquet(folder / f"part.{index}.parquet")
    classification = declaration.problem == "classification"
    block = {
        "metrics": ["accuracy", "roc_auc"] if classification else ["rmse", "r2"],
        "params": {"n_estimators": 40, "num_leaves": 7, "min_child_samples": 5},
    }
    positive = (project_parameters()["modelling_tabular"][task] or {}).get("positive_class")
    if classification and positive is not None:
        block["positive_class"] = positive
    _configure(project, task, block)

    run_session(project, ["modelling_tabular_dask"])

    output = project / "data" / "07_model_output" / task / "dask_test_metrics.json"
    metrics = json.loads(output.read_text())
    assert set(metrics) == set(block["metrics"])
    if classification:
        assert 0.5 < metrics["roc_auc"] <= 1 and 0 < metrics["accuracy"] <= 1
    else:
        assert metrics["r2"] > 0.3 and metrics["rmse"] > 0
    with (project / "data" / "06_models" / task / "dask_model.pkl").open("rb") as file:
        model = pickle.load(file)  # noqa: S301 - written by this test's run
    predicted = model.predict(cleaned.head(50))
    assert len(predicted) == 50
    if classification:
        assert set(predicted) <= set(cleaned[declaration.target].astype(object))
