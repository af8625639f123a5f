"""`python main.py bench`: every figure is reported, and the peer is timed on the same file."""
from __future__ import annotations

from app.bench import run_bench
from app.simulate import Shot, simulate
from app.simulate import writers


def test_bench_reports_every_figure_with_rawpy_on_the_same_file(tmp_path):
    capture = simulate(Shot(scene="colorchecker", width=640, height=480, seed=2)).capture
    dng = writers.write_dng(capture, tmp_path / "bench.dng")
    lines = []
    result = run_bench(str(dng), runs=1, log=lines.append)
    for key in ("full_render_ms", "preview_ms", "retone_ms", "rawpy_linear_ms", "rawpy_ahd_ms",
                "rawpy_linear_in_process_ms", "peak_rss_mb", "megapixels"):
        assert result[key] > 0, key
    ratio = result["rawpy_linear_ms"] / result["full_render_ms"]  # of the rounded figures
    assert abs(result["speedup_vs_rawpy_linear"] - ratio) < 0.01 * ratio + 0.01
    assert str(dng) in lines[0]


def test_bench_says_when_rawpy_cannot_read_the_input(tmp_path):
    capture = simulate(Shot(scene="flat", width=320, height=240, seed=1)).capture
    raw = writers.write_capture(capture, tmp_path / "dump", "raw16")[0]
    lines = []
    result = run_bench(str(raw), runs=1, log=lines.append)
    assert result["rawpy_linear_ms"] is None and "speedup_vs_rawpy_linear" not in result
    assert result["full_render_ms"] > 0
    assert any("peer not timed" in line for line in lines)
