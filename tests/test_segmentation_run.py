"""End-to-end: the default ``kedro run`` writes the segmentation tables and figures, and bad
segmentation input stops a real run with a message naming the parameter.

The values are checked against an independent recomputation from the files the run wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import silhouette_score

from project_runs import output_digests, run_session
from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.clustering.trials import sample_rows
from roadmap_pipelines.pipelines.segmentation.nodes import unsupervised_preprocessor
from task_config import requires_tasks

TARGETS = {"credit": "Status", "ames": "price"}
# example-data tests: exact values and parameter edits of the shipped tables (the contract
# tests in test_contract.py check any configured task)
pytestmark = requires_tasks("credit", "ames")
TABULAR_TASKS = tuple(TARGETS)
SEGMENTATION_FILE = "conf/base/parameters_segmentation.yml"
TABLES = ("pca_variance.csv", "pca_loadings.csv", "cluster_scores.csv", "cluster_profiles.csv")
FIGURES = ("pca_scree.json", "cluster_embeddings.json", "dendrogram.json", "silhouette_by_k.json")
MODEL_OUTPUTS = (
    "cluster_assignments.parquet",
    "pca_embedding.parquet",
    "tsne_embedding.parquet",
    "dendrogram.parquet",
)


def _folder(project: Path, layer: str, task: str) -> Path:
    return project / "data" / layer / task / "segmentation"


def _load(project: Path, task: str) -> dict[str, Any]:
    reporting = _folder(project, "08_reporting", task)
    output = _folder(project, "07_model_output", task)
    return {
        "summary": json.loads((reporting / "summary.json").read_text()),
        "scores": pd.read_csv(reporting / "cluster_scores.csv"),
        "profiles": pd.read_csv(reporting / "cluster_profiles.csv"),
        "variance": pd.read_csv(reporting / "pca_variance.csv"),
        "loadings": pd.read_csv(reporting / "pca_loadings.csv", index_col=0),
        "assignments": pd.read_parquet(output / "cluster_assignments.parquet"),
        "tsne": pd.read_parquet(output / "tsne_embedding.parquet"),
        "dendrogram": pd.read_parquet(output / "dendrogram.parquet"),
        "train": pd.read_parquet(project / f"data/04_feature/{task}/train.parquet"),
    }


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_default_run_writes_the_segmentation_tables_and_figures(
    task: str, default_run: Path
) -> None:
    for name in (*TABLES, *FIGURES, "summary.json"):
        assert (_folder(default_run, "08_reporting", task) / name).is_file(), name
    for name in MODEL_OUTPUTS:
        assert (_folder(default_run, "07_model_output", task) / name).is_file(), name

    run = _load(default_run, task)
    rows = len(run["train"])
    summary, scores, assignments = run["summary"], run["scores"], run["assignments"]
    # every training row segmented, sizes add up, profile and summary agree
    assert summary["rows"] == rows == len(assignments)
    assert assignments["row"].tolist() == list(range(rows))
    assert run["profiles"]["size"].sum() == rows
    assert run["profiles"]["size"].tolist() == list(summary["cluster_sizes"].values())
    # the chosen clustering is the trial with the best silhouette, k within the range
    chosen = scores.loc[scores["chosen"]]
    assert len(chosen) == 1
    assert chosen["silhouette"].iloc[0] == scores["silhouette"].max()
    assert summary["chosen"]["k"] == chosen["k"].iloc[0] in range(2, 9)
    assert summary["chosen"]["silhouette"] == chosen["silhouette"].iloc[0]
    assert scores["candidate"].unique().tolist() == ["kmeans", "agglomerative"]
    assert len(scores) == 14
    kmeans = scores.loc[scores["candidate"] == "kmeans", "inertia"]
    assert kmeans.is_monotonic_decreasing
    # PCA: 90 % of the variance kept, loadings for every preprocessed feature
    kept = run["variance"].loc[run["variance"]["kept"]]
    assert kept["cumulative_ratio"].iloc[-1] >= 0.9 > kept["cumulative_ratio"].iloc[-2]
    assert run["variance"]["cumulative_ratio"].iloc[-1] == pytest.approx(1.0, abs=1e-6)
    assert run["loadings"].shape == (summary["features"], len(kept))
    # t-SNE on the 500-row seeded sample stated in the YAML; the dendrogram covers every row
    assert run["tsne"]["row"].tolist() == sample_rows(rows, 500, 42).tolist()
    assert len(run["dendrogram"]) == rows - 1
    assert run["dendrogram"]["size"].iloc[-1] == rows
    assert TARGETS[task] not in run["profiles"].columns


def test_reported_silhouette_recomputes_from_the_written_files(default_run: Path) -> None:
    run = _load(default_run, "credit")
    preprocessor = joblib.load(default_run / "data/04_feature/credit/preprocessor.pkl")
    fitted, removed = unsupervised_preprocessor(preprocessor)
    features = fitted.fit_transform(run["train"].drop(columns="Status")).to_numpy(float)
    labels = run["assignments"]["cluster"].to_numpy()
    sample = sample_rows(len(features), 1000, 42)

    assert removed == []  # credit's preprocessor needs no target: nothing is dropped
    assert features.shape[1] == run["summary"]["features"]
    assert run["summary"]["chosen"]["silhouette"] == pytest.approx(
        silhouette_score(features[sample], labels[sample]), abs=1e-6
    )


def test_external_validation_is_reported_for_credit_only(default_run: Path) -> None:
    credit, ames = _load(default_run, "credit"), _load(default_run, "ames")

    assert {"adjusted_rand", "normalized_mutual_info"} <= set(credit["scores"].columns)
    assert credit["scores"]["adjusted_rand"].between(-1, 1).all()
    assert "adjusted_rand" in credit["summary"]["chosen"]
    assert "adjusted_rand" not in ames["scores"].columns
    assert "adjusted_rand" not in ames["summary"]["chosen"]
    # ames' target-encoded Neighborhood is left out of the clustering but still profiled
    assert "Neighborhood" not in ames["loadings"].index
    assert "Neighborhood" in ames["profiles"].columns


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_default_run_draws_the_segmentation_figures(task: str, default_run: Path) -> None:
    reporting = _folder(default_run, "08_reporting", task)
    figures = {name: json.loads((reporting / name).read_text()) for name in FIGURES}
    run = _load(default_run, task)

    scree = figures["pca_scree.json"]["data"]
    assert [trace["type"] for trace in scree] == ["bar", "scatter"]
    assert len(scree[0]["x"]) == len(run["variance"])
    embeddings = figures["cluster_embeddings.json"]["data"]
    clusters = run["summary"]["chosen"]["n_clusters"]
    assert len(embeddings) == 2 * clusters
    assert sum(len(trace["x"]) for trace in embeddings[:clusters]) == len(run["train"])
    assert sum(len(trace["x"]) for trace in embeddings[clusters:]) == 500
    dendrogram = figures["dendrogram.json"]
    assert len(dendrogram["layout"]["xaxis"]["ticktext"]) == 30
    silhouette = figures["silhouette_by_k.json"]["data"]
    assert [trace["name"] for trace in silhouette] == [
        "kmeans silhouette",
        "agglomerative silhouette",
        f"chosen: {run['scores'].loc[run['scores']['chosen'], 'trial'].iloc[0]}",
        "kmeans inertia",
    ]


def _edit(project: Path, task: str, change: dict[str, Any]) -> None:
    path = project / SEGMENTATION_FILE
    params = yaml.safe_load(path.read_text())
    params["segmentation"][task].update(change)
    path.write_text(yaml.safe_dump(params))


def test_a_k_range_beyond_the_rows_stops_the_run_and_keeps_outputs(
    completed_project: Path,
) -> None:
    before = output_digests(completed_project)
    _edit(completed_project, "credit", {"k_range": {"min": 2, "max": 5000}, "max_rows": 40})

    with pytest.raises(InputDataError) as raised:
        run_session(completed_project, pipelines=["segmentation"])

    message = str(raised.value)
    assert "parameters_segmentation.yml: segmentation.<task>.k_range.max is 5000" in message
    assert "40 training row(s) of 'credit.tabular_raw'" in message
    assert "at most 39 clusters" in message
    assert output_digests(completed_project) == before


def test_a_sample_size_of_zero_stops_the_run_before_any_node(
    completed_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kedro.validation import ParameterValidationError

    before = output_digests(completed_project)
    _edit(completed_project, "ames", {"tsne": {"sample_size": 0}})

    with pytest.raises(ParameterValidationError) as raised:
        run_session(completed_project, pipelines=["segmentation"])

    message = str(raised.value)
    assert "parameters_segmentation.yml: segmentation.<task>" in message
    assert "tsne.sample_size" in message
    assert "greater than 0" in message
    assert "node ames.prepare_segmentation_features" not in caplog.text
    assert output_digests(completed_project) == before


def test_the_segmentation_changes_with_its_yaml_alone(completed_project: Path) -> None:
    _edit(
        completed_project,
        "credit",
        {"k_range": {"min": 4, "max": 4}, "pca": {"n_components": 3}, "cluster_on": "pca"},
    )

    run_session(completed_project, pipelines=["segmentation"])

    run = _load(completed_project, "credit")
    assert run["scores"]["k"].unique().tolist() == [4]
    assert run["summary"]["chosen"]["n_clusters"] == 4
    assert run["summary"]["cluster_on"] == "pca"
    assert run["loadings"].columns.tolist() == ["PC1", "PC2", "PC3"]
    assert np.isclose(
        run["summary"]["pca"]["variance_explained"], run["variance"]["cumulative_ratio"][2]
    )
