"""Every catalog entry, in every environment, reads and writes only under ``data/``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from kedro.config import OmegaConfigLoader

from project_runs import PROJECT_ROOT

ENVIRONMENTS = sorted(
    path.name for path in (PROJECT_ROOT / "conf").iterdir() if path.is_dir() and path.name != "base"
)


def _catalog(env: str) -> dict:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=env)
    return loader["catalog"]


def _locations(entry: dict) -> list[str]:
    """Every path or URL an entry touches: its filepath and a SQLite connection's file."""
    locations = [entry["filepath"]] if "filepath" in entry else []
    con = (entry.get("credentials") or {}).get("con", "")
    if con.startswith("sqlite:///"):
        locations.append(con.removeprefix("sqlite:///"))
    return locations


def test_there_are_environments_to_check() -> None:
    assert {"api", "sql", "local"} <= set(ENVIRONMENTS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_catalog_path_lies_under_data(env: str) -> None:
    data = (PROJECT_ROOT / "data").resolve()
    catalog = _catalog(env)
    assert catalog, f"environment {env} has no catalog entries"
    for name, entry in catalog.items():
        for location in _locations(entry):
            url = urlparse(location)
            if url.scheme in ("http", "https"):
                # nothing reaches the network: HTTP sources are local test servers
                assert url.hostname in ("127.0.0.1", "localhost"), (name, location)
                continue
            resolved = (PROJECT_ROOT / location).resolve()
            assert resolved.is_relative_to(data), f"{env}:{name} points outside data/: {location}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tracked_outputs_are_not_timestamp_versioned(env: str) -> None:
    # DVC versions the files; Kedro's timestamped folders would fight it.
    for name, entry in _catalog(env).items():
        assert not entry.get("versioned", False), f"{env}:{name} is versioned"


def test_raw_inputs_exist_and_are_small() -> None:
    for name, entry in _catalog("local").items():
        path = Path(PROJECT_ROOT / entry.get("filepath", ""))
        # a pattern ({task}.tabular_dask) is where a task's input goes once a task asks for it
        if "01_raw" in path.parts and "{" not in name:
            assert path.is_file(), name
            assert path.stat().st_size < 5 * 1024 * 1024, name


def test_reporting_tables_preview_twenty_rows_in_viz() -> None:
    tables = {
        name: entry
        for name, entry in _catalog("local").items()
        if entry.get("metadata", {}).get("kedro-viz", {}).get("layer") == "reporting"
        and entry["type"].startswith("pandas.")
    }
    assert tables, "no reporting tables in the catalog"
    for name, entry in tables.items():
        assert entry["metadata"]["kedro-viz"].get("preview_args") == {"nrows": 20}, name
