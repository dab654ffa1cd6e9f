"""Pickled bytes depend on an object's value, not on which equal strings share an object."""

from __future__ import annotations

import io
import pickle

from roadmap_pipelines.ml import canonical_pickle


def _dumps(obj: object) -> bytes:
    buffer = io.BytesIO()
    canonical_pickle.dump(obj, buffer)
    return buffer.getvalue()


def test_equal_objects_give_equal_bytes_whatever_strings_they_share() -> None:
    name = "".join(["inc", "ome"])  # built at run time: a distinct object from the literal
    shared = {"columns": [name], "names": [name]}
    separate = {"columns": ["income"], "names": [name]}
    assert shared["columns"][0] is shared["names"][0]
    assert separate["columns"][0] is not separate["names"][0]

    assert pickle.dumps(shared) != pickle.dumps(separate)  # what standard pickle does
    assert _dumps(shared) == _dumps(separate)


def test_round_trip_keeps_the_value_and_shared_mutable_objects() -> None:
    inner = [1, 2]
    obj = {"a": inner, "b": inner, "text": "x" * 3}

    loaded = canonical_pickle.load(io.BytesIO(_dumps(obj)))

    assert loaded == obj
    assert loaded["a"] is loaded["b"]


def test_a_reloaded_fitted_model_pickles_to_the_same_bytes() -> None:
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    # fitted arrays share NumPy's float64 dtype object; unpickled ones each get their own
    fitted = StandardScaler().fit(np.arange(10.0).reshape(5, 2))
    first = _dumps(fitted)
    reloaded = canonical_pickle.load(io.BytesIO(first))

    assert _dumps(reloaded) == first
    np.testing.assert_array_equal(reloaded.scale_, fitted.scale_)
    assert reloaded.mean_.dtype == np.float64
