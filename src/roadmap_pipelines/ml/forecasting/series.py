"""One series as the models see it, the checks that admit it, and the backtest folds.

Checks split in two. A problem with the table as a whole (a missing column, no rows, a
parameter naming a series that is not there) stops the run before any model is fitted. A
problem with one series that leaves nothing to forecast from (no value at all, a single
point, missing values, unordered or repeated timestamps, off its frequency's grid) is
recorded as a failure of that series, and the others carry on.

Every other series gets a forecast. Each is planned with its frequency's settings
(``modelling_timeseries.frequencies``): a series too short for the configured backtest gets
as many folds as fit, and one too short (or constant) for any fold is forecast by a
baseline alone (seasonal naive with two whole seasons, else naive). ``ts_series_status``
says which and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.params.modelling_timeseries import (
    ModellingTimeseriesParams,
    SeriesSettings,
)
from roadmap_pipelines.params.preprocessing import TimeSeriesParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

INPUT = "timeseries_clean"
MIN_TRAIN_POINTS = 10  # below this no model here is worth fitting, whatever the season
MIN_POINTS = 2  # a naive forecast needs one change to size its intervals
STATUS_COLUMNS = [
    "series_id", "frequency", "season_length", "n_points", "horizon", "backtest_horizon",
    "folds", "mode", "note",
]  # fmt: skip


@dataclass(frozen=True)
class Series:
    """A regular, gap-free series with its frequency and season length."""

    series_id: str
    timestamps: pd.DatetimeIndex
    values: np.ndarray
    frequency: str
    season_length: int
    horizon: int = 1  # periods forecast after the last point
    backtest_horizon: int = 1  # periods forecast from each backtest origin
    cutoffs: tuple[int, ...] = ()  # training-window lengths of the folds; () = baselines only
    note: str = ""  # why the series has fewer folds, no backtest or another transform

    def __len__(self) -> int:
        return len(self.values)

    def future(self, horizon: int, after: int | None = None) -> pd.DatetimeIndex:
        """The ``horizon`` timestamps after point ``after`` (default: the last one)."""
        import pandas as pd

        end = self.timestamps[(after if after is not None else len(self)) - 1]
        return pd.date_range(end, periods=horizon + 1, freq=self.frequency)[1:]


def failure(series_id: str, stage: str, reason: str, model: str | None = None) -> dict[str, Any]:
    """One record of ``ts_failures`` (renamed to the configured id column on output)."""
    return {"series_id": series_id, "stage": stage, "model": model, "reason": reason}


def fold_cutoffs(n_points: int, folds: int, horizon: int, step: int) -> list[int]:
    """Training-window lengths of the rolling origins, oldest first.

    The last fold's test window ends at the last point; each earlier origin is ``step``
    periods before the next.
    """
    return [n_points - horizon - (folds - 1 - fold) * step for fold in range(folds)]


def minimum_points(season_length: int, settings: SeriesSettings) -> tuple[int, int]:
    """``(first training window, whole series)`` lengths the configured backtest needs."""
    first_train = max(settings.min_train_seasons * season_length, MIN_TRAIN_POINTS)
    needed = first_train + settings.backtest_horizon + (settings.folds - 1) * settings.step
    return first_train, needed


def plan_folds(n_points: int, m: int, settings: SeriesSettings) -> tuple[tuple[int, ...], str]:
    """The folds a series of ``n_points`` gets, and a note when it gets fewer than configured.

    Returns:
        Training-window lengths of the folds (empty: too short for any, baselines only) and
        an explanation (empty when every configured fold fits).
    """
    first_train, needed = minimum_points(m, settings)
    room = n_points - first_train - settings.backtest_horizon
    folds = 0 if room < 0 else min(settings.folds, 1 + room // settings.step)
    if folds == settings.folds:
        return tuple(fold_cutoffs(n_points, folds, settings.backtest_horizon, settings.step)), ""
    why = (
        f"{n_points} point(s); {settings.folds} fold(s) of horizon {settings.backtest_horizon} "
        f"every {settings.step} after a first training window of {first_train} "
        f"({settings.min_train_seasons} season(s) of {m}, at least {MIN_TRAIN_POINTS} points) "
        f"need {needed}"
    )
    if folds == 0:
        return (), f"baselines only, no backtest: {why}"
    cutoffs = fold_cutoffs(n_points, folds, settings.backtest_horizon, settings.step)
    return tuple(cutoffs), f"{folds} fold(s) instead of {settings.folds}: {why}"


def _check_table(data: pd.DataFrame, columns: TimeSeriesParams) -> None:
    import pandas as pd

    names = [columns.id_column, columns.time_column, columns.value_column]
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise InputDataError(
            f"Dataset '{INPUT}' has no column(s) {missing}; parameters_preprocessing.yml: "
            f"preprocessing.timeseries names id_column '{columns.id_column}', time_column "
            f"'{columns.time_column}' and value_column '{columns.value_column}' "
            f"(the table has {list(data.columns)})."
        )
    if data.empty:
        raise InputDataError(f"Dataset '{INPUT}' has no rows; there is no series to model.")
    if not pd.api.types.is_datetime64_any_dtype(data[columns.time_column]):
        raise InputDataError(
            f"Dataset '{INPUT}': column '{columns.time_column}' holds "
            f"{data[columns.time_column].dtype}, expected datetimes."
        )
    if not pd.api.types.is_numeric_dtype(data[columns.value_column]):
        raise InputDataError(
            f"Dataset '{INPUT}': column '{columns.value_column}' holds "
            f"{data[columns.value_column].dtype}, expected numbers."
        )


def _check_parameters_name_known_series(ids: set[str], params: ModellingTimeseriesParams) -> None:
    named = {
        "arima.series": set(params.arima.series),
        "arima.transform.series": set(params.arima.transform.series),
        "ets.transform.series": set(params.ets.transform.series),
        "theta.transform.series": set(params.theta.transform.series),
    }
    unknown = {key: sorted(names - ids) for key, names in named.items() if names - ids}
    if unknown:
        raise InputDataError(
            "parameters_modelling_timeseries.yml: modelling_timeseries."
            + "; ".join(
                f"{key} names series not in '{INPUT}': {names}" for key, names in unknown.items()
            )
            + f". Known series: {sorted(ids)}."
        )


def _series_problem(
    series_id: str,
    points: pd.DataFrame,
    meta: dict[str, Any] | None,
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
) -> str | None:
    """Say what is wrong with one series for modelling, or return ``None``."""
    import numpy as np
    import pandas as pd

    time, value = points[columns.time_column], points[columns.value_column]
    if value.isna().all():
        return f"has no value at all ({len(points)} row(s), every {columns.value_column} missing)"
    if meta is None:
        return "has no entry in timeseries_summary; expected its frequency and season_length"
    repeated = time[time.duplicated()]
    if len(repeated):
        return (
            f"has {len(repeated)} duplicated timestamp(s), e.g. "
            f"{timestamp_labels(repeated.iloc[:3])}; expected one value per period"
        )
    steps = np.diff(time.to_numpy())
    if np.any(steps < np.timedelta64(0)):
        position = int(np.argmax(steps < np.timedelta64(0)))
        labels = timestamp_labels(time.iloc[position : position + 2])
        return (
            f"timestamps are not in increasing order: {labels[1]} comes after {labels[0]}; "
            "expected the rows sorted by time"
        )
    if value.isna().any():
        return (
            f"has {int(value.isna().sum())} missing value(s); expected a gap-free series "
            "(preprocessing fills gaps)"
        )
    frequency = meta["frequency"]
    grid = pd.date_range(time.iloc[0], periods=len(time), freq=frequency)
    if not grid.equals(pd.DatetimeIndex(time)):
        start = timestamp_labels(time.iloc[:1])[0]
        return f"timestamps are not on a regular '{frequency}' grid from {start}"
    if len(points) < MIN_POINTS:
        return f"has {len(points)} point(s); even a naive forecast needs {MIN_POINTS}"
    return None


def prepare_series(
    data: pd.DataFrame,
    summary: dict[str, Any],
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
) -> tuple[dict[str, Series], list[dict[str, Any]], pd.DataFrame]:
    """Check the input table and turn each series that passes into a planned ``Series``.

    Returns:
        The series by id, failure records, and ``ts_series_status`` (one row per series:
        its settings, folds, ``mode`` ``backtest`` / ``fewer_folds`` / ``baselines_only`` /
        ``failed`` and a note saying why).

    Raises:
        InputDataError: If the table lacks a column or rows, a parameter names an unknown
            series, or no series passes its checks.
    """
    import pandas as pd

    _check_table(data, columns)
    ids = data[columns.id_column].astype(str)
    _check_parameters_name_known_series(set(ids), params)
    prepared, failures, status = {}, [], []
    for key, points in data.groupby(ids, sort=True):
        series_id = str(key)
        meta = summary.get(series_id)
        problem = _series_problem(series_id, points, meta, columns, params)
        frequency = meta["frequency"] if meta else ""
        if problem:
            failures.append(failure(series_id, "input", f"series '{series_id}' {problem}"))
            status.append(_status(series_id, frequency, len(points), None, "failed", problem))
            continue
        assert meta is not None  # _series_problem reports a series without a summary
        item = _planned(series_id, points, meta, columns, params)
        prepared[series_id] = item
        mode = "backtest" if not item.note else "fewer_folds"
        if not item.cutoffs:
            mode = "baselines_only"
        status.append(_status(series_id, frequency, len(item), item, mode, item.note))
    if not prepared:
        raise InputDataError(
            f"Dataset '{INPUT}': no series can be modelled: "
            + "; ".join(item["reason"] for item in failures)
        )
    return prepared, failures, pd.DataFrame(status, columns=STATUS_COLUMNS)


def _planned(
    series_id: str,
    points: pd.DataFrame,
    meta: dict[str, Any],
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
) -> Series:
    """The series with its frequency's settings and the folds that fit its length."""
    import numpy as np
    import pandas as pd

    values = points[columns.value_column].to_numpy(dtype=float)
    settings = params.settings_for(meta["frequency"])
    m = settings.season_length or int(meta["season_length"])
    cutoffs: tuple[int, ...]
    if np.all(values == values[0]):
        cutoffs, note = (), f"baselines only, no backtest: constant (every value is {values[0]:g})"
    else:
        cutoffs, note = plan_folds(len(values), m, settings)
    transformed = [
        f"{model}.transform {method}"
        for model, method in (
            ("arima", params.arima.transform.series.get(series_id, params.arima.transform.method)),
            ("ets", params.ets.transform.series.get(series_id, params.ets.transform.method)),
            ("theta", params.theta.transform.series.get(series_id, params.theta.transform.method)),
        )
        if model in params.models and method != "none"
    ]
    if transformed and values.min() <= 0:
        replaced = (
            f"values down to {values.min():g}: {', '.join(transformed)} replaced by none "
            "(it needs positive values)"
        )
        note = f"{note}; {replaced}" if note else replaced
    return Series(
        series_id=series_id,
        timestamps=pd.DatetimeIndex(points[columns.time_column]),
        values=values,
        frequency=meta["frequency"],
        season_length=m,
        horizon=settings.horizon,
        backtest_horizon=settings.backtest_horizon,
        cutoffs=cutoffs,
        note=note,
    )


def _status(
    series_id: str,
    frequency: str,
    n_points: int,
    planned: Series | None,
    mode: str,
    note: str,
) -> dict[str, Any]:
    return {
        "series_id": series_id,
        "frequency": frequency,
        "season_length": planned.season_length if planned else None,
        "n_points": n_points,
        "horizon": planned.horizon if planned else None,
        "backtest_horizon": planned.backtest_horizon if planned else None,
        "folds": len(planned.cutoffs) if planned else 0,
        "mode": mode,
        "note": note,
    }


def json_safe(value: Any) -> Any:
    """Plain JSON types with NaN and infinities as ``None``, recursively."""
    import numpy as np

    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
