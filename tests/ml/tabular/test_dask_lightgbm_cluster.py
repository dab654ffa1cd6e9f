"""A table bigger than one worker, trained across two workers by the Dask pipeline's nodes.

A generated Parquet table (made here, row group by row group, never whole in memory) is
larger, as pandas holds it, than the memory limit of each of two local worker processes
(``LocalCluster`` on 127.0.0.1, one thread each). The pipeline's nodes read it lazily, type
every partition on the worker that reads it, train LightGBM data-parallel
(``lightgbm.dask``) and score the test rows on the workers. A worker that crossed its limit
would be killed and restarted by its nanny under a new address: both workers must end the
run as they started it.

The in-memory path (``lightgbm.LGBMClassifier`` in this process, the same parameters and the
same typing) is trained on a sample of the same train rows that fits, and both models are
scored on the same test rows by the same code: their ROC-AUC (and accuracy) must agree within
0.01. Why: the test set has ~290,000 rows, so one model's AUC has a sampling standard error
of ~0.001, and the two models share the test rows, so their difference varies less still;
the sample is a fifth of the train rows (~230,000), which costs LightGBM on this signal
well under 0.005 of AUC (measured: 0.8126 Dask, 0.8135 in memory; see
benchmarks/bench_dask_table.py). Both must also come within 0.04 of the AUC of the true
probabilities that drew the labels (0.8305 here): 60 trees of 15 leaves leave ~0.018 of the
x2·x3 interaction unlearnt, and a broken typing or split would fall far below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.tabular.dask_lightgbm import (
    FeatureSpec,
    TrainedLightGBM,
    evaluate,
)
from roadmap_pipelines.params.modelling_tabular_dask import DaskTabularModelling
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines.modelling_tabular_dask.nodes import (
    evaluate_dask_model,
    split_dask_table,
    train_dask_lightgbm,
)

pytestmark = pytest.mark.e2e

WORKER_MEMORY = 600 * 2**20
PARTITIONS = 96
ROWS_PER_PARTITION = 15_000
SEED = 7
# long labels, as URLs or category paths are: what makes the table large as pandas holds it
REGIONS = [f"https://shop.example.com/regions/{n:02d}/" + "r" * 110 for n in range(12)]
PRODUCTS = [f"catalogue/garden/outdoor-furniture/patio-{n:03d}/" + "p" * 100 for n in range(40)]
CHANNELS = [f"utm_source=newsletter&utm_medium=email&campaign={n}&" + "c" * 90 for n in range(8)]
PARAMS = {"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 15}


def _logit(part: pd.DataFrame) -> np.ndarray:
    region = part["region"].map({label: (i % 4 - 1.5) / 2 for i, label in enumerate(REGIONS)})
    return (
        1.2 * part["x0"]
        - 0.8 * part["x1"]
        + 0.6 * part["x2"] * part["x3"]
        + region.to_numpy(dtype=float)
    ).to_numpy()


def _write_table(folder: Path) -> int:
    """Write the table's partitions; return its size in bytes as pandas holds it."""
    folder.mkdir()
    size = 0
    for index in range(PARTITIONS):
        rng = np.random.default_rng([SEED, index])
        n = ROWS_PER_PARTITION
        part = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
        part["region"] = rng.choice(REGIONS, n)
        part["product"] = rng.choice(PRODUCTS, n)
        part["channel"] = rng.choice(CHANNELS, n)
        part["row_id"] = np.arange(index * n, (index + 1) * n)
        chance = 1 / (1 + np.exp(-_logit(part)))
        part["bought"] = np.where(rng.uniform(size=n) < chance, "yes", "no")
        path = folder / f"part.{index:03d}.parquet"
        part.to_parquet(path, index=False)
        size += int(pd.read_parquet(path).memory_usage(deep=True).sum())
    return size


