"""Schema of ``conf/base/parameters_preprocessing.yml``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, PositiveInt, field_validator, model_validator

from roadmap_pipelines.params.base import StrictModel

if TYPE_CHECKING:
    from roadmap_pipelines.params.tasks import TaskParams

_FILE = "parameters_preprocessing.yml"

DType = Literal["int", "float", "string", "category", "bool", "datetime"]


class ColumnSpec(StrictModel):
    """What one input column must look like."""

    model_config = ConfigDict(title="parameters_tasks.yml: a column of tasks.<task>.columns")

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

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.<task>.normalise_strings")

    columns: list[str] = Field(default_factory=list)
    strip: bool = True
    case: Literal["lower", "upper", "keep"] = "lower"


class Duplicates(StrictModel):
    """Which rows count as duplicates and which copy to keep."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.<task>.cleaning.duplicates")

    subset: list[str] | None = None
    keep: Literal["first", "last"] = "first"


class ImputeRule(StrictModel):
    """How to fill one column's missing values (statistics come from the train split)."""

    model_config = ConfigDict(
        title=f"{_FILE}: a rule of preprocessing.tabular.<task>.cleaning.impute"
    )

    strategy: Literal["median", "mean", "most_frequent", "constant"]
    # bool before int before float: pydantic keeps the YAML type that matches exactly
    fill_value: bool | int | float | str | None = None

    @model_validator(mode="after")
    def _constant_needs_value(self) -> ImputeRule:
        if (self.strategy == "constant") != (self.fill_value is not None):
            raise ValueError("fill_value is required with strategy 'constant' and only then")
        return self


class OutlierRule(StrictModel):
    """An outlier rule for one numeric column (bounds come from the train split)."""

    model_config = ConfigDict(
        title=f"{_FILE}: a rule of preprocessing.tabular.<task>.cleaning.outliers"
    )

    method: Literal["iqr", "zscore"]
    threshold: float = Field(gt=0)
    action: Literal["clip", "drop", "flag"]


class Cleaning(StrictModel):
    """Every cleaning step of the tabular input."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.<task>.cleaning")

    duplicates: Duplicates | None = Field(
        default=Duplicates(), description="null keeps repeated rows (e.g. event data)"
    )
    drop_rows_missing_over: float | None = Field(default=None, ge=0, le=1)
    drop_columns_missing_over: float | None = Field(default=None, ge=0, le=1)
    impute: dict[str, ImputeRule] = Field(default_factory=dict)
    outliers: dict[str, OutlierRule] = Field(default_factory=dict)
    max_dropped_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="a cleaning step dropping a larger share of rows stops the run; 1 allows all",
    )


class Split(StrictModel):
    """How to split the cleaned rows into train and test."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.<task>.split")

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


