"""The CLI and Kedro-Viz load every pipeline: that must not load the scientific libraries.

Each library below costs from a tenth of a second to a second at import, paid by ``kedro
--help``, ``kedro registry list`` and ``kedro viz``; nodes import them when they run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# pandas (with pyarrow) and NumPy too: they were two thirds of `kedro registry list`'s time
HEAVY = (
    "scipy",
    "sklearn",
    "lightgbm",
    "statsmodels",
    "plotly",
    "optuna",
    "matplotlib",
    "pandas",
    "pyarrow",
    "numpy",
)

_PROBE = """
import json, sys
from kedro.framework.project import configure_project
configure_project("roadmap_pipelines")
from roadmap_pipelines.pipeline_registry import register_pipelines
from typing import get_type_hints
from kedro.validation.type_extractor import TypeExtractor
pipelines = register_pipelines()
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))
unresolved = []
for node in pipelines["__default__"].nodes:
    try:
        get_type_hints(node.func)
    except Exception as error:
        unresolved.append(f"{node.name}: {error}")
typed = TypeExtractor({"__default__": pipelines["__default__"]}).extract_types_from_pipelines()
print(json.dumps({"heavy": heavy, "unresolved": unresolved, "typed": sorted(typed)}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *HEAVY],
        capture_output=True,
        text=True,
        check=True,
        env={"KEDRO_DISABLE_TELEMETRY": "true", "PATH": ""},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_registering_the_pipelines_imports_no_scientific_library(probe) -> None:
    assert probe["heavy"] == []


def test_node_parameters_stay_typed_so_kedro_validates_them(probe) -> None:
    # Kedro validates a node's parameters only when all of its type hints resolve
    assert probe["unresolved"] == []
    typed = set(probe["typed"])

    # one of each pipeline whose nodes take sklearn objects beside their parameters
    assert {
        "modelling_tabular.credit",
        "feature_engineering.ames",
        "segmentation.credit",
        "reporting",
    } <= typed
