"""Schema of ``conf/base/parameters_preprocessing.yml``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from roadmap_pipelines.params.base import StrictModel

_FILE = "parameters_preprocessing.yml"

DType = Literal["int", "float", "string", "category", "bool", "datetime"]


class ColumnSpec(StrictModel):
    """What one input column must look like."""

    model_config = ConfigDict(title=f"{_FILE}: a column of preprocessing.tabular.columns")

    dtype: DType
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = Field(default=None, min_length=1)
    date_format: str | None = None

    @model_validator(mode="after")
    def _checks_fit_dtype(self) -> ColumnSpec:
        numeric = self.dtype in ("int", "float")
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"min/max apply to int or float columns, not dtype '{self.dtype}'")
        if self.allowed is not None and self.dtype not in ("string", "category"):
            raise ValueError(f"allowed applies to string or category columns, not '{self.dtype}'")
        if self.date_format is not None and self.dtype != "datetime":
            raise ValueError("date_format applies to datetime columns only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class StringNormalisation(StrictModel):
    """Trim and re-case text before it is checked against the schema."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.normalise_strings")

    columns: list[str] = Field(default_factory=list)
    strip: bool = True
    case: Literal["lower", "upper", "keep"] = "lower"


class Duplicates(StrictModel):
    """Which rows count as duplicates and which copy to keep."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.cleaning.duplicates")

    subset: list[str] | None = None
    keep: Literal["first", "last"] = "first"


class ImputeRule(StrictModel):
    """How to fill one column's missing values (statistics come from the train split)."""

    model_config = ConfigDict(title=f"{_FILE}: a rule of preprocessing.tabular.cleaning.impute")

    strategy: Literal["median", "mean", "most_frequent", "constant"]
    fill_value: float | str | None = None

    @model_validator(mode="after")
    def _constant_needs_value(self) -> ImputeRule:
        if (self.strategy == "constant") != (self.fill_value is not None):
            raise ValueError("fill_value is required with strategy 'constant' and only then")
        return self


class OutlierRule(StrictModel):
    """An outlier rule for one numeric column (bounds come from the train split)."""

    model_config = ConfigDict(title=f"{_FILE}: a rule of preprocessing.tabular.cleaning.outliers")

    method: Literal["iqr", "zscore"]
    threshold: float = Field(gt=0)
    action: Literal["clip", "drop", "flag"]


class Cleaning(StrictModel):
    """Every cleaning step of the tabular input."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.cleaning")

    duplicates: Duplicates = Duplicates()
    drop_rows_missing_over: float | None = Field(default=None, ge=0, le=1)
    drop_columns_missing_over: float | None = Field(default=None, ge=0, le=1)
    impute: dict[str, ImputeRule] = Field(default_factory=dict)
    outliers: dict[str, OutlierRule] = Field(default_factory=dict)


class Split(StrictModel):
    """How to split the cleaned rows into train and test."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.split")

    strategy: Literal["random", "stratified", "group", "time"]
    test_size: float = Field(gt=0, lt=1)
    group_column: str | None = None
    time_column: str | None = None

    @model_validator(mode="after")
    def _strategy_has_its_column(self) -> Split:
        if self.strategy == "group" and self.group_column is None:
            raise ValueError("strategy 'group' needs group_column")
        if self.strategy == "time" and self.time_column is None:
            raise ValueError("strategy 'time' needs time_column")
        return self


class TabularParams(StrictModel):
    """``preprocessing.tabular``: validate, clean and split one table."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular")

    dataset: str = Field(description="catalog name of the input, used in error messages")
    target: str
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    unique_key: list[str] = Field(default_factory=list)
    allow_extra_columns: bool = True
    normalise_strings: StringNormalisation = StringNormalisation()
    cleaning: Cleaning = Cleaning()
    split: Split

    @model_validator(mode="after")
    def _columns_are_declared(self) -> TabularParams:
        declared = set(self.columns)
        referenced = {
            "target": [self.target],
            "unique_key": self.unique_key,
            "normalise_strings.columns": self.normalise_strings.columns,
            "cleaning.duplicates.subset": self.cleaning.duplicates.subset or [],
            "cleaning.impute": list(self.cleaning.impute),
            "cleaning.outliers": list(self.cleaning.outliers),
            "split.group_column": [self.split.group_column] if self.split.group_column else [],
            "split.time_column": [self.split.time_column] if self.split.time_column else [],
        }
        unknown = [
            f"{key}: {column!r}"
            for key, columns in referenced.items()
            for column in columns
            if column not in declared
        ]
        if unknown:
            raise ValueError(
                "columns not declared in columns ("
                + ", ".join(sorted(declared))
                + "): "
                + "; ".join(unknown)
            )
        numeric = {"int", "float"}
        not_numeric = [
            column for column in self.cleaning.outliers if self.columns[column].dtype not in numeric
        ]
        if not_numeric:
            raise ValueError(f"cleaning.outliers needs int or float columns, got {not_numeric}")
        return self


class TimeSeriesParams(StrictModel):
    """``preprocessing.timeseries``: a long table of series made regular."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.timeseries")

    dataset: str = Field(description="catalog name of the input, used in error messages")
    id_column: str
    time_column: str
    value_column: str
    date_format: str | None = None
    frequency: dict[str, str] = Field(
        default_factory=dict, description="pandas frequency per series id; others are inferred"
    )
    season_length: dict[str, int] = Field(
        default_factory=dict, description="periods per season per series id; others follow freq"
    )
    duplicate_timestamps: Literal["first", "last", "mean", "sum"] = "last"
    gap_fill: Literal["interpolate", "ffill", "zero"] = "interpolate"
    min_seasons: int = Field(default=2, ge=1)


class PreprocessingParams(StrictModel):
    """Everything under ``preprocessing:`` in ``parameters_preprocessing.yml``."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing")

    tabular: TabularParams
    timeseries: TimeSeriesParams
