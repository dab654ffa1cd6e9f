"""Our automatic SARIMA against statsforecast's AutoARIMA: speed and accuracy.

Both forecast the last 12 months of the same monthly series from everything before them.
The series are generated deterministically (seeded): a third are simulated SARIMA processes
(random orders, d and D in {0, 1}), a third additive trend + seasonal + random-walk level
(ETS-like), a third multiplicative (log-linear growth, seasonal factor, AR(1) noise); lengths
72 to 240 months. Accuracy is the mean MASE (seasonal-naive in-sample scaling, m = 12).

statsforecast pins pandas < 3, so it cannot live in the project's environment: the script
creates ``benchmarks/.venv-statsforecast`` with uv on first use (network needed once) and
runs statsforecast there in a subprocess. Ours runs in this process with the project's code
and the shipped parameters (``transform: none``, as AutoARIMA has none).

Timing: each side is timed twice on the full data set in a fresh process. The *cold* run
includes each library's first-call costs (imports and, for ours, starting the joblib
workers); the *warm* run repeats it in the same process and is the headline. statsforecast
2.x has no numba JIT any more (its ARIMA is C++), so its cold/warm gap is small.

Run: ``.venv/bin/python benchmarks/bench_timeseries.py [--series 120] [--n-jobs 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SF_VENV = ROOT / "benchmarks" / ".venv-statsforecast"
UV = ROOT / ".uv" / "bin" / "uv"
SEASON = 12
HORIZON = 12
SEED = 42


# --- data ----------------------------------------------------------------------------------


def _stationary_polynomial(rng: np.random.Generator, order: int, low: float, high: float):
    """A lag polynomial with every root outside the unit circle (a product of AR(1) factors)."""
    poly = np.array([1.0])
    for _ in range(order):
        poly = np.convolve(poly, [1.0, -rng.uniform(low, high) * rng.choice([-1, 1])])
    return poly


def _seasonal_factor(rng: np.random.Generator, present: bool) -> np.ndarray:
    if not present:
        return np.array([1.0])
    return np.r_[1.0, np.zeros(SEASON - 1), -rng.uniform(0.2, 0.7)]


def simulate_series(index: int, seed: int = SEED) -> pd.DataFrame:
    """One monthly series of 72-240 points; the kind cycles SARIMA, additive, multiplicative."""
    from scipy.signal import lfilter

    rng = np.random.default_rng([seed, index])
    n = int(rng.integers(72, 241))
    t = np.arange(n)
    kind = index % 3
    if kind == 0:
        p, q = rng.integers(0, 3), rng.integers(0, 2)
        seasonal_ar, seasonal_ma = rng.integers(0, 2), rng.integers(0, 2)
        d, seasonal_d = rng.integers(0, 2), rng.integers(0, 2)
        ar = np.convolve(
            _stationary_polynomial(rng, p, 0.1, 0.8), _seasonal_factor(rng, seasonal_ar)
        )
        ma = np.convolve(
            _stationary_polynomial(rng, q, 0.2, 0.7), _seasonal_factor(rng, seasonal_ma)
        )
        burn_in = 200
        x = lfilter(ma, ar, rng.normal(0.0, 1.0, n + burn_in))[burn_in:]
        if seasonal_d:
            for k in range(SEASON, n):
                x[k] += x[k - SEASON]
        if d:
            x = np.cumsum(x)
        if not seasonal_d:
            phase = rng.integers(SEASON)
            x = x + rng.uniform(2, 6) * np.sin(2 * np.pi * (t + phase) / SEASON)
        values = 100 + 5 * x
    elif kind == 1:
        level = rng.uniform(100, 1000)
        slope = rng.uniform(-0.5, 1.5) * level / 200
        month = t % SEASON
        season = (
            rng.uniform(0.05, 0.3)
            * level
            * (
                np.sin(2 * np.pi * month / SEASON + rng.uniform(0, 6))
                + 0.5 * rng.uniform(-1, 1) * np.cos(4 * np.pi * month / SEASON)
            )
        )
        walk = np.cumsum(rng.normal(0, rng.uniform(0.005, 0.03) * level, n))
        noise = rng.normal(0, rng.uniform(0.01, 0.05) * level, n)
        values = level + slope * t + season + walk + noise
    else:
        growth = rng.uniform(-0.002, 0.012)
        season = rng.uniform(0.05, 0.35) * np.sin(
            2 * np.pi * (t % SEASON) / SEASON + rng.uniform(0, 6)
        )
        noise = lfilter(
            [1.0], [1.0, -rng.uniform(0, 0.6)], rng.normal(0, rng.uniform(0.02, 0.08), n)
        )
        log_level = np.cumsum(rng.normal(growth, 0.01, n))
        values = rng.uniform(50, 500) * np.exp(log_level + season + noise)
    start = pd.Timestamp("2000-01-01") - pd.DateOffset(months=n)
    return pd.DataFrame(
        {
            "unique_id": f"series_{index:03d}",
            "ds": pd.date_range(start, periods=n, freq="MS"),
            "y": values.astype(float),
        }
    )


def benchmark_data(count: int, seed: int = SEED) -> pd.DataFrame:
    """``count`` generated series in statsforecast's long format (unique_id, ds, y)."""
    return pd.concat([simulate_series(i, seed) for i in range(count)], ignore_index=True)


