"""The dvc.yaml generator on a fake project: stages, the catalog convention, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kedro.pipeline import Node, Pipeline

from fake_package import write_fake_package
from roadmap_pipelines.project.dvc_files import (
    GITIGNORE_BEGIN,
    GITIGNORE_END,
    HEADER,
    expected_files,
    git_tracked_outputs,
    render_dvc_yaml,
    stale_files_diff,
    update_gitignore,
)
from roadmap_pipelines.project.dvc_project import (
    DatasetFile,
    DvcStagesError,
    ProjectView,
    dvc_output,
)
from roadmap_pipelines.project.dvc_stages import (
    blas_dependent_outputs,
    build_dvc_yaml,
    parameter_keys,
    parameter_value,
)


def _fit(raw, lr, seed):
    return raw


def _evaluate(model):
    return model, model, model


def _report(model, params, alpha_report):
    return model


# as if defined in the package: the generator follows a node function to its module
_fit.__module__ = "fakepkg.estimators"


def _dataset(name: str, path: str, config: str, metadata: dict | None = None) -> DatasetFile:
    kind, options = dvc_output(name, metadata)
    return DatasetFile(name=name, path=path, kind=kind, options=options, config_file=config)


@pytest.fixture
def view(tmp_path: Path) -> ProjectView:
    write_fake_package(tmp_path / "src")
    alpha = Pipeline(
        [
            Node(_fit, ["raw", "params:alpha.model", "params:seed"], "model", name="fit"),
            Node(_evaluate, "model", ["metrics", "curve", "in_memory"], name="evaluate"),
        ]
    )
    beta = Pipeline(
        [Node(_report, ["model", "params:beta", "params:alpha.report"], "report", name="report")]
    )
    datasets = [
        _dataset("raw", "data/01_raw/raw.csv", "conf/base/catalog.yml"),
        _dataset("model", "data/06_models/model.pkl", "conf/base/catalog_alpha.yml"),
        _dataset(
            "metrics",
            "data/08_reporting/metrics.json",
            "conf/base/catalog_alpha.yml",
            {"dvc": "metrics"},
        ),
        _dataset(
            "curve",
            "data/08_reporting/curve.csv",
            "conf/base/catalog_alpha.yml",
            {
                "kedro-viz": {"layer": "reporting"},
                "dvc": {"plots": {"x": "fpr", "y": "tpr", "template": "linear"}},
            },
        ),
        _dataset("report", "data/08_reporting/report.json", "conf/base/catalog_beta.yml"),
    ]
    return ProjectView(
        root=tmp_path,
        package="fakepkg",
        source_dir=tmp_path / "src",
        pipelines={"alpha": alpha, "beta": beta, "__default__": alpha + beta},
        datasets={dataset.name: dataset for dataset in datasets},
        parameter_files={
            "alpha": "conf/base/parameters_alpha.yml",
            "beta": "conf/base/parameters_beta.yml",
            "seed": "conf/base/parameters.yml",
        },
        parameters={
            "alpha": {"model": {"class": "fakepkg.typing_only.Thing"}, "report": {"top": 3}},
            "beta": 1,
            "seed": 42,
        },
    )


def test_one_stage_per_pipeline_running_kedro(view: ProjectView) -> None:
    stages = build_dvc_yaml(view)["stages"]

    assert list(stages) == ["alpha", "beta"]
    assert stages["alpha"]["cmd"] == "kedro run --pipelines=alpha"


def test_deps_are_code_catalog_files_and_input_files(view: ProjectView) -> None:
    alpha, beta = build_dvc_yaml(view)["stages"].values()

    assert alpha["deps"] == sorted(alpha["deps"])
    assert {
        "src/fakepkg/pipelines/alpha",  # the folder, once
        "src/fakepkg/shared/top.py",  # imported by nodes.py
        "src/fakepkg/shared/deep.py",  # through top.py
        "src/fakepkg/shared/lazy.py",  # inside a node function
        "src/fakepkg/pipelines/beta/helpers.py",  # from another pipeline's folder
        "src/fakepkg/estimators.py",  # a node function's module
        "src/fakepkg/typing_only.py",  # named by import path in the parameters
        "src/fakepkg/__init__.py",
        "conf/base/catalog.yml",
        "conf/base/catalog_alpha.yml",
        "data/01_raw/raw.csv",
    } <= set(alpha["deps"])
    assert not [dep for dep in alpha["deps"] if dep.startswith("src/fakepkg/pipelines/alpha/")]
    assert "src/fakepkg/unused.py" not in alpha["deps"]
    # another stage's output is a dependency like any input file
    assert {"src/fakepkg/pipelines/beta", "data/06_models/model.pkl"} <= set(beta["deps"])
    assert "src/fakepkg/estimators.py" not in beta["deps"]


def test_params_name_the_keys_read_in_the_files_holding_them(view: ProjectView) -> None:
    alpha, beta = build_dvc_yaml(view)["stages"].values()

    assert alpha["params"] == [
        {"conf/base/parameters.yml": ["seed"]},
        {"conf/base/parameters_alpha.yml": ["alpha.model"]},
    ]
    # beta reads alpha.report only: a change to alpha.model does not make beta out of date
    assert beta["params"] == [
        {"conf/base/parameters_alpha.yml": ["alpha.report"]},
        {"conf/base/parameters_beta.yml": ["beta"]},
    ]


def test_outputs_sorted_into_outs_metrics_and_plots(view: ProjectView) -> None:
    alpha, beta = build_dvc_yaml(view)["stages"].values()

    assert alpha["outs"] == ["data/06_models/model.pkl"]  # in_memory is not a file
    assert alpha["metrics"] == [{"data/08_reporting/metrics.json": {"cache": False}}]
    assert alpha["plots"] == [
        {
            "data/08_reporting/curve.csv": {
                "cache": False,
                "template": "linear",
                "x": "fpr",
                "y": "tpr",
            }
        }
    ]
    assert beta["outs"] == ["data/08_reporting/report.json"]
    assert "metrics" not in beta


@pytest.mark.parametrize(
    ("metadata", "kind", "options"),
    [
        (None, "outs", {}),
        ({"kedro-viz": {"layer": "raw"}}, "outs", {}),
        ({"dvc": "metrics"}, "metrics", {"cache": False}),
        ({"dvc": "plots"}, "plots", {"cache": False}),
        ({"dvc": {"metrics": None}}, "metrics", {"cache": False}),
        ({"dvc": {"metrics": {"cache": True}}}, "metrics", {"cache": True}),
        ({"dvc": {"outs": {"cache": False}}}, "outs", {"cache": False}),
        ({"dvc": {"plots": {"x": "a", "y": ["b", "c"]}}}, "plots", {"cache": False, "x": "a"}),
    ],
)
def test_catalog_convention(metadata: dict | None, kind: str, options: dict) -> None:
    found_kind, found_options = dvc_output("ds", metadata)

    assert found_kind == kind
    assert options.items() <= found_options.items()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("metric", "metadata.dvc must be one of ['outs', 'metrics', 'plots']"),
        ({"metrics": {}, "plots": {}}, "metadata.dvc must be one of"),
        ({"plots": ["x"]}, "metadata.dvc must be one of"),
        ({"plots": {"colour": "red"}}, "metadata.dvc.plots does not take ['colour']"),
        ({"metrics": {"x": "a"}}, "metadata.dvc.metrics does not take ['x']"),
    ],
)
def test_catalog_convention_errors_name_the_entry(spec: object, message: str) -> None:
    with pytest.raises(DvcStagesError, match="catalog entry 'my.metrics'") as error:
        dvc_output("my.metrics", {"dvc": spec})
    assert message in str(error.value)


def test_parameter_keys_keep_the_outermost_key_read() -> None:
    names = ["params:pre.tabular.credit", "params:pre.timeseries", "params:seed", "raw"]

    assert parameter_keys(names, ["a"]) == {"pre.tabular.credit", "pre.timeseries", "seed"}
    assert parameter_keys([*names, "params:pre"], ["a"]) == {"pre", "seed"}
    assert parameter_keys(["parameters", "params:a.b"], ["a", "b"]) == {"a", "b"}


def test_parameter_value_walks_dotted_keys() -> None:
    parameters = {"pre": {"timeseries": {"gap": "ffill"}}, "seed": 1}

    assert parameter_value(parameters, "pre.timeseries") == {"gap": "ffill"}
    assert parameter_value(parameters, "seed") == 1
    with pytest.raises(KeyError):
        parameter_value(parameters, "seed.value")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("seed", "reads parameter 'seed', which no parameters file under conf/base declares"),
        ("alpha.model", "'alpha.model', which conf/base/parameters_alpha.yml does not declare"),
    ],
)
def test_a_parameter_outside_the_files_is_an_error(
    view: ProjectView, missing: str, message: str
) -> None:
    *parents, last = missing.split(".")
    holder = view.parameters
    for part in parents:
        holder = holder[part]
    holder.pop(last)  # type: ignore[attr-defined]
    if not parents:
        view.parameter_files.pop(last)  # type: ignore[attr-defined]

    with pytest.raises(DvcStagesError, match="pipeline 'alpha'") as error:
        build_dvc_yaml(view)
    assert message in str(error.value)


def test_a_versioned_dataset_is_refused(view: ProjectView) -> None:
    model = view.datasets["model"]
    view.datasets["model"] = DatasetFile(  # type: ignore[index]
        name=model.name, path=model.path, config_file=model.config_file, versioned=True
    )

    with pytest.raises(DvcStagesError, match="'model' is `versioned: true`"):
        build_dvc_yaml(view)


def test_two_pipelines_writing_one_file_is_an_error(view: ProjectView) -> None:
    pipelines = dict(view.pipelines)
    pipelines["both"] = pipelines["alpha"] + pipelines["beta"]
    overlapping = ProjectView(**{**view.__dict__, "pipelines": pipelines})

    with pytest.raises(DvcStagesError, match=r"data/06_models/model.pkl \(alpha, both\)"):
        build_dvc_yaml(overlapping)


def _tasks_view(view: ProjectView, shared_input: str = "t1.model") -> ProjectView:
    """``view`` with a pipeline ``gamma`` built per task (t1, t2) plus one shared node
    reading a task's output (Kedro warns about its dotted name: that is the point)."""
    per_task = Pipeline(
        [Node(_fit, ["raw", "params:alpha.model", "params:seed"], "model", name="fit")]
    )
    tasks = sum(
        (
            Pipeline(per_task, namespace=task, inputs={"raw"}, parameters={"params:seed"})
            for task in ("t1", "t2")
        ),
        Pipeline([]),
    )
    gamma = tasks + Pipeline([Node(_evaluate, shared_input, ["a", "b", "c"], name="summary")])
    datasets = dict(view.datasets)
    for task in ("t1", "t2"):
        datasets[f"{task}.model"] = DatasetFile(
            name=f"{task}.model", path=f"data/06_models/{task}.pkl", config_file="c.yml"
        )
    datasets["a"] = DatasetFile(name="a", path="data/08_reporting/a.json", config_file="c.yml")
    parameters = {**view.parameters, "t1": {"alpha": {"model": 1}}, "t2": {"alpha": {"model": 2}}}
    files = {**view.parameter_files, "t1": "conf/base/p.yml", "t2": "conf/base/p.yml"}
    return ProjectView(
        **{
            **view.__dict__,
            "pipelines": {"gamma": gamma},
            "datasets": datasets,
            "parameters": parameters,
            "parameter_files": files,
        }
    )


