"""Model files are loaded only if their bytes are the ones written at training.

A pickle runs code when it is loaded, so a model file swapped or edited after training is
refused before it is unpickled. The SHA-256 of the file is recorded beside it at save time
(``<file>.sha256``, one hex digest) and checked at load time. The serving layer uses the same
functions.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIX = ".sha256"


class ModelIntegrityError(RuntimeError):
    """A model file's content differs from the one recorded at training."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hash_record_path(model_path: Path | str) -> Path:
    """Where the hash of ``model_path`` is recorded."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + SUFFIX)


def record_hash(model_path: Path | str) -> str:
    """Write the SHA-256 of ``model_path`` beside it (atomically) and return it."""
    digest = sha256_bytes(Path(model_path).read_bytes())
    record = hash_record_path(model_path)
    temporary = record.with_name(record.name + ".tmp")
    temporary.write_text(digest + "\n", encoding="ascii")
    os.replace(temporary, record)
    return digest


def verified_bytes(model_path: Path | str, *, require_record: bool = False) -> bytes:
    """The bytes of ``model_path`` after checking them against the recorded hash.

    Args:
        model_path: The model file.
        require_record: Refuse a file without a recorded hash (otherwise log a warning: a
            model trained before hashes were recorded, or fetched without its record).

    Returns:
        The file's bytes (read once: what was checked is what gets unpickled).

    Raises:
        ModelIntegrityError: If the hash differs, or is missing and ``require_record``.
    """
    model_path = Path(model_path)
    data = model_path.read_bytes()
    record = hash_record_path(model_path)
    if not record.exists():
        message = f"{model_path} has no recorded hash ({record.name}): cannot verify it"
        if require_record:
            raise ModelIntegrityError(message + "; retrain the model to record one")
        logger.warning("%s; retrain the model to record one", message)
        return data
    expected = record.read_text(encoding="ascii").strip()
    actual = sha256_bytes(data)
    if actual != expected:
        raise ModelIntegrityError(
            f"{model_path} is not the file written at training (SHA-256 {actual[:12]}…, "
            f"recorded {expected[:12]}… in {record.name}): refusing to unpickle it. Restore it "
            "(`dvc checkout`) or retrain (`kedro run --pipelines=modelling_tabular`)"
        )
    return data