class TabularPreprocessing(StrictModel):
    """``preprocessing.tabular.<task>``: how one task's table is normalised, cleaned and split
    (what the table is, its target and columns, is declared in ``parameters_tasks.yml``)."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing.tabular.<task>")

    normalise_strings: StringNormalisation = StringNormalisation()
    cleaning: Cleaning = Cleaning()
    split: Split


class TabularParams(TabularPreprocessing):
    """One task's declaration (``tasks.<task>``) joined with its preprocessing block: what the
    preprocessing nodes read, checked for columns the cleaning rules name but the task lacks."""

    model_config = ConfigDict(
        title="parameters_tasks.yml tasks.<task> + parameters_preprocessing.yml "
        "preprocessing.tabular.<task>"
    )

    dataset: str = Field(description="catalog name of the input, used in error messages")
    target: str
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    unique_key: list[str] = Field(default_factory=list)
    allow_extra_columns: bool = True

    @classmethod
    def combine(cls, task: TaskParams, preprocessing: TabularPreprocessing) -> TabularParams:
        """Join a task's declaration and its preprocessing block (validating the pair)."""
        declared = task.model_dump(include={"dataset", "target", "columns", "unique_key"})
        return cls(
            **declared,
            allow_extra_columns=task.allow_extra_columns,
            **preprocessing.model_dump(),
        )

    @model_validator(mode="after")
    def _columns_are_declared(self) -> TabularParams:
        duplicates = self.cleaning.duplicates
        declared = set(self.columns)
        referenced = {
            "target": [self.target],
            "unique_key": self.unique_key,
            "normalise_strings.columns": self.normalise_strings.columns,
            "cleaning.duplicates.subset": (duplicates.subset if duplicates else None) or [],
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
        return self

    @model_validator(mode="after")
    def _rules_fit_column_dtypes(self) -> TabularParams:
        problems = [
            f"cleaning.outliers.{column}: needs an int or float column, not "
            f"'{self.columns[column].dtype}'"
            for column in self.cleaning.outliers
            if self.columns[column].dtype not in _NUMERIC
        ]
        problems += [
            problem
            for column, rule in self.cleaning.impute.items()
            if (problem := _impute_problem(column, rule, self.columns[column]))
        ]
        split = self.split
        time_column = split.time_column
        if split.strategy == "time":
            assert time_column is not None  # Split requires it for a time split
            if self.columns[time_column].dtype not in _ORDERED:
                problems.append(
                    f"split.time_column '{time_column}': a time split orders rows by it, so "
                    f"it must be datetime, int or float, not '{self.columns[time_column].dtype}'"
                )
        if split.strategy == "stratified" and self.columns[self.target].dtype not in _CLASSES:
            problems.append(
                f"split.strategy stratified: target '{self.target}' is "
                f"'{self.columns[self.target].dtype}'; stratifying needs classes "
                "(category, string, bool or int). Use random for a regression target."
            )
        duplicates = self.cleaning.duplicates
        if duplicates and duplicates.subset and set(duplicates.subset) == set(self.unique_key):
            problems.append(
                f"unique_key {self.unique_key} must already be unique in the input, so "
                "cleaning.duplicates.subset on the same columns would never apply: keep one"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


_NUMERIC = ("int", "float")
_ORDERED = ("datetime", "int", "float")
_CLASSES = ("category", "string", "bool", "int")
_FILL_TYPES = {
    "int": (int,),
    "float": (int, float),
    "string": (str,),
    "category": (str,),
    "bool": (bool,),
}


def _impute_problem(column: str, rule: ImputeRule, spec: ColumnSpec) -> str | None:
    """Say why ``rule`` cannot fill ``column`` of dtype ``spec.dtype``, or return ``None``."""
    key = f"cleaning.impute.{column}"
    if spec.dtype == "datetime":
        return f"{key}: datetime columns cannot be imputed; drop such rows or fill upstream"
    if rule.strategy in ("median", "mean") and spec.dtype not in _NUMERIC:
        return f"{key}: strategy '{rule.strategy}' needs an int or float column, not '{spec.dtype}'"
    if rule.strategy != "constant":
        return None
    value = rule.fill_value
    allowed = _FILL_TYPES[spec.dtype]
    if isinstance(value, bool) and bool not in allowed:
        allowed = ()
    if not isinstance(value, allowed):
        return f"{key}: fill_value {value!r} does not fit a '{spec.dtype}' column"
    if isinstance(value, str | bool):  # a range bounds numbers only
        return None
    too_low = spec.min is not None and value < spec.min
    too_high = spec.max is not None and value > spec.max
    if too_low or too_high:
        return f"{key}: fill_value {value!r} lies outside the column's [{spec.min}, {spec.max}]"
    return None


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
    season_length: dict[str, PositiveInt] = Field(
        default_factory=dict, description="periods per season per series id; others follow freq"
    )
    duplicate_timestamps: Literal["first", "last", "mean", "sum"] = "last"
    gap_fill: Literal["interpolate", "ffill", "zero"] = "interpolate"
    min_seasons: int = Field(default=2, ge=1)

    @field_validator("frequency")
    @classmethod
    def _frequencies_exist(cls, frequency: dict[str, str]) -> dict[str, str]:
        from pandas.tseries.frequencies import to_offset

        unknown = {}
        for series_id, alias in frequency.items():
            try:
                to_offset(alias)
            except ValueError:
                unknown[series_id] = alias
        if unknown:
            raise ValueError(
                f"not pandas frequency aliases: {unknown}; use e.g. D, W-SUN, MS, ME, QS, YS, h"
            )
        return frequency


class PreprocessingParams(StrictModel):
    """Everything under ``preprocessing:`` in ``parameters_preprocessing.yml``."""

    model_config = ConfigDict(title=f"{_FILE}: preprocessing")

    tabular: dict[str, TabularPreprocessing] = Field(
        description="one block per task of parameters_tasks.yml"
    )
    timeseries: TimeSeriesParams
