"""Latency, throughput and memory of the prediction service under a bounded load.

Starts `kedro serve` on 127.0.0.1 (a free port) over the project's last run (`make run`
first), then drives it for at most 60 s in all: 1-row requests from one client (the HTTP
overhead without queueing), then from 16 concurrent clients, then 1,000-row requests from
16. Prints p50/p99 latency, rows per second, errors (must be 0) and the server's resident
memory after warm-up and at the end. Next to it, the same predictions made in-process (the
scorer without HTTP), so the HTTP overhead is a ratio measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_serving.py [--task credit] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")

CLIENTS = 16


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _records(task: str) -> tuple[list[dict], object]:
    from deployment_cases import json_records, load_project
    from roadmap_pipelines.project.deployment import load_scorer

    catalog, parameters = load_project(ROOT)
    scorer = load_scorer(catalog, parameters, task)
    options = parameters["inference"][task]
    batch = catalog.load(f"{task}.inference_input")
    valid = scorer.score(batch, options.id_column, "reject").rows  # the demo batch's valid rows
    return json_records(valid[list(scorer.input_columns())]), scorer


def _load(
    url: str, bodies: list[list[dict]], seconds: float, clients: int = CLIENTS
) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = [0]
    rows = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        with httpx.Client(timeout=60) as http:
            index = offset
            while time.monotonic() < stop:
                body = bodies[index % len(bodies)]
                started = time.perf_counter()
                response = http.post(url, json=body)
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                        rows[0] += len(body)
                    else:
                        errors[0] += 1
                index += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return latencies, errors[0], int(rows[0] / wall)


def _in_process(scorer, bodies: list[list[dict]], repeats: int) -> list[float]:
    times = []
    for index in range(repeats):
        frame = pd.DataFrame(bodies[index % len(bodies)])
        started = time.perf_counter()
        scorer.score(frame)
        times.append(time.perf_counter() - started)
    return times


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q) * 1000) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="credit")
    parser.add_argument("--seconds", type=float, default=60.0, help="total load time, max 60")
    args = parser.parse_args()
    seconds = min(args.seconds, 60.0)

    records, scorer = _records(args.task)
    singles = [[record] for record in records]
    big = [(records * (1000 // len(records) + 1))[start : start + 1000] for start in range(8)]

    port = _free_port()
    env = os.environ | {"HOST": "127.0.0.1", "PORT": str(port)}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/kedro"), "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise SystemExit("the service did not start within 120 s")
        url = f"{base}/tasks/{args.task}/predict"
        for body in (singles[0], big[0]):  # warm-up: first-call allocations are not growth
            httpx.post(url, json=body, timeout=60)
        memory_start = _rss_mib(server.pid)
        sequential = _load(url, singles, seconds * 0.2, clients=1)
        one = _load(url, singles, seconds * 0.4)
        thousand = _load(url, big, seconds * 0.4)
        memory_end = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    local_one = _in_process(scorer, singles, 200)
    local_big = _in_process(scorer, big, 10)
    print(f"task {args.task}: {CLIENTS} concurrent clients, {seconds:.0f} s, 127.0.0.1")
    print(
        f"{'request':<10}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'rows/s':>10}{'errors':>8}"
        f"{'in-process p50 ms':>20}{'HTTP/in-process p50':>22}"
    )
    for name, (latencies, errors, rate), local in (
        ("1 row, 1 client", sequential, local_one),
        ("1 row", one, local_one),
        ("1000 rows", thousand, local_big),
    ):
        print(
            f"{name:<10}{len(latencies):>7}{_ms(latencies, 50):>10.1f}{_ms(latencies, 99):>10.1f}"
            f"{rate:>10}{errors:>8}{_ms(local, 50):>20.1f}"
            f"{_ms(latencies, 50) / _ms(local, 50):>22.1f}"
        )
    growth = (memory_end - memory_start) / memory_start
    print(
        f"server memory: {memory_start:.0f} MiB at start, {memory_end:.0f} MiB at end "
        f"({growth:+.1%})"
    )
    print(
        f"1-row p50, HTTP minus in-process: {_ms(sequential[0], 50) - _ms(local_one, 50):.1f} "
        f"ms with one client, {_ms(one[0], 50) - _ms(local_one, 50):.1f} ms with {CLIENTS} "
        "(queueing: the service scores one request at a time)"
    )


if __name__ == "__main__":
    main()
