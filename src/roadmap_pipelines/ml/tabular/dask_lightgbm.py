"""LightGBM trained across a Dask cluster (``lightgbm.dask``) on a table no single worker holds.

The table arrives as a Dask DataFrame (one partition a Parquet file or row group). Every
partition is typed on the worker that reads it (``model_frame``): the task's declared numeric
columns as floats, its categorical columns as pandas categories with one category list for
the whole table, a classification target as integer codes. Only these typed partitions stay
in the workers' memory; no process ever holds the whole table. ``lightgbm.dask`` then trains
one model data-parallel: each worker builds LightGBM's histograms from the partitions it
holds and the workers sum them over LightGBM's own sockets.

The test rows are scored partition by partition on the workers; only the target and the
predictions come back, and the metrics are scikit-learn's (``ml.tabular.metrics``), the same
as for the in-memory path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from roadmap_pipelines.errors import InputDataError
from roadmap_pipelines.ml.tabular.metrics import classification_metrics, regression_metrics
from roadmap_pipelines.params.tasks import TaskParams

if TYPE_CHECKING:
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd

Problem = Literal["classification", "regression"]
NUMERIC = ("int", "float", "bool")
CATEGORICAL = ("category",)
PREDICTION = "__prediction__"


@dataclass(frozen=True)
class FeatureSpec:
    """The model's columns: what each is, and the categories of each categorical one.

    Attributes:
        dataset: Catalog name of the table, for messages.
        target: The target column.
        problem: ``classification`` or ``regression``.
        numeric: Numeric feature columns, in declaration order.
        categories: Categorical feature column → its categories (``None``: not known yet).
        classes: Classification: the target's labels, in code order (``None``: not known yet).
    """

    dataset: str
    target: str
    problem: Problem
    numeric: tuple[str, ...]
    categories: dict[str, tuple[Any, ...] | None]
    classes: tuple[Any, ...] | None

    @property
    def features(self) -> list[str]:
        """Every feature column: numeric first, then categorical."""
        return [*self.numeric, *self.categories]


def feature_spec(task: TaskParams, exclude: list[str]) -> FeatureSpec:
    """The features of a task's declared columns: all but the target, its key and ``exclude``.

    Args:
        task: The task's declaration (``tasks.<task>`` in parameters_tasks.yml).
        exclude: Declared columns that are not features.

    Returns:
        The spec; categories declared with ``allowed`` are known, the rest are found later.

    Raises:
        InputDataError: ``exclude`` names an undeclared column, or a feature is declared as
            text or a date (LightGBM takes numbers and categories).
    """
    unknown = sorted(set(exclude) - set(task.columns))
    if unknown:
        raise InputDataError(
            f"modelling_tabular_dask: exclude {unknown} are not columns declared for "
            f"'{task.dataset}' ({sorted(task.columns)})"
        )
    skipped = {task.target, *task.unique_key, *exclude}
    features = {name: spec for name, spec in task.columns.items() if name not in skipped}
    unusable = sorted(
        name for name, spec in features.items() if spec.dtype not in NUMERIC + CATEGORICAL
    )
    if unusable:
        raise InputDataError(
            f"modelling_tabular_dask: columns {unusable} of '{task.dataset}' are declared as text "
            "or dates, which LightGBM cannot take: declare them as category, derive numbers "
            "from them upstream, or list them under exclude"
        )
    target = task.columns[task.target]
    return FeatureSpec(
        dataset=task.dataset,
        target=task.target,
        problem=task.problem,
        numeric=tuple(name for name, spec in features.items() if spec.dtype in NUMERIC),
        categories={
            name: tuple(spec.allowed) if spec.allowed else None
            for name, spec in features.items()
            if spec.dtype in CATEGORICAL
        },
        classes=(
            tuple(target.allowed) if task.problem == "classification" and target.allowed else None
        ),
    )


def with_known_categories(table: dd.DataFrame, spec: FeatureSpec) -> FeatureSpec:
    """Find the categories (and classes) not declared, in one pass over those columns.

    Args:
        table: The whole table.
        spec: The spec from ``feature_spec``.

    Returns:
        The spec with every category list and the classes known, each sorted.

    Raises:
        InputDataError: A feature or the target is missing from the table.
    """
    import dask

    missing = [c for c in [*spec.features, spec.target] if c not in table.columns]
    if missing:
        raise InputDataError(
            f"modelling_tabular_dask: columns {missing} declared for '{spec.dataset}' are "
            f"missing from its table (columns: {list(table.columns)})"
        )
    unknown = [name for name, known in spec.categories.items() if known is None]
    if spec.problem == "classification" and spec.classes is None:
        unknown.append(spec.target)
    found = dask.compute(*(table[name].dropna().unique() for name in unknown))
    values = {name: tuple(sorted(v.tolist())) for name, v in zip(unknown, found, strict=True)}
    categories: dict[str, tuple[Any, ...] | None] = {
        name: known or values[name] for name, known in spec.categories.items()
    }
    classes = values.get(spec.target, spec.classes) if spec.problem == "classification" else None
    return FeatureSpec(spec.dataset, spec.target, spec.problem, spec.numeric, categories, classes)


def check_positive_class(spec: FeatureSpec, positive_class: Any | None) -> None:
    """Binary classification needs ``positive_class`` among the classes, for the metrics.

    Raises:
        InputDataError: It is missing or not one of the classes.
    """
    classes = list(spec.classes or ())
    if spec.problem == "classification" and len(classes) == 2 and positive_class not in classes:
        raise InputDataError(
            f"modelling_tabular_dask: positive_class {positive_class!r} is not one of the "
            f"classes {classes} of '{spec.target}' in '{spec.dataset}'; set it in "
            "parameters_modelling_tabular_dask.yml"
        )


def model_frame(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Type one partition for LightGBM: floats, fixed categories, target codes.

    Args:
        frame: Rows of the table (the target may be absent: rows to predict).
        spec: A spec whose categories and classes are known.

    Returns:
        The features (numeric as float64, categorical with the spec's categories) and, when
        present, the target (classification: codes into ``spec.classes``; regression: float64).

    Raises:
        InputDataError: A categorical value or a label outside the known ones, or a missing
            target.
    """
    import pandas as pd

    columns = {name: frame[name].astype("float64") for name in spec.numeric}
    for name, categories in spec.categories.items():
        columns[name] = _coded(frame[name], categories or (), name, spec.dataset)
    if spec.target in frame.columns:
        target = frame[spec.target]
        if target.isna().any():
            raise InputDataError(
                f"modelling_tabular_dask: target '{spec.target}' of '{spec.dataset}' has "
                "missing values; drop or fill those rows upstream"
            )
        if spec.problem == "classification":
            labels = _coded(target, spec.classes or (), spec.target, spec.dataset)
            columns[spec.target] = labels.cat.codes.astype("int32")
        else:
            columns[spec.target] = target.astype("float64")
    return pd.DataFrame(columns, index=frame.index)


