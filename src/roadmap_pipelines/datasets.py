"""Project datasets: what kedro-datasets does not provide."""

from __future__ import annotations

import math
import re
from typing import Any

from kedro_datasets._typing import HTMLPreview
from kedro_datasets.json import JSONDataset
from kedro_datasets.text import TextDataset


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


def round_floats(data: Any, significant_digits: int) -> Any:
    """``data`` with every finite float rounded to ``significant_digits`` significant digits.

    Walks dicts, lists and tuples; other values (ints, bools, strings, NaN, inf) are kept.
    """
    if isinstance(data, float) and math.isfinite(data):
        return float(f"{data:.{significant_digits}g}")
    if isinstance(data, dict):
        return {key: round_floats(value, significant_digits) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [round_floats(value, significant_digits) for value in data]
    return data


class RoundedJSONDataset(JSONDataset):
    """A ``json.JSONDataset`` that writes floats rounded to ``significant_digits`` (default 10).

    Fits through BLAS differ between CPU kernels in their last bits (1e-16 relative); rounded,
    such noise rarely reaches the file's bytes, so a JSON of fitted numbers (information
    criteria, coefficients) stays byte-identical across machines where it otherwise would not.
    """

    def __init__(self, *, significant_digits: int = 10, **kwargs: Any) -> None:
        """Args:
        significant_digits: Significant digits kept of every float.
        **kwargs: ``json.JSONDataset`` arguments (filepath, save_args, metadata, ...).
        """
        super().__init__(**kwargs)
        self._significant_digits = significant_digits

    def save(self, data: Any) -> None:
        """Save ``data`` as JSON with its floats rounded."""
        super().save(round_floats(data, self._significant_digits))
