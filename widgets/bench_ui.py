"""`python main.py bench --ui`: interactive latency of the real window, measured offscreen.

The window is shown offscreen with its image pane at 1440x1080, a 12 MP capture open and every
stage working. Parameter changes are pushed through `Session.set_stage` every 16 ms (a slider
dragged at 60 events per second), as the tuning panel does; each change's latency runs from the
call to the paint of the first frame rendered with it (or a later one: a change superseded
before its frame was shown counts as dropped). A 1 ms heartbeat timer on the GUI thread gives
the longest stall. Late-stage changes (tone, saturation, sharpening) and early-stage changes
(black level, white balance, shading) are measured apart; each group also reports the median of
each part of the way (set_stage on the GUI thread, waiting in the worker's queue, rendering of
which pipeline kernels, scopes, delivery and paint) and the CPU use of the process and of the
GUI thread. CAMTUNE_BENCH_DEBUG=1 prints every GUI stall over 20 ms as it happens.
"""
from __future__ import annotations

import json as jsonlib
import os
import time

from app import bench_ui as plan

SETTLE_TIMEOUT_S = 180.0  # a cold numba cache compiles every kernel on the first frame


def _wait(app, condition, timeout_s: float) -> bool:
    """Run the event loop (as `exec` would: no polling delay) until `condition()` or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    end = time.perf_counter() + timeout_s

    def check():
        if condition() or time.perf_counter() >= end:
            loop.quit()
    timer = QTimer(interval=2)
    timer.timeout.connect(check)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    return bool(condition())


def _pause(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    _wait(app, lambda: time.perf_counter() >= end, seconds + 1)


def _size_pane(app, window, width: int, height: int) -> None:
    """Resize the window until the fitted frame takes `width` x `height` device pixels."""
    pane = window.viewer.pane_a
    for _ in range(6):
        _pause(app, 0.05)
        fw, fh = pane.fitted_frame_size()
        if abs(fw - width) <= 1 and abs(fh - height) <= 1:
            return
        grow = max(width / max(fw, 1), height / max(fh, 1))
        pw, ph = pane.device_size()
        window.resize(window.width() + round(pw * grow) - pw, window.height() + round(ph * grow) - ph)


def _run_group(app, window, group: str, count: int, log) -> tuple[dict, list, list]:
    from PySide6.QtCore import Qt, QTimer
    session = window.session
    sequence = plan.changes(group, count)
    sent: dict[int, tuple[int, float]] = {}  # id(profile) -> (change index, time sent)
    latencies: dict[int, float] = {}
    segments: dict[str, list[float]] = {"set_stage": [], "queue": [], "render": [], "kernels": [], "scopes": [],
                                        "to_screen": []}
    gaps: list[float] = []
    state = {"i": 0, "last_beat": time.perf_counter(), "measuring": True}

    def beat():
        now = time.perf_counter()
        if state["measuring"]:
            gaps.append((now - state["last_beat"]) * 1e3)
            if os.environ.get("CAMTUNE_BENCH_DEBUG") and gaps[-1] > 20:
                print(f"    stall {gaps[-1]:.0f} ms before change {state['i']}")
        state["last_beat"] = now

    def shown(results):
        for result, t_shown in results:
            job = result.job
            if job.side != "A" or job.layer != "base":
                continue
            hit = sent.get(id(job.profile))
            if hit is not None and hit[0] not in latencies:
                latencies[hit[0]] = (t_shown - hit[1]) * 1e3
                segments["queue"].append((result.started - job.issued) * 1e3)
                segments["render"].append(result.render_ms)
                segments["kernels"].append(sum(result.nodes.values()))
                segments["scopes"].append((result.finished - result.started) * 1e3 - result.render_ms)
                segments["to_screen"].append((t_shown - result.finished) * 1e3)

    def change():
        i = state["i"]
        if i >= len(sequence):
            driver.stop()
            return
        stage, values = sequence[i]
        t0 = time.perf_counter()
        session.set_stage(stage, merge_key=f"bench-{group}-{stage}", **values)
        sent[id(session.profile)] = (i, t0)
        segments["set_stage"].append((time.perf_counter() - t0) * 1e3)
        state["i"] = i + 1

    heartbeat = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    driver = QTimer(interval=plan.CHANGE_INTERVAL_MS, timerType=Qt.TimerType.PreciseTimer)
    driver.timeout.connect(change)
    window.viewer.frameShown.connect(shown)
    heartbeat.start()
    cpu0, wall0, gui0 = time.process_time(), time.perf_counter(), time.thread_time()
    driver.start()
    _wait(app, lambda: state["i"] >= len(sequence) and not window.worker.busy, SETTLE_TIMEOUT_S)
    _pause(app, 0.1)  # the last frame's paint
    wall = time.perf_counter() - wall0
    cpu = {"process_cpu_pct": round(100 * (time.process_time() - cpu0) / wall),
           "gui_thread_cpu_pct": round(100 * (time.thread_time() - gui0) / wall)}
    state["measuring"] = False
    heartbeat.stop()
    window.viewer.frameShown.disconnect(shown)
    figures = plan.summarize(list(latencies.values()), gaps, len(sequence), len(latencies))
    figures["median_segments_ms"] = {k: round(plan.percentile(v, 0.5), 2) for k, v in segments.items() if v}
    figures.update(cpu)
    figures.update(plan.verdict(group, figures))
    if log:
        log(f"  {group:5s}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"max stall {figures['max_stall_ms']} ms, dropped {figures['dropped']}/{figures['changes']}")
        log("         median parts (ms): " + ", ".join(f"{k} {v}" for k, v in figures["median_segments_ms"].items())
            + f"; CPU: process {figures['process_cpu_pct']} %, GUI thread {figures['gui_thread_cpu_pct']} %")
    return figures, list(latencies.values()), gaps


def run_ui_bench(file: str | None = None, runs: int = 200, json: bool = False) -> dict:
    """Drive `runs` changes (half late-stage, half early-stage); return the figures (and print)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.warmup import warm_kernels
    from widgets.app import apply_theme, use_settings_dir
    from widgets.main_window import MainWindow, application

    log = None if json else print
    if not os.environ.get("CAMTUNE_SETTINGS_DIR"):  # the window's defaults, not the user's layout
        import tempfile
        os.environ["CAMTUNE_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="camtune-bench-")
    warm_kernels()
    capture, source = plan.bench_capture(file)
    if log:
        log(f"input: {source} ({capture.width}x{capture.height}, {capture.megapixels:.1f} MP); "
            f"preview {plan.PREVIEW[0]}x{plan.PREVIEW[1]}, a change every {plan.CHANGE_INTERVAL_MS} ms")
    use_settings_dir()
    app = application()
    apply_theme(app)
    window = MainWindow(interactive=False)
    session = window.session
    session.replace_document(session.profile.replace(stages=plan.base_stages()), None)
    window.show()
    frames: list = []
    window.viewer.frameShown.connect(frames.extend)
    session.add_capture(capture)
    _size_pane(app, window, *plan.PREVIEW)
    if not _wait(app, lambda: frames and not window.worker.busy, SETTLE_TIMEOUT_S):
        raise RuntimeError("the first frame never reached the screen")
    window.viewer.frameShown.disconnect(frames.extend)
    frames.clear()  # results hold display buffers: let the worker reuse them
    _pause(app, 0.3)
    preview = window.viewer._last_views.get(("A", "base"))
    result: dict = {"input": source, "megapixels": round(capture.megapixels, 2),
                    "preview_px": [preview.width, preview.height] if preview else None,
                    "change_interval_ms": plan.CHANGE_INTERVAL_MS}
    all_latencies: list[float] = []
    all_gaps: list[float] = []
    shown = sent = 0
    half = max(1, runs // 2)
    for group, count in (("late", half), ("early", runs - half)):
        figures, latencies, gaps = _run_group(app, window, group, count, log)
        result[group] = figures
        all_latencies += latencies
        all_gaps += gaps
        shown += figures["frames_shown"]
        sent += figures["changes"]
    result["overall"] = plan.summarize(all_latencies, all_gaps, sent, shown)
    if log:
        o = result["overall"]
        log(f"  all  : p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms, max stall {o['max_stall_ms']} ms, "
            f"dropped {o['dropped']}/{o['changes']}")
    window.close()
    if json:
        print(jsonlib.dumps(result, indent=2))
    return result
