"""Project datasets: what kedro-datasets does not provide."""

from __future__ import annotations

import importlib
import io
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import HTMLPreview
from kedro_datasets.json import JSONDataset
from kedro_datasets.pickle import PickleDataset
from kedro_datasets.text import TextDataset

from roadmap_pipelines.compat import dataset_local_path
from roadmap_pipelines.project.model_integrity import (
    hash_record_path,
    record_hash,
    verified_bytes,
)


class HTMLReportDataset(TextDataset):
    """A self-contained HTML page (``TextDataset``) that Kedro-Viz previews as its contents.

    The whole page (several MB of inlined plotly.js) is no use in Viz's side panel, so the
    preview lists the page's sections and reports and says where to open it.
    """

    def preview(self) -> HTMLPreview:
        """The page's title, sections (``<h2>``) and reports (``<h4>``) as Markdown."""
        page = self.load()
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        lines = [
            f"**{title.group(1) if title else 'HTML report'}**",
            "",
            f"Open `{dataset_local_path(self)}` in a browser: one self-contained page, "
            "no network needed.",
            "",
        ]
        for level, heading in re.findall(r"<h([24])[^>]*>(.*?)</h\1>", page, re.S):
            text = re.sub(r"<[^>]+>", "", heading).strip()
            if text == "Contents":
                continue
            lines.append(f"- **{text}**" if level == "2" else f"  - {text}")
        return HTMLPreview("\n".join(lines))


class HashCheckedPickleDataset(PickleDataset):
    """``pickle.PickleDataset`` that records the file's SHA-256 when saving and refuses to
    unpickle a local file whose bytes differ from the record
    (``roadmap_pipelines.project.model_integrity``)."""

    def companion_paths(self) -> list[Path]:
        """Files written with the dataset's own (the hash record): a run journals them too."""
        return [hash_record_path(self._get_save_path())] if self._protocol == "file" else []

    def save(self, data: Any) -> None:
        """Save as ``PickleDataset`` does, then record the file's hash beside it."""
        super().save(data)
        if self._protocol == "file":
            record_hash(self._get_save_path())

    def load(self) -> Any:
        """Check the file against its recorded hash, then unpickle the checked bytes."""
        if self._protocol != "file":
            return super().load()
        data = verified_bytes(self._get_load_path())
        imported_backend = importlib.import_module(self._backend)
        return imported_backend.load(io.BytesIO(data), **self._load_args)


class HTTPJSONDataset(AbstractDataset[None, pd.DataFrame]):
    """A JSON array of records from an HTTP API, read with timeouts and retries.

    ``pandas.JSONDataset`` over HTTP has no client timeout: a server that accepts the
    connection and never answers holds the run forever. Here every request has a connect and
    a read timeout, and failed connections and 429/5xx answers are retried with exponential
    back-off (urllib3's ``Retry``); the last failure names the URL and the setting to change.

    Args:
        url: The endpoint.
        connect_timeout: Seconds to wait for the connection.
        read_timeout: Seconds to wait for each chunk of the answer.
        retries: Attempts after the first one.
        backoff_factor: Retry ``n`` waits ``backoff_factor * 2 ** (n - 1)`` seconds.
        headers: Request headers (authentication goes in credentials).
        load_args: Passed to ``pandas.read_json`` (default ``orient: records``).
        metadata: Kedro-Viz and project metadata.
    """

    def __init__(  # noqa: PLR0913 - each is one documented catalog setting
        self,
        url: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retries: int = 2,
        backoff_factor: float = 0.5,
        headers: dict[str, str] | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._url = url
        self._timeout = (connect_timeout, read_timeout)
        self._retries = retries
        self._backoff = backoff_factor
        self._headers = headers or {}
        self._load_args = {"orient": "records", **(load_args or {})}
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"url": self._url, "timeout": self._timeout, "retries": self._retries}

    def load(self) -> pd.DataFrame:
        """GET the URL and parse the JSON answer into a table."""
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        retry = Retry(
            total=self._retries,
            backoff_factor=self._backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=("GET",),
        )
        with requests.Session() as session:
            session.mount("http://", HTTPAdapter(max_retries=retry))
            session.mount("https://", HTTPAdapter(max_retries=retry))
            try:
                response = session.get(self._url, headers=self._headers, timeout=self._timeout)
                response.raise_for_status()
            except requests.RequestException as error:
                raise DatasetError(
                    f"{self._url}: {type(error).__name__}: {error} (after {self._retries} "
                    f"retries; connect/read timeouts {self._timeout[0]}/{self._timeout[1]} s, "
                    "set connect_timeout, read_timeout and retries in the catalog entry)"
                ) from None
        return pd.read_json(io.StringIO(response.text), **self._load_args)

    def save(self, data: None) -> None:
        """An API source is read-only."""
        raise DatasetError(f"{self._url}: HTTPJSONDataset is read-only")


def round_floats(data: Any, significant_digits: int) -> Any:
    """``data`` with every finite float rounded to ``significant_digits`` significant digits.

    Walks dicts, lists and tuples; other values (ints, bools, strings, NaN, inf) are kept.
    """
    if isinstance(data, float) and math.isfinite(data):
        return float(f"{data:.{significant_digits}g}")
    if isinstance(data, dict):
        return {key: round_floats(value, significant_digits) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [round_floats(value, significant_digits) for value in data]
    return data


class RoundedJSONDataset(JSONDataset):
    """A ``json.JSONDataset`` that writes floats rounded to ``significant_digits`` (default 10).

    Fits through BLAS differ between CPU kernels in their last bits (1e-16 relative); rounded,
    such noise rarely reaches the file's bytes, so a JSON of fitted numbers (information
    criteria, coefficients) stays byte-identical across machines where it otherwise would not.
    """

    def __init__(self, *, significant_digits: int = 10, **kwargs: Any) -> None:
        """Args:
        significant_digits: Significant digits kept of every float.
        **kwargs: ``json.JSONDataset`` arguments (filepath, save_args, metadata, ...).
        """
        super().__init__(**kwargs)
        self._significant_digits = significant_digits

    def save(self, data: Any) -> None:
        """Save ``data`` as JSON with its floats rounded."""
        super().save(round_floats(data, self._significant_digits))
