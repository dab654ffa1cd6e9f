"""The segmentation parameter model refuses impossible configurations up front."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.params.segmentation import PCASpec, SegmentationParams
from task_config import CONFIGURED_TASKS, requires_tasks

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
FILE = "parameters_segmentation.yml"
MINIMAL = {"candidates": {"kmeans": {"estimator": "kmeans"}}}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return yaml.safe_load((CONF / FILE).read_text())["segmentation"]


@pytest.mark.contract
def test_shipped_parameter_file_is_valid_for_every_task(shipped: dict[str, Any]) -> None:
    assert set(shipped) == set(CONFIGURED_TASKS)
    for task in CONFIGURED_TASKS:
        SegmentationParams.model_validate(shipped[task])


@requires_tasks("credit", "ames")
def test_the_shipped_choices(shipped: dict[str, Any]) -> None:
    for task in ("credit", "ames"):
        params = SegmentationParams.model_validate(shipped[task])
        assert params.supervised_steps == "drop"
        assert [c.estimator for c in params.candidates.values()] == ["kmeans", "agglomerative"]
        assert (params.k_range.min, params.k_range.max) == (2, 8)
        # the sample sizes that keep the default run fast are stated in the YAML
        assert shipped[task]["tsne"]["sample_size"] == params.tsne.sample_size == 500
        assert shipped[task]["silhouette_sample_size"] == 1000


def test_defaults() -> None:
    params = SegmentationParams.model_validate(MINIMAL)

    assert params.max_rows is None
    assert params.supervised_steps == "drop"
    assert params.pca == PCASpec(variance_threshold=0.9)
    assert params.cluster_on == "features"
    assert (params.k_range.min, params.k_range.max) == (2, 8)
    assert params.select_by == "silhouette"
    assert params.silhouette_sample_size == 1000
    assert (params.tsne.sample_size, params.tsne.perplexity, params.tsne.max_iter) == (
        500,
        30.0,
        500,
    )
    assert params.external_validation is True
    assert params.candidates["kmeans"].params == {}


def _with(change: dict[str, Any]) -> dict[str, Any]:
    values = copy.deepcopy(MINIMAL)
    for key, value in change.items():
        *parents, last = key.split(".")
        node = values
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return values


BAD = {
    "t-SNE sample size of zero": (
        {"tsne.sample_size": 0},
        [f"{FILE}: segmentation.<task>", "tsne.sample_size", "greater than 0"],
    ),
    "silhouette sample size of zero": (
        {"silhouette_sample_size": 0},
        [f"{FILE}: segmentation.<task>", "silhouette_sample_size", "greater than 0"],
    ),
    "max_rows of zero": ({"max_rows": 0}, ["max_rows", "greater than 0"]),
    "k below two": (
        {"k_range": {"min": 1, "max": 4}},
        ["k_range", "min", "greater than or equal to 2"],
    ),
    "k range reversed": ({"k_range": {"min": 6, "max": 3}}, ["min (6) is greater than max (3)"]),
    "both PCA rules": (
        {"pca": {"n_components": 3, "variance_threshold": 0.8}},
        [f"{FILE}: segmentation.<task>", "pca", "set exactly one of n_components"],
    ),
    "no PCA rule": ({"pca": {}}, ["set exactly one of n_components"]),
    "variance threshold above one": (
        {"pca": {"variance_threshold": 1.5}},
        ["variance_threshold", "less than or equal to 1"],
    ),
    "perplexity not below the sample": (
        {"tsne": {"sample_size": 20, "perplexity": 20}},
        ["perplexity (20.0) must be less than sample_size (20)"],
    ),
    "too few t-SNE iterations": ({"tsne": {"max_iter": 100}}, ["max_iter", "250"]),
    "unknown clusterer": (
        {"candidates": {"x": {"estimator": "kmedoids"}}},
        [f"{FILE}: segmentation.<task>", "candidates.x", "unknown clusterer 'kmedoids'"],
    ),
    "unknown clusterer argument": (
        {"candidates": {"x": {"estimator": "agglomerative", "params": {"linkages": "ward"}}}},
        ["takes no argument(s) ['linkages']", "'linkage'"],
    ),
    "no candidates": ({"candidates": {}}, ["candidates", "at least 1 item"]),
    "unknown select_by": (
        {"select_by": "inertia"},
        ["select_by", "'silhouette', 'calinski_harabasz' or 'davies_bouldin'"],
    ),
    "unknown supervised_steps": ({"supervised_steps": "keep"}, ["'drop' or 'fit_with_target'"]),
    "unknown key": ({"n_clusters": 3}, ["n_clusters", "Extra inputs are not permitted"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_values_name_the_file_key_and_what_is_allowed(case: str) -> None:
    change, fragments = BAD[case]

    with pytest.raises(ValidationError) as raised:
        SegmentationParams.model_validate(_with(change))

    for fragment in fragments:
        assert fragment in str(raised.value), str(raised.value)


def test_a_count_of_components_or_a_threshold_is_accepted() -> None:
    assert SegmentationParams.model_validate(_with({"pca": {"n_components": 2}})).pca == PCASpec(
        n_components=2
    )
    assert (
        SegmentationParams.model_validate(
            _with({"pca": {"variance_threshold": 1.0}})
        ).pca.variance_threshold
        == 1.0
    )


def test_parameters_are_immutable() -> None:
    params = SegmentationParams.model_validate(MINIMAL)
    with pytest.raises(ValidationError, match="frozen"):
        params.select_by = "davies_bouldin"  # type: ignore[misc]