def mase(train: np.ndarray, test: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error over the seasonal naive method's in-sample error (m = 12)."""
    scale = np.mean(np.abs(train[SEASON:] - train[:-SEASON]))
    return float(np.mean(np.abs(test - forecast)) / scale)


def _split(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from_end = data.groupby("unique_id").cumcount(ascending=False)
    return data.loc[from_end >= HORIZON], data.loc[from_end < HORIZON]


# --- statsforecast, in its own venv -----------------------------------------------------------


def statsforecast_worker(data_path: Path, out_path: Path, n_jobs: int) -> None:
    """Run in ``.venv-statsforecast``: time AutoARIMA twice, write forecasts and timings."""
    started = time.perf_counter()
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA

    import_s = time.perf_counter() - started
    train, _ = _split(pd.read_parquet(data_path))
    timings = {"import": import_s}
    for run in ("cold", "warm"):
        started = time.perf_counter()
        forecaster = StatsForecast(
            models=[AutoARIMA(season_length=SEASON)], freq="MS", n_jobs=n_jobs
        )
        forecasts = forecaster.forecast(df=train, h=HORIZON)
        timings[run] = time.perf_counter() - started
    forecasts = forecasts.reset_index() if "unique_id" not in forecasts.columns else forecasts
    forecasts.rename(columns={"AutoARIMA": "forecast"}).to_parquet(out_path)
    out_path.with_suffix(".json").write_text(json.dumps(timings))


def _statsforecast_python() -> Path:
    python = SF_VENV / "bin" / "python"
    if python.exists():
        return python
    if not UV.exists():
        sys.exit(f"{UV} is missing: run `make install` first (it bootstraps uv)")
    print(f"creating {SF_VENV.relative_to(ROOT)} with statsforecast (once; needs PyPI)...")
    environment = {**os.environ, "UV_COMPILE_BYTECODE": "1"}
    subprocess.run(
        [str(UV), "venv", "--quiet", "--python", sys.executable, str(SF_VENV)],
        check=True,
        env=environment,
    )
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--python", str(python), "statsforecast~=2.1"],
        check=True,
        env=environment,
    )
    return python


def run_statsforecast(data_path: Path, n_jobs: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """AutoARIMA's forecasts and timings, from a subprocess in its own venv."""
    out_path = data_path.with_name("statsforecast.parquet")
    subprocess.run(
        [
            str(_statsforecast_python()),
            "-W",
            "ignore",
            __file__,
            "--worker",
            str(data_path),
            str(out_path),
            "--n-jobs",
            str(n_jobs),
        ],
        check=True,
    )
    timings = json.loads(out_path.with_suffix(".json").read_text())
    return pd.read_parquet(out_path), timings


# --- ours ------------------------------------------------------------------------------------


def _our_forecast(series, params) -> tuple[np.ndarray, list]:
    from roadmap_pipelines.ml.forecasting.forecasters import fit_arima

    model = fit_arima(series.series_id, series.values, series.season_length, params)
    return model.forecast(series.values, HORIZON).mean, []


def run_ours(data: pd.DataFrame, n_jobs: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The project's SARIMA (shipped parameters, no transform) over every series, twice."""
    import yaml

    from roadmap_pipelines.ml.forecasting.parallel import map_series
    from roadmap_pipelines.ml.forecasting.series import Series
    from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

    shipped = yaml.safe_load((ROOT / "conf/base/parameters_modelling_timeseries.yml").read_text())
    config = shipped["modelling_timeseries"]
    config["arima"]["transform"] = {"method": "none"}  # AutoARIMA has no transform
    params = ModellingTimeseriesParams.model_validate(config)
    train, _ = _split(data)
    series = [
        Series(str(key), pd.DatetimeIndex(group["ds"]), group["y"].to_numpy(), "MS", SEASON)
        for key, group in train.groupby("unique_id", sort=True)
    ]
    timings = {}
    for run in ("cold", "warm"):
        started = time.perf_counter()
        outcomes = map_series(
            _our_forecast,
            series,
            stage="benchmark",
            n_jobs=n_jobs,
            chunk_size=None,
            params=params,
        )
        timings[run] = time.perf_counter() - started
    failed = [found for result, found in outcomes if result is None]
    if failed:
        sys.exit(f"our SARIMA failed on {len(failed)} series: {failed[:3]}")
    forecasts = pd.DataFrame(
        {
            "unique_id": np.repeat([item.series_id for item in series], HORIZON),
            "forecast": np.concatenate([result for result, _ in outcomes]),
        }
    )
    return forecasts, timings


# --- report ----------------------------------------------------------------------------------


def mean_mase(data: pd.DataFrame, forecasts: pd.DataFrame) -> pd.Series:
    """MASE per series of ``forecasts`` (HORIZON rows per unique_id, in time order)."""
    train, test = _split(data)
    train_by, test_by = (
        dict(list(train.groupby("unique_id"))),
        dict(list(test.groupby("unique_id"))),
    )
    return pd.Series(
        {
            key: mase(
                train_by[key]["y"].to_numpy(),
                test_by[key]["y"].to_numpy(),
                group["forecast"].to_numpy(),
            )
            for key, group in forecasts.groupby("unique_id", sort=True)
        }
    )


def main() -> None:
    """Generate the data, run both, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=100, help="monthly series (>= 100)")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes, both sides")
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        statsforecast_worker(Path(args.worker[0]), Path(args.worker[1]), args.n_jobs)
        return

    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    data = benchmark_data(args.series)
    lengths = data.groupby("unique_id").size()
    with tempfile.TemporaryDirectory(prefix="bench-ts-") as folder:
        data_path = Path(folder) / "series.parquet"
        data.to_parquet(data_path)
        theirs, their_times = run_statsforecast(data_path, args.n_jobs)
    ours, our_times = run_ours(data, args.n_jobs)
    our_mase, their_mase = mean_mase(data, ours), mean_mase(data, theirs)
    count = len(lengths)

    print(
        f"series: {count} monthly, {lengths.min()}-{lengths.max()} points, last {HORIZON} held "
        f"out; {args.n_jobs} worker process(es) each"
    )
    for label, times in (("ours (SARIMAX)", our_times), ("statsforecast AutoARIMA", their_times)):
        print(
            f"{label:24s}: warm {times['warm']:7.2f} s ({1000 * times['warm'] / count:6.1f} "
            f"ms/series)   cold {times['cold']:7.2f} s ({1000 * times['cold'] / count:6.1f} "
            "ms/series)"
        )
    print(f"statsforecast import     : {their_times['import']:.2f} s (not in its times)")
    print(
        f"time ratio ours/statsforecast: warm {our_times['warm'] / their_times['warm']:.2f} "
        f"(headline)   cold {our_times['cold'] / their_times['cold']:.2f}"
    )
    print(
        f"mean MASE  ours {our_mase.mean():.4f}   statsforecast {their_mase.mean():.4f}   "
        f"ratio {our_mase.mean() / their_mase.mean():.3f}"
    )
    print(
        f"median MASE ours {our_mase.median():.4f}   statsforecast {their_mase.median():.4f};   "
        f"ours lower on {(our_mase < their_mase).mean():.0%} of series"
    )


if __name__ == "__main__":
    main()
