"""Collection: the same pipeline reads files, a SQL database or an HTTP API, by catalog only."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from project_runs import run_session
from task_config import requires_tasks

# example-data tests: the SQL and HTTP sources serve the shipped credit table
pytestmark = requires_tasks("credit")


def _model_input(project: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_parquet(project / "data/03_primary/credit/train.parquet"),
        pd.read_parquet(project / "data/03_primary/credit/test.parquet"),
    )


def test_sqlite_source_gives_the_same_split_as_the_csv(
    default_run: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)  # the SQLite URL is relative to the project root
    run_session(project, pipelines=["preprocessing"], env="sql")

    for from_sql, from_csv in zip(_model_input(project), _model_input(default_run), strict=True):
        pd.testing.assert_frame_equal(from_sql, from_csv)


@pytest.fixture
def credit_api(tmp_path: Path) -> Iterator[str]:
    """Serve the credit data as a JSON array of records from 127.0.0.1 on a free port."""
    root = tmp_path / "api"
    root.mkdir()
    raw = pd.read_csv(Path(__file__).parents[1] / "data/01_raw/credit.csv")
    raw.to_json(root / "credit.json", orient="records")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/credit.json"
    finally:
        server.shutdown()
        server.server_close()


def test_http_api_source_gives_the_same_split_as_the_csv(
    default_run: Path, project: Path, credit_api: str
) -> None:
    run_session(
        project, pipelines=["preprocessing"], env="api", runtime_params={"api_url": credit_api}
    )

    for from_api, from_csv in zip(_model_input(project), _model_input(default_run), strict=True):
        pd.testing.assert_frame_equal(from_api, from_csv)
