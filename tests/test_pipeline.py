"""The pipeline's contracts: cache re-runs only what changed, views agree, stages switch off, taps."""
from __future__ import annotations

import numpy as np
import pytest

from app.isp.pipeline import TAPS, Pipeline
from app.isp.stages import IspParams
from app.isp.taps import to_display
from app.isp.views import View
from app.warmup import synthetic_capture


@pytest.fixture(scope="module")
def capture():
    return synthetic_capture(640, 480)


def test_tone_change_reruns_only_late_nodes(capture):
    pipe = Pipeline(capture)
    params = IspParams()
    pipe.render(params)
    assert set(pipe.timings) == {"front", "denoise", "final"}  # raw..encode fused in bands
    toned = params.with_stage("tone", gamma=2.0, transfer="gamma")
    pipe.render(toned)
    assert set(pipe.timings) == {"final"}  # noise reduction works before the tone curve
    pipe.render(toned)
    assert pipe.timings == {}  # nothing changed: everything from the cache
    pipe.render(toned.with_stage("sharpen", strength=1.5))
    assert set(pipe.timings) == {"final"}
    pipe.render(params.with_stage("denoise", luma_strength=0.5))
    assert set(pipe.timings) == {"denoise", "final"}
    pipe.render(params.with_stage("wb", source="manual", gains=(1.5, 1.0, 1.2)))
    assert set(pipe.timings) == {"front", "denoise", "final"}
    region = View.region(10, 10, 200, 100)  # regions keep every node cached apart
    pipe.render(params, region)
    assert set(pipe.timings) == {"raw", "demosaic", "encode", "denoise", "final"}
    pipe.render(params.with_stage("exposure", ev=0.5), region)
    assert set(pipe.timings) == {"encode", "denoise", "final"}


def _staged_front(capture, params):
    """raw -> demosaic -> encode as separate nodes, as regions and previews run them."""
    from app.isp import pipeline
    pipe = Pipeline(capture)
    geometry = pipeline.resolve(View.full(), capture.width, capture.height, True)
    raw = pipeline._run_raw(pipe, geometry, None, params)
    return pipeline._run_encode(pipe, geometry, pipeline._run_demosaic(pipe, geometry, raw, params),
                                params)


@pytest.mark.parametrize("method", ["off", "bilinear", "mhc", "rcd"])
@pytest.mark.parametrize("lsc", [False, True])
def test_fused_full_frame_front_equals_the_staged_nodes(capture, method, lsc, monkeypatch):
    """The streamed front (none, bilinear, MHC) and RCD's bands give the staged kernels' planes
    bit for bit, with defect correction on (the default) and with a shading grid."""
    from app.isp import pipeline
    params = (IspParams().with_stage("demosaic", enabled=False) if method == "off"
              else IspParams().with_stage("demosaic", method=method))
    if lsc:
        grid = tuple(tuple(tuple(1.0 + 0.05 * (r + 2 * c) for c in range(7)) for r in range(5))
                     for _ in range(4))
        params = params.with_stage("lsc", gains=grid)
    monkeypatch.setattr(pipeline, "BAND_ROWS", 64)  # 480 rows: 8 bands for RCD, the last short
    pipe = Pipeline(capture)
    pipe.render(params.with_stage("denoise", enabled=False), tap="denoise")
    fused = pipe._cache["front"][1]
    for a, b in zip(fused, _staged_front(capture, params)):
        assert a.dtype == np.uint16
        np.testing.assert_array_equal(a, b)


def test_streamed_front_strips_see_their_neighbours_rows():
    """An odd-sized frame with a hot pixel on every strip boundary: each strip recomputes the
    corrected rows around its first and last rows, so the seams match the staged nodes."""
    from app.isp.kernels.rows import _NSTRIPS
    cap = synthetic_capture(203, 157, pattern="GBRG", seed=5)
    nstrips = 2 * _NSTRIPS
    for s in range(1, nstrips):
        row = s * cap.height // nstrips
        for r in (row - 2, row - 1, row, row + 1):
            cap.mosaic[r, 50 + r % 7] = 4095
    params = IspParams()
    pipe = Pipeline(cap)
    pipe.render(params.with_stage("denoise", enabled=False), tap="denoise")
    for a, b in zip(pipe._cache["front"][1], _staged_front(cap, params)):
        np.testing.assert_array_equal(a, b)


