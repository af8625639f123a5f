"""Stages checked on data whose answer is known: real injected defects, simulated shading."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.isp.pipeline import Pipeline
from app.isp.stages import IspParams
from app.loaders import load_capture

SPEC = "768x512:14:RGGB:black=600:white=15520"


def test_defect_correction_repairs_injected_defects(shared):
    clean = load_capture(shared("captures/mushfiqulalam/DSC_1339_768x512_rggb.raw"), SPEC)
    broken = load_capture(shared("captures/mushfiqulalam/DSC_1339_768x512_rggb_bpc_test.raw"), SPEC)
    defects = clean.mosaic != broken.mosaic
    assert defects.sum() > 50
    params = IspParams().with_stage("wb", source="manual", gains=(1.0, 1.0, 1.0))
    reference = Pipeline(clean).render(params.with_stage("dpc", enabled=False), tap="raw")
    uncorrected = Pipeline(broken).render(params.with_stage("dpc", enabled=False), tap="raw")
    corrected = Pipeline(broken).render(params, tap="raw")
    error_before = np.abs(uncorrected - reference)[defects].mean()
    error_after = np.abs(corrected - reference)[defects].mean()
    assert error_after < 0.05 * error_before
    # Pixels that were fine stay nearly untouched (only genuine outliers are replaced).
    changed = np.abs(corrected - reference)[~defects] > 1e-6
    assert changed.mean() < 0.01


def test_lens_shading_grids_flatten_a_simulated_flat_field():
    from app.simulate import CameraModel, Shot, simulate

    camera = CameraModel()
    ideal = camera.ideal()
    camera = replace(ideal, optics=camera.optics)  # noise-free sensor, real vignetting
    result = simulate(Shot(scene="flat", width=640, height=480, illuminant="D65"), camera)
    grids = result.truth["lens_shading"]["grid"]["gains"]
    params = IspParams().with_stage("lsc", gains=tuple(tuple(tuple(r) for r in g) for g in grids))
    shaded = Pipeline(result.capture).render(params.with_stage("lsc", enabled=False), tap="raw")
    flat = Pipeline(result.capture).render(params, tap="raw")
    core = np.s_[8:-8, 8:-8]
    for p in range(4):
        before = shaded[core][p // 2::2, p % 2::2]
        after = flat[core][p // 2::2, p % 2::2]
        assert before.std() / before.mean() > 0.05          # real vignetting to correct
        assert after.std() / after.mean() < 0.01             # flat after correction


def test_noise_reduction_works_evenly_across_brightness_in_its_encoding():
    """A noisy grey wedge from the virtual camera (ISO 1600, shot + read noise): in the
    square-root encoding the noise reduction sees about the same noise on every lit step
    (shot noise dominates), so one edge-stop smooths bright and dark steps alike."""
    from app.simulate import Shot, simulate
    capture = simulate(Shot(scene="greysteps", width=640, height=480, iso=1600, seed=3)).capture
    params = IspParams().with_stage("sharpen", enabled=False)
    pipe = Pipeline(capture)
    linear = pipe.render(params, tap="linear")[..., 1].copy()
    noisy = [p.copy() for p in pipe.render(params.with_stage("denoise", enabled=False), tap="denoise")]
    smooth = pipe.render(params, tap="denoise")
    edges = np.linspace(52, 588, 11).astype(int)  # the wedge's upper row of ten steps
    patches = [(slice(135, 225), slice(a + 10, b - 10)) for a, b in zip(edges, edges[1:])]
    means = np.array([linear[p].mean() for p in patches])
    linear_std = np.array([linear[p].std() for p in patches])
    encoded_std = np.array([noisy[0][p].std() for p in patches])
    luma_gain = encoded_std / np.array([smooth[0][p].std() for p in patches])
    chroma_gain = np.array([noisy[1][p].std() / smooth[1][p].std() for p in patches])
    assert means.max() / means.min() > 6  # the steps span almost three stops
    assert linear_std.max() / linear_std.min() > 2.5  # shot noise grows with the signal...
    assert encoded_std.max() / encoded_std.min() < 1.15  # ...and the square root evens it out
    assert luma_gain.min() > 1.4 and luma_gain.max() / luma_gain.min() < 1.3
    assert chroma_gain.min() > 2.5
