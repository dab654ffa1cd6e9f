"""Kedro-Viz in a real browser: ``kedro viz run`` on a project with outputs serves every
pipeline and the previews of the reporting datasets, and headless Chromium renders them.

The browser is Debian's Chromium (/usr/bin/chromium, which ``.ci/run`` installs), driven by
Playwright; Playwright never downloads a browser here. Nothing reaches the network: the page
may load only from the local server (Kedro-Viz's Google-fonts stylesheet is refused), and
Kedro-Viz's PyPI version check is sent through a proxy on a closed local port, so it fails at
once. Screenshots go to the test's ``tmp_path``; set ``VIZ_SCREENSHOT_DIR`` to keep the last one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kedro.framework.project import pipelines

from project_runs import reporting_datasets
from task_config import CONFIGURED_TASKS as TABULAR_TASKS
from task_config import requires_tasks

# example-data tests: clicks through the shipped tasks' datasets
pytestmark = requires_tasks("credit", "ames")

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# closed network refuses; Playwright adds a fresh --user-data-dir (the persistent context's).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
SERVER_START_TIMEOUT = 90  # seconds; it takes about 3 s here
CLOSED_PORT_PROXY = "http://127.0.0.1:9"  # nothing listens on the discard port
# a reporting table longer than its preview, and a plotly figure, both in the credit namespace
TABLE = "credit.data_quality_table"
FIGURE = "credit.correlation_heatmap"
PREVIEW_ROWS = 20  # conf/base: metadata: {kedro-viz: {preview_args: {nrows: 20}}}

HIDE_FEATURE_HINTS = """
const settings = JSON.parse(window.localStorage.getItem("KedroViz") || "{}");
window.localStorage.setItem("KedroViz", JSON.stringify({...settings, showFeatureHints: false}));
"""

_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class VizServer:
    url: str  # ends with a slash
    project: Path

    def get(self, path: str) -> Any:
        with _LOCAL.open(self.url + path, timeout=30) as response:
            return json.load(response)


def _free_port() -> int:
    """A free local port that Kedro-Viz accepts: it refuses any port above 49151.

    Drawn below Linux's ephemeral ports (32768 and up), which the OS hands out on its own.
    """
    for port in random.sample(range(20000, 32768), 100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free local port between 20000 and 32767 for kedro viz run")


def _tail(path: Path, limit: int = 4000) -> str:
    return path.read_text(errors="replace")[-limit:] if path.exists() else ""


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"kedro viz run exited with code {process.returncode} before answering; "
                f"its output:\n{_tail(log)}"
            )
        try:
            with _LOCAL.open(url + "api/main", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(
        f"kedro viz run did not answer {url}api/main within {SERVER_START_TIMEOUT} s; "
        f"its output:\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen) -> None:
    """End the server's process group: the CLI and the server process it spawned."""
    group = process.pid  # start_new_session=True: the CLI leads its own group
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait(timeout=15)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # children that outlive the CLI
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@pytest.fixture
def viz_server(completed_project: Path, tmp_path: Path) -> Iterator[VizServer]:
    """``kedro viz run`` on a private copy of the project after a full run."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    environment = {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "true",
        "HTTP_PROXY": CLOSED_PORT_PROXY,
        "HTTPS_PROXY": CLOSED_PORT_PROXY,
        "http_proxy": CLOSED_PORT_PROXY,
        "https_proxy": CLOSED_PORT_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    kedro = Path(sys.executable).with_name("kedro")
    command = [str(kedro), "viz", "run", "--no-browser", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "viz-server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=completed_project,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(process, url, log)
        yield VizServer(url=url, project=completed_project)
    finally:
        _stop(process)


def _shown_name(node: dict) -> str:
    """A node's name as Kedro knows it: Viz shows task nodes by their short name."""
    if node["type"] == "task":
        return ".".join([*(node["modular_pipelines"] or []), node["name"]])
    return node["name"]


def test_viz_server_lists_every_pipeline_and_previews_reporting_datasets(
    viz_server: VizServer,
) -> None:
    reporting = reporting_datasets(viz_server.project)  # bootstraps the project: `pipelines`
    assert FIGURE in reporting and TABLE in reporting
    main = viz_server.get("api/main")
    assert {pipeline["id"] for pipeline in main["pipelines"]} == set(pipelines)

    for pipeline_id, pipeline in pipelines.items():
        response = viz_server.get(f"api/pipelines/{pipeline_id}")
        assert response["selected_pipeline"] == pipeline_id
        tasks = {_shown_name(node) for node in response["nodes"] if node["type"] == "task"}
        assert tasks == {node.name for node in pipeline.nodes}, pipeline_id
        shown_reporting = {
            node["name"]
            for node in response["nodes"]
            if node["type"] == "data" and node["layer"] == "reporting"
        }
        assert shown_reporting == set(reporting) & pipeline.datasets(), pipeline_id

    # the live server previews every reporting dataset; no flag is needed
    node_ids = {_shown_name(node): node["id"] for node in main["nodes"]}
    for name in reporting:
        metadata = viz_server.get(f"api/nodes/{node_ids[name]}")
        assert metadata["preview"], name
    table = viz_server.get(f"api/nodes/{node_ids[TABLE]}")
    assert table["preview_type"] == "TablePreview"
    assert len(table["preview"]["data"]) == PREVIEW_ROWS


