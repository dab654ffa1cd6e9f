"""Speed and memory of the modelling_tabular pipeline against a plain LightGBM script.

A seeded synthetic credit table of 1,000,000 training rows (and 250,000 test rows) with the
columns and dtypes of ``data/04_feature/credit/*.parquet`` is written into a throw-away copy of
the project. Two programs then train the same model on it, each in a fresh interpreter:

* the pipeline: ``modelling_tabular`` for the credit task in a KedroSession, configured with
  one LightGBM candidate with fixed parameters and ``cv: null`` (fit once, no search), which
  refits, scores the test rows, describes and saves the model;
* a plain script: read the same Parquet files, put the same feature preprocessor in front of
  an ``LGBMClassifier`` with the same parameters, fit, score the test rows (ROC-AUC) and pickle
  the model: what one would write by hand.

Both must reach the same test ROC-AUC (the same model). Each is run ``--repeats`` times,
alternating; the median wall time (from the parent, interpreter start-up and imports
included) and the median peak RSS (``os.wait4`` of that child) are compared. Targets: the
pipeline takes at most 1.3x the plain script's time and 1.5x its peak memory. CPU time (user
+ system) is printed too: on a shared machine it varies less than wall time.

The features come from running ``preprocessing`` and ``feature_engineering`` on the shipped
data in the copy; rows are then drawn with replacement and every numeric column jittered.

Run: ``make bench``, or ``OMP_WAIT_POLICY=passive .venv/bin/python
benchmarks/bench_modelling.py [--rows N] [--repeats N]`` (about 3 minutes at the default size).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET = "Status"
MODEL_PARAMS = {"n_estimators": 100, "num_leaves": 31, "learning_rate": 0.1, "n_jobs": 2}
TIME_TARGET, MEMORY_TARGET = 1.3, 1.5
ENV = {
    **os.environ,
    "KEDRO_DISABLE_TELEMETRY": "true",
    "OMP_WAIT_POLICY": "passive",
    "PYTHONWARNINGS": "ignore",
}

PIPELINE = """
import json, sys
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

project = sys.argv[1]
bootstrap_project(project)
with KedroSession.create(project_path=project) as session:
    session.run(pipeline_names=["modelling_tabular"], namespaces=["credit"])
with open(f"{project}/data/07_model_output/credit/test_metrics.json") as file:
    print(json.dumps({"roc_auc": json.load(file)["metrics"]["roc_auc"]}))
"""

PLAIN = """
import json, pickle, sys
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

project, params = sys.argv[1], json.loads(sys.argv[2])
train = pd.read_parquet(f"{project}/data/04_feature/credit/train.parquet")
test = pd.read_parquet(f"{project}/data/04_feature/credit/test.parquet")
with open(f"{project}/data/04_feature/credit/preprocessor.pkl", "rb") as file:
    preprocessor = pickle.load(file)
y = train.pop("Status")
model = Pipeline([("features", preprocessor), ("model", LGBMClassifier(**params))])
model.fit(train, y)
y_test = test.pop("Status")
proba = model.predict_proba(test)[:, list(model.classes_).index("bad")]
with open(f"{project}/plain_model.pkl", "wb") as file:
    pickle.dump(model, file)
