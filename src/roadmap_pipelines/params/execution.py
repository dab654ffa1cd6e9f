"""Schema of ``conf/base/parameters_execution.yml``: where the heavy fan-outs run."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, PositiveInt, field_validator

from roadmap_pipelines.params.base import StrictModel


class Execution(StrictModel):
    """``execution``: the local engine (joblib processes) or a Dask cluster.

    ``dask`` sends per-series fits and backtests, CV folds and batches of tuning trials to a
    Dask cluster: the one at ``scheduler_address``, or a ``LocalCluster`` started on
    127.0.0.1 for the run when it is ``null``. Outputs are the same bytes either way.
    """

    model_config = ConfigDict(title="parameters_execution.yml: execution")

    engine: Literal["local", "dask"] = "local"
    scheduler_address: str | None = Field(
        default=None,
        description="dask: a running scheduler (tcp://host:8786); null starts a LocalCluster",
    )
    n_workers: PositiveInt = Field(
        default=2, description="dask, no scheduler_address: LocalCluster worker processes"
    )
    threads_per_worker: PositiveInt = Field(
        default=1, description="dask, no scheduler_address: tasks each worker runs at once"
    )
    memory_limit: str = Field(
        default="auto", description="dask, no scheduler_address: per worker, e.g. '2GiB'"
    )
    dashboard: bool = Field(
        default=False, description="dask, no scheduler_address: dashboard on 127.0.0.1:8787"
    )
    connect_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long to try reaching scheduler_address"
    )

    @field_validator("scheduler_address")
    @classmethod
    def _address(cls, address: str | None) -> str | None:
        if address is not None and "://" not in address:
            raise ValueError(
                f"scheduler_address must name a protocol, e.g. tcp://{address}, got '{address}'"
            )
        return address
