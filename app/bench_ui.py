"""`python main.py bench --ui`: the Qt-free half (inputs, the changes driven, the figures).

The workbench half (`widgets/bench_ui.py`) drives parameter changes at a slider's pace through
the real window offscreen and measures, for each change, the time until its frame is painted;
this module says which changes, on which capture, and turns the samples into figures:
median and 95th-percentile latency, the longest stall of the GUI thread, frames dropped
(changes superseded by a later one before their frame was shown: expected when a render takes
longer than the change interval, as when dragging a slider fast).
"""
from __future__ import annotations

import statistics
from pathlib import Path

from app.bench import DEFAULT_CAPTURE, every_stage_on

PREVIEW = (1440, 1080)
CHANGE_INTERVAL_MS = 16  # a slider dragged at 60 events per second
TARGETS_MS = {"late": {"p95_ms": 16.0, "max_stall_ms": 50.0},
              "early": {"p95_ms": 33.0, "max_stall_ms": 50.0}}


def bench_capture(file: str | None):
    """(capture, description): the file, else the GoPro DNG in ../shared, else a 12 MP mosaic."""
    from app.loaders import load_capture
    path = Path(file) if file else DEFAULT_CAPTURE
    if file or path.exists():
        return load_capture(path), str(path)
    from app.warmup import synthetic_capture
    return synthetic_capture(4000, 3000), "generated 4000x3000 12-bit mosaic (../shared captures absent)"


def base_stages():
    """The tuning the changes start from: every stage doing real work."""
    return every_stage_on()


def changes(group: str, count: int) -> list[tuple[str, dict]]:
    """`count` parameter changes of one group, as (stage, values) for `Session.set_stage`.

    late: tone curve, saturation, sharpening (re-run the last nodes only);
    early: black level, white balance, lens-shading strength (re-run the whole pipeline).
    """
    out = []
    for i in range(count):
        phase = (i % 20) / 20.0  # a back-and-forth drag over a range
        wave = phase * 2 if phase < 0.5 else (1 - phase) * 2
        kind = i % 3
        if group == "late":
            if kind == 0:
                out.append(("tone", {"curve": ((0.0, 0.0), (0.25, 0.18 + 0.1 * wave), (0.75, 0.8), (1.0, 1.0))}))
            elif kind == 1:
                out.append(("colour", {"saturation": round(0.8 + 0.6 * wave, 4)}))
            else:
                out.append(("sharpen", {"strength": round(0.2 + 1.5 * wave, 4)}))
        elif group == "early":
            if kind == 0:
                b = round(60.0 + 40.0 * wave, 2)
                out.append(("black_level", {"source": "manual", "black": (b, b, b, b), "white": 4095.0}))
            elif kind == 1:
                out.append(("wb", {"source": "manual", "gains": (round(1.6 + 0.8 * wave, 4), 1.0,
                                                                  round(1.4 + 0.5 * wave, 4))}))
            else:
                out.append(("lsc", {"strength": round(0.3 + 0.7 * wave, 4)}))
        else:
            raise ValueError(f"unknown change group {group!r}")
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def summarize(latencies_ms: list[float], stalls_ms: list[float], sent: int, shown: int) -> dict:
    """Figures of one group of changes."""
    return {
        "changes": sent,
        "frames_shown": shown,
        "dropped": sent - shown,
        "p50_ms": round(statistics.median(latencies_ms), 2) if latencies_ms else None,
        "p95_ms": round(percentile(latencies_ms, 0.95), 2) if latencies_ms else None,
        "max_ms": round(max(latencies_ms), 2) if latencies_ms else None,
        "max_stall_ms": round(max(stalls_ms), 2) if stalls_ms else None,
    }


def verdict(group: str, figures: dict) -> dict:
    """Which targets a group met (None when it has no target)."""
    target = TARGETS_MS.get(group)
    if not target:
        return {}
    return {f"{key}_target": value for key, value in target.items()} | {
        "meets_targets": all(figures.get(k) is not None and figures[k] <= v for k, v in target.items())}


def run_ui_bench(file: str | None = None, runs: int = 200, json: bool = False) -> dict:
    """`python main.py bench --ui [--json] [FILE]`: run the measurement in the real window.

    The one place the engine reaches into `widgets/`, at call time only (the measurement needs
    the window; importing this module loads no Qt).
    """
    from widgets.bench_ui import run_ui_bench as run_in_window
    return run_in_window(file, runs=runs, json=json)
