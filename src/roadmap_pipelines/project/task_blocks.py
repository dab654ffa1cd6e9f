"""Write one task's blocks (plain, commented YAML) from a ``TableProfile``.

Each function returns the text of one block, indented for its place in its file; the
defaults are chosen from the data and every choice a person might question carries a comment.
"""

from __future__ import annotations

from typing import Any

import yaml

from roadmap_pipelines.project.task_inference import TableProfile

# rows below which a table counts as tiny: smaller test split, smaller leaves
SMALL_TABLE = 500
DUPLICATE_SHARE = 0.05


def flow(value: Any) -> str:
    """``value`` as one line of flow-style YAML (``{dtype: int, min: 0}``, ``[a, b]``, ``no``
    quoted as ``'no'``)."""
    if not isinstance(value, dict | list | tuple):
        # a scalar document would end with a `...` marker: dump it inside a list instead
        return flow([value])[1:-1]
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()


def key(name: str) -> str:
    """``name`` as a YAML mapping key, quoted only when it must be."""
    return flow(name)


def _indented(lines: list[str], indent: int) -> str:
    return "\n".join((" " * indent + line) if line else "" for line in lines) + "\n"


def _train_rows(profile: TableProfile) -> int:
    return int(profile.rows * (1 - test_size(profile)))


def test_size(profile: TableProfile) -> float:
    """A quarter of a tiny table, a fifth of any other."""
    return 0.25 if profile.rows < 100 else 0.2


def tasks_block(name: str, profile: TableProfile, source: str) -> str:
    """``tasks.<name>``: the table, target, problem and column declarations."""
    identifiers = profile.names("identifier")
    lines = [
        f"# {name}: {profile.problem} of {profile.target}, from {source}",
        f"# ({profile.rows} rows, {len(profile.columns)} columns). Written by `kedro task add`:",
        "# check the declared types, ranges and levels.",
        f"{key(name)}:",
        f"  dataset: {key(name + '.tabular_raw')}",
        f"  target: {key(profile.target)}",
        f"  problem: {profile.problem}",
        "  columns:",
    ]
    for column in profile.columns.values():
        note = f"  # {column.note}" if column.note else ""
        lines.append(f"    {key(column.name)}: {flow(column.spec)}{note}")
    numeric_ids = [c for c in identifiers if profile.columns[c].spec["dtype"] == "int"]
    lines += [
        f"  unique_key: {flow(numeric_ids + [c for c in identifiers if c not in numeric_ids])}",
        "  allow_extra_columns: false",
    ]
    return _indented(lines, 2)


def preprocessing_block(name: str, profile: TableProfile) -> str:
    """``preprocessing.tabular.<name>``: normalisation, cleaning, split."""
    text_columns = [
        column.name
        for column in profile.columns.values()
        if column.spec["dtype"] in ("category", "string")
    ]
    share = profile.duplicate_rows / profile.rows if profile.rows else 0.0
    identifiers = profile.names("identifier")
    if profile.duplicate_rows and share > DUPLICATE_SHARE and not identifiers:
        duplicates = [
            f"# {profile.duplicate_rows} of {profile.rows} rows ({share:.0%}) repeat exactly and",
            "# no column identifies a row: the rows are observations that legitimately repeat",
            "# (e.g. a table of counts expanded to rows), so duplicates are kept.",
            "duplicates: null",
        ]
    else:
        duplicates = [
            f"# {profile.duplicate_rows} row(s) repeat exactly: dropped, the first copy kept.",
            "duplicates: {subset: null, keep: first}",
        ]
    classes = profile.class_counts
    stratify = profile.problem == "classification" and min(classes.values()) >= 2
    split = "stratified" if stratify else "random"
    split_note = (
        "  # every class in train and test"
        if stratify
        else ("  # a class has one row: it cannot be in both splits" if classes else "")
    )
    lines = [
        f"{key(name)}:",
        "  normalise_strings:",
        f"    columns: {flow(text_columns)}",
        "    strip: true",
        "    case: keep                  # lower | upper | keep",
        "  cleaning:",
        *("    " + line for line in duplicates),
        "    drop_rows_missing_over: null",
        "    drop_columns_missing_over: 0.6",
        "    # missing values are imputed by the feature preprocessor, fitted inside every CV fold",
        "    impute: {}",
        "    outliers: {}",
        "    max_dropped_share: 0.5      # a step dropping more rows than this stops the run",
        "  split:",
        f"    strategy: {split}{split_note}",
        f"    test_size: {test_size(profile)}",
    ]
    return _indented(lines, 4)


