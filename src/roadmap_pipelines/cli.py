"""Project commands: ``kedro dvc sync``, ``kedro dvc check`` and ``kedro serve``.

Kedro's CLI imports ``<package>.cli`` from the project it runs in and adds the commands of its
``cli`` group to its own (``kedro.framework.cli.cli.KedroCLI.project_groups``); no entry point
is needed. ``python -m roadmap_pipelines`` finds its ``run`` command here too
(``kedro.framework.cli.utils.find_run_command``), so this module re-exports Kedro's.

Kedro imports this module on every command: the generator is imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from kedro.framework.cli.project import run
from kedro.framework.startup import ProjectMetadata

__all__ = ["cli", "run"]


@click.group(name="roadmap-pipelines")
def cli() -> None:
    """Commands of the roadmap-pipelines project."""


@cli.group()
def dvc() -> None:
    """Keep dvc.yaml in step with the pipeline registry and the catalog."""


def _expected(metadata: ProjectMetadata) -> tuple[Path, dict[str, str]]:
    from roadmap_pipelines.dvc_stages import DvcStagesError, expected_files, load_project

    try:
        return metadata.project_path, expected_files(load_project(metadata.project_path))
    except DvcStagesError as error:
        raise click.ClickException(str(error)) from error


@dvc.command()
@click.pass_obj
def sync(metadata: ProjectMetadata) -> None:
    """Write dvc.yaml (one stage per pipeline) and the .gitignore block for git-kept outputs."""
    from roadmap_pipelines.dvc_stages import stale_files_diff

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
    from roadmap_pipelines.dvc_stages import stale_files_diff

    root, expected = _expected(metadata)
    diff = stale_files_diff(root, expected)
    if diff:
        click.echo(diff, nl=False)
        click.echo("stale: run `kedro dvc sync` and commit the result.", err=True)
        sys.exit(1)
    click.echo("dvc.yaml and .gitignore are up to date.")


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
