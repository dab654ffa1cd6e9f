"""What ``kedro run`` checks before a session starts, and how it reports an error briefly.

A configuration or data mistake is the user's to fix, not a bug: one message saying what is
wrong, where (file, key, dataset, node) and what to do helps more than 30 frames of Kedro and
pandas internals. The full traceback stays one flag away (``--verbose``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path


class SelectionError(ValueError):
    """``--pipelines`` or ``--namespaces`` names something that does not exist."""


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_selection(pipeline_names: list[str], namespaces: list[str]) -> None:
    """Refuse unknown pipeline or namespace names, listing the ones that exist.

    Args:
        pipeline_names: ``--pipelines`` (empty: ``__default__``).
        namespaces: ``--namespaces``.

    Raises:
        SelectionError: Naming each unknown name, the closest one and every valid one.
    """
    if not pipeline_names and not namespaces:
        return  # nothing to check; building every pipeline here would be done twice a run
    from kedro.framework.project import pipelines

    # Kedro loads only the requested pipelines; load them all to know every name
    pipelines.set_requested(None)
    registered = dict(pipelines)
    known = sorted(name for name in registered if name != "__default__")
    errors = [
        f"--pipelines: no pipeline named '{name}'{_suggest(name, known)}; pipelines: {known}"
        for name in pipeline_names
        if name not in registered
    ]
    if not errors and namespaces:
        selected = [registered[name] for name in pipeline_names or ["__default__"]]
        existing = sorted(
            {
                ".".join(node.namespace.split(".")[:depth])
                for pipeline in selected
                for node in pipeline.nodes
                if node.namespace
                for depth in range(1, node.namespace.count(".") + 2)
            }
        )
        errors = [
            f"--namespaces: no namespace (task) named '{name}' in "
            f"{', '.join(pipeline_names) or 'the default pipeline'}{_suggest(name, existing)}; "
            f"namespaces: {existing}"
            for name in namespaces
            if name not in existing
        ]
    if errors:
        raise SelectionError("\n".join(errors))


def short_message(error: BaseException) -> tuple[str, int]:
    """One short message for ``error`` and the exit status to end with.

    Returns:
        ``(message, status)``: 75 when another run holds the lock (try again later), else 1.
    """
    from roadmap_pipelines.project.run_guard import RunLockedError

    text = str(error).strip() or type(error).__name__
    if isinstance(error, RunLockedError):
        return f"Not started: {text}", 75
    if isinstance(error, SelectionError):
        return f"Not started:\n{text}", 1
    decode = _decode_location(error)
    if decode:
        text = decode
    kind = type(error).__name__
    return (
        f"Run failed ({kind}): {text}\n"
        "Outputs are as they were before the run; fix what the message names and run again.",
        1,
    )


def _decode_location(error: BaseException) -> str | None:
    """For a file that is not valid UTF-8: the file, line and column of the first bad byte."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    decode = next((e for e in chain if isinstance(e, UnicodeDecodeError)), None)
    match = re.search(r"filepath=\w*Path\('([^']+)'\)", str(error))
    if decode is None or match is None or not Path(match.group(1)).is_file():
        return None
    path = Path(match.group(1))
    data = path.read_bytes()
    try:
        data.decode(decode.encoding)
    except UnicodeDecodeError as located:
        line = data.count(b"\n", 0, located.start) + 1
        column = located.start - (data.rfind(b"\n", 0, located.start) + 1) + 1
        return (
            f"{path} is not valid {decode.encoding}: byte {data[located.start]:#04x} at line "
            f"{line}, column {column}. Save the file as UTF-8, or set its encoding in the "
            "catalog (load_args: {encoding: latin-1})"
        )
    return None
