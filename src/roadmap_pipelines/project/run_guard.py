"""One writer per project, and all-or-nothing outputs that survive ``kill -9``.

Both live in ``.kedro-run/`` at the project root, on the same file system as ``data/``:

- ``lock``: a POSIX record lock (``fcntl.lockf``) held for the whole run. The kernel drops it
  when the process dies, however it dies, and a forked child does not inherit it, so a lock
  can only be stale on a network file system; the file also names its holder (pid, start
  time, command) for the message a second run prints.
- ``journal.json`` and ``backup/``: before a run writes anything, the journal lists every
  local output and whether it existed. Just before a dataset is saved, its old file or folder
  is *renamed* into ``backup/`` (atomic, no copy). Deleting the journal is the commit point.
  A journal found at the start of a run means the last one did not finish: every backup is
  renamed back and every output the old run created is removed, so the outputs are exactly
  the previous complete set again. Recovery is idempotent: a crash while recovering is
  recovered by the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

STATE_DIR = ".kedro-run"
WAIT_ENV = "ROADMAP_RUN_LOCK_WAIT"


class RunLockedError(RuntimeError):
    """Another process holds the project's run lock."""


class RecoveryError(RuntimeError):
    """Some outputs of an unfinished run could not be put back."""


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ProjectLock:
    """The project's run lock: one writer at a time; readers never take it.

    Args:
        root: Project root; the lock file is ``<root>/.kedro-run/lock``.
    """

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / STATE_DIR / "lock"
        self._descriptor: int | None = None

    def holder(self) -> dict | None:
        """The holder the lock file names (may be a finished run's), or ``None``."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    def acquire(self, wait_seconds: float | None = None) -> None:
        """Take the lock, waiting up to ``wait_seconds`` (env ``ROADMAP_RUN_LOCK_WAIT``; 0).

        Raises:
            RunLockedError: If another process still holds it then; the message names the
                holder and says how to clear a stale lock.
        """
        if wait_seconds is None:
            wait_seconds = float(os.environ.get(WAIT_ENV, "0") or 0)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    raise RunLockedError(self._locked_message()) from None
                time.sleep(0.2)
        os.ftruncate(descriptor, 0)
        holder = {
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
        }
        os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        self._descriptor = descriptor

    def _locked_message(self) -> str:
        holder = self.holder() or {}
        pid = holder.get("pid")
        who = (
            f"process {pid} (started {holder.get('started')}, command: {holder.get('command')})"
            if pid
            else "another process"
        )
        stale = (
            f" Process {pid} no longer exists: the lock is stale (a network file system?);"
            f" delete {self.path} and run again."
            if pid and not _pid_alive(pid)
            else f" Wait for it to finish, set {WAIT_ENV}=<seconds> to wait, or, if that "
            f"process is gone, delete {self.path}."
        )
        return f"another run is writing this project's outputs: {who}.{stale}"

    def release(self) -> None:
        """Drop the lock (closing the file releases it); the holder text stays for reference."""
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._descriptor is not None


@dataclass
class RecoveryReport:
    """What recovering an unfinished run did."""

    started: str | None = None
    command: str | None = None
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the log."""
        return (
            f"an unfinished run (started {self.started}, command: {self.command}) was "
            f"rolled back: {len(self.restored)} output(s) restored, {len(self.removed)} "
            f"partial new output(s) removed"
        )


class OutputJournal:
    """All-or-nothing outputs for one run at a time (hold the ``ProjectLock`` around it).

    Args:
        root: Project root; state goes to ``<root>/.kedro-run/``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.state = self.root / STATE_DIR
        self.journal = self.state / "journal.json"
        self.backups = self.state / "backup"
        self._entries: list[tuple[Path, bool]] = []
        self._index: dict[Path, int] = {}
        self._moved: set[int] = set()

    def _key(self, path: Path) -> str:
        path = Path(path).absolute()
        with contextlib.suppress(ValueError):
            return str(path.relative_to(self.root.absolute()))
        return str(path)

    def _path(self, key: str) -> Path:
        path = Path(key)
        return path if path.is_absolute() else self.root / path

    @property
    def unfinished(self) -> bool:
        """Whether a journal of a run that did not finish is present."""
        return self.journal.exists()

    def begin(self, outputs: Iterable[Path]) -> None:
        """Write the journal of a new run (recover an unfinished one first)."""
        self.state.mkdir(parents=True, exist_ok=True)
        if self.backups.exists():
            # a committed run whose backups were not all deleted yet
            shutil.rmtree(self.backups)
        self.backups.mkdir()
        unique = sorted({Path(path).absolute() for path in outputs})
        self._entries = [(path, path.exists() or path.is_symlink()) for path in unique]
        self._index = {path: index for index, (path, _) in enumerate(self._entries)}
        self._moved = set()
        record = {
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "entries": [
                {"path": self._key(path), "existed": existed} for path, existed in self._entries
            ],
        }
        _write_atomically(self.journal, json.dumps(record, indent=1))

    def protect(self, path: Path) -> None:
        """Move ``path``'s previous content into the backups, just before it is rewritten."""
        index = self._index.get(Path(path).absolute())
        if index is None or index in self._moved:
            return
        self._moved.add(index)
        target, existed = self._entries[index]
        if existed and (target.exists() or target.is_symlink()):
            os.rename(target, self.backups / str(index))
            _fsync_dir(self.backups)

    def commit(self) -> None:
        """Make the new outputs final: delete the journal (the commit point), then backups."""
        if self.journal.exists():
            self.journal.unlink()
            _fsync_dir(self.state)
        shutil.rmtree(self.backups, ignore_errors=True)
        self._entries, self._index, self._moved = [], {}, set()

    def rollback(self) -> RecoveryReport:
        """Put every output back as it was before the journalled run; report what failed.

        Every entry is tried even when one fails; the journal and the backups stay in place
        while anything failed, so the next run tries again.
        """
        try:
            record = json.loads(self.journal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return RecoveryReport()
        report = RecoveryReport(record.get("started"), record.get("command"))
        for index, entry in enumerate(record["entries"]):
            target = self._path(entry["path"])
            backup = self.backups / str(index)
            try:
                if backup.exists() or backup.is_symlink():
                    if target.is_dir() and not target.is_symlink():
                        shutil.rmtree(target)
                    elif backup.is_dir() and (target.exists() or target.is_symlink()):
                        target.unlink()
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(backup, target)
                    report.restored.append(entry["path"])
                elif not entry["existed"] and (target.exists() or target.is_symlink()):
                    _remove(target)
                    report.removed.append(entry["path"])
            except OSError as error:
                report.failed.append(f"{entry['path']}: {error.strerror or error}")
        if not report.failed:
            self.commit()
        return report