@pytest.mark.filterwarnings("ignore:One or more dataset names contain:UserWarning")
def test_one_stage_per_task_namespace_and_one_for_the_shared_nodes(view: ProjectView) -> None:
    stages = build_dvc_yaml(_tasks_view(view))["stages"]

    assert list(stages) == ["gamma", "gamma-t1", "gamma-t2"]
    assert stages["gamma-t1"]["cmd"] == "kedro run --pipelines=gamma --namespaces=t1"
    assert stages["gamma"]["cmd"] == "kedro run --pipelines=gamma --nodes=summary"
    # each task's stage tracks its own parameters and writes its own files only
    assert stages["gamma-t2"]["params"] == [
        {"conf/base/p.yml": ["t2.alpha.model"]},
        {"conf/base/parameters.yml": ["seed"]},
    ]
    assert stages["gamma-t2"]["outs"] == ["data/06_models/t2.pkl"]
    assert "data/06_models/t1.pkl" in stages["gamma"]["deps"]


@pytest.mark.filterwarnings("ignore:One or more dataset names contain:UserWarning")
def test_stages_of_one_pipeline_may_not_hand_over_data_in_memory(view: ProjectView) -> None:
    tasks = _tasks_view(view)
    del tasks.datasets["t1.model"]  # type: ignore[attr-defined]

    with pytest.raises(DvcStagesError, match=r"stage 'gamma' reads 't1.model'.*in memory"):
        build_dvc_yaml(tasks)


