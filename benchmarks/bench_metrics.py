"""Speed of the project's classification metrics on large label arrays.

``classification_metrics`` scores integer label codes instead of Python strings. This prints
its time next to scikit-learn's metrics called on the string labels themselves, measured in
the same run, and the ratio. Run: ``.venv/bin/python benchmarks/bench_metrics.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn import metrics

from roadmap_pipelines.ml.tabular.metrics import classification_metrics


def _best_of(repeats: int, call) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    y_true = rng.choice(np.array(["good", "bad"], dtype=object), args.rows)
    y_pred = rng.choice(np.array(["good", "bad"], dtype=object), args.rows)
    p_bad = rng.random(args.rows)
    proba = np.column_stack([p_bad, 1 - p_bad])

    def ours() -> None:
        classification_metrics(y_true, y_pred, proba, ["bad", "good"], "bad")

    def reference() -> None:
        metrics.accuracy_score(y_true, y_pred)
        for score in (metrics.precision_score, metrics.recall_score, metrics.f1_score):
            score(y_true, y_pred, pos_label="bad")
        metrics.roc_auc_score(y_true == "bad", p_bad)
        metrics.log_loss(y_true, proba, labels=["bad", "good"])

    ours_s, reference_s = _best_of(args.repeats, ours), _best_of(args.repeats, reference)
    print(f"rows: {args.rows:,}")
    print(f"classification_metrics (integer codes): {ours_s:.3f} s")
    print(f"scikit-learn on string labels:          {reference_s:.3f} s")
    print(f"ratio: {ours_s / reference_s:.2f}x")


if __name__ == "__main__":
    main()
