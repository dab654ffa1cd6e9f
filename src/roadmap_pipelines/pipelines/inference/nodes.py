"""Score a raw batch with the deployable scorer (``roadmap_pipelines.ml.tabular.scoring``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_pipelines.ml.tabular.model_file import check_loaded_model
from roadmap_pipelines.ml.tabular.scoring import Scorer
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.inference import InferenceParams
from roadmap_pipelines.params.preprocessing import TabularParams, TabularPreprocessing
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import pandas as pd
else:
    from roadmap_pipelines.hint_stand_ins import pd

_COLUMNS_KEY = "parameters_tasks.yml: tasks.<task>.columns"


def score_batch(  # noqa: PLR0913 - one input per training artifact and parameter block
    batch: pd.DataFrame,
    model: Any,
    cleaning_rules: dict[str, Any],
    model_metadata: dict[str, Any],
    task: TaskParams,
    preprocessing: TabularPreprocessing,
    features: FeatureParams,
    params: InferenceParams,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate, clean, featurise and predict a raw batch exactly as training did.

    Args:
        batch: ``<task>.inference_input``, rows as a source delivers them.
        model: ``<task>.model``.
        cleaning_rules: ``<task>.cleaning_rules``.
        model_metadata: ``<task>.model_metadata`` (content hash, metrics, versions).
        task: The task's declaration, ``tasks.<task>`` (target, problem, columns).
        preprocessing: The task's ``preprocessing.tabular.<task>`` (normalisation, cleaning).
        features: The task's ``feature_engineering.<task>``.
        params: The task's ``inference.<task>``.

    Returns:
        Predictions (``row_id``, ``predicted``, ``proba_<class>``, ``model_version``), the
        valid rows as validated (for monitoring) and the rejected rows with their reasons.

    Raises:
        ModelFileError: If the model is not the one its metadata describes.
        InputDataError: If rows are invalid and ``on_invalid`` is ``fail``.
    """
    tabular = TabularParams.combine(task, preprocessing)
    check_loaded_model(model, model_metadata.get("model_sha256"), tabular.dataset)
    scorer = Scorer(
        task=tabular.dataset,
        tabular=tabular,
        features=features,
        problem=task.problem,
        cleaning_rules=cleaning_rules,
        model=model,
        metadata=model_metadata,
        params_key=_COLUMNS_KEY,
    )
    scored = scorer.score(batch, params.id_column, params.on_invalid)
    return scored.predictions, scored.rows, scored.rejects