def test_blas_dependent_outputs_follow_tagged_nodes_downstream(view: ProjectView) -> None:
    tagged = Pipeline(view.pipelines["alpha"].nodes[:1], tags="blas")
    untagged = Pipeline(view.pipelines["alpha"].nodes[1:])
    project = ProjectView(
        **{
            **view.__dict__,
            "pipelines": {"alpha": tagged + untagged, "beta": view.pipelines["beta"]},
        }
    )

    assert blas_dependent_outputs(project) == [
        "data/06_models/model.pkl",
        "data/08_reporting/curve.csv",
        "data/08_reporting/metrics.json",
        "data/08_reporting/report.json",
    ]
    assert blas_dependent_outputs(view) == []


def test_rendering_is_stable_and_parses_back(view: ProjectView) -> None:
    dvc_yaml = build_dvc_yaml(view)

    text = render_dvc_yaml(dvc_yaml)

    assert text == render_dvc_yaml(build_dvc_yaml(view))
    assert text.startswith(HEADER)
    assert "kedro dvc sync" in HEADER
    assert yaml.safe_load(text) == dvc_yaml
    assert "\n  beta:\n" in text and "\n\n  beta:" in text  # a blank line between stages
    assert "    deps:\n      - conf/base/catalog.yml\n" in text  # list items indented


