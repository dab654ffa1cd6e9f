"""One self-contained, deterministic HTML page of figures, images, tables and metrics.

The page works offline: plotly.js is inlined once (in the first figure), matplotlib images
are embedded as base64 PNGs and tables are plain HTML. Nothing in it depends on when it was
built: no timestamps, and every element id derives from the report's name (plotly would
otherwise draw a random one), so the same reports give the same bytes. The page skeleton is
the Jinja template ``templates/report.html.j2`` beside this module; every value is escaped
there except the report bodies (``| safe``), which the functions below build from escaped
parts.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_TABLE_ROWS = 30
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class TableView:
    """Which rows and columns of a table the page shows.

    Attributes:
        rows: Rows shown at most (``None``: ``MAX_TABLE_ROWS``).
        drop_columns_ending: Columns whose name ends with one of these are left out.
        keep_rows_with: Keep only the rows holding this value in some column.
    """

    rows: int | None = None
    drop_columns_ending: tuple[str, ...] = ()
    keep_rows_with: str | None = None


@dataclass(frozen=True)
class Item:
    """One report on the page: its dataset name, heading, value and how a table is shown."""

    name: str
    heading: str
    value: Any
    table: TableView = field(default_factory=TableView)


@dataclass(frozen=True)
class Group:
    """Reports under one ``<h3>`` heading."""

    title: str
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """An ``<h2>`` section of the page, listed in the table of contents."""

    key: str
    title: str
    groups: Sequence[Group]


def slug(text: str) -> str:
    """A lower-case, dash-separated id made of ``text``'s letters and digits."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_page(title: str, intro: str, sections: Sequence[Section]) -> str:
    """Render the page.

    Args:
        title: The page's ``<title>`` and ``<h1>``.
        intro: One paragraph under the title (plain text; escaped).
        sections: The sections in page order, each with its groups and reports.

    Returns:
        The whole HTML document.

    Raises:
        TypeError: If a report value is not a plotly figure, a base64 PNG string, a
            DataFrame or a mapping.
        ValueError: If a string value is not a base64 PNG.
    """
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    first_figure = True
    rendered = []
    for section in sections:
        groups = []
        for group in section.groups:
            items = []
            for item in group.items:
                body = _body(item, first_figure)
                first_figure = first_figure and not hasattr(item.value, "to_plotly_json")
                items.append(
                    {
                        "anchor": f"report-{slug(item.name)}",
                        "heading": item.heading,
                        "name": item.name,
                        "body": body,
                    }
                )
            groups.append({"title": group.title, "reports": items})
        rendered.append(
            {"anchor": slug(f"section {section.key}"), "title": section.title, "groups": groups}
        )
    return environment.get_template(TEMPLATE).render(title=title, intro=intro, sections=rendered)


def _body(item: Item, first_figure: bool) -> str:
    import pandas as pd

    value = item.value
    if hasattr(value, "to_plotly_json"):
        return _figure_html(value, f"figure-{slug(item.name)}", first_figure)
    if isinstance(value, str):
        return _image_html(value, item.name)
    if isinstance(value, pd.DataFrame):
        return _table_html(value, item.table)
    if isinstance(value, Mapping):
        return _mapping_html(value)
    raise TypeError(f"{item.name}: cannot put a {type(value).__name__} in the report")


def _figure_html(figure: Any, div_id: str, first: bool) -> str:
    import plotly.io as pio

    height = figure.layout.height or 450
    return pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=first,  # inlined once, in the first figure: the page works offline
        div_id=div_id,
        default_height=f"{height}px",
        config={"displaylogo": False, "responsive": True},
    )


def _image_html(encoded: str, alt: str) -> str:
    if not base64.b64decode(encoded[:24]).startswith(PNG_MAGIC):
        raise ValueError(f"{alt}: a text report input must be a base64 PNG")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _format(value: Any) -> str:
    import pandas as pd

    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.6g}"
    return html.escape(str(value))


def _table_html(table: pd.DataFrame, view: TableView) -> str:
    if view.keep_rows_with is not None:
        table = table.loc[(table.astype(str) == view.keep_rows_with).any(axis=1)]
    table = table[[c for c in table.columns if not str(c).endswith(view.drop_columns_ending)]]
    limit = view.rows or MAX_TABLE_ROWS
    shown = table.head(limit)
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in shown.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_format(value)}</td>" for value in row) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = f'<p class="note">First {limit} of {len(table)} rows.</p>' if len(table) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _flatten(document: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows = []
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += _flatten(value, f"{name}.")
        else:
            rows.append((name, value))
    return rows


def _mapping_html(document: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{_format(value)}</td></tr>"
        for key, value in _flatten(document)
    )
    return f"<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