def test_every_parameter_change_reaches_the_image(capture):
    pipe = Pipeline(capture)
    params = IspParams()
    base = pipe.render(params).copy()
    changes = [("wb", {"source": "manual", "gains": (1.2, 1.0, 2.0)}), ("exposure", {"ev": 1.0}),
               ("tone", {"curve": ((0, 0), (0.5, 0.7), (1, 1))}), ("colour", {"saturation": 0.0}),
               ("sharpen", {"strength": 3.0}), ("demosaic", {"method": "bilinear"}),
               ("black_level", {"source": "manual", "black": (500, 500, 500, 500), "white": 4095})]
    for stage, values in changes:
        image = pipe.render(params.with_stage(stage, **values))
        assert np.abs(image.astype(int) - base).max() > 0, f"{stage} {values} changed nothing"


def test_disabled_stage_passes_input_through(capture):
    pipe = Pipeline(capture)
    params = IspParams()
    denoised = pipe.render(params.with_stage("denoise", enabled=False), tap="denoise")
    encoded = pipe._cache["front"][1]
    assert all(a is b for a, b in zip(encoded, denoised))


def test_region_matches_the_full_render(capture):
    pipe = Pipeline(capture)
    params = IspParams()
    full = pipe.render(params).copy()
    roi = Pipeline(capture).render(params, View.region(101, 77, 200, 150))
    assert roi.shape == (150, 200, 3)
    diff = np.abs(roi.astype(int) - full[77:227, 101:301].astype(int))
    assert diff.max() <= 1


def test_preview_is_fitted_and_close_to_the_full_render(capture):
    big = synthetic_capture(2000, 1500)
    # Neighbourhood stages work in output pixels, so they differ by design between the two.
    params = (IspParams().with_stage("sharpen", enabled=False).with_stage("dpc", enabled=False)
              .with_stage("denoise", enabled=False))
    preview = Pipeline(big).render(params, View.preview(200, 200))
    assert preview.shape == (150, 200, 3)
    full = Pipeline(big).render(params).astype(np.float32)
    # Area-average the full render by exactly the preview's factor (10) for comparison.
    small = full.reshape(150, 10, 200, 10, 3).mean(axis=(1, 3))
    assert np.abs(small - preview).mean() < 3.0


def test_every_tap_is_displayable(capture):
    pipe = Pipeline(capture)
    for tap in TAPS:
        data = pipe.render(IspParams(), View.preview(320, 240), tap=tap)
        image = to_display(tap, data, capture.white_level)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_sixteen_bit_output_agrees_with_eight_bit(capture):
    pipe = Pipeline(capture)
    eight = pipe.render(IspParams()).astype(np.int32)
    sixteen = pipe.render(IspParams(), out_dtype=np.uint16).astype(np.int32)
    assert np.abs((sixteen + 128) // 257 - eight).max() <= 1


def test_out_of_range_parameter_is_refused_with_its_path():
    with pytest.raises(ValueError, match=r"gains\[2\]: 40 is above the maximum 16"):
        IspParams().with_stage("wb", gains=(1.0, 1.0, 40.0))


@pytest.mark.parametrize("size", [(160, 120), (233, 101)])
def test_fused_preview_front_equals_binning_then_encoding(capture, size):
    """bin_front (preview rows binned straight into the encoding) gives the planes of the
    bin node followed by the encode node, bit for bit, with a shading grid on."""
    from app.isp import pipeline
    grid = tuple(tuple(tuple(1.0 + 0.05 * (r + 2 * c) for c in range(7)) for r in range(5))
                 for _ in range(4))
    params = IspParams().with_stage("lsc", gains=grid).with_stage("denoise", enabled=False)
    pipe = Pipeline(capture)
    view = View.preview(*size)
    pipe.render(params, view, tap="denoise")
    assert "bin_front" in pipe.timings
    fused = pipe._cache["bin_front"][1]
    geometry = pipeline.resolve(view, capture.width, capture.height, True)
    staged_pipe = Pipeline(capture)  # buffers of its own
    staged = pipeline._run_encode(staged_pipe, geometry,
                                  pipeline._run_bin(staged_pipe, geometry, None, params), params)
    for a, b in zip(fused, staged):
        assert a.shape == geometry.out_size and not np.shares_memory(a, b)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("view", [View.full(), View.preview(160, 120), View.region(8, 8, 96, 64)])
def test_render_front_runs_only_up_to_the_encoding_and_the_render_reuses_it(capture, view):
    pipe = Pipeline(capture)
    params = IspParams()
    assert pipe.render_front(params, view) is None
    front = set(pipe.timings)
    assert front and not front & {"denoise", "final"}
    assert front in ({"front"}, {"bin_front"}, {"raw", "demosaic", "encode"})
    pipe.render(params, view)
    assert set(pipe.timings) == {"denoise", "final"}
