"""A table bigger than one worker: LightGBM across two Dask workers against the in-memory path.

Writes a generated Parquet table (``--partitions`` files of ``--rows`` rows: six numbers and
three long text categories, labels drawn from known probabilities), starts a ``LocalCluster``
of two single-threaded workers limited to ``--memory`` MiB each (127.0.0.1), and runs the
``modelling_tabular_dask`` nodes on it. The in-memory path (``lightgbm.LGBMClassifier`` in
this process, the same parameters and typing) trains on a fifth of the same train rows. Both
are scored on the same test rows. Printed: the table's size as pandas holds it, the peak
resident memory of each worker process, the wall time of each path, and the test metrics of
both next to the AUC of the true probabilities.

Run: ``.venv/bin/python benchmarks/bench_dask_table.py [--partitions 96] [--rows 15000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7
REGIONS = [f"https://shop.example.com/regions/{n:02d}/" + "r" * 110 for n in range(12)]
PRODUCTS = [f"catalogue/garden/outdoor-furniture/patio-{n:03d}/" + "p" * 100 for n in range(40)]
CHANNELS = [f"utm_source=newsletter&utm_medium=email&campaign={n}&" + "c" * 90 for n in range(8)]
PARAMS = {"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 15}


def logit(part: pd.DataFrame) -> np.ndarray:
    region = (
        part["region"]
        .astype(object)
        .map({label: (i % 4 - 1.5) / 2 for i, label in enumerate(REGIONS)})
    )
    return (
        1.2 * part["x0"]
        - 0.8 * part["x1"]
        + 0.6 * part["x2"] * part["x3"]
        + region.to_numpy(dtype=float)
    ).to_numpy()


def write_table(folder: Path, partitions: int, rows: int) -> int:
    size = 0
    for index in range(partitions):
        rng = np.random.default_rng([SEED, index])
        part = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(6)})
        part["region"] = rng.choice(REGIONS, rows)
        part["product"] = rng.choice(PRODUCTS, rows)
        part["channel"] = rng.choice(CHANNELS, rows)
        part["row_id"] = np.arange(index * rows, (index + 1) * rows)
        chance = 1 / (1 + np.exp(-logit(part)))
        part["bought"] = np.where(rng.uniform(size=rows) < chance, "yes", "no")
        path = folder / f"part.{index:04d}.parquet"
        part.to_parquet(path, index=False)
        size += int(pd.read_parquet(path).memory_usage(deep=True).sum())
    return size


def task() -> object:
    from roadmap_pipelines.params.tasks import TaskParams

    columns = {f"x{i}": {"dtype": "float", "nullable": False} for i in range(6)}
    columns |= {
        "region": {"dtype": "category", "allowed": REGIONS},
        "product": {"dtype": "category"},
        "channel": {"dtype": "category"},
        "row_id": {"dtype": "int", "nullable": False},
        "bought": {"dtype": "category", "allowed": ["no", "yes"]},
    }
    return TaskParams.model_validate(
        {
            "dataset": "bench.tabular_dask",
            "target": "bought",
            "problem": "classification",
            "columns": columns,
            "unique_key": ["row_id"],
        }
    )


class PeakMemory:
    """Peak resident memory of some processes, sampled every 50 ms in a thread."""

    def __init__(self, pids: list[int]) -> None:
        self.peaks = dict.fromkeys(pids, 0)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._done.wait(0.05):
            for pid in self.peaks:
                with contextlib.suppress(psutil.Error):
                    rss = psutil.Process(pid).memory_info().rss
                    self.peaks[pid] = max(self.peaks[pid], rss)

    def stop(self) -> list[int]:
        self._done.set()
        self._thread.join()
        return list(self.peaks.values())


def start_cluster(memory_mib: int, scratch: str) -> tuple[object, object]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_mib * 2**20,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        local_directory=scratch,
    )
    return Client(cluster), cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=96)
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--memory", type=int, default=600, help="MiB per worker")
    args = parser.parse_args()

    import dask.dataframe as dd
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score

    from roadmap_pipelines.ml.tabular.dask_lightgbm import TrainedLightGBM, evaluate
    from roadmap_pipelines.params.modelling_tabular_dask import DaskTabularModelling
    from roadmap_pipelines.pipelines.modelling_tabular_dask.nodes import (
        evaluate_dask_model,
        split_dask_table,
        train_dask_lightgbm,
    )

    params = DaskTabularModelling.model_validate(
        {"metrics": ["roc_auc", "accuracy", "log_loss"], "positive_class": "yes", "params": PARAMS}
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "table"
        folder.mkdir()
        size = write_table(folder, args.partitions, args.rows)
        client, cluster = start_cluster(args.memory, scratch)
        addresses = set(client.scheduler_info()["workers"])
        memory = PeakMemory(list(client.run(os.getpid).values()))
        start = time.perf_counter()
        train, test, spec = split_dask_table(dd.read_parquet(folder), params, task(), SEED)
        model = train_dask_lightgbm(train, spec, params, SEED)
        dask_metrics = evaluate_dask_model(model, test, params)
        dask_seconds = time.perf_counter() - start
        peaks = memory.stop()
        # a worker over its limit is killed by its nanny and comes back under a new address
        restarted = addresses != set(client.scheduler_info()["workers"])

        start = time.perf_counter()
        sample = train.partitions[: args.partitions // 5].compute()
        local = lgb.LGBMClassifier(random_state=SEED, deterministic=True, verbose=-1, **PARAMS)
        local.fit(sample[spec.features], sample[spec.target])
        memory_seconds = time.perf_counter() - start
        memory_metrics = evaluate(TrainedLightGBM(spec, local), test, params.metrics, "yes")
        held_out = test.compute()
        oracle = roc_auc_score(held_out[spec.target] == 1, logit(held_out))
        client.close()
        cluster.close()

    rows = args.partitions * args.rows
    print(f"table: {rows:,} rows, {size / 2**20:,.0f} MiB as pandas holds it")
    print(f"workers: 2 x 1 thread, limit {args.memory} MiB each; restarted: {restarted}")
    print("peak RSS per worker: " + ", ".join(f"{p / 2**20:.0f} MiB" for p in peaks))
    print(f"test rows: {len(held_out):,}; AUC of the true probabilities: {oracle:.4f}")
    names = " ".join(f"{m:>9}" for m in params.metrics)
    print(f"{'path':28} {'train rows':>10} {'seconds':>8} {names}")
    for label, train_rows, seconds, metrics in (
        ("dask (2 workers, all rows)", rows - len(held_out), dask_seconds, dask_metrics),
        ("in memory (a fifth)", len(sample), memory_seconds, memory_metrics),
    ):
        values = " ".join(f"{metrics[m]:9.4f}" for m in params.metrics)
        print(f"{label:28} {train_rows:>10,} {seconds:8.1f} {values}")


if __name__ == "__main__":
    main()
