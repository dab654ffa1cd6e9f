"""Nodes of the ``modelling_timeseries`` pipeline: each handles every series at once.

Heavy work runs per series in joblib workers (``parallel.py``); a failing series or model
is recorded in ``ts_failures`` and the rest carry on. Outputs are sorted, so they are the
same bytes for any ``n_jobs``. Internally series are keyed ``series_id`` and times are
``timestamp``; outputs use the configured ``id_column`` and ``time_column``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.forecasting import (
    backtest,
    intervals,
    refit,
    series,
    stationarity,
)
from roadmap_pipelines.ml.forecasting import metrics as metrics_module
from roadmap_pipelines.ml.forecasting.forecasters import combine_forecasts
from roadmap_pipelines.ml.forecasting.parallel import map_series
from roadmap_pipelines.ml.forecasting.series import Series, json_safe
from roadmap_pipelines.params.modelling_timeseries import ModellingTimeseriesParams
from roadmap_pipelines.params.preprocessing import TimeSeriesParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

STATIONARITY_COLUMNS = [
    "series_id", "adf_stat", "adf_pvalue", "kpss_stat", "kpss_pvalue", "trend_strength",
    "seasonal_strength", "d", "D", "season_length", "transform", "boxcox_lambda",
]  # fmt: skip
DECOMPOSITION_COLUMNS = ["series_id", "timestamp", "observed", "trend", "seasonal", "resid"]


# Column names of the outputs that the configured id/time column names must not take.
_RESERVED = {
    "model", "fold", "step", "cutoff", "actual", "forecast", "rank", "best", "n_series",
    "lower_80", "upper_80", "lower_95", "upper_95", "observed", "trend", "seasonal", "resid",
    "stage", "reason", "members", "frequency", "n_points", "horizon", "backtest_horizon",
    "folds", "mode", "note", *metrics_module.METRICS, *STATIONARITY_COLUMNS[1:],
}  # fmt: skip


def _named(frame: pd.DataFrame, columns: TimeSeriesParams) -> pd.DataFrame:
    return frame.rename(columns={"series_id": columns.id_column, "timestamp": columns.time_column})


def _internal(frame: pd.DataFrame, columns: TimeSeriesParams) -> pd.DataFrame:
    return frame.rename(columns={columns.id_column: "series_id", columns.time_column: "timestamp"})


def _time_dtype(prepared: dict[str, Series]) -> Any:
    return next(iter(prepared.values())).timestamps.dtype


def _parallel(params: ModellingTimeseriesParams) -> dict[str, Any]:
    return {
        "n_jobs": params.n_jobs,
        "chunk_size": params.chunk_size,
        "min_series": params.min_series_for_workers,
    }


def prepare_series(
    timeseries_clean: pd.DataFrame,
    timeseries_summary: dict[str, Any],
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
) -> tuple[dict[str, Series], list[dict[str, Any]], pd.DataFrame]:
    """Check the cleaned series, keep those fit for modelling and plan each one's backtest.

    Args:
        timeseries_clean: Long table (id, time, value columns of ``preprocessing.timeseries``).
        timeseries_summary: Per series ``frequency`` and ``season_length``.
        columns: ``preprocessing.timeseries`` parameters (the column names).
        params: ``modelling_timeseries`` parameters.

    Returns:
        The series that passed, by id, failure records of those that did not, and
        ``ts_series_status``: per series its frequency's settings, its folds and ``mode``
        (``backtest``, ``fewer_folds``, ``baselines_only`` or ``failed``) with a note why.

    Raises:
        InputDataError: If the table as a whole is unusable (see ``series.prepare_series``)
            or the configured column names clash with the outputs' own columns.
    """
    clashes = sorted({columns.id_column, columns.time_column} & _RESERVED)
    if clashes:
        raise InputDataError(
            "parameters_preprocessing.yml: preprocessing.timeseries id_column/time_column "
            f"{clashes} clash with column names of the modelling_timeseries outputs; rename "
            "the input columns"
        )
    prepared, failures, status = series.prepare_series(
        timeseries_clean, timeseries_summary, columns, params
    )
    return prepared, failures, _named(status, columns)


def assess_stationarity(
    prepared: dict[str, Series], columns: TimeSeriesParams, params: ModellingTimeseriesParams
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """ADF and KPSS tests, STL trend/seasonal strength, the chosen ``d`` and ``D``.

    Returns:
        ``ts_stationarity`` (one row per series), ``ts_decomposition`` (observed, trend,
        seasonal, resid per point, on the modelling scale) and failure records.
    """
    import pandas as pd

    # baselines-only series need no d and D (and a constant one has no unit-root test)
    outcomes = map_series(
        stationarity.assess_series,
        [item for item in prepared.values() if item.cutoffs],
        stage="stationarity",
        params=params,
        **_parallel(params),
    )
    rows = [result[0] for result, _ in outcomes if result is not None]
    frames = [result[1] for result, _ in outcomes if result is not None]
    failures = [item for _, found in outcomes for item in found]
    table = pd.DataFrame(rows, columns=STATIONARITY_COLUMNS)
    table = table.astype({"d": "int64", "D": "int64", "season_length": "int64"})
    components = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=DECOMPOSITION_COLUMNS)
    )
    components["timestamp"] = components["timestamp"].astype(_time_dtype(prepared))
    return _named(table, columns), _named(components, columns), failures


def backtest_models(
    prepared: dict[str, Series],
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
    random_state: int,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """Rolling-origin backtest of every configured model on every series.

    Series with ``baselines_only`` status have no backtest. The ``combination`` rows
    combine each series' best ``selection.candidates`` (see ``backtest.py``).

    Returns:
        ``ts_backtest_errors`` (one row per series, model, fold and step),
        ``ts_backtest_metrics`` (one row per series, model and fold, ``members`` naming a
        combination's models) and failure records.
    """
    import pandas as pd

    items = list(prepared.values())
    outcomes = map_series(
        backtest.backtest_series, items, stage="backtest", params=params, **_parallel(params)
    )
    rows = [row for result, _ in outcomes if result is not None for row in result]
    failures = [item for _, found in outcomes for item in found]
    if "lightgbm" in params.models:
        lightgbm_rows, lightgbm_failures = backtest.backtest_lightgbm(items, params, random_state)
        rows += lightgbm_rows
        failures += lightgbm_failures
    errors = pd.DataFrame(rows, columns=backtest.ERROR_COLUMNS)
    time_dtype = _time_dtype(prepared)
    errors = errors.astype(
        {"fold": "int64", "step": "int64", "timestamp": time_dtype}
        | dict.fromkeys(backtest.BOUNDS, "float64")
    )
    members = backtest.combination_members(backtest.metrics_table(errors, prepared, {}), params)
    combined = backtest.combination_errors(errors, members, params)
    if not combined.empty:
        errors = pd.concat([errors, combined.astype(errors.dtypes.to_dict())], ignore_index=True)
    errors = errors.sort_values(["series_id", "model", "fold", "step"], ignore_index=True)
    metrics = backtest.metrics_table(errors, prepared, members)
    metrics = metrics.astype(
        {
            "fold": "int64",
            "cutoff": time_dtype,
            "members": "string",
            **dict.fromkeys(metrics_module.METRICS, "float64"),
        }
    )
    return _named(errors, columns), _named(metrics, columns), failures


def rank_models(
    metrics: pd.DataFrame, columns: TimeSeriesParams, params: ModellingTimeseriesParams
) -> pd.DataFrame:
    """Leaderboard: mean metrics over folds, ranked per series and over all series.

    Returns:
        ``ts_leaderboard``: rows per series and model plus ``__overall__`` rows per model,
        with ``rank`` (1 is best by ``selection_metric``) and ``best``.
    """
    return _named(backtest.leaderboard(_internal(metrics, columns), params), columns)


def fit_final_models(
    prepared: dict[str, Series],
    stationarity_table: pd.DataFrame,
    leaderboard: pd.DataFrame,
    errors: pd.DataFrame,
    columns: TimeSeriesParams,
    params: ModellingTimeseriesParams,
    random_state: int,
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Refit every model on each whole history, forecast, and choose each series' forecast.

    SARIMA takes ``d`` and ``D`` from ``ts_stationarity`` (same transform, same data).

    Each series forecasts its own ``horizon`` (its frequency's). The delivered model
    follows ``selection`` (see ``refit.py``). With ``intervals.calibration: backtest`` every
    per-series model's intervals (the combination's included) are rescaled to the coverage
    its backtest forecasts showed (see ``intervals.py``).

    Returns:
        ``ts_forecasts`` (every model's forecasts with 80% and 95% intervals, the
        combination's included; ``best`` marks the delivered one), ``ts_models`` (the
        delivered ``FittedModel`` per series), ``ts_model_summary`` and failure records.
    """
    table = _internal(stationarity_table, columns).set_index("series_id")
    differences = {series_id: (int(row["d"]), int(row["D"])) for series_id, row in table.iterrows()}
    items = list(prepared.values())
    outcomes = map_series(
        _refit_with_differences,
        items,
        stage="refit",
        params=params,
        differences=differences,
        **_parallel(params),
    )
    forecasts: dict[str, dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    fits: dict[str, dict[str, Any]] = {}
    failures = []
    for item, (result, found) in zip(items, outcomes, strict=True):
        failures += found
        if result is None:
            continue
        forecasts[item.series_id] = result["forecasts"]
        summaries[item.series_id] = result["summaries"]
        fits[item.series_id] = result["fits"]
    lightgbm_model, widths = None, None
    if "lightgbm" in params.models:
        found_forecasts, lightgbm_model, widths, found = refit.refit_lightgbm(
            prepared, _internal(errors, columns), params, random_state
        )
        failures += found
        for series_id, forecast in found_forecasts.items():
            forecasts.setdefault(series_id, {})["lightgbm"] = forecast
            summaries.setdefault(series_id, {})["lightgbm"] = lightgbm_model.summary()
    ranks = _internal(leaderboard, columns)
    members = refit.members_of(ranks)
    for series_id, names in members.items():
        own = forecasts.get(series_id, {})
        if all(name in own for name in names):
            parts = [own[name] for name in names]
            own[backtest.COMBINATION] = combine_forecasts(parts, params.selection.combine)
            summaries[series_id][backtest.COMBINATION] = {
                "members": names,
                "combine": params.selection.combine,
            }
    factors = (
        intervals.scale_factors(_internal(errors, columns))
        if params.intervals.calibration == "backtest"
        else {}
    )
    for own in forecasts.values():
        for name in own:
            own[name] = intervals.rescale(own[name], factors.get(name))
    available = {series_id: set(models) for series_id, models in forecasts.items()}
    # series without a backtest (or whose every backtest failed) deliver a baseline
    ranked_ids = set(ranks["series_id"].astype(str))
    fallback = {
        series_id: refit.fallback_baseline(item)
        for series_id, item in prepared.items()
        if series_id not in ranked_ids
    }
    best, found = refit.choose_best(ranks, available, params.selection.method, fallback)
    failures += found

    models = {
        series_id: refit.fitted_model(
            prepared[series_id],
            name,
            fits.get(series_id, {}),
            lightgbm_model,
            widths,
            members.get(series_id, []),
            params.selection.combine,
            factors.get(name),
        )
        for series_id, name in sorted(best.items())
    }
    summary = {
        series_id: {
            **_model_summary(name, summaries[series_id], prepared[series_id], params),
            "interval_scale": factors[name].summary() if name in factors else None,
        }
        for series_id, name in sorted(best.items())
    }
    table = refit.forecast_table(prepared, forecasts, best)
    table["timestamp"] = table["timestamp"].astype(_time_dtype(prepared))
    return _named(table, columns), models, json_safe(summary), failures


def _refit_with_differences(
    item: Series, params: ModellingTimeseriesParams, differences: dict[str, tuple[int, int]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return refit.refit_series(item, params, differences.get(item.series_id))


def _model_summary(
    best: str,
    summaries: dict[str, dict[str, Any]],
    item: Series,
    params: ModellingTimeseriesParams,
) -> dict[str, Any]:
    chosen = summaries[best]
    is_arima = best == "arima"
    return {
        "model": best,
        "members": chosen.get("members"),
        "selection_metric": params.selection_metric,
        "selection_method": params.selection.method,
        "horizon": item.horizon,
        "folds": len(item.cutoffs),
        "note": item.note or None,
        "orders": (
            {key: chosen[key] for key in ("label", "order", "seasonal_order", "constant")}
            if is_arima
            else None
        ),
        "label": chosen.get("label"),
        "transform": chosen.get("transform"),
        "params": chosen.get("params", {}),
        "information_criteria": chosen.get("information_criteria"),
        "models": summaries,
    }


def collect_failures(
    input_failures: list[dict[str, Any]],
    stationarity_failures: list[dict[str, Any]],
    backtest_failures: list[dict[str, Any]],
    refit_failures: list[dict[str, Any]],
    columns: TimeSeriesParams,
) -> list[dict[str, Any]]:
    """Every failure record of every stage, sorted, keyed by the configured id column.

    Returns:
        ``ts_failures``: ``{<id_column>, stage, model, reason}`` records; ``stage`` is
        ``input``, ``stationarity``, ``backtest`` or ``refit``; ``model`` is null when the
        whole series failed.
    """
    stages = (input_failures, stationarity_failures, backtest_failures, refit_failures)
    order = {"input": 0, "stationarity": 1, "backtest": 2, "refit": 3}
    records = sorted(
        (item for stage in stages for item in stage),
        key=lambda item: (
            item["series_id"],
            order.get(item["stage"], 9),
            item["model"] or "",
            item["reason"],
        ),
    )
    return [
        {
            columns.id_column: item["series_id"],
            "stage": item["stage"],
            "model": item["model"],
            "reason": item["reason"],
        }
        for item in records
    ]
