"""modelling_tabular_dask without a cluster: configuration and data checks, typing, wiring.

The training itself runs on a real cluster in tests/ml/tabular/test_dask_lightgbm_cluster.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.dask_lightgbm import (
    check_positive_class,
    feature_spec,
    model_frame,
    with_known_categories,
)
from roadmap_pipelines.params.modelling_tabular_dask import DaskTabularModelling
from roadmap_pipelines.params.tasks import TaskParams
from roadmap_pipelines.pipelines.modelling_tabular_dask import pipeline as dask_pipeline
from roadmap_pipelines.pipelines.modelling_tabular_dask.nodes import (
    DaskEngineError,
    split_dask_table,
)
from roadmap_pipelines.project.tasks import TaskConfigError

CONF = Path(__file__).resolve().parents[3] / "conf" / "base"


def _task(**changes) -> TaskParams:
    declaration = {
        "dataset": "orders.tabular_dask",
        "target": "label",
        "problem": "classification",
        "columns": {
            "amount": {"dtype": "float"},
            "count": {"dtype": "int"},
            "flag": {"dtype": "bool"},
            "shop": {"dtype": "category", "allowed": ["north", "south"]},
            "colour": {"dtype": "category"},
            "order_id": {"dtype": "int"},
            "label": {"dtype": "category"},
        },
        "unique_key": ["order_id"],
    }
    return TaskParams.model_validate(declaration | changes)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": [1.5, 2.5, np.nan, 4.0],
            "count": [1, 2, 3, 4],
            "flag": [True, False, True, False],
            "shop": ["north", "south", None, "north"],
            "colour": ["red", "blue", "red", "green"],
            "order_id": [10, 11, 12, 13],
            "label": ["b", "a", "b", "a"],
        }
    )


def test_features_are_the_declared_columns_but_target_key_and_exclude() -> None:
    spec = feature_spec(_task(), exclude=["flag"])

    assert spec.numeric == ("amount", "count")
    assert spec.categories == {"shop": ("north", "south"), "colour": None}
    assert spec.classes is None and spec.target == "label"


def test_undeclared_categories_and_classes_are_found_sorted_in_one_pass() -> None:
    import dask.dataframe as dd

    table = dd.from_pandas(_table(), npartitions=2)
    spec = with_known_categories(table, feature_spec(_task(), exclude=[]))

    assert spec.categories == {"shop": ("north", "south"), "colour": ("blue", "green", "red")}
    assert spec.classes == ("a", "b")


def test_a_partition_is_typed_with_the_tables_categories_and_target_codes() -> None:
    import dask.dataframe as dd

    spec = with_known_categories(dd.from_pandas(_table(), npartitions=1), feature_spec(_task(), []))
    typed = model_frame(_table().iloc[2:], spec)  # a partition that lacks "blue"

    assert list(typed.columns) == ["amount", "count", "flag", "shop", "colour", "label"]
    assert typed["amount"].dtype == "float64" and np.isnan(typed["amount"].iloc[0])
    assert typed["flag"].tolist() == [1.0, 0.0]
    assert list(typed["colour"].cat.categories) == ["blue", "green", "red"]
    assert typed["colour"].cat.codes.tolist() == [2, 1]
    assert typed["shop"].isna().tolist() == [True, False]  # missing stays missing
    assert typed["label"].tolist() == [1, 0]  # codes into ("a", "b")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shop": ["north", "east"]}, "column 'shop' of 'orders.tabular_dask' has values ['east']"),
        ({"label": ["a", None]}, "target 'label' of 'orders.tabular_dask' has missing values"),
    ],
)
def test_bad_rows_name_the_column_and_the_values(change, message) -> None:
    import dask.dataframe as dd

    spec = with_known_categories(dd.from_pandas(_table(), npartitions=1), feature_spec(_task(), []))
    rows = _table().iloc[:2].assign(**change)

    with pytest.raises(InputDataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        model_frame(rows, spec)


def test_text_or_date_features_and_unknown_exclusions_are_refused() -> None:
    task = _task(columns=_task().columns | {"note": {"dtype": "string"}})

    with pytest.raises(InputDataError, match=r"columns \['note'\] .* list them under exclude"):
        feature_spec(task, [])
    assert "note" not in feature_spec(task, ["note"]).features
    with pytest.raises(InputDataError, match=r"exclude \['nope'\]"):
        feature_spec(_task(), ["nope"])


def test_a_binary_task_needs_its_positive_class() -> None:
    import dask.dataframe as dd

    spec = with_known_categories(dd.from_pandas(_table(), npartitions=1), feature_spec(_task(), []))
    check_positive_class(spec, "b")
    with pytest.raises(InputDataError, match=r"positive_class 'c' is not one of the classes"):
        check_positive_class(spec, "c")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"metrics": ["auc"]}, "unknown metrics ['auc']"),
        ({"metrics": ["rmse"], "params": {"n_jobs": 2}}, "params may not set ['n_jobs']"),
        ({"metrics": ["rmse"], "test_size": 1.0}, "less than 1"),
        ({"metrics": ["rmse"], "splits": 3}, "Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_name_the_file(raw, message) -> None:
    with pytest.raises(ValidationError) as error:
        DaskTabularModelling.model_validate(raw)

    assert "parameters_modelling_tabular_dask.yml" in str(error.value)
    assert message in str(error.value)


def test_without_a_cluster_the_first_node_says_how_to_get_one() -> None:
    import dask.dataframe as dd

    params = DaskTabularModelling.model_validate({"metrics": ["accuracy"]})
    with pytest.raises(DaskEngineError, match="set execution.engine: dask"):
        split_dask_table(dd.from_pandas(_table(), npartitions=1), params, _task(), 0)


def test_metrics_must_suit_the_problem(monkeypatch) -> None:
    import dask.dataframe as dd

    monkeypatch.setattr(
        "roadmap_pipelines.pipelines.modelling_tabular_dask.nodes.cluster_client", lambda: None
    )
    params = DaskTabularModelling.model_validate({"metrics": ["rmse"]})
    with pytest.raises(InputDataError, match=r"metrics \['rmse'\] do not apply to classification"):
        split_dask_table(dd.from_pandas(_table(), npartitions=1), params, _task(), 0)


def test_the_shipped_configuration_asks_for_no_task() -> None:
    raw = yaml.safe_load((CONF / "parameters_modelling_tabular_dask.yml").read_text())

    assert raw == {"modelling_tabular_dask": {}}


def test_only_the_tasks_with_a_block_get_the_pipeline(monkeypatch) -> None:
    monkeypatch.setattr(dask_pipeline, "current_tasks", lambda: ("small", "big"))
    blocks = {"modelling_tabular_dask": {"big": {"metrics": ["rmse"]}}}
    monkeypatch.setattr(dask_pipeline, "configured_parameters", lambda: blocks)

    built = dask_pipeline.create_pipeline()

    assert {node.namespace for node in built.nodes} == {"big"}
    assert built.inputs() == {
        "big.tabular_dask",
        "params:modelling_tabular_dask.big",
        "params:tasks.big",
        "params:random_state",
    }
    assert built.outputs() == {"big.dask_test_metrics"}
    assert "big.dask_model" in built.all_outputs()

    blocks["modelling_tabular_dask"]["typo"] = {"metrics": ["rmse"]}
    with pytest.raises(TaskConfigError, match=r"block\(s\) \['typo'\] for task\(s\) not in"):
        dask_pipeline.create_pipeline()


def test_kedro_can_resolve_the_node_hints_it_validates_parameters_with() -> None:
    """Kedro validates ``params:`` inputs from resolved type hints; one it cannot resolve
    (a name imported only for type checkers) silently hands the node raw dictionaries."""
    import typing

    from roadmap_pipelines.pipelines.modelling_tabular_dask import nodes

    hints = typing.get_type_hints(nodes.split_dask_table)
    assert hints["params"] is DaskTabularModelling and hints["task"] is TaskParams
    for node in (nodes.train_dask_lightgbm, nodes.evaluate_dask_model):
        assert typing.get_type_hints(node)["params"] is DaskTabularModelling
