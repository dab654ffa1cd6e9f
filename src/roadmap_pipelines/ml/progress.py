"""Progress of long loops: a rich bar on a terminal, a log line per tenth of the work otherwise.

Search trials, CV folds and clustering trials take from seconds to hours; a user watching a
terminal sees counts and the time left, and a log file (CI, DVC) gets ten lines, not one per
step. Rich is what Kedro already logs with.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_LOGGER = logging.getLogger(__name__)


@contextmanager
def progress(
    total: int,
    description: str,
    terminal: bool | None = None,
    console: Any = None,
    logger: logging.Logger = _LOGGER,
) -> Iterator[Callable[[int], None]]:
    """Count ``total`` steps of work; yield ``advance(steps=1)`` to call as steps finish.

    Args:
        total: Steps the work takes (a timeout may end it earlier).
        description: What is counted, e.g. ``credit search: fold fits``.
        terminal: Draw a bar (True) or log tenths (False); by default a bar when standard
            error is a terminal.
        console: The rich ``Console`` to draw on (tests); by default rich's own.
        logger: Where the tenths are logged.

    Yields:
        ``advance``: adds finished steps.
    """
    if terminal is None:
        terminal = sys.stderr.isatty()
    if total <= 0:
        yield _nothing
    elif terminal:
        with _bar(total, description, console) as advance:
            yield advance
    else:
        yield _tenths(total, description, logger)


@contextmanager
def _bar(total: int, description: str, console: Any) -> Iterator[Callable[[int], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(steps: int = 1) -> None:
            bar.advance(task, steps)

        yield advance


def _nothing(steps: int = 1) -> None:
    """``advance`` when there is no work to count."""


def _tenths(total: int, description: str, logger: logging.Logger) -> Callable[[int], None]:
    start = time.perf_counter()
    done = 0
    logged = 0

    def advance(steps: int = 1) -> None:
        nonlocal done, logged
        done = min(total, done + steps)
        tenth = math.floor(10 * done / total)
        if tenth <= logged:
            return
        logged = tenth
        elapsed = time.perf_counter() - start
        left = elapsed / done * (total - done)
        logger.info(
            "%s: %d/%d (%d%%), %.1f s elapsed, about %.1f s left",
            description,
            done,
            total,
            100 * done // total,
            elapsed,
            left,
        )

    return advance
