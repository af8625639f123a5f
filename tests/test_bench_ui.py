"""`bench --ui`: the changes it drives are valid, its figures are right, and a short run reports."""
from __future__ import annotations

import numpy as np
import pytest

from app import bench_ui
from app.isp.stages import IspParams


@pytest.mark.parametrize("group", ["late", "early"])
def test_every_driven_change_is_a_valid_parameter_change(group):
    params = bench_ui.base_stages()
    changes = bench_ui.changes(group, 30)
    assert len(changes) == 30
    late_stages = {"tone", "colour", "sharpen"}
    for stage, values in changes:
        assert (stage in late_stages) == (group == "late")
        params = params.with_stage(stage, **values)  # validated against the declarations
    assert isinstance(params, IspParams)
    assert len({repr(v) for _, v in changes}) > 10  # a drag, not one value repeated


def test_figures_percentiles_and_drops():
    latencies = [float(v) for v in range(1, 101)]
    figures = bench_ui.summarize(latencies, [1.0, 3.0, 40.0], sent=120, shown=100)
    assert figures["p50_ms"] == 50.5 and figures["p95_ms"] == pytest.approx(95.05)
    assert figures["max_stall_ms"] == 40.0 and figures["dropped"] == 20
    assert bench_ui.verdict("late", {"p95_ms": 12.0, "max_stall_ms": 30.0})["meets_targets"]
    assert not bench_ui.verdict("early", {"p95_ms": 40.0, "max_stall_ms": 30.0})["meets_targets"]
    assert bench_ui.summarize([], [], 0, 0)["p50_ms"] is None


def test_a_short_ui_bench_run_reports_every_figure(qapp, tmp_path, monkeypatch):
    import gui_helpers  # noqa: F401 (offscreen, temporary settings)
    from widgets.bench_ui import run_ui_bench
    dump = tmp_path / "bench_640x480_12bit_RGGB.raw"
    rng = np.random.default_rng(3)
    dump.write_bytes(rng.integers(64, 4000, (480, 640), dtype=np.uint16).astype("<u2").tobytes())
    monkeypatch.setattr(bench_ui, "PREVIEW", (320, 240))
    result = run_ui_bench(str(dump), runs=12, json=False)
    for group in ("late", "early", "overall"):
        figures = result[group]
        assert {"p50_ms", "p95_ms", "max_stall_ms", "dropped"} <= set(figures)
        assert figures["frames_shown"] >= 1 and figures["p50_ms"] > 0
    assert result["late"]["changes"] + result["early"]["changes"] == 12
