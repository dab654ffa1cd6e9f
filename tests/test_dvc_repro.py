"""Reproduce anything: the DVC workflow on throw-away git repositories of the project.

One repository per module is seeded with the outputs of the session's ``default_run`` and
``dvc commit``-ed (a fresh ``kedro run`` must match every hash in dvc.lock for that to leave
dvc.lock untouched). Tests that change things work on clones of it, and only ever re-run the
cheap ``reporting`` stage or the ``preprocessing`` stage alone, so the suite stays fast as the
modelling stages grow.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dvc_repos import (
    BIN,
    clone,
    dvc,
    dvc_json,
    environment,
    git,
    make_repo,
    output_digests,
    run,
    stages_run,
    stages_skipped,
)
from project_runs import PROJECT_ROOT
from roadmap_pipelines.project.numeric_env import (
    differences,
    numeric_environment,
    outputs_that_may_differ,
    read_environment,
)
from task_config import requires_tasks

# example-data tests: edits the shipped tasks' parameters
pytestmark = requires_tasks("credit", "ames")

STAGES = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
UP_TO_DATE = "Data and pipelines are up to date."
REPORTING_PARAMS = "conf/base/parameters_reporting.yml"
# Metrics of BLAS-dependent fits agree within this much between BLAS kernels (docs/dvc.md);
# the files keep 6 decimals, so a last-digit flip is 1e-6.
METRIC_TOLERANCE = 1e-5


@dataclass(frozen=True)
class SeededRepo:
    """A git repository of the project whose outputs come from one ``kedro run``.

    Attributes:
        path: The repository.
        status_before_commit: ``dvc status --json`` before ``dvc commit``.
        lock_diff: ``git diff dvc.lock`` after ``dvc commit`` (empty if dvc.lock was current).
    """

    path: Path
    status_before_commit: dict[str, Any]
    lock_diff: str


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return environment(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def seeded(
    default_run: Path, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]
) -> SeededRepo:
    repo = make_repo(tmp_path_factory.mktemp("dvc") / "repo", env, outputs_from=default_run)
    status = dvc_json(repo, env, "status")
    dvc(repo, env, "commit", "--force")
    lock_diff = git(repo, env, "diff", "--", "dvc.lock")
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--allow-empty", "--message=outputs in the DVC cache")
    return SeededRepo(repo, status, lock_diff)


def _set_parameter(repo: Path, file: str, key: str, value: object) -> None:
    path = repo / file
    content = yaml.safe_load(path.read_text())
    *parents, last = key.split(".")
    node = content
    for part in parents:
        node = node[part]
    assert last in node, f"{file} has no {key}"
    node[last] = value
    path.write_text(yaml.safe_dump(content, sort_keys=False))


def _changed_stages(repo: Path, env: dict[str, str]) -> set[str]:
    return set(dvc_json(repo, env, "status"))


def _outputs(stage: dict[str, Any]) -> set[str]:
    return {
        entry if isinstance(entry, str) else next(iter(entry))
        for kind in ("outs", "metrics", "plots")
        for entry in stage.get(kind, [])
    }


def _outputs_that_may_differ_here() -> tuple[set[str], str]:
    """Outputs that may differ from dvc.lock on this machine, and why (empty where the
    numeric environment matches the one recorded with dvc.lock)."""
    from roadmap_pipelines.project.dvc_stages import (
        all_outputs,
        blas_dependent_outputs,
        load_project,
    )

    recorded = read_environment(PROJECT_ROOT)
    assert recorded is not None, "numeric_environment.json is missing: commit it with dvc.lock"
    found = differences(recorded, numeric_environment())
    if not found:
        return set(), ""
    view = load_project(PROJECT_ROOT)
    may_differ = outputs_that_may_differ(
        found, blas_dependent_outputs(view), all_outputs({"stages": STAGES})
    )
    why = "; ".join(
        f"{item.field}: recorded {json.dumps(item.recorded)}, here {json.dumps(item.current)}"
        for item in found
    )
    return set(may_differ), why


def _drift(status: dict[str, list], may_differ: set[str]) -> tuple[dict[str, list], set[str]]:
    """Split ``dvc status --json`` (taken before ``dvc commit``) into drift and allowed changes.

    Before ``dvc commit`` the cache is empty: outputs whose hash matches read "not in cache".
    A modified output or dependency in ``may_differ`` is allowed; anything else (another
    modified output, a changed dependency or parameter) is drift.

    Returns:
        Drift per stage, and the allowed paths.
    """
    drift: dict[str, list] = {}
    allowed: set[str] = set()
    for stage, changes in status.items():
        drift[stage] = []
        for change in changes:
            if not isinstance(change, dict):
                drift[stage].append(change)
                continue
            for kind, paths in change.items():
                if kind not in ("changed outs", "changed deps") or not isinstance(paths, dict):
                    drift[stage].append({kind: paths})
                    continue
                for path, state in paths.items():
                    if state == "not in cache" and kind == "changed outs":
                        continue
                    if state == "modified" and path in may_differ:
                        allowed.add(path)
                        continue
                    drift[stage].append({kind: {path: state}})
    return drift, allowed


def test_drift_allows_only_the_outputs_a_different_environment_can_move() -> None:
    status = {
        "fit": [{"changed outs": {"model.pkl": "modified", "features.parquet": "not in cache"}}],
        "report": [
            {"changed deps": {"model.pkl": "modified", "src/code.py": "modified"}},
            {"changed outs": {"report.html": "modified"}},
        ],
        "tune": [{"changed params": {"params.yml": {"x": "modified"}}}],
    }

    drift, allowed = _drift(status, {"model.pkl", "report.html"})

    assert allowed == {"model.pkl", "report.html"}
    assert drift == {
        "fit": [],
        "report": [{"changed deps": {"src/code.py": "modified"}}],
        "tune": [{"changed params": {"params.yml": {"x": "modified"}}}],
    }
    # where the environment matches, every modified file is drift
    assert _drift(status, set())[0]["fit"] == [{"changed outs": {"model.pkl": "modified"}}]


def test_committed_dvc_lock_matches_a_fresh_kedro_run(seeded: SeededRepo, env: dict) -> None:
    """Every hash in dvc.lock (code, raw data, parameters, outputs) matches a run made here.

    Where this machine's numeric environment differs from the recorded one (another OpenBLAS
    kernel, say), the outputs that environment can move are allowed to differ: the test lists
    them instead of failing, and the metrics test below holds them to a tolerance.
    """
    may_differ, why = _outputs_that_may_differ_here()
    drift, allowed = _drift(seeded.status_before_commit, may_differ)

    assert sorted(drift) == sorted(STAGES)
    assert not any(drift.values()), f"dvc.lock is stale: run `dvc repro`, commit it\n{drift}"
    if allowed:
        warnings.warn(
            f"{len(allowed)} outputs differ from dvc.lock because this machine's numeric "
            f"environment differs from numeric_environment.json ({why}):\n"
            + "\n".join(sorted(allowed)),
            stacklevel=1,
        )
    else:
        assert seeded.lock_diff == "", "dvc commit had to change dvc.lock"
    assert UP_TO_DATE in dvc(seeded.path, env, "status")


def _numbers_agree(committed: object, fresh: object, where: str) -> list[str]:
    """Where two JSON values disagree: numbers beyond METRIC_TOLERANCE, anything else at all."""
    if isinstance(committed, dict) and isinstance(fresh, dict):
        if committed.keys() != fresh.keys():
            return [f"{where}: keys {sorted(committed)} != {sorted(fresh)}"]
        return [
            problem
            for key in committed
            for problem in _numbers_agree(committed[key], fresh[key], f"{where}.{key}")
        ]
    if isinstance(committed, list) and isinstance(fresh, list) and len(committed) == len(fresh):
        return [
            problem
            for index, (a, b) in enumerate(zip(committed, fresh, strict=True))
            for problem in _numbers_agree(a, b, f"{where}[{index}]")
        ]
    numbers = (int, float)
    if (
        isinstance(committed, numbers)
        and isinstance(fresh, numbers)
        and not isinstance(committed, bool)
        and not isinstance(fresh, bool)
    ):
        if math.isclose(committed, fresh, rel_tol=METRIC_TOLERANCE, abs_tol=METRIC_TOLERANCE):
            return []
    elif committed == fresh:
        return []
    return [f"{where}: committed {committed!r}, this run {fresh!r}"]


def test_chosen_models_and_metrics_match_the_committed_ones_within_tolerance(
    default_run: Path,
) -> None:
    """On any machine: git keeps the metrics files, and a fresh run agrees with them, exactly
    in every choice (the models, the clusters' k) and within METRIC_TOLERANCE in every number.
    The leaderboard's order is the chosen model and its runners-up."""
    metrics = [next(iter(entry)) for stage in STAGES.values() for entry in stage.get("metrics", [])]
    assert metrics
    problems = []
    for path in metrics:
        committed = json.loads((PROJECT_ROOT / path).read_text())
        fresh = json.loads((default_run / path).read_text())
        problems += _numbers_agree(committed, fresh, path)
    for path in sorted((PROJECT_ROOT / "data" / "08_reporting").glob("*/leaderboard_scores.csv")):
        relative = path.relative_to(PROJECT_ROOT)
        committed_order = [line.split(",")[1] for line in path.read_text().splitlines()]
        fresh_order = [
            line.split(",")[1] for line in (default_run / relative).read_text().splitlines()
        ]
        if committed_order != fresh_order:
            problems.append(f"{relative}: candidates {committed_order} != {fresh_order}")

    assert not problems, "\n".join(problems)


def test_a_second_repro_is_a_no_op(seeded: SeededRepo, env: dict, default_run: Path) -> None:
    before = output_digests(seeded.path)

    output = dvc(seeded.path, env, "repro")

    assert stages_run(output) == []
    assert sorted(stages_skipped(output)) == sorted(STAGES)
    assert output_digests(seeded.path) == before == output_digests(default_run)
    assert git(seeded.path, env, "status", "--porcelain") == ""


def test_push_then_pull_restores_deleted_outputs_from_the_default_remote(
    seeded: SeededRepo, env: dict, tmp_path: Path
) -> None:
    repo = clone(seeded.path, tmp_path / "clone", env)
    expected = output_digests(repo)
    storage = repo / ".dvc" / "storage"

    # `url = storage` in .dvc/config is relative to .dvc/: every clone has its own remote
    remotes = dvc(repo, env, "remote", "list")
    assert re.search(rf"^local\s+{re.escape(str(storage))}\s+\(default\)$", remotes, re.M), remotes
    dvc(repo, env, "push")
    assert any(storage.rglob("*")), "dvc push wrote nothing to .dvc/storage"

    tracked = set(git(repo, env, "ls-files", "data").split())
    for path in expected:
        if path not in tracked:  # git keeps metrics/plots with cache: false
            (repo / path).unlink()
    shutil.rmtree(repo / ".dvc" / "cache")
    # a clone with no outputs and an empty cache: `dvc repro` would run every stage
    assert _changed_stages(repo, env) == set(STAGES)

    dvc(repo, env, "pull")

    assert output_digests(repo) == expected
    assert UP_TO_DATE in dvc(repo, env, "status")


def _task_of(stage: str) -> str | None:
    return stage.split("-", 1)[1] if "-" in stage else None


def test_a_parameter_change_reruns_its_stage_and_then_the_stages_reading_its_outputs(
    seeded: SeededRepo, env: dict, tmp_path: Path
) -> None:
    repo = clone(seeded.path, tmp_path / "clone", env)

    _set_parameter(repo, REPORTING_PARAMS, "reporting.top_categories", 3)
    assert _changed_stages(repo, env) == _stages_reading("reporting.top_categories")
    assert _changed_stages(repo, env) <= {name for name in STAGES if name.startswith("reporting")}
    git(repo, env, "checkout", "--", REPORTING_PARAMS)

    tasks = {_task_of(name) for name in STAGES} - {None}
    task, other = sorted(tasks)[:2]
    key = f"preprocessing.tabular.{task}.split.test_size"
    _set_parameter(repo, "conf/base/parameters_preprocessing.yml", key, 0.25)
    # only preprocessing reads the task's preprocessing block: later pipelines learn the
    # target from the task's declaration (tasks.<task>), not from another pipeline's block
    direct = _stages_reading(key)
    assert f"preprocessing-{task}" in direct
    assert not [name for name in direct if name.startswith(("feature_", "modelling_"))]
    readers_of_task = _stages_reading(f"tasks.{task}")
    stages = ("preprocessing", "feature_engineering", "modelling_tabular")
    assert {f"{name}-{task}" for name in stages} <= readers_of_task
    assert _changed_stages(repo, env) == direct
    # no stage of another task: its results cannot change
    assert not [name for name in direct if _task_of(name) == other]

    # run that one stage only, however many stages come after it
    output = dvc(repo, env, "repro", "--single-item", f"preprocessing-{task}")

    assert stages_run(output) == [f"preprocessing-{task}"]
    readers = {
        name
        for name, stage in STAGES.items()
        if _outputs(STAGES[f"preprocessing-{task}"]) & set(stage.get("deps", []))
    }
    changed = _changed_stages(repo, env)
    assert f"reporting-{task}" in changed
    assert changed <= readers | direct, "a stage that reads nothing changed is out of date"
    assert not [name for name in changed if _task_of(name) == other]


def _stages_reading(key: str) -> set[str]:
    """Stages whose tracked parameters include ``key`` or a key above or below it."""
    return {
        name
        for name, stage in STAGES.items()
        for entry in stage.get("params", [])
        for keys in entry.values()
        for tracked in keys
        if tracked == key or key.startswith(f"{tracked}.") or tracked.startswith(f"{key}.")
    }


def _mark_metrics_and_plots(repo: Path) -> tuple[list[str], list[str]]:
    """Mark two reporting datasets with the catalog convention, in the clone only."""
    path = repo / "conf/base/catalog_reporting.yml"
    catalog = yaml.safe_load(path.read_text())
    catalog["{task}.category_counts"]["metadata"]["dvc"] = "metrics"
    catalog["{task}.column_profile"]["metadata"]["dvc"] = {
        "plots": {"x": "missing_share", "y": "column", "template": "bar_horizontal"}
    }
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    tasks = ("ames", "credit")
    return (
        [f"data/08_reporting/{task}/category_counts.json" for task in tasks],
        [f"data/08_reporting/{task}/column_profile.csv" for task in tasks],
    )


def test_experiment_with_one_parameter_shows_params_metrics_and_plots(
    seeded: SeededRepo, env: dict, tmp_path: Path
) -> None:
    repo = clone(seeded.path, tmp_path / "clone", env)
    metrics, plots = _mark_metrics_and_plots(repo)
    run(repo, env, str(BIN / "kedro"), "dvc", "sync")
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]

    def reporting_metrics(stages: dict) -> set[str]:
        return {
            next(iter(entry))
            for name, stage in stages.items()
            if name.startswith("reporting")
            for entry in stage.get("metrics", [])
        }

    assert reporting_metrics(stages) == set(metrics) | reporting_metrics(STAGES)
    # the stages declaring reporting datasets: their catalog file changed
    assert set(stages_run(dvc(repo, env, "repro"))) == {
        name for name, stage in stages.items() if "conf/base/catalog_reporting.yml" in stage["deps"]
    }
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--message=mark metrics and plots")
    # the generated .gitignore block lets git keep them (cache: false)
    assert set(metrics + plots) <= set(git(repo, env, "ls-files", "data").split())

    output = dvc(repo, env, "exp", "run", "-S", f"{REPORTING_PARAMS}:reporting.top_categories=3")

    assert set(stages_run(output)) == _stages_reading("reporting.top_categories")
    assert "preprocessing" in stages_skipped(output)
    table = dvc_json(repo, env, "exp", "show")
    baseline = next(row for row in table if row["rev"] != "workspace")
    experiment = baseline["experiments"][0]["revs"][0]["data"]
    for row, top in ((baseline["data"], 10), (experiment, 3)):
        assert row["params"][REPORTING_PARAMS]["data"]["reporting"]["top_categories"] == top
        assert set(metrics) <= set(row["metrics"])
    counts = experiment["metrics"][metrics[1]]["data"]
    assert all(len(labels) <= 3 for labels in counts.values())

    metrics_diff = dvc_json(repo, env, "metrics", "diff")
    dropped = [key for key, change in metrics_diff[metrics[1]].items() if change["new"] is None]
    assert "Home.other" in dropped
    plots_diff = dvc_json(repo, env, "plots", "diff")["data"]
    for path in plots:
        assert set(plots_diff[path][0]["revisions"]) == {"workspace", "HEAD"}


def test_checking_out_an_older_commit_restores_its_outputs(
    seeded: SeededRepo, env: dict, tmp_path: Path
) -> None:
    repo = clone(seeded.path, tmp_path / "clone", env)
    older = output_digests(repo)
    _set_parameter(repo, REPORTING_PARAMS, "reporting.top_categories", 3)
    assert set(stages_run(dvc(repo, env, "repro"))) == _stages_reading("reporting.top_categories")
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--message=fewer categories")
    newer = output_digests(repo)
    changed = {path for path in older if older[path] != newer[path]}
    assert "data/08_reporting/credit/category_counts.json" in changed
    reporting = _stages_reading("reporting.top_categories")
    assert changed <= set().union(*(_outputs(STAGES[name]) for name in reporting))

    git(repo, env, "checkout", "--quiet", "HEAD~1")
    dvc(repo, env, "checkout")
    assert output_digests(repo) == older

    git(repo, env, "checkout", "--quiet", "main")
    dvc(repo, env, "checkout")
    assert output_digests(repo) == newer
