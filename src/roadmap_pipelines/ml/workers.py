"""Worker processes that end with the process that started them.

joblib's loky workers outlive a parent killed with SIGKILL (they wait for work until their
idle timeout), holding memory and, worse, possibly writing after the run is gone. A worker
calls ``exit_with_parent()`` once: a daemon thread notices when its parent changes (the parent
died and the worker was re-parented) and ends the worker at once.
"""

from __future__ import annotations

import os
import threading
import time

_watching: set[int] = set()


def exit_with_parent(poll_seconds: float = 0.5) -> None:
    """End this process when its parent process dies (idempotent).

    Args:
        poll_seconds: How often the parent is checked.
    """
    pid = os.getpid()
    if pid in _watching:
        return
    _watching.add(pid)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
