"""Add and remove one task's block in a parameters or catalog file, as text.

``kedro task add`` writes YAML a person would have written, and must leave every other block
and comment of the file exactly as it was, so it edits the text rather than re-dumping a
parsed document. The files are indented by two spaces (as every file in ``conf/`` is); a block
is a key line, the lines indented under it, and the comment lines right above it at its indent.
"""

from __future__ import annotations

import re

INDENT = 2


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    """A line holding YAML (not blank, not only a comment)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _key_line(lines: list[str], key: str, indent: int, start: int, stop: int) -> int | None:
    pattern = re.compile(rf"^ {{{indent}}}{re.escape(key)}\s*:(\s|$)")
    quoted = re.compile(rf"^ {{{indent}}}[\"']{re.escape(key)}[\"']\s*:(\s|$)")
    for number in range(start, stop):
        if pattern.match(lines[number]) or quoted.match(lines[number]):
            return number
    return None


def _end_of(lines: list[str], header: int, stop: int) -> int:
    """The line after the block whose key is on ``header`` (trailing blanks and the comments
    heading the next block excluded)."""
    indent = _indent(lines[header])
    end = header + 1
    while end < stop and not (_is_content(lines[end]) and _indent(lines[end]) <= indent):
        end += 1
    while end > header + 1 and (
        not lines[end - 1].strip()
        or (not _is_content(lines[end - 1]) and _indent(lines[end - 1]) <= indent)
    ):
        end -= 1
    return end


def _section(lines: list[str], path: tuple[str, ...]) -> tuple[int, int] | None:
    """(header line, end line) of the mapping at ``path`` (``()``: the file, header -1), or
    ``None`` if absent."""
    start, stop, header = 0, len(lines), -1
    for depth, key in enumerate(path):
        found = _key_line(lines, key, depth * INDENT, start, stop)
        if found is None:
            return None
        header = found
        stop = _end_of(lines, header, stop)
        start = header + 1
    return header, stop


def has_block(text: str, path: tuple[str, ...], name: str) -> bool:
    """Whether the mapping at ``path`` has a key ``name``."""
    lines = text.splitlines()
    section = _section(lines, path)
    if section is None:
        return False
    header, stop = section
    return _key_line(lines, name, len(path) * INDENT, header + 1, stop) is not None


def remove_block(text: str, path: tuple[str, ...], name: str) -> str:
    """``text`` without the block ``name`` of the mapping at ``path`` (unchanged if absent)."""
    lines = text.splitlines()
    section = _section(lines, path)
    if section is None:
        return text
    header, stop = section
    indent = len(path) * INDENT
    start = _key_line(lines, name, indent, header + 1, stop)
    if start is None:
        return text
    end = _end_of(lines, start, stop)
    while start > header + 1 and (
        lines[start - 1].strip().startswith("#") and _indent(lines[start - 1]) == indent
    ):
        start -= 1
    # one blank line separated the block from its neighbours: drop one of them with it
    if start > 0 and not lines[start - 1].strip():
        start -= 1
    elif end < len(lines) and not lines[end].strip():
        end += 1
    kept = lines[:start] + lines[end:]
    return "\n".join(kept) + ("\n" if text.endswith("\n") else "")


def append_block(text: str, path: tuple[str, ...], block: str) -> str:
    """``text`` with ``block`` (already indented under ``path``) as the mapping's last entry.

    A missing mapping is created at the end of the file (only a top-level one, or one whose
    parent exists).
    """
    lines = text.splitlines()
    section = _section(lines, path)
    if section is None:
        parent = _section(lines, path[:-1]) if len(path) > 1 else None
        if len(path) > 1 and parent is None:
            raise ValueError(f"no `{'.'.join(path[:-1])}:` mapping to add `{path[-1]}:` under")
        at = parent[1] if parent else len(lines)
        opening = " " * ((len(path) - 1) * INDENT) + f"{path[-1]}:"
        lines[at:at] = ["", opening] if parent is None else [opening]
        section = _section(lines, path)
        assert section is not None  # the mapping was just added
    header, end = section
    # an empty flow mapping (`tasks: {}`) becomes a block mapping the entry can go under
    lines[header] = re.sub(r":\s*\{\}\s*(#.*)?$", ":", lines[header])
    new = block.rstrip("\n").splitlines()
    has_children = end > section[0] + 1
    lines[end:end] = ([""] if has_children else []) + new
    return "\n".join(lines) + "\n"
