"""Schema of ``conf/base/parameters_feature_engineering.yml``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, PositiveInt, model_validator

from roadmap_pipelines.params.base import StrictModel

_FILE = "parameters_feature_engineering.yml"
_TASK = "feature_engineering.<task>"

DatePart = Literal[
    "year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "is_weekend"
]


class Creation(StrictModel):
    """Stateless, row-wise features computed the same way for every row."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.creation")

    date_parts: dict[str, list[DatePart]] = Field(
        default_factory=dict, description="datetime column -> parts, named <column>_<part>"
    )
    formulas: dict[str, str] = Field(
        default_factory=dict,
        description="new column -> arithmetic of columns (+ - * / **, log, sqrt, …); "
        "`quote names` that are not identifiers",
    )
    interactions: list[list[str]] = Field(
        default_factory=list, description="groups of numeric columns multiplied together"
    )

    @model_validator(mode="after")
    def _formulas_parse(self) -> Creation:
        from roadmap_pipelines.ml.features.formulas import FormulaError, check

        errors = []
        for name, formula in self.formulas.items():
            try:
                check(formula)
            except FormulaError as error:
                errors.append(f"formulas.{name}: {formula!r} {error}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    @model_validator(mode="after")
    def _interactions_have_two_columns(self) -> Creation:
        short = [group for group in self.interactions if len(set(group)) < 2]
        if short:
            raise ValueError(f"interactions need at least two distinct columns each, got {short}")
        names = [f"{column}_{part}" for column, parts in self.date_parts.items() for part in parts]
        names += list(self.formulas) + ["_x_".join(group) for group in self.interactions]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"two new features would share the name(s) {repeated}")
        return self


class PolynomialSpec(StrictModel):
    """Polynomial terms of a numeric group."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.transform.numeric[].polynomial")

    degree: int = Field(ge=2, le=5)
    interaction_only: bool = False


class NumericGroup(StrictModel):
    """Numeric columns imputed, expanded and scaled together."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.transform.numeric[]")

    columns: list[str] = Field(min_length=1)
    impute: Literal["median", "mean", "zero"] | None = "median"
    polynomial: PolynomialSpec | None = None
    scaler: Literal["standard", "minmax", "robust", "none"] = "standard"


class CategoricalGroup(StrictModel):
    """Categorical columns imputed and encoded together."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.transform.categorical[]")

    columns: list[str] = Field(min_length=1)
    impute: Literal["most_frequent", "constant"] | None = "most_frequent"
    encoder: Literal["onehot", "ordinal", "target"]
    min_frequency: PositiveInt | None = Field(
        default=None, description="onehot: rarer labels share one 'infrequent' column"
    )
    target_folds: int = Field(
        default=5, ge=2, description="target: folds of the cross-fitted encoding on train"
    )
    categories: dict[str, list[str]] | None = Field(
        default=None, description="ordinal: the order of each column's labels, low to high"
    )

    @model_validator(mode="after")
    def _options_fit_encoder(self) -> CategoricalGroup:
        if self.min_frequency is not None and self.encoder != "onehot":
            raise ValueError("min_frequency applies to the onehot encoder only")
        if self.categories is not None:
            if self.encoder != "ordinal":
                raise ValueError("categories apply to the ordinal encoder only")
            if set(self.categories) != set(self.columns):
                raise ValueError(
                    f"categories must give an order for every column of the group "
                    f"{self.columns}, got {sorted(self.categories)}"
                )
        return self


class TextGroup(StrictModel):
    """Free-text columns turned into TF-IDF term weights (scikit-learn ``TfidfVectorizer``,
    one vocabulary per column, learnt from training rows only)."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.transform.text[]")

    columns: list[str] = Field(min_length=1)
    max_features: PositiveInt = Field(default=200, description="terms kept per column")
    ngram_range: tuple[PositiveInt, PositiveInt] = Field(
        default=(1, 1), description="[shortest, longest] word n-grams"
    )
    min_df: PositiveInt = Field(default=1, description="rows a term must appear in")
    lowercase: bool = True
    stop_words: Literal["english"] | None = None

    @model_validator(mode="after")
    def _ngrams_ordered(self) -> TextGroup:
        if self.ngram_range[0] > self.ngram_range[1]:
            raise ValueError(f"ngram_range {list(self.ngram_range)}: shortest exceeds longest")
        return self


class Transform(StrictModel):
    """The stateful transforms: fitted on training rows only, inside every CV fold."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.transform")

    numeric: list[NumericGroup] = Field(default_factory=list)
    categorical: list[CategoricalGroup] = Field(default_factory=list)
    text: list[TextGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _each_column_in_one_group(self) -> Transform:
        seen: dict[str, int] = {}
        groups: list[NumericGroup | CategoricalGroup | TextGroup] = [
            *self.numeric,
            *self.categorical,
            *self.text,
        ]
        for group in groups:
            for column in group.columns:
                seen[column] = seen.get(column, 0) + 1
        repeated = sorted(column for column, count in seen.items() if count > 1)
        if repeated:
            raise ValueError(f"columns listed in more than one group: {repeated}")
        if not seen:
            raise ValueError("declare at least one numeric, categorical or text group")
        return self

    @property
    def columns(self) -> list[str]:
        """Every column a group transforms, in declaration order."""
        groups: list[NumericGroup | CategoricalGroup | TextGroup] = [
            *self.numeric,
            *self.categorical,
            *self.text,
        ]
        return [c for group in groups for c in group.columns]


class TopK(StrictModel):
    """Keep the k best features by mutual information with the target."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.selection.mutual_information")

    k: PositiveInt


class ModelImportance(StrictModel):
    """Keep the k features a model finds most important."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.selection.model_importance")

    estimator: Literal["lightgbm", "l1"]
    k: PositiveInt
    strength: float = Field(
        default=1.0, gt=0, description="l1: inverse penalty C (classification) or 1/alpha"
    )
    n_estimators: PositiveInt = Field(default=100, description="lightgbm: trees fitted")
    max_iter: PositiveInt = Field(default=10_000, description="l1: solver iterations")


class Selection(StrictModel):
    """Feature selectors, applied in this order after the transforms; null turns one off."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}.selection")

    variance_threshold: float | None = Field(default=0.0, ge=0)
    correlation_threshold: float | None = Field(default=None, gt=0, le=1)
    mutual_information: TopK | None = None
    model_importance: ModelImportance | None = None


class FeatureParams(StrictModel):
    """``feature_engineering.<task>``: how one task's features are made and chosen."""

    model_config = ConfigDict(title=f"{_FILE}: {_TASK}")

    creation: Creation = Creation()
    transform: Transform
    selection: Selection = Selection()
    native_for_trees: bool = Field(
        default=True,
        description="estimators that handle missing values and categories themselves "
        "(lightgbm, hist_gradient_boosting) get the transform's columns as they are, "
        "categories as pandas categories with the training levels, instead of the transforms "
        "and selectors; false gives every estimator the same preprocessor",
    )
    report_rows: PositiveInt | None = Field(
        default=200_000,
        description="training rows the feature report fits its copy of the preprocessor and "
        "its correlation matrix on: a larger training table is sampled with the project seed "
        "(stratified by the target for classification), and the report says so; null = all "
        "rows. The model is always fitted on every training row",
    )
