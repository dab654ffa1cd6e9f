"""Project commands: ``kedro run`` (Kedro's, with early checks and short errors),
``kedro dvc sync|check|env``, ``kedro task add|remove`` and ``kedro serve``.

Kedro's CLI imports ``<package>.cli`` from the project it runs in and adds the commands of its
``cli`` group to its own (``kedro.framework.cli.cli.KedroCLI.project_groups``); no entry point
is needed. ``python -m roadmap_pipelines`` finds its ``run`` command here too
(``kedro.framework.cli.utils.find_run_command``), so this module re-exports Kedro's.

Kedro imports this module on every command: the generator is imported inside the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.startup import ProjectMetadata

__all__ = ["cli", "run"]

TRACEBACK_ENV = "ROADMAP_TRACEBACK"
# independent groups of nodes (each task, the time series, the report) run side by side
DEFAULT_RUNNER = "roadmap_pipelines.project.runner.GroupRunner"


@click.group(name="roadmap-pipelines")
def cli() -> None:
    """Commands of the roadmap-pipelines project."""


@cli.command(
    name="run",
    params=[
        *kedro_run.params,
        click.Option(
            ["--verbose"],
            is_flag=True,
            help=f"On an error, print the full traceback (or set {TRACEBACK_ENV}=1).",
        ),
    ],
    help=(kedro_run.help or "")
    + "\n\nUnknown --pipelines or --namespaces are refused with the names that exist. A "
    "configuration or data error prints one short message; --verbose shows the traceback. "
    "Exit status: 0 success, 1 error, 75 another run holds the project lock, 130/143 "
    "interrupted by SIGINT/SIGTERM (outputs restored).",
)
def run(verbose: bool, **options: Any) -> Any:
    """Kedro's ``run`` with the pipeline and namespace names checked first."""
    from roadmap_pipelines.project.run_errors import check_selection, short_message

    verbose = verbose or os.environ.get(TRACEBACK_ENV, "") not in ("", "0")
    try:
        check_selection(
            options["pipelines"] or ([options["pipeline"]] if options["pipeline"] else []),
            options["namespaces"] or [],
        )
        assert kedro_run.callback is not None  # Kedro's run command has its function
        options["runner"] = options["runner"] or DEFAULT_RUNNER
        return kedro_run.callback(**options)
    except Exception as error:
        if verbose:
            raise
        message, status = short_message(error)
        click.secho(message, err=True, fg="red")
        click.echo(f"(full traceback: rerun with --verbose, or set {TRACEBACK_ENV}=1)", err=True)
        sys.exit(status)


@cli.group()
def dvc() -> None:
    """Keep dvc.yaml in step with the pipeline registry and the catalog."""


def _expected(metadata: ProjectMetadata) -> tuple[Path, dict[str, str]]:
    from roadmap_pipelines.project.dvc_files import expected_files
    from roadmap_pipelines.project.dvc_project import DvcStagesError, load_project

    try:
        return metadata.project_path, expected_files(load_project(metadata.project_path))
    except DvcStagesError as error:
        raise click.ClickException(str(error)) from error


@dvc.command()
@click.pass_obj
def sync(metadata: ProjectMetadata) -> None:
    """Write dvc.yaml (one stage per pipeline) and the .gitignore block for git-kept outputs."""
    from roadmap_pipelines.project.dvc_files import stale_files_diff

    root, expected = _expected(metadata)
    for name, text in expected.items():
        path = root / name
        if stale_files_diff(root, {name: text}):
            path.write_text(text, encoding="utf-8")
            click.echo(f"{name}: updated")
        else:
            click.echo(f"{name}: up to date")


@dvc.command()
@click.pass_obj
def check(metadata: ProjectMetadata) -> None:
    """Exit non-zero, printing the diff, if dvc.yaml or .gitignore is not what sync writes."""
    from roadmap_pipelines.project.dvc_files import stale_files_diff

    root, expected = _expected(metadata)
    diff = stale_files_diff(root, expected)
    if diff:
        click.echo(diff, nl=False)
        click.echo("stale: run `kedro dvc sync` and commit the result.", err=True)
        sys.exit(1)
    click.echo("dvc.yaml and .gitignore are up to date.")


@cli.group()
def task() -> None:
    """Add a table as a tabular task, or remove one (docs/forking.md)."""


def _report(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


@task.command()
@click.argument("name")
@click.option("--data", "data", required=True, type=click.Path(path_type=Path), help="The table")
@click.option("--target", required=True, help="The column to predict")
@click.option(
    "--problem",
    type=click.Choice(["classification", "regression"]),
    default=None,
    help="Default: inferred from the target",
)
@click.option("--overwrite", is_flag=True, help="Replace the blocks of an existing task")
@click.pass_obj
def add(
    metadata: ProjectMetadata,
    name: str,
    data: Path,
    target: str,
    problem: Literal["classification", "regression"] | None,  # click.Choice checks it
    overwrite: bool,
) -> None:
    """Make the table DATA a task NAME: catalog entry, parameter blocks, dvc.yaml."""
    from roadmap_pipelines.project.task_command import add_task
    from roadmap_pipelines.project.task_inference import TaskInputError

    try:
        _report(add_task(metadata.project_path, name, data, target, problem, overwrite))
    except (TaskInputError, ValueError) as error:
        raise click.ClickException(str(error)) from error


@task.command()
@click.argument("name")
@click.pass_obj
def remove(metadata: ProjectMetadata, name: str) -> None:
    """Remove task NAME's catalog entry and parameter blocks, and regenerate dvc.yaml."""
    from roadmap_pipelines.project.task_command import remove_task
    from roadmap_pipelines.project.task_inference import TaskInputError

    try:
        _report(remove_task(metadata.project_path, name))
    except (TaskInputError, ValueError) as error:
        raise click.ClickException(str(error)) from error


@dvc.command()
@click.pass_obj
def env(metadata: ProjectMetadata) -> None:
    """Say whether this machine computes as the one that wrote dvc.lock, and which outputs may
    differ if not (exit 1 then). The record is numeric_environment.json, written by each run."""
    from roadmap_pipelines.project.dvc_project import DvcStagesError, load_project
    from roadmap_pipelines.project.dvc_stages import (
        all_outputs,
        blas_dependent_outputs,
        build_dvc_yaml,
    )
    from roadmap_pipelines.project.numeric_env import (
        environment_report,
        numeric_environment,
        read_environment,
    )

    root = metadata.project_path
    try:
        view = load_project(root)
        outputs = all_outputs(build_dvc_yaml(view))
    except DvcStagesError as error:
        raise click.ClickException(str(error)) from error
    matches, text = environment_report(
        read_environment(root), numeric_environment(), blas_dependent_outputs(view), outputs
    )
    click.echo(text, nl=False)
    if not matches:
        sys.exit(1)


@cli.command()
@click.option("--env", "-e", default=None, help="Configuration environment (conf/<env>).")
@click.pass_obj
def serve(metadata: ProjectMetadata, env: str | None) -> None:
    """Serve predictions and forecasts over HTTP (127.0.0.1:8000; HOST and PORT override)."""
    from roadmap_pipelines.ml.tabular.model_file import ModelFileError
    from roadmap_pipelines.project.deployment import serve as run_service

    try:
        run_service(metadata.project_path, env)
    except ModelFileError as error:
        raise click.ClickException(str(error)) from error
