"""Tables of many shapes become tasks with `kedro task add` and run through every pipeline;
their test metrics are printed next to a default LightGBM fitted on the same train/test split.

Run from the project root: `.venv/bin/python benchmarks/bench_task_shapes.py` (a few minutes).
The project is copied to a temporary folder; nothing here changes the working tree. Tables
are built from scikit-learn's bundled datasets and generators (no network).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _tables(folder: Path) -> dict[str, tuple[Path, str]]:
    from sklearn.datasets import (
        load_diabetes,
        load_iris,
        load_wine,
        make_classification,
        make_regression,
    )

    rng = np.random.default_rng(0)
    tables: dict[str, tuple[pd.DataFrame, str, str]] = {}
    wine = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    tables["wine"] = (wine, "cultivar", ".csv")  # multiclass, 178 rows
    tables["diabetes"] = (load_diabetes(as_frame=True, scaled=False).frame, "target", ".parquet")
    iris = load_iris(as_frame=True)
    flowers = pd.DataFrame(
        {
            name.split(" (")[0].replace(" ", "_"): pd.qcut(
                iris.frame[name], 3, labels=["low", "mid", "high"]
            ).astype(str)
            for name in iris.feature_names
        }
    )
    flowers["species"] = iris.target_names[iris.frame["target"]]
    tables["flowers"] = (flowers, "species", ".csv")  # all-categorical, repeating rows
    x, y = make_classification(80, 6, n_informative=4, random_state=1)
    tiny = pd.DataFrame(x, columns=[f"x{i}" for i in range(6)]).assign(
        label=np.where(y, "yes", "no")
    )
    tables["tiny"] = (tiny, "label", ".csv")  # 80 rows
    x, y = make_classification(400, 220, n_informative=15, random_state=2)
    wide = pd.DataFrame(x, columns=[f"f{i:03d}" for i in range(220)]).assign(target=y)
    tables["wide"] = (wide, "target", ".parquet")  # 220 columns
    x, y = make_classification(3000, 8, weights=[0.97], flip_y=0, random_state=3)
    rare = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)]).assign(
        fraud=np.where(y, "fraud", "ok")
    )
    tables["imbalanced"] = (rare, "fraud", ".csv")  # 3 % positives
    days = pd.date_range("2022-01-01", periods=600, freq="D")
    words = np.array(["late", "broken", "great", "cheap", "slow", "friendly", "refund", "fast"])
    review = [" ".join(rng.choice(words, 5)) for _ in days]
    score = np.array([r.count("great") + r.count("fast") - r.count("broken") for r in review])
    dated = pd.DataFrame(
        {
            "order_date": days.strftime("%Y-%m-%d"),
            "amount": rng.gamma(2, 30, len(days)).round(2),
            "review": review,
            "happy": np.where(score + 0.01 * days.day_of_week > 0, "yes", "no"),
        }
    )
    tables["reviews"] = (dated, "happy", ".csv")  # dates and free text
    x, y = make_regression(800, 6, noise=5, random_state=4)
    skewed = pd.DataFrame(x, columns=[f"x{i}" for i in range(6)]).assign(
        cost=np.exp(y / 60).round(4)
    )
    tables["skewed"] = (skewed, "cost", ".csv")  # log-normal-like target
    paths = {}
    for name, (frame, target, suffix) in tables.items():
        path = folder / f"{name}{suffix}"
        frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
        paths[name] = (path, target)
    return paths


def _kedro(project: Path, *args: str) -> None:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "OMP_WAIT_POLICY": "passive"}
    result = subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(
            f"kedro {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def _lightgbm_baseline(project: Path, task: str, target: str, problem: str) -> dict[str, float]:
    """A default LightGBM on the task's cleaned train/test split (text dropped, dates as days)."""
    import lightgbm as lgb
    from sklearn import metrics

    train = pd.read_parquet(project / f"data/03_primary/{task}/train.parquet")
    test = pd.read_parquet(project / f"data/03_primary/{task}/test.parquet")

    def features(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.drop(columns=[target])
        for column in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[column]):
                out[column] = out[column].astype("int64") // 86_400_000_000_000
            elif not pd.api.types.is_numeric_dtype(out[column]):
                if out[column].nunique() > 50:  # free text: LightGBM has no text features
                    out = out.drop(columns=[column])
                else:  # labels: LightGBM's own categorical splits
                    out[column] = out[column].astype("category")
        return out

    x_train, x_test = features(train), features(test)
    for column in x_train.select_dtypes("category"):
        x_test[column] = pd.Categorical(x_test[column], x_train[column].cat.categories)
    if problem == "regression":
        model = lgb.LGBMRegressor(verbose=-1, random_state=0).fit(x_train, train[target])
        predicted = model.predict(x_test)
        return {
            "rmse": metrics.root_mean_squared_error(test[target], predicted),
            "r2": metrics.r2_score(test[target], predicted),
        }
    model = lgb.LGBMClassifier(verbose=-1, random_state=0).fit(x_train, train[target].astype(str))
    predicted = model.predict(x_test)
    actual = test[target].astype(str)
    scores = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "f1": metrics.f1_score(actual, predicted, average="macro"),
    }
    probabilities = model.predict_proba(x_test)
    if probabilities.shape[1] == 2:
        scores["roc_auc"] = metrics.roc_auc_score(actual == model.classes_[1], probabilities[:, 1])
    return scores


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        shutil.copytree(
            ROOT, project, ignore=shutil.ignore_patterns(".venv", ".uv", ".git", "data")
        )
        shutil.copytree(ROOT / "data/01_raw", project / "data/01_raw")
        tables = _tables(Path(folder))
        started = time.perf_counter()
        for name, (path, target) in tables.items():
            _kedro(project, "task", "add", name, "--data", str(path), "--target", target)
        for name in ("credit", "ames"):
            _kedro(project, "task", "remove", name)
        added = time.perf_counter() - started
        started = time.perf_counter()
        _kedro(project, "run", f"--namespaces={','.join(tables)}")
        ran = time.perf_counter() - started
        print(f"{len(tables)} tasks added in {added:.1f} s; every pipeline ran in {ran:.1f} s\n")
        header = (
            f"{'task':<11} {'rows':>5} {'cols':>4} {'problem':<14} {'metric':<9} "
            f"{'template':>10} {'LightGBM':>10}"
        )
        print(header)
        print("-" * len(header))
        for name, (_, target) in tables.items():
            declared = json.loads(
                (project / f"data/07_model_output/{name}/test_metrics.json").read_text()
            )
            raw = (
                pd.read_parquet(path)
                if (path := tables[name][0]).suffix == ".parquet"
                else pd.read_csv(path)
            )
            baseline = _lightgbm_baseline(project, name, target, declared["problem"])
            for metric, value in baseline.items():
                ours = declared["metrics"].get(metric, float("nan"))
                print(
                    f"{name:<11} {len(raw):>5} {raw.shape[1]:>4} {declared['problem']:<14} "
                    f"{metric:<9} {ours:>10.4f} {value:>10.4f}"
                )


if __name__ == "__main__":
    main()