def features_block(name: str, profile: TableProfile) -> str:
    """``feature_engineering.<name>``: date parts, numeric and categorical groups."""
    dates = profile.names("date")
    numeric = profile.names("numeric") + [f"{d}_{part}" for d in dates for part in _DATE_PARTS]
    few: list[str] = []
    many: list[str] = []
    for column in profile.names("category"):
        spec = profile.columns[column].spec
        levelled = spec.get("allowed") is not None or spec["dtype"] == "bool"
        (few if levelled else many).append(column)
    if not numeric and not few and not many and not profile.names("text"):
        raise ValueError(
            "no column can be a feature (only identifiers besides the target): add feature "
            "columns to the table"
        )
    min_frequency = max(2, min(20, profile.rows // 100))
    lines = [f"{key(name)}:", "  creation:"]
    lines.append(
        "    date_parts: " + (flow({d: list(_DATE_PARTS) for d in dates}) if dates else "{}")
    )
    lines += ["    formulas: {}", "    interactions: []", "  transform:"]
    if numeric:
        lines += [
            "    numeric:",
            f"      - columns: {flow(numeric)}",
            "        impute: median",
            "        scaler: standard",
        ]
    else:
        lines.append("    numeric: []                # the table has no numeric column")
    groups = []
    if few:
        groups += [
            f"      - columns: {flow(few)}",
            "        encoder: onehot",
            f"        min_frequency: {min_frequency}   # rarer labels pooled into one column",
        ]
    if many:
        groups += [
            f"      - columns: {flow(many)}   # many levels",
            "        encoder: target",
        ]
    lines += ["    categorical:", *groups] if groups else ["    categorical: []"]
    text = profile.names("text")
    if text:
        lines += [
            "    # free text: TF-IDF terms (fitted on training rows only)",
            "    text:",
            f"      - columns: {flow(text)}",
            "        max_features: 200",
        ]
    identifiers = profile.names("identifier")
    if identifiers:
        lines.append(f"  # not features: {flow(identifiers)} identify rows")
    lines += [
        "  selection:",
        "    variance_threshold: 0.0",
        f"    correlation_threshold: {0.95 if len(numeric) >= 2 else 'null'}",
        "    mutual_information: null",
        "    model_importance: null",
    ]
    return _indented(lines, 2)


_DATE_PARTS = ("year", "month", "dayofweek")


def modelling_block(name: str, profile: TableProfile) -> str:
    """``modelling_tabular.<name>``: metrics, folds, a linear model and LightGBM."""
    small = profile.rows < SMALL_TABLE
    lightgbm_params = {"n_estimators": 100, **({"min_child_samples": 5} if small else {})}
    if profile.problem == "regression":
        lines = [
            f"{key(name)}:",
            "  metrics: [rmse, mae, r2]",
            "  rank_by: rmse",
            "  cv: {strategy: kfold, n_splits: 3, shuffle: true}",
        ]
        linear = ["    ridge:", "      estimator: ridge", "      search_space:"]
        linear.append("        alpha: {type: float, low: 0.01, high: 100.0, log: true}")
    else:
        classes = profile.class_counts
        smallest_in_train = int(min(classes.values()) * (1 - test_size(profile)))
        folds = max(2, min(3, smallest_in_train))
        lines = [f"{key(name)}:"]
        if len(classes) == 2:
            positive = min(classes, key=lambda label: (classes[label], label))
            value = _label(profile, positive)
            lines += [
                "  metrics: [roc_auc, accuracy, precision, recall, f1, log_loss]",
                "  rank_by: roc_auc",
                f"  positive_class: {flow(value)}   # the rarer class",
            ]
        else:
            lines += [
                f"  # {len(classes)} classes: precision, recall and F1 are macro averages",
                "  metrics: [f1, accuracy, roc_auc, log_loss]",
                "  rank_by: f1",
            ]
        lines.append(f"  cv: {{strategy: stratified_kfold, n_splits: {folds}, shuffle: true}}")
        linear = ["    logistic_regression:", "      estimator: logistic_regression"]
        linear += [
            "      search_space:",
            "        C: {type: float, low: 0.01, high: 10.0, log: true}",
        ]
    lines += [
        "  search: {method: random, n_trials: 4}",
        "  on_fit_error: skip",
        "  n_jobs: 1",
        "  estimator_threads: 1",
        "  candidates:",
        *linear,
        "    lightgbm:",
        "      estimator: lightgbm",
        f"      params: {flow(lightgbm_params)}",
        "      search_space:",
        "        num_leaves: {type: int, low: 8, high: 32}",
        "        learning_rate: {type: float, low: 0.03, high: 0.2, log: true}",
    ]
    return _indented(lines, 2)


def _label(profile: TableProfile, label: str) -> Any:
    """A class label as the target holds it (int targets keep int labels)."""
    return int(label) if profile.columns[profile.target].spec["dtype"] == "int" else label


def segmentation_block(name: str, profile: TableProfile) -> str:
    """``segmentation.<name>``: k-means and Ward clustering on a bounded sample."""
    rows = _train_rows(profile)
    sample = max(10, min(500, rows - 1))
    perplexity = float(min(30, max(2, (sample - 1) // 3)))
    k_max = max(2, min(8, rows // 10))
    lines = [
        f"{key(name)}:",
        "  max_rows: 2000                # a seeded sample of training rows (null: all)",
        "  supervised_steps: drop",
        "  pca: {variance_threshold: 0.9}",
        "  cluster_on: features",
        f"  k_range: {{min: 2, max: {k_max}}}",
        "  candidates:",
        "    kmeans:",
        "      estimator: kmeans",
        "      params: {n_init: 4}",
        "    agglomerative:",
        "      estimator: agglomerative",
        "      params: {linkage: ward}",
        "  select_by: silhouette",
        "  silhouette_sample_size: 1000",
        f"  tsne: {{sample_size: {sample}, perplexity: {perplexity}, max_iter: 500}}",
        f"  external_validation: {'true' if profile.problem == 'classification' else 'false'}",
    ]
    return _indented(lines, 2)


def inference_block(name: str, profile: TableProfile) -> str:
    """``inference.<name>``: how a new batch's rows are identified and invalid ones treated."""
    identifiers = profile.names("identifier")
    id_column = identifiers[0] if identifiers else None
    lines = [
        f"{key(name)}:",
        f"  id_column: {flow(id_column) if id_column else 'null'}"
        "   # null: the row's position in the batch",
        "  on_invalid: reject            # fail | reject (rejects table with reasons)",
    ]
    return _indented(lines, 2)
