"""Project datasets: what kedro-datasets does not provide."""

from __future__ import annotations

import importlib
import io
import re
from pathlib import Path
from typing import Any

from kedro_datasets._typing import HTMLPreview
from kedro_datasets.pickle import PickleDataset
from kedro_datasets.text import TextDataset

from roadmap_pipelines.project.model_integrity import (
    hash_record_path,
    record_hash,
    verified_bytes,
)


class HTMLReportDataset(TextDataset):
    """A self-contained HTML page (``TextDataset``) that Kedro-Viz previews as its contents.

    The whole page (several MB of inlined plotly.js) is no use in Viz's side panel, so the
    preview lists the page's sections and reports and says where to open it.
    """

    def preview(self) -> HTMLPreview:
        """The page's title, sections (``<h2>``) and reports (``<h4>``) as Markdown."""
        page = self.load()
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        lines = [
            f"**{title.group(1) if title else 'HTML report'}**",
            "",
            f"Open `{self._filepath}` in a browser: one self-contained page, no network needed.",
            "",
        ]
        for level, heading in re.findall(r"<h([24])[^>]*>(.*?)</h\1>", page, re.S):
            text = re.sub(r"<[^>]+>", "", heading).strip()
            if text == "Contents":
                continue
            lines.append(f"- **{text}**" if level == "2" else f"  - {text}")
        return HTMLPreview("\n".join(lines))


class HashCheckedPickleDataset(PickleDataset):
    """``pickle.PickleDataset`` that records the file's SHA-256 when saving and refuses to
    unpickle a local file whose bytes differ from the record
    (``roadmap_pipelines.project.model_integrity``)."""

    def companion_paths(self) -> list[Path]:
        """Files written with the dataset's own (the hash record): a run journals them too."""
        return [hash_record_path(self._get_save_path())] if self._protocol == "file" else []

    def save(self, data: Any) -> None:
        """Save as ``PickleDataset`` does, then record the file's hash beside it."""
        super().save(data)
        if self._protocol == "file":
            record_hash(self._get_save_path())

    def load(self) -> Any:
        """Check the file against its recorded hash, then unpickle the checked bytes."""
        if self._protocol != "file":
            return super().load()
        data = verified_bytes(self._get_load_path())
        imported_backend = importlib.import_module(self._backend)
        return imported_backend.load(io.BytesIO(data), **self._load_args)
