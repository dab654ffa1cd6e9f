"""The tree models' fast path: hand the declared columns over as they are, categories native.

LightGBM and scikit-learn's histogram gradient boosting split on missing values and on
pandas categories themselves, so imputing, scaling and one-hot encoding in front of them costs
time and memory and can only lose information. ``NativeColumns`` passes the numeric columns on
in their own dtype (missing values stay missing), turns each categorical column into a pandas
category whose levels are frozen at ``fit`` (learnt on the fold's training rows only, so
nothing leaks and a level unseen in training becomes missing), and gives a declared ordinal
order as codes.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from roadmap_pipelines.params.feature_engineering import Transform

# LightGBM rewrites these characters in feature names, after which scikit-learn's check that
# the names at predict time match those at fit time fails.
_UNSAFE_IN_NAMES = re.compile(r"[\s\"',:\[\]{}]")


def safe_feature_name(name: str) -> str:
    """``name`` with the characters LightGBM rewrites replaced by ``_``."""
    return _UNSAFE_IN_NAMES.sub("_", name)


class NativeColumns(TransformerMixin, BaseEstimator):
    """Select the declared columns and type them for estimators that handle them natively.

    Args:
        numeric: Columns passed on as they are (text parsed as numbers), missing values kept.
            Both estimators turn them into floats while building their own matrix (the same
            floats as a float64 copy would hold), so a copy here would only hold memory: a
            nullable ``Int64`` column of a million rows is 8 MiB more for the whole fit.
        categorical: Columns passed on as pandas categories with the levels seen in ``fit``.
        ordered: Column → its labels low to high, passed on as their position (float64;
            unknown and missing labels become NaN).
    """

    def __init__(
        self,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        ordered: dict[str, list[str]] | None = None,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.ordered = ordered

    def fit(self, X: pd.DataFrame, y: Any = None) -> NativeColumns:  # noqa: N803 - sklearn
        """Learn each categorical column's levels from these (training) rows.

        Raises:
            ValueError: If ``X`` is not a DataFrame or lacks a declared column.
        """
        self._check_columns(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = {column: _levels(X[column]) for column in self.categorical or []}
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803 - sklearn
        """The declared columns, numeric as they are and categorical with the frozen levels."""
        check_is_fitted(self, "categories_")
        self._check_columns(X)
        columns: dict[str, Any] = {}
        for column in self.numeric or []:
            values = X[column]
            if not pd.api.types.is_numeric_dtype(values):
                values = pd.to_numeric(values)
            # the input's own array (no copy): the estimator converts it to float itself
            columns[column] = values.array
        for column, order in (self.ordered or {}).items():
            codes = pd.Index(order).get_indexer(X[column].astype("string"))
            columns[column] = np.where(codes < 0, np.nan, codes.astype("float64"))
        for column, levels in self.categories_.items():
            # codes -1 (missing, or a level training never saw) read as missing
            columns[column] = pd.Categorical.from_codes(
                levels.get_indexer(X[column]), categories=levels
            )
        # copy=False keeps one block per column: consolidating them into one 2-D block would
        # copy every row once more (about a tenth of the peak memory of a fit at 1M rows), and
        # LightGBM and HistGradientBoosting read the columns one by one anyway
        frame = pd.DataFrame(columns, index=X.index, copy=False)
        frame.columns = self.get_feature_names_out()
        return frame

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output names: numeric, then ordered, then categorical columns, LightGBM-safe."""
        names = [*(self.numeric or []), *(self.ordered or {}), *(self.categorical or [])]
        return np.asarray([safe_feature_name(name) for name in names], dtype=object)

    def _check_columns(self, X: Any) -> None:  # noqa: N803
        if not isinstance(X, pd.DataFrame):
            raise ValueError(f"NativeColumns needs a pandas DataFrame, got {type(X).__name__}")
        declared = [*(self.numeric or []), *(self.ordered or {}), *(self.categorical or [])]
        missing = [column for column in declared if column not in X.columns]
        if missing:
            raise ValueError(f"NativeColumns: columns {missing} are not in the input")


def _levels(values: pd.Series) -> pd.Index:
    """The sorted distinct non-missing labels of ``values`` (a category's own, if it has some)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = values.cat.remove_unused_categories().cat.categories
        return pd.Index(present)
    return pd.Index(pd.unique(values.dropna())).sort_values()


def build_native_preprocessor(transform: Transform) -> Pipeline:
    """The fast-path preprocessor of a task's transform groups: no imputation or encoding.

    Numeric groups pass through (their imputers, polynomial terms and scalers are skipped),
    ordinal groups with a declared order become codes, and every other categorical group
    becomes pandas categories. The selectors are skipped too: trees choose their own splits.

    Args:
        transform: The task's ``feature_engineering.<task>.transform`` groups.

    Returns:
        ``Pipeline([("native", NativeColumns(...))])``, unfitted.
    """
    numeric = [column for group in transform.numeric for column in group.columns]
    ordered = {
        column: group.categories[column]
        for group in transform.categorical
        if group.encoder == "ordinal" and group.categories
        for column in group.columns
    }
    categorical = [
        column
        for group in transform.categorical
        for column in group.columns
        if column not in ordered
    ]
    return Pipeline([("native", NativeColumns(numeric, categorical, ordered))])
