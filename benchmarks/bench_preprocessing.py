"""Speed and memory of the preprocessing pipeline on the credit data scaled up.

Prints the pipeline's wall time and peak traced memory next to a reference measured in the
same run: reading the same CSV and writing it to Parquet with plain pandas (the I/O floor
any pipeline pays). Run: ``.venv/bin/python benchmarks/bench_preprocessing.py [--scale N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")


def _project_copy(scale: int) -> Path:
    project = Path(tempfile.mkdtemp(prefix="bench-")) / "project"
    project.mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "conf", project / "conf")
    (project / "src").mkdir()
    raw = project / "data/01_raw"
    raw.mkdir(parents=True)
    credit = pd.read_csv(ROOT / "data/01_raw/credit.csv")
    # shift Expenses per copy so the copies are not dropped as duplicate rows
    copies = [credit.assign(Expenses=credit["Expenses"] + copy) for copy in range(scale)]
    pd.concat(copies, ignore_index=True).to_csv(raw / "credit.csv", index=False)
    shutil.copy2(ROOT / "data/01_raw/timeseries.csv", raw / "timeseries.csv")
    return project


def _measure(action, repeats: int = 3) -> tuple[float, float]:
    """Best wall time of ``repeats`` calls, then peak traced memory of one more call.

    Memory is traced in a separate call because tracemalloc slows allocation-heavy code.
    """
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20


def _reference(project: Path) -> None:
    frame = pd.read_csv(project / "data/01_raw/credit.csv")
    frame.to_parquet(project / "data/reference.parquet")


def _pipeline(project: Path) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        session.run(pipeline_names=["preprocessing"])


def _cli_seconds(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(arguments, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=50, help="copies of the 4,454 rows")
    scale = parser.parse_args().scale
    project = _project_copy(scale)
    rows = 4454 * scale
    try:
        _pipeline(project)  # warm-up: imports and first-call costs are not the pipeline's
        ref_s, ref_mb = _measure(lambda: _reference(project))
        run_s, run_mb = _measure(lambda: _pipeline(project))
    finally:
        shutil.rmtree(project.parent)
    kedro = str(Path(sys.executable).with_name("kedro"))
    import_s = _cli_seconds([sys.executable, "-c", "import kedro, pandas"])
    registry_s = _cli_seconds([kedro, "registry", "list"])

    print(f"rows: {rows:,}")
    print(f"reference (pandas read_csv + to_parquet): {ref_s:6.2f} s  peak {ref_mb:7.1f} MiB")
    print(f"preprocessing pipeline                  : {run_s:6.2f} s  peak {run_mb:7.1f} MiB")
    print(f"time ratio pipeline / reference         : {run_s / ref_s:6.2f}")
    print(f"memory ratio pipeline / reference       : {run_mb / ref_mb:6.2f}")
    print(f"throughput                              : {rows / run_s:,.0f} rows/s")
    print(
        f"`kedro registry list` vs bare imports   : {registry_s:.2f} s vs {import_s:.2f} s "
        f"(ratio {registry_s / import_s:.2f})"
    )


if __name__ == "__main__":
    main()
