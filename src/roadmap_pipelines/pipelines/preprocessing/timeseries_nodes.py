"""Nodes that validate a long table of time series and make every series regular."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.quality_report import QualityStep, record
from roadmap_pipelines.ml.data.table_schema import validate_table
from roadmap_pipelines.ml.data.timestamps import timestamp_labels
from roadmap_pipelines.params.preprocessing import ColumnSpec, TimeSeriesParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

_SEASON_LENGTHS = {"h": 24, "D": 7, "B": 5, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4}
_ANNUAL = ("YS", "YE")
_DAY = 86_400
_STEP_DAYS = {
    "h": (1 / 24, 1 / 24),
    "D": (1, 1),
    "W": (7, 7),
    "M": (28, 31),
    "Q": (89, 92),
    "Y": (365, 366),
}


def validate_timeseries(
    raw: pd.DataFrame, params: TimeSeriesParams
) -> tuple[pd.DataFrame, list[QualityStep]]:
    """Check the long table's id, time and value columns.

    Args:
        raw: Long table with one row per (series, timestamp).
        params: ``preprocessing.timeseries`` parameters.

    Returns:
        The table with string ids, parsed timestamps and float values, and the quality steps.

    Raises:
        InputDataError: If the table is empty or any of the three columns fails its checks.
    """
    columns = {
        params.id_column: ColumnSpec(dtype="string", nullable=False),
        params.time_column: ColumnSpec(
            dtype="datetime", nullable=False, date_format=params.date_format
        ),
        params.value_column: ColumnSpec(dtype="float", nullable=True),
    }
    key = "parameters_preprocessing.yml: preprocessing.timeseries"
    validated = validate_table(raw, columns, params.dataset, key)
    steps = [record(params.dataset, "input", "rows_in", len(raw))]
    return validated[list(columns)], steps


def infer_frequency(timestamps: pd.DatetimeIndex) -> str | None:
    """Infer a pandas frequency from sorted, unique timestamps that may have gaps.

    Args:
        timestamps: The series' timestamps.

    Returns:
        A frequency alias such as ``"MS"`` or ``"QS-JAN"``, or ``None`` if none fits.
    """
    import pandas as pd

    if len(timestamps) >= 3:
        with pd.option_context("future.infer_freq_returns_offset", True):
            inferred = pd.infer_freq(timestamps)
        if inferred is not None:
            return inferred.freqstr
    if len(timestamps) < 2:
        return None
    # The most common step decides, so a stray stamp cannot turn a monthly series daily;
    # the caller's grid check then rejects that stamp.
    steps = timestamps.to_series().diff().dt.total_seconds().iloc[1:]
    counted = Counter(unit for unit in map(_step_unit, steps) if unit is not None).most_common(1)
    if not counted:
        return None
    unit, first = counted[0][0], timestamps[0]
    if unit == "h":
        return "h"
    if unit == "D":
        only_weekdays = bool((timestamps.day_of_week < 5).all())
        return "B" if only_weekdays and (timestamps[-1] - first).days >= 7 else "D"
    if unit == "W":
        return f"W-{first.day_name()[:3].upper()}"
    starts = timestamps.is_month_start.mean() > 0.5
    if not (starts or timestamps.is_month_end.mean() > 0.5):
        return None
    month = first.month_name()[:3].upper()
    return {
        "M": "MS" if starts else "ME",
        "Q": f"QS-{month}" if starts else f"QE-{month}",
        "Y": f"YS-{month}" if starts else f"YE-{month}",
    }[unit]


def _step_unit(seconds: float) -> str | None:
    """Name the calendar unit a step of ``seconds`` is one of, if any."""
    for unit, (shortest, longest) in _STEP_DAYS.items():
        if shortest * _DAY <= seconds <= longest * _DAY:
            return unit
    return None


def _season_length(series_id: str, frequency: str, params: TimeSeriesParams) -> int:
    import pandas as pd

    if series_id in params.season_length:
        return params.season_length[series_id]
    offset = pd.tseries.frequencies.to_offset(frequency)
    code = offset.rule_code.split("-")[0]
    if code in _ANNUAL:
        return 1
    per_season = _SEASON_LENGTHS.get(code)
    if per_season is None or per_season % offset.n:
        raise InputDataError(
            f"Dataset '{params.dataset}': series '{series_id}' has frequency '{frequency}', "
            "which has no default season length; set preprocessing.timeseries.season_length."
        )
    return per_season // offset.n


def _regular_series(
    series_id: str, points: pd.DataFrame, params: TimeSeriesParams
) -> tuple[pd.Series, dict[str, Any], list[QualityStep]]:
    import pandas as pd

    time, value = params.time_column, params.value_column
    duplicated = points.duplicated(subset=time, keep=False)
    n_duplicates = int(points.duplicated(subset=time).sum())
    grouped = points.groupby(time, sort=True)[value]
    if params.duplicate_timestamps == "sum":
        values = grouped.sum(min_count=1)  # a missing value stays missing, not 0
    else:
        values = grouped.agg(params.duplicate_timestamps)
    if params.duplicate_timestamps in ("first", "last") and duplicated.any():
        # groupby first/last skip missing values; keep the row the rule names, missing or not.
        chosen = points.drop_duplicates(subset=time, keep=params.duplicate_timestamps)
        values = chosen.set_index(time)[value].sort_index()
    n_before_trim = len(values)
    values = values.loc[values.first_valid_index() : values.last_valid_index()]
    n_trimmed = n_before_trim - len(values)
    index = pd.DatetimeIndex(values.index)

    frequency = params.frequency.get(series_id) or infer_frequency(index)
    if frequency is None:
        raise InputDataError(
            f"Dataset '{params.dataset}': cannot infer a regular frequency for series "
            f"'{series_id}' (timestamps {timestamp_labels(index[:3])}...); set it in "
            "preprocessing.timeseries.frequency."
        )
    grid = pd.date_range(index[0], index[-1], freq=frequency)
    off_grid = index.difference(grid)
    if len(off_grid):
        raise InputDataError(
            f"Dataset '{params.dataset}': series '{series_id}' has {len(off_grid)} timestamp(s) "
            f"off its '{frequency}' grid, e.g. {timestamp_labels(off_grid[:3])}."
        )
    regular = values.reindex(grid)
    n_missing = int(regular.isna().sum())
    n_gaps = len(grid) - len(index)
    if params.gap_fill == "interpolate":
        regular = regular.interpolate(method="time")
    elif params.gap_fill == "ffill":
        regular = regular.ffill()
    else:
        regular = regular.fillna(0.0)

    season = _season_length(series_id, frequency, params)
    needed = params.min_seasons * season
    if len(regular) < needed:
        raise InputDataError(
            f"Dataset '{params.dataset}': series '{series_id}' has {len(regular)} point(s) at "
            f"frequency '{frequency}'; at least {needed} ({params.min_seasons} seasons of "
            f"{season}) are needed."
        )
    meta = {
        "frequency": frequency,
        "season_length": season,
        "start": timestamp_labels(grid)[0],
        "end": timestamp_labels(grid)[-1],
        "n_points": len(regular),
    }
    steps = [
        record(params.dataset, "series", "duplicate_timestamps", n_duplicates, series_id),
        record(params.dataset, "series", "trimmed_missing_ends", n_trimmed, series_id),
        record(params.dataset, "series", "missing_timestamps", n_gaps, series_id),
        record(params.dataset, "series", f"filled_{params.gap_fill}", n_missing, series_id),
    ]
    return regular, meta, steps


def regularise_timeseries(
    data: pd.DataFrame, params: TimeSeriesParams
) -> tuple[pd.DataFrame, dict[str, Any], list[QualityStep]]:
    """Give every series one value per period of a regular frequency.

    Duplicate timestamps are resolved by ``duplicate_timestamps``; leading and trailing
    missing values are trimmed; missing periods and values inside are filled by ``gap_fill``.

    Args:
        data: The validated long table.
        params: ``preprocessing.timeseries`` parameters.

    Returns:
        The regular long table sorted by id and time, a per-series summary (frequency, season
        length, start, end, points) and the quality steps.

    Raises:
        InputDataError: If a series has no value, no inferable frequency, timestamps off its
            frequency's grid, or fewer points than ``min_seasons`` seasons, or if the
            parameters name a series that is not in the data.
    """
    import pandas as pd

    unknown = (set(params.frequency) | set(params.season_length)) - set(data[params.id_column])
    if unknown:
        raise InputDataError(
            f"Dataset '{params.dataset}': preprocessing.timeseries.frequency or season_length "
            f"names series that are not in the data: {sorted(unknown)}."
        )
    frames, meta, steps = [], {}, []
    for series_id, points in data.groupby(params.id_column, sort=True):
        if points[params.value_column].isna().all():
            raise InputDataError(
                f"Dataset '{params.dataset}': series '{series_id}' has no value at all."
            )
        regular, meta[series_id], series_steps = _regular_series(series_id, points, params)
        steps.extend(series_steps)
        frames.append(
            pd.DataFrame(
                {
                    params.id_column: series_id,
                    params.time_column: regular.index,
                    params.value_column: regular.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), meta, steps