@dataclass
class VizPage:
    page: Any  # playwright.sync_api.Page, showing the server's start page
    errors: list[str]  # uncaught JavaScript errors


@pytest.fixture
def viz_page(viz_server: VizServer, tmp_path: Path) -> Iterator[VizPage]:
    """The server's page in headless Debian Chromium, which may load nothing but that server."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "CI must install Debian's chromium first (see .ci/run)"

    def local_only(route: Any) -> None:
        if route.request.url.startswith(viz_server.url):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",  # a fresh profile
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            context.set_default_timeout(30_000)
            context.route("**/*", local_only)
            page = context.pages[0] if context.pages else context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            # Pop-ups that may cover the flowchart: the first-visit feature tour is switched
            # off as its Settings toggle does (it stores showFeatureHints in localStorage);
            # should it show anyway, or the update reminder (offline, Viz cannot tell the
            # latest version and announces "Kedro-Viz None"), it is dismissed as a user would.
            context.add_init_script(HIDE_FEATURE_HINTS)
            page.add_locator_handler(
                page.locator(".feature-hints__close"), lambda close: close.click()
            )
            page.add_locator_handler(
                page.locator(".update-reminder-unexpanded"),
                lambda reminder: reminder.get_by_role("button", name="Dismiss").click(),
            )
            page.goto(viz_server.url)
            yield VizPage(page=page, errors=errors)
        finally:
            context.close()


@pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI,
    reason="Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it",
)
def test_viz_page_draws_the_flowchart_and_previews_in_chromium(
    viz_server: VizServer, viz_page: VizPage, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    main = viz_server.get("api/main")
    nodes = {_shown_name(node): node for node in main["nodes"]}
    top_level = {child["id"] for child in main["modular_pipelines"]["__root__"]["children"]}
    top_tasks = {
        node["id"]: node["name"]
        for node in main["nodes"]
        if node["type"] == "task" and node["id"] in top_level
    }
    credit_tasks = {
        node["id"]: node["name"]
        for node in main["nodes"]
        if node["type"] == "task" and node["modular_pipelines"] == ["credit"]
    }
    assert len(top_tasks) >= 3 and len(credit_tasks) >= 5
    figure = json.loads(
        Path(viz_server.get(f"api/nodes/{nodes[FIGURE]['id']}")["filepath"]).read_text()
    )
    shots = tmp_path / "screenshots"
    page = viz_page.page
    flowchart = page.locator(".pipeline-flowchart")

    def drawn(node_id: str) -> Any:
        return flowchart.locator(f'.pipeline-node[data-id="{node_id}"]')

    # the default pipeline: its top-level task nodes, the namespaces collapsed, and the
    # reporting outputs of the namespaces
    for node_id, name in top_tasks.items():
        expect(drawn(node_id).locator(".pipeline-node__text")).to_have_text(name)
    for task in TABULAR_TASKS:
        expect(drawn(task).locator(".pipeline-node__text")).to_have_text(task)
    for name in (FIGURE, TABLE, "ames.correlation_heatmap", "timeseries_overview"):
        expect(drawn(nodes[name]["id"]).locator(".pipeline-node__text")).to_have_text(name)
    for node_id in credit_tasks:
        expect(drawn(node_id)).to_have_count(0)
    page.screenshot(path=shots / "1-default-pipeline.png")

    # open the credit namespace: its task nodes are drawn
    drawn("credit").click()
    for node_id, name in credit_tasks.items():
        expect(drawn(node_id).locator(".pipeline-node__text")).to_have_text(name)
    page.screenshot(path=shots / "2-credit-namespace.png")

    # a reporting table: the metadata panel previews its first 20 rows
    panel = page.locator(".pipeline-metadata")
    preview = panel.locator(".pipeline-metadata__preview")
    drawn(nodes[TABLE]["id"]).click()
    expect(panel.locator(".pipeline-metadata__title")).to_have_text(TABLE)
    expect(preview.locator(".preview-table__row")).to_have_count(PREVIEW_ROWS)
    page.screenshot(path=shots / "3-table-preview.png")
    # the panel covers the right of the flowchart: close it, as a user would
    panel.locator(".pipeline-metadata__close-button").click()
    expect(panel.locator(".pipeline-metadata__title")).to_have_count(0)

    # a plotly figure: the panel draws the heatmap with the figure's title
    drawn(nodes[FIGURE]["id"]).click()
    expect(drawn(nodes[FIGURE]["id"])).to_have_class(re.compile("pipeline-node--selected"))
    expect(panel.locator(".pipeline-metadata__title")).to_have_text(FIGURE)
    plot = preview.locator(".js-plotly-plot")
    expect(plot.locator(".gtitle")).to_have_text(figure["layout"]["title"]["text"])
    expect(plot.locator(".heatmaplayer .hm")).to_have_count(1)
    final = shots / "4-figure-preview.png"
    page.screenshot(path=final)
    if os.environ.get("VIZ_SCREENSHOT_DIR"):
        keep = Path(os.environ["VIZ_SCREENSHOT_DIR"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(final, keep / final.name)

    assert viz_page.errors == [], viz_page.errors
