"""Project datasets: what kedro-datasets does not provide."""

from __future__ import annotations

import re

from kedro_datasets._typing import HTMLPreview
from kedro_datasets.text import TextDataset

from roadmap_pipelines.compat import dataset_local_path


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
            f"Open `{dataset_local_path(self)}` in a browser: one self-contained page, "
            "no network needed.",
            "",
        ]
        for level, heading in re.findall(r"<h([24])[^>]*>(.*?)</h\1>", page, re.S):
            text = re.sub(r"<[^>]+>", "", heading).strip()
            if text == "Contents":
                continue
            lines.append(f"- **{text}**" if level == "2" else f"  - {text}")
        return HTMLPreview("\n".join(lines))
