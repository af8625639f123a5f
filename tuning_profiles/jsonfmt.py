"""Deterministic, diff-friendly JSON for profile files.

One parameter per line down to each stage's parameters (so `git diff` shows which parameter
changed), compact lines below that when they fit, grids one row per line, long number lists
wrapped at a fixed count. The same value always gives the same text.
"""
from __future__ import annotations

import json
from numbers import Number
from typing import Any

WIDTH = 120
EXPAND_DEPTH = 2  # objects this close to the top are always one key per line


def _is_number(v) -> bool:
    return isinstance(v, Number) and not isinstance(v, bool)


def _compact(value) -> str:
    return json.dumps(value, separators=(", ", ": "), allow_nan=False, ensure_ascii=False)


def _has_grid(value) -> bool:
    """Whether a list of lists sits anywhere inside `value` (grids are never squeezed on a line)."""
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            return True
        return any(_has_grid(v) for v in value if isinstance(v, (list, dict)))
    if isinstance(value, dict):
        return any(_has_grid(v) for v in value.values() if isinstance(v, (list, dict)))
    return False


def _format(value: Any, indent: int, depth: int) -> str:
    pad = " " * indent
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        one = _compact(value)
        if depth > EXPAND_DEPTH and indent + len(one) <= WIDTH and not _has_grid(value):
            return one
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 2, depth + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, list) and all(_is_number(x) for x in v) for v in value):
            rows = [inner + _compact(v) for v in value]  # a grid: one row per line
            return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        one = _compact(value)
        if indent + len(one) <= WIDTH and not _has_grid(value):
            return one
        if all(_is_number(v) for v in value):
            tokens = [_compact(v) for v in value]
            per_line = max(1, (WIDTH - indent - 2) // (max(len(t) for t in tokens) + 2))
            lines = [inner + ", ".join(tokens[i:i + per_line]) for i in range(0, len(tokens), per_line)]
            return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
        items = [inner + _format(v, indent + 2, depth + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return _compact(value)


def dumps(value: Any) -> str:
    """`value` as formatted JSON text ending in a newline."""
    return _format(value, 0, 0) + "\n"
