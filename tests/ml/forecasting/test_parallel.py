"""Series run in this process when there are too few to pay for worker processes."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest

from roadmap_pipelines.ml.forecasting.parallel import map_series
from roadmap_pipelines.ml.forecasting.series import Series


def _length(series: Series) -> tuple[int, list]:
    return len(series), []


def _series(count: int) -> list[Series]:
    index = pd.date_range("2000-01-01", periods=4, freq="MS")
    return [Series(f"s{i}", index, np.arange(4.0), "MS", 12) for i in range(count)]


def test_a_small_run_starts_no_workers_and_a_large_one_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = []
    real = joblib.Parallel

    def recording(n_jobs: int, **kwargs):  # runs the chunks here, remembering the request
        asked.append(n_jobs)
        return real(n_jobs=1, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", recording)
    small = map_series(_length, _series(3), stage="test", n_jobs=2, chunk_size=1, min_series=8)
    large = map_series(_length, _series(3), stage="test", n_jobs=2, chunk_size=1, min_series=3)
    assert asked == [1, 2]
    assert small == large == [(4, [])] * 3
