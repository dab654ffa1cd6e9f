"""The ``execution`` parameters: local by default, a Dask scheduler address must be a URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.execution import Execution

CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_execution.yml"


def test_the_shipped_setting_is_the_local_engine() -> None:
    execution = Execution.model_validate(yaml.safe_load(CONF.read_text())["execution"])

    assert execution.engine == "local"
    assert execution.scheduler_address is None


def test_an_empty_setting_means_the_local_engine() -> None:
    assert Execution.model_validate({}).engine == "local"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"engine": "spark"}, "'local' or 'dask'"),
        ({"engine": "dask", "scheduler_address": "10.0.0.5:8786"}, "tcp://10.0.0.5:8786"),
        ({"n_workers": 0}, "greater than 0"),
        ({"workers": 2}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_name_the_file_and_what_was_expected(raw, message) -> None:
    with pytest.raises(ValidationError) as error:
        Execution.model_validate(raw)

    assert "parameters_execution.yml: execution" in str(error.value)
    assert message in str(error.value)
