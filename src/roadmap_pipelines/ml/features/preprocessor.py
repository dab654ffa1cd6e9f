"""Build the feature preprocessor, an unfitted scikit-learn ``Pipeline``, from its YAML spec.

The preprocessor is a *specification*: modelling puts it in front of each estimator, so
cross-validation and search fit it inside every fold on the fold's training rows only, and
the saved model carries exactly the transforms it was trained with (the leakage rule).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import (
    SelectFromModel,
    SelectKBest,
    VarianceThreshold,
    mutual_info_classif,
    mutual_info_regression,
)
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from roadmap_pipelines.ml.features.correlation_filter import CorrelationFilter
from roadmap_pipelines.ml.features.native import safe_feature_name
from roadmap_pipelines.params.feature_engineering import (
    CategoricalGroup,
    FeatureParams,
    ModelImportance,
    NumericGroup,
    Selection,
)

Problem = Literal["classification", "regression"]
PROBLEMS: tuple[Problem, ...] = ("classification", "regression")

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_MISSING_LABEL = "missing"


def build_preprocessor(params: FeatureParams, problem: Problem, random_state: int) -> Pipeline:
    """Assemble the transforms and selectors of ``params`` into one unfitted pipeline.

    Args:
        params: One task's ``feature_engineering.<task>`` parameters.
        problem: ``classification`` or ``regression``; picks the mutual-information score and
            the importance model.
        random_state: Seed of every random step (mutual information, target encoding, models).

    Returns:
        ``Pipeline([("transform", ColumnTransformer), <selectors>…])`` with pandas output, so
        feature names stay readable (``Age``, ``Home_rent``, ``Age Income``).

    Raises:
        ValueError: If ``problem`` is not one of ``PROBLEMS``.
    """
    if problem not in PROBLEMS:
        raise ValueError(
            f"parameters_tasks.yml: tasks.<task>.problem must be one of {list(PROBLEMS)}, "
            f"got {problem!r}"
        )
    transformers = (
        [
            (f"numeric_{index}", _numeric(group), group.columns)
            for index, group in enumerate(params.transform.numeric, start=1)
        ]
        + [
            (f"{group.encoder}_{index}", _categorical(group, problem, random_state), group.columns)
            for index, group in enumerate(params.transform.categorical, start=1)
        ]
        + [
            (f"text_{index}_{column}", TextTfidf(**group.model_dump(exclude={"columns"})), [column])
            for index, group in enumerate(params.transform.text, start=1)
            for column in group.columns
        ]
    )
    steps = [
        (
            "transform",
            ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False),
        ),
        *_selectors(params.selection, problem, random_state),
    ]
    return Pipeline(steps).set_output(transform="pandas")


def onehot_feature_name(column: str, label: object) -> str:
    """Name a one-hot column ``<column>_<label>``, with characters LightGBM rewrites as ``_``."""
    return safe_feature_name(f"{column}_{label}")


def _numeric(group: NumericGroup) -> Pipeline | str:
    steps = []
    if group.impute is not None:
        strategy = "constant" if group.impute == "zero" else group.impute
        steps.append(("impute", SimpleImputer(strategy=strategy, fill_value=0)))
    if group.polynomial is not None:
        polynomial = PolynomialFeatures(
            degree=group.polynomial.degree,
            interaction_only=group.polynomial.interaction_only,
            include_bias=False,
        )
        steps.append(("polynomial", polynomial))
    if group.scaler != "none":
        steps.append(("scale", _SCALERS[group.scaler]()))
    return Pipeline(steps) if steps else "passthrough"


def _categorical(group: CategoricalGroup, problem: Problem, random_state: int) -> Pipeline:
    steps = []
    if group.impute is not None:
        imputer = SimpleImputer(strategy=group.impute, fill_value=_MISSING_LABEL)
        steps.append(("impute", imputer))
    if group.encoder == "onehot":
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist" if group.min_frequency else "ignore",
            min_frequency=group.min_frequency,
            sparse_output=False,
            feature_name_combiner=onehot_feature_name,
        )
    elif group.encoder == "ordinal":
        categories = (
            [group.categories[column] for column in group.columns] if group.categories else "auto"
        )
        encoder = OrdinalEncoder(
            categories=categories,
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            encoded_missing_value=-1,
        )
    else:
        # "auto" would take a whole-number price for class labels
        target_type = "continuous" if problem == "regression" else "auto"
        folds = (StratifiedKFold if problem == "classification" else KFold)(
            n_splits=group.target_folds, shuffle=True, random_state=random_state
        )
        encoder = TargetEncoder(target_type=target_type, cv=folds)
    steps.append(("encode", encoder))
    return Pipeline(steps)


def _selectors(
    selection: Selection, problem: Problem, random_state: int
) -> list[tuple[str, object]]:
    steps: list[tuple[str, object]] = []
    if selection.variance_threshold is not None:
        steps.append(("variance_threshold", VarianceThreshold(selection.variance_threshold)))
    if selection.correlation_threshold is not None:
        steps.append(("correlation_filter", CorrelationFilter(selection.correlation_threshold)))
    if selection.mutual_information is not None:
        score = mutual_info_classif if problem == "classification" else mutual_info_regression
        selector = SelectKBest(
            partial(score, random_state=random_state), k=selection.mutual_information.k
        )
        steps.append(("mutual_information", selector))
    if selection.model_importance is not None:
        importance = selection.model_importance
        selector = SelectFromModel(
            _importance_model(importance, problem, random_state),
            max_features=importance.k,
            threshold=-np.inf,
        )
        steps.append(("model_importance", selector))
    return steps


def _importance_model(importance: ModelImportance, problem: Problem, random_state: int):
    if importance.estimator == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        model = LGBMClassifier if problem == "classification" else LGBMRegressor
        return model(
            n_estimators=importance.n_estimators,
            random_state=random_state,
            deterministic=True,
            force_row_wise=True,
            n_jobs=1,
            verbose=-1,
        )
    from sklearn.linear_model import Lasso, LogisticRegression

    if problem == "classification":
        return LogisticRegression(
            C=importance.strength,
            l1_ratio=1.0,
            solver="saga",
            max_iter=importance.max_iter,
            random_state=random_state,
        )
    return Lasso(
        alpha=1.0 / importance.strength, max_iter=importance.max_iter, random_state=random_state
    )


class TextTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF term weights of one free-text column, as dense ``<column>__<term>`` features.

    ``TfidfVectorizer`` takes a 1-D sequence of strings and returns a sparse matrix; the
    preprocessor hands over one-column frames and keeps pandas output, so this wraps it: missing
    text counts as empty, and the columns are named after the source column and the term.
    """

    def __init__(
        self,
        max_features: int = 200,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int = 1,
        lowercase: bool = True,
        stop_words: str | None = None,
    ) -> None:
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.lowercase = lowercase
        self.stop_words = stop_words

    def _text(self, frame: Any) -> list[str]:
        column = pd.DataFrame(frame).iloc[:, 0]
        return column.astype("string").fillna("").tolist()

    def fit(self, frame: Any, y: Any = None) -> TextTfidf:
        """Learn the vocabulary and inverse document frequencies from the training rows."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.column_ = str(frame.columns[0]) if hasattr(frame, "columns") else "text"
        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            lowercase=self.lowercase,
            stop_words=self.stop_words,
        ).fit(self._text(frame))
        return self

    def transform(self, frame: Any) -> Any:
        """The term weights of each row, dense."""
        return self.vectorizer_.transform(self._text(frame)).toarray()

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """``<column>__<term>`` for every kept term."""
        terms = self.vectorizer_.get_feature_names_out()
        return np.array([safe_feature_name(f"{self.column_}__{term}") for term in terms])
