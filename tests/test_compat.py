"""The private APIs behind roadmap_pipelines.compat still behave as the project relies on.

A failure here after an upgrade names the library that changed; fix compat.py, not callers.
"""

from __future__ import annotations

import io
import pickle

from kedro_datasets.pandas import CSVDataset, ParquetDataset

from roadmap_pipelines.compat import (
    PurePythonPickler,
    dataset_local_path,
    lightgbm_parameter_aliases,
)


def test_pure_python_pickler_lets_a_subclass_skip_memoisation() -> None:
    class NoStringMemo(PurePythonPickler):  # type: ignore[misc,valid-type]
        def memoize(self, obj: object) -> None:
            if not isinstance(obj, str):
                super().memoize(obj)

    shared = "column"
    value = [shared, shared]
    buffer = io.BytesIO()
    NoStringMemo(buffer, protocol=5).dump(value)

    assert pickle.loads(buffer.getvalue()) == value
    # the string is written twice, not once plus a memo reference
    assert buffer.getvalue().count(b"column") == 2
    assert pickle.dumps(value, protocol=5).count(b"column") == 1


def test_lightgbm_aliases_list_native_names_and_their_aliases() -> None:
    aliases = lightgbm_parameter_aliases()

    assert aliases is not None, "lightgbm.basic._ConfigAliases is gone: typo checks are off"
    assert {"num_leaves", "num_leaf", "min_data_in_leaf", "min_child_samples"} <= aliases
    assert "num_leavez" not in aliases


def test_dataset_local_path_reads_kedro_datasets_locations(tmp_path) -> None:
    local = CSVDataset(filepath=str(tmp_path / "a.csv"))
    remote = ParquetDataset(filepath="memory://bucket/a.parquet")

    assert str(dataset_local_path(local)) == (tmp_path / "a.csv").as_posix()
    assert dataset_local_path(remote) is None
    assert dataset_local_path(object()) is None
