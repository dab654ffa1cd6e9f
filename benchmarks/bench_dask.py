"""The execution engines side by side: local joblib processes against a Dask cluster.

A fixed workload runs with the local engine at 1 and 2 processes and on a Dask
``LocalCluster`` at 1 and 2 workers, all in this run. The clusters are the ones ``kedro run``
starts with ``engine: dask`` and the shipped settings (``start_local_cluster``: 127.0.0.1, one
thread a worker, no dashboard, so no worker profiler):

* **series**: ``map_series`` (the per-series fan-out of modelling_timeseries, chunks
  included) fits a SARIMA(1,0,0)(1,0,0,12) to each of ``--series`` synthetic monthly series;
* **search**: ``search`` + ``evaluate_batch`` (the tuning fan-out of modelling_tabular): a
  ``--trials`` random search of an extra-trees regressor (``--trees`` trees on ``--rows``
  rows: each fold fit must take long enough, a few hundred ms, that a task's dispatch is
  small beside it, as in a real search), 3 folds; a random search evaluates all its trials
  in one go (``search`` keeps batches for bayesian or timed searches only).

Dask runs go through ``joblib.parallel_config(backend="dask")``, exactly as the project's
``ExecutionHooks`` does. joblib runs a call whose backend has a single worker thread in the
calling process, so "dask x1" (a one-worker cluster) runs in the driver, as "local x1" does:
the 2/1 speed-ups are against the work done with no worker process at all.

The clusters are started before any timing, and each configuration
is first warmed up on a small slice of the workload (worker processes started, libraries
imported: costs a long run pays once); then the configurations are interleaved
``--repeats`` times and the medians reported (other processes share this
machine; interleaving spreads their noise over every configuration alike), each round
printed with the load average as it starts. Every run's results are checked equal to the
first one's. Printed: medians, the speed-up of 2 workers
over 1 for each engine, Dask's time against local's at equal workers, and Dask's overhead
per task ((Dask - local) / tasks).

Run: ``.venv/bin/python benchmarks/bench_dask.py [--series 500] [--trials 40] [--repeats 3]``
(``--rows`` and ``--trees`` size the search).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import joblib
import numpy as np
import pandas as pd
from distributed import Client

from roadmap_pipelines.params.execution import Execution
from roadmap_pipelines.project.execution_hooks import start_local_cluster

SEED = 42


@dataclass(frozen=True)
class SyntheticSeries:
    """What ``map_series`` reads of a series: its id (on failure), plus the values."""

    series_id: str
    values: np.ndarray


def make_series(count: int, length: int = 96) -> list[SyntheticSeries]:
    rng = np.random.default_rng(SEED)
    months = np.arange(length)
    return [
        SyntheticSeries(
            f"s{index:04d}",
            10
            + 3 * np.sin(2 * np.pi * months / 12 + rng.uniform(0, 6))
            + np.cumsum(rng.normal(0, 0.3, length))
            + rng.normal(0, 0.5, length),
        )
        for index in range(count)
    ]


def fit_one(series: SyntheticSeries) -> tuple[Any, list]:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    fitted = SARIMAX(series.values, order=(1, 0, 0), seasonal_order=(1, 0, 0, 12)).fit(disp=False)
    return np.round(fitted.params, 10).tolist(), []


def make_table(rows: int, columns: int = 12) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(SEED)
    features = pd.DataFrame(
        rng.normal(size=(rows, columns)), columns=[f"x{i}" for i in range(columns)]
    )
    target = features["x0"] * 2 + np.sin(features["x1"] * 3) + rng.normal(0, 0.3, rows)
    return features, pd.Series(target, name="y")


def run_series(series: list[SyntheticSeries], n_jobs: int) -> list:
    from roadmap_pipelines.ml.forecasting.parallel import map_series

    return map_series(fit_one, series, stage="bench", n_jobs=n_jobs, chunk_size=None)


def run_search(table: tuple[pd.DataFrame, pd.Series], trials: int, trees: int, n_jobs: int) -> list:
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.model_selection import KFold
    from sklearn.pipeline import Pipeline

    from roadmap_pipelines.ml.tabular.cv import evaluate_batch
    from roadmap_pipelines.ml.tabular.prediction import Scoring
    from roadmap_pipelines.ml.tabular.search import search
    from roadmap_pipelines.params.modelling_tabular import Candidate, Search

    features, target = table
    pipeline = Pipeline(
        [
            ("features", "passthrough"),
            ("model", ExtraTreesRegressor(n_estimators=trees, random_state=SEED, n_jobs=1)),
        ]
    )
    folds = list(KFold(3, shuffle=True, random_state=SEED).split(features))
    run_trials = partial(
        evaluate_batch,
        pipeline,
        features=features,
        target=target,
        folds=folds,
        scoring=Scoring("regression", ("rmse",)),
        n_jobs=n_jobs,
    )
    space = {
        "max_depth": {"type": "int", "low": 3, "high": 12},
        "min_samples_leaf": {"type": "int", "low": 1, "high": 20},
    }
    candidate = Candidate(estimator="sklearn.ensemble.ExtraTreesRegressor", search_space=space)
    settings = Search(method="random", n_trials=trials)
    records = search("bench", candidate, pipeline, run_trials, settings, "rmse", "skip", SEED)
    return [(r["params"], [f["rmse"] for f in r["folds"]]) for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--trees", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    series = make_series(args.series)
    table = make_table(args.rows)
    clusters = {
        workers: start_local_cluster(Execution(engine="dask", n_workers=workers))
        for workers in (1, 2)
    }
    clients = {
        workers: Client(cluster, set_as_default=False) for workers, cluster in clusters.items()
    }
    configs = [("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]
    trees = args.trees
    workloads = {
        "series": (lambda n: run_series(series, n), len(series)),
        "search": (lambda n: run_search(table, args.trials, trees, n), args.trials * 3),
    }
    warm_ups = {
        "series": lambda n: run_series(series[: 8 * n], n),
        "search": lambda n: run_search(table, 2 * n, 2, n),
    }

    def context(engine: str, workers: int) -> Any:
        if engine == "local":
            return nullcontext()
        return joblib.parallel_config(backend="dask", client=clients[workers])

    times: dict[tuple[str, str, int], list[float]] = {}
    reference: dict[str, Any] = {}
    try:
        for warm_up in warm_ups.values():
            for engine, workers in configs:
                with context(engine, workers):
                    warm_up(workers)
        print("warmed up", flush=True)
        for repeat in range(1, args.repeats + 1):
            load = os.getloadavg()[0]
            for name, (work, _) in workloads.items():
                for engine, workers in configs:
                    with context(engine, workers):
                        start = time.perf_counter()
                        result = work(workers)
                        elapsed = time.perf_counter() - start
                    if reference.setdefault(name, result) != result:
                        raise SystemExit(f"{name}: {engine} x{workers} gave different results")
                    times.setdefault((name, engine, workers), []).append(elapsed)
            figures = "  ".join(
                f"{name} " + " ".join(f"{times[(name, *config)][-1]:.2f}" for config in configs)
                for name in workloads
            )
            print(f"round {repeat} (load {load:.1f}): {figures}", flush=True)
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()

    print(
        f"\nmedians of {args.repeats} interleaved rounds (seconds); results identical in every run"
    )
    print(
        f"{'workload':8} {'tasks':>5} {'local x1':>9} {'local x2':>9} {'dask x1':>9} {'dask x2':>9}"
        f" {'local 2/1':>9} {'dask 2/1':>9} {'dask/local x1':>13} {'dask/local x2':>13}"
        f" {'overhead/task x1':>16} {'x2':>8}"
    )
    for name, (_, tasks) in workloads.items():
        median = {(e, w): statistics.median(times[(name, e, w)]) for e, w in configs}
        local_1, local_2, dask_1, dask_2 = (median[config] for config in configs)
        print(
            f"{name:8} {tasks:5d} {median['local', 1]:9.2f} {median['local', 2]:9.2f}"
            f" {median['dask', 1]:9.2f} {median['dask', 2]:9.2f}"
            f" {local_1 / local_2:8.2f}x {dask_1 / dask_2:8.2f}x"
            f" {dask_1 / local_1:12.2f}x {dask_2 / local_2:12.2f}x"
            f" {1000 * (median['dask', 1] - median['local', 1]) / tasks:13.1f} ms"
            f" {1000 * (median['dask', 2] - median['local', 2]) / tasks:5.1f} ms"
        )
    # the same ratios within each round (configurations a minute apart, not a whole run):
    # less exposed to the load drifting between rounds
    print("medians of the per-round ratios:")
    pairs = {
        "local 2/1": (("local", 1), ("local", 2)),
        "dask 2/1": (("dask", 1), ("dask", 2)),
        "dask/local x1": (("dask", 1), ("local", 1)),
        "dask/local x2": (("dask", 2), ("local", 2)),
    }
    for name in workloads:
        ratios = {
            label: statistics.median(
                a / b for a, b in zip(times[(name, *top)], times[(name, *bottom)], strict=True)
            )
            for label, (top, bottom) in pairs.items()
        }
        print(f"{name:8} " + "  ".join(f"{label} {value:.2f}x" for label, value in ratios.items()))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("targets: dask 2/1 >= 1.70x; dask/local within 1.15x at equal workers")


if __name__ == "__main__":
    main()