def _coded(values: pd.Series, categories: tuple[Any, ...], name: str, dataset: str) -> pd.Series:
    """``values`` as a categorical of exactly ``categories``; unknown values are an error."""
    import pandas as pd

    unknown = values.notna() & ~values.isin(categories)
    if unknown.any():
        examples = sorted(map(str, pd.unique(values[unknown])))[:5]
        raise InputDataError(
            f"modelling_tabular_dask: column '{name}' of '{dataset}' has values {examples} "
            "outside its categories; add them to allowed in parameters_tasks.yml"
        )
    return values.astype(pd.CategoricalDtype(list(categories)))


def typed_table(table: dd.DataFrame, spec: FeatureSpec) -> dd.DataFrame:
    """``model_frame`` on every partition, lazily (each worker types what it reads)."""
    meta = model_frame(table._meta, spec)
    return table.map_partitions(model_frame, spec, meta=meta)


def split_table(
    table: dd.DataFrame, test_size: float, random_state: int
) -> tuple[dd.DataFrame, dd.DataFrame]:
    """Train and test rows: each partition's rows drawn at random with the seed.

    Args:
        table: The typed table.
        test_size: Share of rows held out.
        random_state: The seed.

    Returns:
        The train rows and the test rows (lazy).
    """
    train, test = table.random_split([1 - test_size, test_size], random_state=random_state)
    return train, test