def test_gitignore_block_re_includes_git_kept_outputs(view: ProjectView) -> None:
    paths = git_tracked_outputs(build_dvc_yaml(view))
    original = "data/**\n!data/**/\n\n# tools\n.venv/\n"

    added = update_gitignore(original, paths)
    replaced = update_gitignore(added.replace("# tools", "# python tools"), ["data/x.json"])

    assert paths == ["data/08_reporting/curve.csv", "data/08_reporting/metrics.json"]
    assert added.startswith(original)
    assert added.endswith(
        f"{GITIGNORE_BEGIN}\n!/data/08_reporting/curve.csv\n"
        f"!/data/08_reporting/metrics.json\n{GITIGNORE_END}\n"
    )
    assert update_gitignore(added, paths) == added
    assert replaced.count(GITIGNORE_BEGIN) == 1
    assert "!/data/x.json\n" in replaced and "metrics.json" not in replaced
    assert "# python tools" in replaced
    assert "(none yet)" in update_gitignore("", [])


def test_stale_files_diff_names_the_file(view: ProjectView) -> None:
    expected = expected_files(view)
    assert stale_files_diff(view.root, expected).startswith("--- dvc.yaml (on disk)")

    for name, text in expected.items():
        (view.root / name).write_text(text)
    assert stale_files_diff(view.root, expected) == ""
