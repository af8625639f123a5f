"""What changed between two profiles, written for a tuner reviewing a commit.

One line per changed parameter (`stages.tone.gamma: 2.2 -> 2.4`), grouped by section; tables
matched by their key (CT or gain) and summarised: entries added and removed, and for a changed
entry the largest change and where it is (`lsc.tables[ct 5000].r: max |change| 0.031 at row 3,
col 7; mean 0.004`). Carried firmware data is summarised per block.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tuning_profiles.model import Profile

TOLERANCE = 1e-12


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        if len(value) <= 9 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return "[" + ", ".join(_fmt(v) for v in value) + "]"
        return f"<{_shape(value)}>"
    if value is None:
        return "none"
    return repr(value) if isinstance(value, str) else str(value)


def _shape(value) -> str:
    dims = []
    while isinstance(value, (list, tuple)):
        dims.append(len(value))
        value = value[0] if value else None
    return " x ".join(str(d) for d in dims) + " values"


def _numeric(value) -> np.ndarray | None:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr if arr.dtype == np.float64 else None


def _array_change(path: str, a, b) -> list[str]:
    """Summary of a numeric array change (same shape), or [] when equal."""
    x, y = _numeric(a), _numeric(b)
    if x is None or y is None or x.shape != y.shape:
        return [f"{path}: {_fmt(a)} -> {_fmt(b)}"]
    d = np.abs(y - x)
    if not np.any(d > TOLERANCE):
        return []
    if x.size <= 9:
        if x.ndim == 1:
            changed = [f"[{i}] {_fmt(float(x[i]))} -> {_fmt(float(y[i]))}" for i in np.flatnonzero(d > TOLERANCE)]
            return [f"{path}: " + ", ".join(changed)]
        return [f"{path}: {_fmt(a)} -> {_fmt(b)}"]
    idx = np.unravel_index(int(np.argmax(d)), d.shape)
    where = {1: "index {}", 2: "row {}, col {}"}.get(d.ndim, "index {}").format(*idx)
    return [f"{path}: max |change| {float(d.max()):.4g} at {where} ({_fmt(float(x[idx]))} -> "
            f"{_fmt(float(y[idx]))}); mean |change| {float(d.mean()):.3g}; "
            f"{int(np.count_nonzero(d > TOLERANCE))} of {d.size} values changed"]


def _values(path: str, a: Any, b: Any) -> list[str]:
    """Changes between two plain values (dicts recurse; lists of numbers are summarised)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                out.append(f"{sub}: removed (was {_fmt(a[key])})")
            elif key not in a:
                out.append(f"{sub}: added ({_fmt(b[key])})")
            else:
                out.extend(_values(sub, a[key], b[key]))
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if _numeric(a) is not None and _numeric(b) is not None:
            return _array_change(path, a, b)
        if len(a) != len(b):
            return [f"{path}: {len(a)} -> {len(b)} items"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(_values(f"{path}[{i}]", x, y))
        return out
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return [] if abs(float(a) - float(b)) <= TOLERANCE else [f"{path}: {_fmt(a)} -> {_fmt(b)}"]
    return [] if a == b else [f"{path}: {_fmt(a)} -> {_fmt(b)}"]


def _table(path: str, key: str, unit: str, a: list[dict], b: list[dict]) -> list[str]:
    """Entries matched by `key`; added/removed entries listed, changed ones summarised."""
    old = {e[key]: e for e in a}
    new = {e[key]: e for e in b}
    out = []
    for k in sorted(set(old) | set(new)):
        label = f"{path}[{key} {k:g}{unit}]"
        if k not in new:
            out.append(f"{label}: removed")
        elif k not in old:
            out.append(f"{label}: added")
        else:
            rest_a = {f: v for f, v in old[k].items() if f != key}
            rest_b = {f: v for f, v in new[k].items() if f != key}
            out.extend(_values(label, rest_a, rest_b))
    if not out and len(a) != len(b):
        out.append(f"{path}: {len(a)} -> {len(b)} entries")
    return out


def _firmware(a: dict, b: dict) -> list[str]:
    out = []
    for fmt in sorted(set(a) | set(b)):
        if fmt not in b:
            out.append(f"firmware.{fmt}: carried data removed")
            continue
        if fmt not in a:
            out.append(f"firmware.{fmt}: carried data added")
            continue
        blocks_a = _blocks(a[fmt])
        blocks_b = _blocks(b[fmt])
        for name in list(blocks_a) + [n for n in blocks_b if n not in blocks_a]:
            if name not in blocks_b:
                out.append(f"firmware.{fmt}.{name}: removed")
            elif name not in blocks_a:
                out.append(f"firmware.{fmt}.{name}: added")
            else:
                changes = _values("", blocks_a[name], blocks_b[name])
                if changes:
                    shown = "; ".join(changes[:3]) + (f"; ... {len(changes) - 3} more" if len(changes) > 3 else "")
                    out.append(f"firmware.{fmt}.{name}: {shown}")
        rest_a = {k: v for k, v in a[fmt].items() if k != "algorithms"}
        rest_b = {k: v for k, v in b[fmt].items() if k != "algorithms"}
        out.extend(_values(f"firmware.{fmt}", rest_a, rest_b))
    return out


def _blocks(doc: dict) -> dict[str, Any]:
    blocks = {}
    for item in doc.get("algorithms") or []:
        if isinstance(item, dict):
            blocks.update(item)
    return blocks


def diff_profiles(a: Profile, b: Profile) -> list[str]:
    """Readable differences from `a` to `b`, one per line; empty when they are the same."""
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    out: list[str] = []
    out += _values("identity", da["identity"], db["identity"])
    for stage in da["stages"]:
        out += _values(f"stages.{stage}", da["stages"][stage], db["stages"][stage])
    out += _table("ccm.tables", "ct", " K", da["ccm"]["tables"], db["ccm"]["tables"])
    out += _table("wb.ct_curve", "ct", " K", da["wb"]["ct_curve"], db["wb"]["ct_curve"])
    lsc_a = {k: v for k, v in da["lsc"].items() if k != "tables"}
    lsc_b = {k: v for k, v in db["lsc"].items() if k != "tables"}
    out += _values("lsc", lsc_a, lsc_b)
    out += _table("lsc.tables", "ct", " K", da["lsc"]["tables"], db["lsc"]["tables"])
    out += _table("denoise.by_gain", "gain", "x", da["denoise"]["by_gain"], db["denoise"]["by_gain"])
    out += _table("sharpen.by_gain", "gain", "x", da["sharpen"]["by_gain"], db["sharpen"]["by_gain"])
    out += _firmware(da["firmware"], db["firmware"])
    return out
