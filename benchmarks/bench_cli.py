"""Start-up time of the CLI: ``kedro registry list`` (and friends) against ``kedro --version``.

``kedro --version`` loads Kedro and nothing of the project; ``kedro --help``, ``kedro
registry list`` and ``kedro viz --help`` load the project's CLI and pipelines too, which must
not import scientific libraries they do not need (scikit-learn, SciPy, LightGBM, statsmodels,
plotly). Each command runs ``--repeats`` times, interleaved; medians of wall and CPU time are
compared with ``kedro --version``. Target: ``registry list`` at most 2x.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEDRO = str(Path(sys.executable).parent / "kedro")
COMMANDS = {
    "kedro --version": ["--version"],
    "kedro --help": ["--help"],
    "kedro registry list": ["registry", "list"],
    "kedro viz --help": ["viz", "--help"],
}
TARGET = 2.0


def _time(arguments: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command in the project directory."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [KEDRO, *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"kedro {' '.join(arguments)} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, arguments in COMMANDS.items():
            runs[name].append(_time(arguments))
    wall = {name: statistics.median(run[0] for run in runs[name]) for name in runs}
    cpu = {name: statistics.median(run[1] for run in runs[name]) for name in runs}
    base = "kedro --version"
    print(f"medians of {args.repeats} interleaved runs")
    print(f"{'command':24}{'wall':>9}{'CPU':>9}{'wall/--version':>16}{'CPU/--version':>15}")
    for name in runs:
        print(
            f"{name:24}{wall[name]:7.2f} s{cpu[name]:7.2f} s"
            f"{wall[name] / wall[base]:15.2f}x{cpu[name] / cpu[base]:14.2f}x"
        )
    ratio = wall["kedro registry list"] / wall[base]
    print(f"target: kedro registry list <= {TARGET}x kedro --version")
    print("target met" if ratio <= TARGET else "TARGET NOT MET")


if __name__ == "__main__":
    main()