print(json.dumps({"roc_auc": float(roc_auc_score(y_test == "bad", proba))}))
"""


def _project_copy() -> Path:
    """A project copy with the shipped data run through preprocessing and feature_engineering."""
    sys.path.insert(0, str(ROOT / "tests"))
    from project_runs import copy_project, run_session

    project = copy_project(Path(tempfile.mkdtemp(prefix="bench-modelling-")) / "project")
    run_session(project, pipelines=["preprocessing", "feature_engineering"])
    return project


def _scale_up(table: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """Draw ``rows`` rows from ``table`` and jitter every numeric column, keeping dtypes."""
    rng = np.random.default_rng(seed)
    big = table.iloc[rng.integers(0, len(table), rows)].reset_index(drop=True)
    for column in big.columns:
        values = big[column]
        if column == TARGET or isinstance(values.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_integer_dtype(values):
            noise = rng.integers(-2, 3, rows)
            big[column] = (values + noise).clip(lower=0).astype(values.dtype)
        elif pd.api.types.is_float_dtype(values):
            big[column] = values * rng.normal(1.0, 0.05, rows)
    return big


def _write_data(project: Path, rows: int) -> None:
    folder = project / "data/04_feature/credit"
    for name, count, seed in (("train", rows, 0), ("test", rows // 4, 1)):
        small = pd.read_parquet(folder / f"{name}.parquet")
        _scale_up(small, count, seed).to_parquet(folder / f"{name}.parquet")


def _configure(project: Path) -> dict:
    """One LightGBM candidate with fixed parameters, fitted once (no CV, no search)."""
    path = project / "conf/base/parameters_modelling_tabular.yml"
    config = yaml.safe_load(path.read_text())
    config["modelling_tabular"]["credit"].update(
        cv=None,
        search={"method": "grid"},
        candidates={"lightgbm": {"estimator": "lightgbm", "params": MODEL_PARAMS}},
    )
    path.write_text(yaml.safe_dump(config))
    # the registry's LightGBM defaults, seeded by the project seed: the plain script's model
    from roadmap_pipelines.ml.tabular.estimators import make_estimator

    return make_estimator("lightgbm", "classification", MODEL_PARAMS, 42, 1).get_params()


def _run(code: str, *arguments: str) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and the printed JSON of ``code`` in a fresh
    interpreter."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *arguments],
            stdout=out,
            stderr=err,
            env=ENV,
            text=True,
        )
        # wait4 reports this child's own peak resident set size
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise RuntimeError(f"benchmark program failed:\n{err.read()[-3000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        printed = json.loads(out.read().strip().splitlines()[-1])
        return seconds, cpu, usage.ru_maxrss / 1024, printed


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="training rows")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    project = _project_copy()
    try:
        _write_data(project, args.rows)
        params = json.dumps(_configure(project))
        runs: dict[str, list[tuple[float, float, float, dict]]] = {"pipeline": [], "plain": []}
        for _ in range(args.repeats):
            runs["plain"].append(_run(PLAIN, str(project), params))
            runs["pipeline"].append(_run(PIPELINE, str(project)))
    finally:
        shutil.rmtree(project.parent)

    def median(name: str, field: int) -> float:
        return statistics.median(run[field] for run in runs[name])

    seconds, cpu, peak = ({name: median(name, field) for name in runs} for field in (0, 1, 2))
    auc = {name: results[-1][3]["roc_auc"] for name, results in runs.items()}
    ratio = {
        "time": seconds["pipeline"] / seconds["plain"],
        "cpu": cpu["pipeline"] / cpu["plain"],
        "memory": peak["pipeline"] / peak["plain"],
    }

    print(f"training rows: {args.rows:,}   test rows: {args.rows // 4:,}   repeats: {args.repeats}")
    print(
        f"{'median of the repeats':30}{'wall time':>12}{'CPU time':>12}"
        f"{'peak RSS':>14}{'ROC-AUC':>10}"
    )
    for name, label in (
        ("plain", "plain LightGBM script"),
        ("pipeline", "modelling_tabular pipeline"),
    ):
        print(
            f"{label:30}{seconds[name]:10.2f} s{cpu[name]:10.2f} s{peak[name]:10.0f} MiB"
            f"{auc[name]:10.6f}"
        )
    print(
        f"{'ratio pipeline / plain':30}{ratio['time']:11.2f}x{ratio['cpu']:11.2f}x"
        f"{ratio['memory']:13.2f}x"
    )
    print(f"targets: wall time <= {TIME_TARGET}x, peak memory <= {MEMORY_TARGET}x")
    print(
        "every run (wall s, CPU s, MiB): "
        + json.dumps({n: [[round(x, 1) for x in r[:3]] for r in v] for n, v in runs.items()})
    )
    if abs(auc["pipeline"] - auc["plain"]) > 1e-9:
        print("WARNING: the two programs did not train the same model (ROC-AUC differs)")
    met = ratio["time"] <= TIME_TARGET and ratio["memory"] <= MEMORY_TARGET
    print("targets met" if met else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