def _task() -> TaskParams:
    columns = {f"x{i}": {"dtype": "float", "nullable": False} for i in range(6)}
    columns |= {
        "region": {"dtype": "category", "allowed": REGIONS},
        "product": {"dtype": "category"},  # categories found in one pass over the table
        "channel": {"dtype": "category"},
        "row_id": {"dtype": "int", "nullable": False},
        "bought": {"dtype": "category", "allowed": ["no", "yes"]},
    }
    return TaskParams.model_validate(
        {
            "dataset": "big.tabular_dask",
            "target": "bought",
            "problem": "classification",
            "columns": columns,
            "unique_key": ["row_id"],
        }
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=WORKER_MEMORY,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        local_directory=str(tmp_path_factory.mktemp("dask-workers")),
    )
    with Client(cluster) as connected:
        yield connected
    cluster.close()


def test_a_table_bigger_than_a_worker_trains_across_two(client, tmp_path: Path) -> None:
    import dask.dataframe as dd
    import lightgbm as lgb

    table_size = _write_table(tmp_path / "big")
    assert table_size > WORKER_MEMORY, "the table must not fit one worker"
    workers = set(client.scheduler_info()["workers"])
    params = DaskTabularModelling.model_validate(
        {"metrics": ["roc_auc", "accuracy", "log_loss"], "positive_class": "yes", "params": PARAMS}
    )

    table = dd.read_parquet(tmp_path / "big")
    train, test, spec = split_dask_table(table, params, _task(), SEED)
    model = train_dask_lightgbm(train, spec, params, SEED)
    dask_metrics = evaluate_dask_model(model, test, params)

    assert set(client.scheduler_info()["workers"]) == workers, "a worker was restarted"
    assert spec.categories["product"] == tuple(sorted(PRODUCTS))
    assert spec.numeric == tuple(f"x{i}" for i in range(6))  # row_id is the key, not a feature

    # the in-memory path on a fifth of the same train rows, scored on the same test rows
    sample = train.partitions[: PARTITIONS // 5].compute()
    local = lgb.LGBMClassifier(random_state=SEED, deterministic=True, verbose=-1, **PARAMS)
    local.fit(sample[spec.features], sample[spec.target])
    memory_metrics = evaluate(TrainedLightGBM(spec, local), test, params.metrics, "yes")

    held_out = test.compute()
    oracle = _oracle_auc(held_out, spec)
    assert abs(dask_metrics["roc_auc"] - memory_metrics["roc_auc"]) < 0.01
    assert oracle - 0.04 < dask_metrics["roc_auc"] <= oracle + 0.005
    assert oracle - 0.04 < memory_metrics["roc_auc"] <= oracle + 0.005
    assert abs(dask_metrics["accuracy"] - memory_metrics["accuracy"]) < 0.01
    assert len(held_out) == pytest.approx(0.2 * PARTITIONS * ROWS_PER_PARTITION, rel=0.02)


def _oracle_auc(typed_test: pd.DataFrame, spec: FeatureSpec) -> float:
    """AUC of the probabilities the labels were drawn from, on the typed test rows."""
    from sklearn.metrics import roc_auc_score

    rows = typed_test.assign(region=typed_test["region"].astype(object))
    return float(roc_auc_score(typed_test[spec.target] == 1, _logit(rows)))


def test_the_saved_model_predicts_labels_from_raw_rows(client, tmp_path: Path) -> None:
    """The model's ``predict`` types raw rows itself and answers with the table's labels."""
    import dask.dataframe as dd

    rows = pd.DataFrame(
        {
            **{f"x{i}": np.linspace(-2, 2, 40) * (1 if i == 0 else 0) for i in range(6)},
            "region": REGIONS[0],
            "product": PRODUCTS[0],
            "channel": CHANNELS[0],
            "row_id": np.arange(40),
            "bought": np.where(np.linspace(-2, 2, 40) > 0, "yes", "no"),
        }
    )
    params = DaskTabularModelling.model_validate(
        {"metrics": ["accuracy"], "positive_class": "yes", "test_size": 0.25, "params": PARAMS}
    )
    table = dd.from_pandas(pd.concat([rows] * 50, ignore_index=True), npartitions=4)
    train, _, spec = split_dask_table(table, params, _task(), SEED)
    model = train_dask_lightgbm(train, spec, params, SEED)

    predicted = model.predict(rows.drop(columns=["bought"]))
    assert list(predicted) == list(rows["bought"])
