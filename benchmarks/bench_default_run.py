"""The default run on the shipped data: this checkout against an earlier commit, in one run.

``kedro run`` (every pipeline, the shipped configuration) is timed in this checkout and in a
checkout of ``--before`` (a ``git worktree`` with its own ``make install``), interleaved
``--repeats`` times; medians of wall time, CPU time and peak RSS are compared. Beside each
task's test metrics stands a default LightGBM fitted on the same training rows with native
categories (``LGBMRegressor(n_estimators=300, learning_rate=0.05)`` for regression,
``LGBMClassifier()`` for classification): the default search should at least match it.

Each run writes its outputs into its own checkout's ``data/`` (what ``make run`` does).
Target: at most half the time of the earlier commit.

Run: ``git worktree add --detach ../before <commit> && make -C ../before install``, then
``OMP_WAIT_POLICY=passive .venv/bin/python benchmarks/bench_default_run.py --before ../before``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "KEDRO_DISABLE_TELEMETRY": "true",
    "OMP_WAIT_POLICY": "passive",
    "PYTHONWARNINGS": "ignore",
}
TIME_TARGET = 0.5


def _tree_rss(pid: int) -> float:
    """RSS (MiB) of process ``pid`` and all its descendants now (0 once it has ended)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _run(project: Path) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds, peak RSS of the largest process and peak RSS summed over
    the run's processes (MiB; sampled every 50 ms) of ``kedro run`` in ``project``."""
    with open(project / "bench_default_run.log", "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(project / ".venv/bin/kedro"), "run"], cwd=project, stdout=log, stderr=log, env=ENV
        )
        peak_total = 0.0
        while True:
            peak_total = max(peak_total, _tree_rss(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"kedro run failed in {project}; see bench_default_run.log there")
    # wait4: CPU of the run and of the processes it waited for; RSS of the largest one
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak_total


def _metrics(project: Path) -> dict[str, dict[str, float]]:
    return {
        task: json.loads((project / f"data/07_model_output/{task}/test_metrics.json").read_text())[
            "metrics"
        ]
        for task in ("credit", "ames")
    }


def _default_lightgbm(project: Path) -> dict[str, dict[str, float]]:
    """Test metrics of a default LightGBM on each task's features, native categories."""
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.base import clone
    from sklearn.metrics import r2_score, roc_auc_score, root_mean_squared_error
    from sklearn.pipeline import Pipeline

    conf = project / "conf/base"
    tasks = yaml.safe_load((conf / "parameters_tasks.yml").read_text())["tasks"]
    modelling = yaml.safe_load((conf / "parameters_modelling_tabular.yml").read_text())
    results = {}
    for task in ("credit", "ames"):
        target = tasks[task]["target"]
        folder = project / f"data/04_feature/{task}"
        train, test = (pd.read_parquet(folder / f"{split}.parquet") for split in ("train", "test"))
        with open(folder / "tree_preprocessor.pkl", "rb") as file:
            native = pickle.load(file)
        x, y = train.drop(columns=[target]), train[target]
        x_test, y_test = test.drop(columns=[target]), test[target]
        common = {"random_state": 42, "n_jobs": 1, "verbose": -1}
        if tasks[task]["problem"] == "regression":
            model = LGBMRegressor(n_estimators=300, learning_rate=0.05, **common)
            fitted = Pipeline([("features", clone(native)), ("model", model)]).fit(x, y)
            predicted = fitted.predict(x_test)
            results[task] = {
                "rmse": root_mean_squared_error(y_test, predicted),
                "r2": r2_score(y_test, predicted),
            }
        else:
            model = LGBMClassifier(**common)
            y, y_test = y.astype(str), y_test.astype(str)
            fitted = Pipeline([("features", clone(native)), ("model", model)]).fit(x, y)
            positive = str(modelling["modelling_tabular"][task]["positive_class"])
            column = list(fitted.classes_).index(positive)
            proba = fitted.predict_proba(x_test)[:, column]
            results[task] = {"roc_auc": roc_auc_score(y_test == positive, proba)}
    return results


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old commit")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in checkouts}
    loads = [os.getloadavg()]
    for _ in range(args.repeats):
        for name, project in checkouts.items():
            runs[name].append(_run(project))

    def median(name: str, field: int) -> float:
        return statistics.median(run[field] for run in runs[name])

    commits = {
        name: subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for name, path in checkouts.items()
    }
    print(f"kedro run, every pipeline, shipped data; repeats: {args.repeats}, interleaved")
    print(f"load average before: {loads[0]}, after: {os.getloadavg()}")
    print(f"{'median':28}{'wall time':>12}{'CPU time':>12}{'peak RSS':>14}{'summed RSS':>14}")
    for name in checkouts:
        label = f"{name} ({commits[name]})"
        print(
            f"{label:28}{median(name, 0):10.1f} s{median(name, 1):10.1f} s"
            f"{median(name, 2):10.0f} MiB{median(name, 3):10.0f} MiB"
        )
    ratio = median("after", 0) / median("before", 0)
    print(
        f"{'after / before':28}{ratio:11.2f}x{median('after', 1) / median('before', 1):11.2f}x"
        f"{median('after', 2) / median('before', 2):13.2f}x"
        f"{median('after', 3) / median('before', 3):13.2f}x"
    )
    print(
        "peak RSS: the largest process of a run; summed RSS: the peak of all its processes "
        "together (sampled every 50 ms)"
    )
    print(
        "every run (wall s, CPU s, MiB, summed MiB): "
        + json.dumps({n: [[round(x, 1) for x in r] for r in v] for n, v in runs.items()})
    )
    reference = _default_lightgbm(ROOT)
    print("\ntest metrics         before      after   default LightGBM (native categories)")
    metrics = {name: _metrics(path) for name, path in checkouts.items()}
    beaten = True
    for task, values in reference.items():
        for metric, value in values.items():
            after = metrics["after"][task][metric]
            better = after >= value if metric in ("roc_auc", "r2") else after <= value
            beaten = beaten and better
            print(
                f"{task} {metric:12}{metrics['before'][task][metric]:11.4f}{after:11.4f}"
                f"{value:11.4f}  {'ok' if better else 'WORSE'}"
            )
    met = ratio <= TIME_TARGET and beaten
    print(f"targets: after <= {TIME_TARGET}x before's time, metrics >= default LightGBM")
    print("targets met" if met else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
