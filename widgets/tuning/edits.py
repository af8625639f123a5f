"""Pure value edits behind the editors: element replacement, matrix rows, curve points, table rows.

Kept apart from the widgets (no Qt here) so the arithmetic a tuner relies on, such as keeping
a colour matrix's rows summing to 1 or keeping curve inputs strictly increasing, is tested on
its own and widgets only translate gestures into these calls.
"""
from __future__ import annotations

from app.isp.declare import ParamSpec

Point = tuple[float, float]


def with_element(values: tuple, index: int, value) -> tuple:
    """`values` with element `index` replaced."""
    out = list(values)
    out[index] = value
    return tuple(out)


def clamp(spec: ParamSpec, value: float) -> float:
    if spec.minimum is not None:
        value = max(spec.minimum, value)
    if spec.maximum is not None:
        value = min(spec.maximum, value)
    return value


# ------------------------------------------------------------------------------ matrix

def matrix_set(matrix: tuple[float, ...], index: int, value: float, keep_rows: bool) -> tuple[float, ...]:
    """Set element `index` of a row-major 3x3 matrix; with `keep_rows`, its row still sums to 1.

    Keeping a row's sum keeps neutral greys neutral (a colour matrix with unit row sums maps
    white-balanced grey to grey). Changing an off-diagonal element is compensated on the row's
    diagonal; changing the diagonal spreads the difference equally over the other two.
    """
    out = list(matrix)
    out[index] = float(value)
    if keep_rows:
        row, col = divmod(index, 3)
        cells = [row * 3 + c for c in range(3)]
        others = [i for i in cells if i != index]
        if col == row:
            rest = 1.0 - out[index]
            old = sum(out[i] for i in others)
            share = (rest - old) / 2.0
            for i in others:
                out[i] += share
        else:
            diag = row * 3 + row
            out[diag] = 1.0 - sum(out[i] for i in cells if i != diag)
    return tuple(out)


def row_sums(matrix: tuple[float, ...]) -> tuple[float, float, float]:
    return tuple(sum(matrix[r * 3:r * 3 + 3]) for r in range(3))


def normalise_rows(matrix: tuple[float, ...]) -> tuple[float, ...]:
    """Scale each row to sum to 1 (rows summing to ~0 are left as they are)."""
    out = []
    for r in range(3):
        row = matrix[r * 3:r * 3 + 3]
        s = sum(row)
        out += [v / s for v in row] if abs(s) > 1e-9 else list(row)
    return tuple(out)


# ------------------------------------------------------------------------------- curve

def curve_gap(spec: ParamSpec) -> float:
    """Smallest distance kept between neighbouring control-point inputs."""
    if spec.step:
        return float(spec.step)
    lo, hi = spec.minimum or 0.0, spec.maximum if spec.maximum is not None else 1.0
    return (hi - lo) / 1000.0


def curve_move(curve: tuple[Point, ...], index: int, x: float, y: float, spec: ParamSpec) -> tuple[Point, ...]:
    """Move point `index`, kept inside the declared range and strictly between its neighbours."""
    gap = curve_gap(spec)
    lo = curve[index - 1][0] + gap if index > 0 else spec.minimum
    hi = curve[index + 1][0] - gap if index < len(curve) - 1 else spec.maximum
    x = clamp(spec, x)
    if lo is not None:
        x = max(lo, x)
    if hi is not None:
        x = min(hi, x)
    return with_element(curve, index, (float(x), float(clamp(spec, y))))


def curve_insert(curve: tuple[Point, ...], x: float, y: float, spec: ParamSpec) -> tuple[tuple[Point, ...], int]:
    """Insert a point at input `x` (the curve and its index); refused (same curve, -1) if too close."""
    x, y = clamp(spec, x), clamp(spec, y)
    gap = curve_gap(spec)
    if any(abs(px - x) < gap for px, _ in curve):
        return curve, -1
    index = sum(1 for px, _ in curve if px < x)
    return curve[:index] + ((float(x), float(y)),) + curve[index:], index


def curve_remove(curve: tuple[Point, ...], index: int, minimum_points: int = 2) -> tuple[Point, ...]:
    """The curve without point `index` (unchanged if it would leave too few points)."""
    if len(curve) <= minimum_points:
        return curve
    return curve[:index] + curve[index + 1:]


def nearest(curve: tuple[Point, ...], x: float, y: float, radius_x: float, radius_y: float) -> int:
    """Index of the point within the (elliptic) radius of (x, y), or -1."""
    best, best_d = -1, 1.0
    for i, (px, py) in enumerate(curve):
        d = ((px - x) / radius_x) ** 2 + ((py - y) / radius_y) ** 2
        if d <= best_d:
            best, best_d = i, d
    return best


# ---------------------------------------------------------------------- table entries

def insert_entry(entries: list[dict], key: str, value: float, template: dict) -> tuple[list[dict], int]:
    """Entries with a copy of `template` at key `value`, in key order (and its row)."""
    new = {**template, key: float(value)}
    index = sum(1 for e in entries if e[key] < value)
    return entries[:index] + [new] + entries[index:], index


def nearest_entry(entries: list[dict], key: str, value: float) -> dict | None:
    if not entries:
        return None
    return min(entries, key=lambda e: abs(e[key] - value))
