"""The scopes and inspectors' computations (app/analysis.py): exact on constructed inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app import analysis
from app.capture import Capture


def _rgb(h=40, w=60, value=(10, 20, 30)):
    img = np.empty((h, w, 3), np.uint8)
    img[:] = value
    return img


def test_histogram_counts_every_pixel_per_channel_and_luma():
    img = _rgb(value=(10, 200, 30))
    hist = analysis.histogram(img)
    assert hist.shape == (4, 256)
    assert hist[0, 10] == hist[1, 200] == hist[2, 30] == img.shape[0] * img.shape[1]
    luma = round(0.2126 * 10 + 0.7152 * 200 + 0.0722 * 30)
    assert abs(int(np.argmax(hist[3])) - luma) <= 1
    assert hist.sum(axis=1).tolist() == [img.shape[0] * img.shape[1]] * 4


def test_histogram_of_a_large_image_is_sampled_but_scaled_to_its_size():
    img = np.random.default_rng(0).integers(0, 256, (1000, 1500, 3), dtype=np.uint8)
    hist = analysis.histogram(img, max_samples=100_000)
    assert abs(hist[0].sum() - img.shape[0] * img.shape[1]) < 0.02 * img.size / 3
    assert hist[0].min() > 0  # uniform noise: every level is seen


def test_histogram_refuses_what_is_not_8bit_rgb():
    with pytest.raises(ValueError):
        analysis.histogram(np.zeros((4, 4), np.uint8))


def test_clip_fractions_report_the_end_bins():
    img = _rgb(value=(0, 128, 255))
    lo_hi = analysis.clip_fractions(analysis.histogram(img))
    assert lo_hi == ((1.0, 0.0), (0.0, 0.0), (0.0, 1.0))


def test_luma_waveform_puts_each_column_at_its_level():
    img = np.zeros((50, 100, 3), np.uint8)
    img[:, :50] = 40
    img[:, 50:] = 220
    wf = analysis.waveform(img, columns=10)
    assert wf.counts.shape == (1, 256, 10)
    assert wf.counts[0, 40, :5].min() > 0 and wf.counts[0, 40, 5:].max() == 0
    assert wf.counts[0, 220, 5:].min() > 0
    picture = analysis.waveform_image(wf)
    assert picture.shape == (256, 10, 3) and picture.dtype == np.uint8
    assert picture[40, 0].max() > 0 and picture[220, 0].max() == 0  # row = level


def test_parade_has_three_panels_with_each_channel():
    img = _rgb(value=(10, 100, 250))
    wf = analysis.waveform(img, columns=20, parade=True)
    assert wf.counts.shape == (3, 256, 20)
    assert wf.counts[0, 10].sum() == wf.counts[1, 100].sum() == wf.counts[2, 250].sum() == img.shape[0] * img.shape[1]
    picture = analysis.waveform_image(wf)
    assert picture.shape == (256, 3 * 20 + 2 * analysis.PARADE_GAP, 3)


def test_map_rect_scales_into_a_preview_and_clips():
    # a 2000x1000 frame shown as a 500x250 preview
    box = analysis.map_rect((100, 100, 40, 20), (2000, 1000), (0, 0, 2000, 1000), (500, 250))
    assert box == (25, 25, 35, 30)
    # a region image covering (1000, 500, 200, 100) at full resolution
    assert analysis.map_rect((990, 490, 20, 20), (2000, 1000), (1000, 500, 200, 100), (200, 100)) == (0, 0, 10, 10)
    assert analysis.map_rect((0, 0, 10, 10), (2000, 1000), (1000, 500, 200, 100), (200, 100)) is None


def test_roi_stats_mean_std_snr():
    img = _rgb(value=(50, 100, 200)).astype(np.float32)
    img[::2, :, 1] += 10  # green alternates 100 / 110: mean 105, std 5
    stats = analysis.roi_stats(img, (0, 0, 60, 40))
    r, g, b = stats.channels
    assert (r.mean, r.std, r.snr_db) == (50.0, 0.0, math.inf)
    assert g.mean == pytest.approx(105.0) and g.std == pytest.approx(5.0)
    assert g.snr_db == pytest.approx(20 * math.log10(105 / 5))
    assert stats.pixels == 60 * 40


def _mosaic_capture(cfa="RGGB", black=(64.0, 64.0, 64.0, 64.0)):
    mosaic = np.empty((40, 60), np.uint16)
    values = (1000, 2000, 2100, 3000)  # per tile position, row-major
    for p, v in enumerate(values):
        mosaic[p // 2::2, p % 2::2] = v
    return Capture(mosaic=mosaic, cfa=cfa, black_level=black, white_level=4095.0, bits=12)


def test_raw_roi_stats_are_per_bayer_channel_above_black():
    cap = _mosaic_capture("RGGB")
    stats = analysis.raw_roi_stats(cap, (3, 5, 20, 10))  # odd origin: the phase must follow
    by_name = {c.name: c for c in stats.channels}
    assert [c.name for c in stats.channels] == ["R", "Gr", "Gb", "B"]
    assert by_name["R"].mean == 1000 - 64 and by_name["Gr"].mean == 2000 - 64
    assert by_name["Gb"].mean == 2100 - 64 and by_name["B"].mean == 3000 - 64
    assert all(c.std == 0 for c in stats.channels)
    bggr = {c.name: c.mean for c in analysis.raw_roi_stats(_mosaic_capture("BGGR"), (0, 0, 10, 10)).channels}
    assert bggr["B"] == 1000 - 64 and bggr["R"] == 3000 - 64 and bggr["Gb"] == 2000 - 64


def test_raw_sample_names_the_channel_under_the_pixel():
    cap = _mosaic_capture("GRBG")
    assert analysis.raw_sample(cap, 0, 0) == ("Gr", 1000 - 64)
    assert analysis.raw_sample(cap, 1, 0) == ("R", 2000 - 64)
    assert analysis.raw_sample(cap, 0, 1) == ("B", 2100 - 64)
    assert analysis.raw_sample(cap, 1, 1) == ("Gb", 3000 - 64)
    assert analysis.raw_sample(cap, 60, 0) is None


def test_image_sample_maps_capture_positions_into_a_preview():
    img = np.zeros((10, 20, 3), np.uint8)
    img[5, 10] = (1, 2, 3)
    # the image shows a 200x100 frame at 1/10 scale
    assert analysis.image_sample(img, (0, 0, 200, 100), 105.0, 55.0) == (1.0, 2.0, 3.0)
    assert analysis.image_sample(img, (0, 0, 200, 100), 250.0, 55.0) is None
    planes = (np.full((10, 20), 0.5, np.float32),) * 3
    assert analysis.image_sample(planes, (0, 0, 200, 100), 1.0, 1.0) == (0.5, 0.5, 0.5)


def test_wb_gains_neutralise_a_tinted_patch():
    # a grey seen through gains (2, 1, 1.5) whose true neutral needs (2.5, 1, 1.2)
    true_gains = np.array([2.5, 1.0, 1.2])
    current = (2.0, 1.0, 1.5)
    unbalanced = 0.4 / true_gains  # camera RGB of the grey
    camera_rgb = np.empty((30, 30, 3), np.float32)
    camera_rgb[:] = unbalanced * np.array(current)
    gains = analysis.wb_gains_for_patch(camera_rgb, (5, 5, 25, 25), current)
    assert gains == pytest.approx((2.5, 1.0, 1.2), rel=1e-5)
    clipped = np.ones((10, 10, 3), np.float32)
    with pytest.raises(ValueError, match="clipped"):
        analysis.wb_gains_for_patch(clipped, (0, 0, 10, 10), current)
    low, high = analysis.wb_gains_for_patch(camera_rgb, (5, 5, 25, 25), current, limits=(0.1, 2.0))[::2]
    assert low == 2.0 and high == pytest.approx(1.2)


def test_capture_summary_has_the_browser_facts():
    cap = Capture(mosaic=np.zeros((8, 8), np.uint16), cfa="RGGB", black_level=(0.0,) * 4,
                  white_level=4095.0, bits=12, source="/x/IMG_1.DNG", make="Acme", model="Z1",
                  iso=400, exposure_time=1 / 125, as_shot_neutral=(0.5, 1.0, 0.8))
    s = analysis.capture_summary(cap)
    assert s["name"] == "IMG_1.DNG" and s["camera"] == "Acme Z1"
    assert s["iso"] == "ISO 400" and s["exposure"] == "1/125 s"
    assert s["wb"] == "WB 2.00/1.25"  # no colour matrices: the as-shot gains
    assert s["size"] == "8\u00d78" and s["sensor"] == "RGGB 12-bit"