def fit_lightgbm(
    train: dd.DataFrame,
    spec: FeatureSpec,
    params: dict[str, Any],
    random_state: int,
    client: Any,
) -> TrainedLightGBM:
    """Train one LightGBM model data-parallel over the workers holding ``train``.

    Args:
        train: The typed train rows.
        spec: The spec they were typed with.
        params: LightGBM's parameters.
        random_state: The seed.
        client: A ``distributed.Client`` of the cluster.

    Returns:
        The model, as a plain (in-memory) LightGBM estimator with its spec.
    """
    import lightgbm.dask as lgb_dask

    estimator_class = (
        lgb_dask.DaskLGBMClassifier
        if spec.problem == "classification"
        else lgb_dask.DaskLGBMRegressor
    )
    estimator = estimator_class(
        client=client, random_state=random_state, deterministic=True, verbose=-1, **params
    )
    estimator.fit(train[spec.features], train[spec.target])
    return TrainedLightGBM(spec, estimator.to_local())


@dataclass(frozen=True)
class TrainedLightGBM:
    """A LightGBM model trained on typed rows, predicting from the table's own columns.

    Attributes:
        spec: The columns and categories it was trained with.
        model: The fitted ``LGBMClassifier`` or ``LGBMRegressor``.
    """

    spec: FeatureSpec
    model: Any

    @property
    def classes_(self) -> list[Any]:
        """The class labels, in the order of ``predict_proba``'s columns."""
        return list(self.spec.classes or ())

    def predictions(self, typed: pd.DataFrame) -> pd.DataFrame:
        """The target, prediction and (classification) class probabilities of typed rows."""
        import numpy as np
        import pandas as pd

        features = typed[self.spec.features]
        out: dict[str, Any] = {self.spec.target: typed[self.spec.target].to_numpy()}
        if self.spec.problem == "classification":
            codes = self.model.classes_.astype(int)
            probabilities = np.zeros((len(typed), len(self.classes_)))
            if len(typed):
                probabilities[:, codes] = self.model.predict_proba(features)
            for code in range(len(self.classes_)):
                out[f"{PREDICTION}{code}"] = probabilities[:, code]
            out[PREDICTION] = probabilities.argmax(axis=1) if len(typed) else np.zeros(0, int)
        else:
            out[PREDICTION] = self.model.predict(features) if len(typed) else np.zeros(0)
        return pd.DataFrame(out, index=typed.index)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted labels (or values) for rows of the table, target column not needed."""
        import numpy as np

        typed = model_frame(frame.drop(columns=[self.spec.target], errors="ignore"), self.spec)
        features = typed[self.spec.features]
        if self.spec.problem == "regression":
            return self.model.predict(features)
        codes = self.model.predict(features).astype(int)
        return np.asarray(self.classes_, dtype=object)[codes]


def evaluate(
    model: TrainedLightGBM,
    test: dd.DataFrame,
    metrics: list[str],
    positive_class: Any | None,
) -> dict[str, float]:
    """Score the model on the test rows: predictions on the workers, metrics in the driver.

    Args:
        model: The trained model.
        test: The typed test rows.
        metrics: Metric names to report.
        positive_class: Binary classification: the class precision/recall/F1 score.

    Returns:
        Metric name → value.
    """
    import numpy as np

    spec = model.spec
    meta = model.predictions(test._meta)
    scored = test.map_partitions(model.predictions, meta=meta).compute()
    if spec.problem == "regression":
        values = regression_metrics(scored[spec.target], scored[PREDICTION])
    else:
        labels = np.asarray(model.classes_, dtype=object)
        probabilities = scored[[f"{PREDICTION}{c}" for c in range(len(labels))]].to_numpy()
        positive = positive_class if len(labels) == 2 else None
        check_positive_class(spec, positive)
        values = classification_metrics(
            labels[scored[spec.target].to_numpy()],
            labels[scored[PREDICTION].to_numpy()],
            probabilities,
            list(labels),
            positive,
        )
    return {name: values[name] for name in metrics}
