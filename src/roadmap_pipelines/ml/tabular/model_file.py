"""The model file's content hash: recorded when training saves it, checked before loading it.

Unpickling runs code, so a model file that is not the one the training run wrote must never
be loaded. Training records the SHA-256 of the bytes ``canonical_pickle`` writes (they depend
only on the model's value); a loader hashes the file and compares before it unpickles.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from roadmap_pipelines.ml import canonical_pickle


class ModelFileError(RuntimeError):
    """A model file is missing, or its bytes are not the ones its training run recorded."""


def model_sha256(model: Any) -> str:
    """SHA-256 of the bytes the catalog's ``canonical_pickle`` backend writes for ``model``.

    Args:
        model: The fitted model, as saved to the ``<task>.model`` dataset.

    Returns:
        The hex digest, equal to the SHA-256 of the saved file.
    """
    buffer = io.BytesIO()
    canonical_pickle.dump(model, buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def check_model_file(path: str | Path, expected_sha256: str | None) -> str:
    """Refuse a model file whose content hash is not the one training recorded.

    Args:
        path: The pickle about to be loaded.
        expected_sha256: The digest its training run recorded.

    Returns:
        The file's digest (equal to ``expected_sha256``).

    Raises:
        ModelFileError: Naming the file, if it is missing, no digest was recorded, or the
            digests differ; the file is not unpickled.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file '{path}' does not exist; run the training pipelines.")
    if not expected_sha256:
        raise ModelFileError(
            f"No content hash is recorded for model file '{path}'; rerun the training "
            "pipelines so model_metadata.json records one before it is loaded."
        )
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected_sha256:
        raise ModelFileError(
            f"Model file '{path}' has SHA-256 {actual}, not the {expected_sha256} its training "
            "run recorded; refusing to unpickle it. Rerun training or restore the file."
        )
    return actual


def check_loaded_model(model: Any, expected_sha256: str | None, name: str) -> None:
    """Refuse a loaded model that is not the one its metadata describes.

    A Kedro pipeline receives the model already unpickled; this at least stops it from
    scoring with a model that another run replaced (its metadata no longer matches).

    Args:
        model: The loaded model.
        expected_sha256: The digest its training run recorded.
        name: The model's catalog name, for the message.

    Raises:
        ModelFileError: If the digests differ or none was recorded.
    """
    actual = model_sha256(model)
    if actual != expected_sha256:
        raise ModelFileError(
            f"Model '{name}' has SHA-256 {actual}, not the {expected_sha256} its metadata "
            "records; the model and model_metadata.json come from different runs. Rerun "
            "modelling_tabular."
        )
