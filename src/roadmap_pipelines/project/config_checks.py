"""Configuration checks that run before the first node, reporting every error at once.

Kedro validates each node's typed parameters (the pydantic models in ``params/``), but a
top-level key that no pipeline reads (``random_stat:``, ``modeling_tabular:``, or the same
typo in ``--params``) is silently ignored, and checks that need a library (does LightGBM take
``num_leafs``?) used to wait for the node. These functions find both from the raw
configuration, so the run stops before it starts, naming the file, the key and the closest
valid name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from roadmap_pipelines.ml.import_policy import CONF_KEY as TRUSTED_PACKAGES_KEY

PARTIAL_FAILURE_KEY = "on_partial_failure"
# top-level keys read by the project itself rather than by a node: the allow-list, the
# partial-failure policy, the execution engine (hooks), the prediction service, and the tasks
# trained on Dask (the pipeline registry reads it to choose them, possibly none)
PROJECT_KEYS = frozenset(
    {TRUSTED_PACKAGES_KEY, PARTIAL_FAILURE_KEY, "execution", "serving", "modelling_tabular_dask"}
)


class ConfigurationError(ValueError):
    """One or more configuration mistakes, each on its own line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        count = f"{len(errors)} configuration error(s)"
        super().__init__(count + ":\n" + "\n".join(f"  - {error}" for error in errors))


def parameter_keys_read(nodes_inputs: Iterable[str]) -> set[str]:
    """Top-level parameter keys that nodes read (``params:a.b`` reads ``a``)."""
    return {
        name[len("params:") :].split(".")[0] for name in nodes_inputs if name.startswith("params:")
    }


def top_level_sources(conf_source: Path, environments: Iterable[str]) -> dict[str, str]:
    """Top-level key → the parameters file defining it (the last environment wins).

    Args:
        conf_source: The ``conf/`` folder.
        environments: Environments in the order the config loader merges them.
    """
    sources: dict[str, str] = {}
    for environment in environments:
        folder = Path(conf_source) / environment
        for path in sorted(folder.glob("parameters*.yml")) + sorted(
            folder.glob("parameters*.yaml")
        ):
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(content, Mapping):
                for key in content:
                    sources[str(key)] = f"conf/{environment}/{path.name}"
    return sources


def _closest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key_errors(
    sources: Mapping[str, str], runtime_keys: Iterable[str], known: set[str]
) -> list[str]:
    """One message per top-level key that nothing reads.

    Args:
        sources: Top-level keys of the parameters files → file.
        runtime_keys: Dotted keys given with ``--params``.
        known: Keys that nodes or the project read.
    """
    errors = [
        f"{source}: top-level key '{key}' is read by no pipeline{_closest(key, known)}; "
        f"valid keys: {sorted(known)}"
        for key, source in sorted(sources.items())
        if key not in known
    ]
    for dotted in sorted(set(runtime_keys)):
        key = dotted.split(".")[0]
        if key not in known:
            errors.append(
                f"--params: '{dotted}': top-level key '{key}' is read by no pipeline"
                f"{_closest(key, known)}; valid keys: {sorted(known)}"
            )
    return errors


def flatten_keys(value: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys of a nested mapping's leaves (``{"a": {"b": 1}}`` → ``["a.b"]``)."""
    keys = []
    for key, item in value.items():
        dotted = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            keys.extend(flatten_keys(item, f"{dotted}."))
        else:
            keys.append(dotted)
    return keys


def candidate_errors(
    modelling: Mapping[str, Any], problems: Mapping[str, Any], tasks: Iterable[str], source: str
) -> list[str]:
    """Build every tabular candidate of ``tasks`` without fitting, collecting every error.

    This checks what only the library knows: the class resolves (trusted package, estimator
    class), and it takes every fixed and searched parameter (LightGBM's native names and
    aliases included).

    Args:
        modelling: The raw ``modelling_tabular`` block.
        problems: Each task's problem (task → classification | regression, from ``tasks``).
        tasks: Tasks the run includes.
        source: The parameters file, named in messages.
    """
    from roadmap_pipelines.ml.tabular.estimators import make_estimator

    errors = []
    for task in tasks:
        block = modelling.get(task)
        problem = problems.get(task)
        if not isinstance(block, Mapping) or problem not in ("classification", "regression"):
            continue  # the pydantic models report missing or malformed blocks
        for name, candidate in (block.get("candidates") or {}).items():
            if not isinstance(candidate, Mapping) or "estimator" not in candidate:
                continue
            searched = [
                key
                for key in (candidate.get("search_space") or {})
                if not key.startswith("features__")
            ]
            try:
                make_estimator(
                    candidate["estimator"],
                    problem,
                    dict(candidate.get("params") or {}),
                    random_state=0,
                    n_jobs=1,
                    searched=searched,
                )
            except Exception as error:  # noqa: BLE001 - every candidate's error is reported
                errors.append(f"{source}: modelling_tabular.{task}.candidates.{name}: {error}")
    return errors


def partial_failure_policy(catalog: Any) -> str:
    """``on_partial_failure`` from the run's parameters: ``warn`` (default) or ``fail``.

    Raises:
        ConfigurationError: For any other value.
    """
    try:
        policy = catalog.load(f"params:{PARTIAL_FAILURE_KEY}")
    except Exception:  # noqa: BLE001 - not set: the default
        return "warn"
    if policy not in ("warn", "fail"):
        raise ConfigurationError(
            [f"parameters.yml: {PARTIAL_FAILURE_KEY} is {policy!r}; use warn or fail"]
        )
    return policy
