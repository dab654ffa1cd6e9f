"""The deployable scorer of one tabular task: raw rows in, the training run's predictions out.

It applies, in the order training did, the library functions the training pipelines call:
string normalisation and schema validation (``ml.data.tabular_cleaning``), the cleaning rules
fitted on the train split (``cleaning_rules.json``), the row-wise features
(``ml.features.row_features``) and the fitted model (``model.pkl``: feature preprocessor and
estimator). Nothing here re-implements a step, so a scored row gets exactly the numbers the
same row got as a test row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.data.table_schema import row_failures
from roadmap_pipelines.ml.data.tabular_cleaning import (
    apply_cleaning_rules,
    check_declared,
    normalise_strings,
)
from roadmap_pipelines.ml.features.row_features import create_features, created_feature_names
from roadmap_pipelines.ml.tabular.prediction import predict
from roadmap_pipelines.params.feature_engineering import FeatureParams
from roadmap_pipelines.params.preprocessing import ColumnSpec, DType, TabularParams

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

OnInvalid = Literal["fail", "reject"]
REJECT_COLUMNS = ["row_id", "column", "check", "value"]
_SPLIT = "scoring"  # any split but train: apply_cleaning_rules never drops a scored row


@dataclass(frozen=True)
class Scored:
    """What scoring a batch gives.

    Attributes:
        predictions: One row per valid input row, in input order.
        rows: The valid rows as validated (declared dtypes, before cleaning), with ``row_id``
            first: what monitoring compares with the training reference.
        rejects: One row per failing check of a rejected row.
    """

    predictions: pd.DataFrame
    rows: pd.DataFrame
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))


@dataclass(frozen=True)
class Scorer:
    """Everything a training run wrote that scoring a raw row needs.

    Attributes:
        task: The task's name.
        tabular: Its tabular (schema, normalisation, cleaning) parameters.
        features: Its ``feature_engineering`` parameters (row-wise features).
        problem: ``classification`` or ``regression``.
        cleaning_rules: ``cleaning_rules.json`` of the training run.
        model: The fitted pipeline of ``model.pkl``.
        metadata: ``model_metadata.json`` of the training run.
        params_key: Where the columns are declared, for error messages.
    """

    task: str
    tabular: TabularParams
    features: FeatureParams
    problem: Literal["classification", "regression"]
    cleaning_rules: dict[str, Any]
    model: Any
    metadata: dict[str, Any]
    params_key: str = "the task's declared columns"

    @property
    def version(self) -> dict[str, Any]:
        """The model's version: content hash, training-data hash, metrics, package versions."""
        meta = self.metadata
        return {
            "task": self.task,
            "model_version": str(meta.get("model_sha256", ""))[:12],
            "model_sha256": meta.get("model_sha256"),
            "training_data_sha256": meta.get("training_data_sha256"),
            "training_rows": meta.get("training_rows"),
            "estimator": meta.get("estimator"),
            "candidate": meta.get("candidate"),
            "problem": meta.get("problem"),
            "target": meta.get("target"),
            "classes": meta.get("classes", []),
            "cv_metrics": meta.get("cv", {}),
            "test_metrics": meta.get("test", {}),
            "libraries": meta.get("libraries", {}),
            "python": meta.get("python"),
        }

    def declared_columns(self) -> dict[str, ColumnSpec]:
        """The declared columns a row to score is checked against: all but the target."""
        target = self.tabular.target
        return {name: spec for name, spec in self.tabular.columns.items() if name != target}

    def undeclared_inputs(self) -> dict[str, str]:
        """Raw columns the model reads that the schema does not declare, with training dtypes.

        A task with ``allow_extra_columns`` passes such columns through unchecked; scoring
        gives them their training dtype before the model sees them.
        """
        derived = set(created_feature_names(self.features)) | {
            f"{name}_outlier"
            for name, rule in self.cleaning_rules["outliers"].items()
            if rule["action"] == "flag"
        }
        known = set(self.tabular.columns) | derived
        return {
            name: dtype
            for name, dtype in self.metadata.get("input_features", {}).items()
            if name not in known
        }

    def input_columns(self) -> dict[str, ColumnSpec]:
        """Every raw column a row to score must have, with its spec (for request models).

        Returns:
            The declared columns but the target, then the undeclared model inputs as
            nullable columns of their training dtype.
        """
        columns = self.declared_columns()
        for name, dtype in self.undeclared_inputs().items():
            columns[name] = ColumnSpec(dtype=_spec_dtype(dtype))
        return columns

    def score(
        self, raw: pd.DataFrame, id_column: str | None = None, on_invalid: OnInvalid = "fail"
    ) -> Scored:
        """Score raw rows as training scored its test rows.

        Args:
            raw: Rows as a source delivers them (text, numbers; the target may be present).
            id_column: Column identifying a row; ``None`` numbers rows by batch position.
            on_invalid: ``fail`` raises on any invalid row; ``reject`` scores the valid rows
                and returns the others with the failing column, check and value.

        Returns:
            ``row_id``, ``predicted``, ``proba_<class>`` for classifiers, and ``model_version``
            per valid row (in input order); the rejected rows.

        Raises:
            InputDataError: If rows are invalid and ``on_invalid`` is ``fail`` (naming rows,
                columns and checks), or a column is missing from the whole batch.
        """
        import pandas as pd

        if id_column is not None and id_column not in raw.columns:
            raise InputDataError(
                f"Task '{self.task}': id column '{id_column}' is not in the batch; columns: "
                f"{sorted(map(str, raw.columns))}"
            )
        raw = raw.reset_index(drop=True)
        row_ids = raw[id_column] if id_column is not None else pd.Series(raw.index)
        columns = self._checked_columns(raw)
        normalised, _ = normalise_strings(raw, self.tabular)
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)
        if on_invalid == "reject":
            failures = row_failures(normalised, columns, self.tabular.allow_extra_columns)
            if failures is None:  # the batch as a whole fails (a missing column): say how
                self._validate(normalised, columns)
            # _validate raised for the batch-level failure, so per-row failures remain
            assert failures is not None
            bad = sorted(set(failures["row"]))
            rejects = failures.assign(row_id=row_ids.loc[failures["row"]].to_numpy())
            rejects = rejects[REJECT_COLUMNS].reset_index(drop=True)
            normalised, row_ids = normalised.drop(index=bad), row_ids.drop(index=bad)
            if normalised.empty:
                rows = pd.DataFrame(columns=["row_id", *normalised.columns])
                return Scored(self._empty_predictions(), rows, rejects)
        validated = self._validate(normalised, columns).reset_index(drop=True)
        row_ids = row_ids.to_numpy()
        rows = pd.concat([pd.DataFrame({"row_id": row_ids}), validated], axis=1)
        return Scored(self._predict(validated, row_ids), rows, rejects)

    def _checked_columns(self, raw: pd.DataFrame) -> dict[str, ColumnSpec]:
        columns = self.declared_columns()
        target = self.tabular.target
        if target in raw.columns:  # labels arrived with the batch: checked, never required
            spec = self.tabular.columns[target]
            columns[target] = spec.model_copy(update={"nullable": True})
        return columns

    def _validate(
        self, normalised: pd.DataFrame, columns: Mapping[str, ColumnSpec]
    ) -> pd.DataFrame:
        return check_declared(normalised, self.tabular, columns, self.params_key)

    def _predict(self, validated: pd.DataFrame, row_ids: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        cleaned, _ = apply_cleaning_rules(
            validated, self.cleaning_rules, self.tabular.dataset, _SPLIT
        )
        features = create_features(cleaned, self.features, self.tabular)
        inputs = list(self.model.feature_names_in_)
        missing = sorted(set(inputs) - set(features.columns))
        if missing:
            raise InputDataError(
                f"Task '{self.task}': the model reads column(s) {missing}, which the batch "
                "does not have."
            )
        for name, dtype in self.undeclared_inputs().items():
            features[name] = _as_training_dtype(features[name], dtype)
        predicted, probabilities = predict(self.model, features[inputs], self.problem)
        predictions = pd.DataFrame({"row_id": row_ids, "predicted": predicted})
        if probabilities is not None:
            for position, label in enumerate(self.model.classes_):
                predictions[f"proba_{label}"] = probabilities[:, position]
        predictions["model_version"] = self.version["model_version"]
        return predictions

    def _empty_predictions(self) -> pd.DataFrame:
        import pandas as pd

        columns = ["row_id", "predicted"]
        if self.problem == "classification":
            columns += [f"proba_{label}" for label in self.model.classes_]
        return pd.DataFrame(columns=[*columns, "model_version"])


def _as_training_dtype(values: pd.Series, dtype: str) -> pd.Series:
    """An undeclared column in the dtype it had in training (JSON gives ints, None, objects)."""
    import pandas as pd

    if dtype.startswith(("int", "uint", "float")):
        numbers = pd.to_numeric(values, errors="coerce")
        return numbers.astype("float64") if numbers.isna().any() else numbers.astype(dtype)
    return values.astype(dtype)


def _spec_dtype(dtype: str) -> DType:
    """The declared dtype closest to a pandas dtype name of ``model_metadata.json``."""
    if dtype.lower().startswith(("int", "uint")):
        return "int"
    if dtype.startswith("float"):
        return "float"
    if dtype in {"bool", "boolean"}:
        return "bool"
    if dtype.startswith("datetime"):
        return "datetime"
    return "string"
