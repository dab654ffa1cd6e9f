"""The prediction service, run by a real uvicorn server on 127.0.0.1 (a free port).

Contract tests over the configured tasks and series, on the artifacts of one default run:
predictions over HTTP equal the training run's test predictions; bad payloads get 422/404
naming the field and the reason; schemathesis fuzzes every operation of the OpenAPI schema and
finds no server error and no response outside the schema.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from deployment_cases import json_records, raw_test_rows
from roadmap_pipelines.project.deployment import load_service
from roadmap_pipelines.serving.app import create_app
from task_config import CONFIGURED_TASKS as TABULAR_TASKS

ROWS = 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def service(default_run: Path):
    import uvicorn

    artifacts, _ = load_service(default_run)
    port = free_port()
    config = uvicorn.Config(create_app(artifacts), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start within 60 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", artifacts
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(service):
    with httpx.Client(base_url=service[0], timeout=60) as http:
        yield http


@pytest.mark.parametrize("task", TABULAR_TASKS)
def test_predictions_over_http_equal_the_training_runs_test_predictions(
    client, service, loaded, task
) -> None:
    catalog, parameters = loaded
    scorer = service[1].scorers[task]
    rows = raw_test_rows(catalog, parameters, task).head(ROWS)
    records = json_records(rows[list(scorer.input_columns())])
    response = client.post(f"/tasks/{task}/predict", json=records)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = catalog.load(f"{task}.test_predictions").head(ROWS)
    assert body["model_version"] == scorer.metadata["model_sha256"][:12]
    assert [p["row"] for p in body["predictions"]] == list(range(ROWS))
    assert [p["predicted"] for p in body["predictions"]] == list(expected["predicted"])
    for column in [c for c in expected.columns if c.startswith("proba_")]:
        label = column.removeprefix("proba_")
        assert [p["probabilities"][label] for p in body["predictions"]] == list(expected[column])


def test_schema_model_and_health_describe_what_is_served(client, service) -> None:
    artifacts = service[1]
    task = TABULAR_TASKS[0]
    scorer = artifacts.scorers[task]
    schema = client.get(f"/tasks/{task}/schema").json()
    assert list(schema["columns"]) == list(scorer.input_columns())
    assert scorer.tabular.target not in schema["columns"]
    model = client.get(f"/tasks/{task}/model").json()
    assert model["model_sha256"] == scorer.metadata["model_sha256"]
    assert model["test_metrics"] == scorer.metadata["test"]
    assert model["trained_at"] == artifacts.trained_at[task]
    assert client.get("/health").json() == {
        "status": "ok",
        "tasks": sorted(artifacts.scorers),
        "series": sorted(artifacts.forecasters),
    }
    openapi = client.get("/openapi.json").json()
    record = openapi["components"]["schemas"][f"{task.title()}Record"]["properties"]
    assert set(record) == set(scorer.input_columns())


def test_a_forecast_has_the_horizon_and_ordered_intervals(client, service) -> None:
    series_id = sorted(service[1].forecasters)[0]
    points = client.get(f"/series/{series_id}/forecast", params={"horizon": 6}).json()["forecast"]
    assert len(points) == 6
    for point in points:
        assert point["lower_95"] <= point["lower_80"] <= point["forecast"]
        assert point["forecast"] <= point["upper_80"] <= point["upper_95"]
    expected = service[1].forecasters[series_id].forecast(6)
    assert [p["forecast"] for p in points] == list(expected["forecast"])


def _field(response: httpx.Response) -> list[tuple]:
    return [(tuple(error["loc"]), error["type"]) for error in response.json()["detail"]]


def test_bad_payloads_get_422_or_404_naming_the_field(client, service) -> None:
    task = next(t for t in TABULAR_TASKS if not service[1].scorers[t].tabular.allow_extra_columns)
    scorer = service[1].scorers[task]
    columns = scorer.declared_columns()
    required = next(name for name, spec in columns.items() if not spec.nullable)
    bounded = next(
        n for n, s in columns.items() if s.dtype in ("int", "float") and s.max is not None
    )
    levels = next(n for n, s in columns.items() if s.allowed)
    good = client.get(f"/tasks/{task}/schema").json()
    assert good["max_batch_rows"] == service[1].max_batch_rows

    url = f"/tasks/{task}/predict"
    assert client.post(url, json=[]).status_code == 422
    too_many = [{}] * (service[1].max_batch_rows + 1)
    assert _field(client.post(url, json=too_many))[0][1] == "too_long"
    missing = client.post(url, json=[{}])
    assert (0, required) in {loc[1:] for loc, _ in _field(missing)}
    errors = _field(
        client.post(
            url, json=[{bounded: columns[bounded].max + 1, levels: "??", "no_such_column": 1}]
        )
    )
    assert (("body", 0, bounded), "less_than_equal") in errors
    assert (("body", 0, levels), "literal_error") in errors
    assert (("body", 0, "no_such_column"), "extra_forbidden") in errors
    wrong_type = _field(client.post(url, json=[{bounded: "many"}]))
    assert (("body", 0, bounded), "int_parsing") in wrong_type or (
        ("body", 0, bounded),
        "float_parsing",
    ) in wrong_type
    assert client.post("/tasks/no_such_task/predict", json=[{}]).status_code == 404
    assert client.get("/tasks/no_such_task/model").status_code == 404
    assert client.get("/series/no_such_series/forecast").status_code == 404
    series_id = sorted(service[1].forecasters)[0]
    too_far = client.get(f"/series/{series_id}/forecast", params={"horizon": 10_000})
    assert too_far.status_code == 422
    assert _field(too_far)[0][0] == ("query", "horizon")


def test_no_generated_request_gets_a_server_error_or_an_off_schema_answer(service) -> None:
    # schemathesis generates requests from the OpenAPI schema, valid and invalid, per
    # operation; hypothesis drives it (schemathesis' own pytest plugin predates pytest 9)
    schema = schemathesis.openapi.from_url(f"{service[0]}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4 + len(service[1].scorers)  # schema, model, health, forecast
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(timeout=60)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        check()


def test_kedro_serve_listens_where_host_and_port_say_and_refuses_a_changed_model(
    completed_project: Path,
) -> None:
    import os
    import subprocess
    import sys

    kedro = str(Path(sys.executable).with_name("kedro"))
    port = free_port()
    env = os.environ | {"HOST": "127.0.0.1", "PORT": str(port), "KEDRO_DISABLE_TELEMETRY": "true"}
    server = subprocess.Popen(
        [kedro, "serve"],
        cwd=completed_project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("kedro serve did not answer within 120 s")
                time.sleep(0.5)
        assert health.json()["tasks"] == sorted(TABULAR_TASKS)
    finally:
        server.terminate()
        server.wait(timeout=30)

    model = completed_project / "data" / "06_models" / TABULAR_TASKS[0] / "model.pkl"
    model.write_bytes(model.read_bytes()[:-1])
    refused = subprocess.run(
        [kedro, "serve"],
        cwd=completed_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0
    assert (
        f"Model file '{model.relative_to(completed_project)}'" in refused.stderr
        or str(model) in refused.stderr
    )
    assert "refusing to unpickle" in refused.stderr
