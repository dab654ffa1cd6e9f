"""Progress of long loops: ten log lines off a terminal, a rich bar with counts on one."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from roadmap_pipelines.ml.progress import progress


def test_off_a_terminal_one_line_per_tenth_with_counts_and_time_left(caplog) -> None:
    logger = logging.getLogger("test.progress")
    with (
        caplog.at_level(logging.INFO, logger="test.progress"),
        progress(25, "fits", terminal=False, logger=logger) as advance,
    ):
        for _ in range(25):
            advance(1)

    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 10
    assert lines[0].startswith("fits: 3/25 (12%)")  # the first step past a tenth
    assert lines[-1].startswith("fits: 25/25 (100%)")
    assert all("left" in line for line in lines)


def test_steps_of_several_and_overshoot_log_each_tenth_once(caplog) -> None:
    logger = logging.getLogger("test.progress")
    with (
        caplog.at_level(logging.INFO, logger="test.progress"),
        progress(4, "folds", terminal=False, logger=logger) as advance,
    ):
        advance(3)
        advance(3)  # an overshoot is capped at the total

    assert [r.getMessage().split(",")[0] for r in caplog.records] == [
        "folds: 3/4 (75%)",
        "folds: 4/4 (100%)",
    ]


def test_on_a_terminal_a_bar_shows_done_of_total() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with progress(3, "trials", terminal=True, console=console) as advance:
        for _ in range(3):
            advance(1)

    assert "trials" in out.getvalue() and "3/3" in out.getvalue()


def test_no_work_draws_and_logs_nothing(caplog) -> None:
    with progress(0, "nothing", terminal=False) as advance:
        advance(1)

    assert caplog.records == []
