"""Image analysis for the workbench's scopes and inspectors: Qt-free, run on the render worker.

- `histogram`: counts of R, G, B and luma (Rec. 709 weights on the encoded values) of an 8-bit
  RGB image; linear or log display is the widget's choice of axis.
- `waveform`: a luma waveform or an RGB parade (columns of the image vs level), and
  `waveform_image` to turn its counts into a displayable 8-bit RGB picture.
- `roi_stats` (mean, standard deviation and SNR per channel of an image area) and
  `raw_roi_stats` (the same per Bayer channel of the sensor mosaic, above black).
- `raw_sample` / `image_sample`: the pixel probe (raw CFA value, rendered values).
- `wb_gains_for_patch`: white-balance gains that make a picked area neutral.
- `capture_summary`: the facts a capture browser shows (camera, ISO, exposure, white point).

Positions are capture pixels (x right, y down) unless said otherwise; `map_rect` maps a capture
rectangle onto an image that covers part or all of the frame at another scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from app.capture import Capture
from app.isp.kernels.planes import decode

LUMA_WEIGHTS = (0.2126, 0.7152, 0.0722)  # Rec. 709, applied to encoded values (video luma Y')
LEVELS = 256
CHANNEL_NAMES = ("R", "G", "B")
BAYER_NAMES = ("R", "Gr", "Gb", "B")


# ----- histogram ----------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _histogram_u8(img, step, out):
    h, w = img.shape[0], img.shape[1]
    for y in range(0, h, step):
        for x in range(0, w, step):
            r = img[y, x, 0]
            g = img[y, x, 1]
            b = img[y, x, 2]
            out[0, r] += 1
            out[1, g] += 1
            out[2, b] += 1
            lum = (54 * np.int32(r) + 183 * np.int32(g) + 19 * np.int32(b) + 128) >> 8
            out[3, lum] += 1


def histogram(rgb: np.ndarray, max_samples: int = 1_000_000) -> np.ndarray:
    """int64 (4, 256): counts of R, G, B and luma of an (H, W, 3) uint8 image.

    Images larger than `max_samples` pixels are sampled on a regular grid (the shape of the
    distribution is what a tuner reads; the counts are scaled back to the full pixel count).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("histogram expects an (H, W, 3) uint8 image")
    step = max(1, int(math.ceil(math.sqrt(rgb.shape[0] * rgb.shape[1] / max_samples))))
    out = np.zeros((4, LEVELS), np.int64)
    _histogram_u8(rgb, step, out)
    return out * (step * step)


def clip_fractions(hist: np.ndarray) -> tuple[tuple[float, float], ...]:
    """(fraction at 0, fraction at 255) for R, G, B of a `histogram` result: crushed / clipped."""
    total = max(int(hist[0].sum()), 1)
    return tuple((float(hist[c, 0]) / total, float(hist[c, LEVELS - 1]) / total) for c in range(3))


# ----- waveform / parade ----------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _waveform_u8(img, columns, parade, row_step, out):
    h, w = img.shape[0], img.shape[1]
    col_of = np.empty(w, np.int64)
    for x in range(w):
        col_of[x] = x * columns // w
    for y in range(0, h, row_step):
        for x in range(w):
            col = col_of[x]
            if parade:
                for c in range(3):
                    out[c, img[y, x, c], col] += 1
            else:
                lum = (54 * np.int32(img[y, x, 0]) + 183 * np.int32(img[y, x, 1])
                       + 19 * np.int32(img[y, x, 2]) + 128) >> 8
                out[0, lum, col] += 1


@dataclass(frozen=True)
class Waveform:
    """Counts per (channel, level, column); one channel (luma) or three (R, G, B parade)."""

    counts: np.ndarray  # float32 (C, 256, columns); level 0 at row 0
    parade: bool


def waveform(rgb: np.ndarray, columns: int = 360, parade: bool = False,
             max_samples: int = 600_000) -> Waveform:
    """Luma waveform (or RGB parade) of an (H, W, 3) uint8 image over `columns` columns.

    Rows are sampled evenly when the image has more than `max_samples` pixels (a waveform shows
    densities, which a regular subsample keeps).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("waveform expects an (H, W, 3) uint8 image")
    columns = max(1, min(int(columns), rgb.shape[1]))
    out = np.zeros((3 if parade else 1, LEVELS, columns), np.float32)
    row_step = max(1, int(math.ceil(rgb.shape[0] * rgb.shape[1] / max_samples)))
    _waveform_u8(rgb, columns, parade, row_step, out)
    return Waveform(out, parade)


_PARADE_TINTS = np.array([[1.0, 0.35, 0.3], [0.35, 1.0, 0.4], [0.4, 0.55, 1.0]], np.float32)
_GREY_TINT = np.array([[0.96, 0.96, 0.96]], np.float32)
PARADE_GAP = 2  # pixels between the R, G and B panels of a parade


@njit(cache=True, nogil=True)
def _waveform_picture(counts, tints, gain, gap, out):
    c, levels, cols = counts.shape
    norm = 1.0 / np.log1p(gain * levels)
    for i in range(c):
        x0 = i * (cols + gap)
        for col in range(cols):
            total = 0.0
            for lv in range(levels):
                total += counts[i, lv, col]
            scale = gain * levels / max(total, 1.0)
            for lv in range(levels):
                n = counts[i, lv, col]
                if n == 0:
                    continue  # most cells: out is already black
                d = min(np.log1p(scale * n) * norm * 1.6, 1.0)
                for k in range(3):
                    out[lv, x0 + col, k] = np.uint8(d * tints[i, k] * 245.0 + 0.5)


def waveform_image(wf: Waveform, gain: float = 4.0) -> np.ndarray:
    """(256, W, 3) uint8 picture of a waveform, row = level (row 0 is level 0: plot it y-up).

    Density is compressed (log) so that sparse traces stay visible; a parade puts R, G, B side
    by side with a small gap, each in its own tint.
    """
    c, levels, cols = wf.counts.shape
    out = np.zeros((levels, c * cols + (c - 1) * PARADE_GAP, 3), np.uint8)
    tints = _PARADE_TINTS if wf.parade else _GREY_TINT
    _waveform_picture(wf.counts, tints, np.float32(gain), PARADE_GAP, out)
    return out


# ----- areas and samples ----------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelStats:
    name: str
    mean: float
    std: float

    @property
    def snr_db(self) -> float:
        """20 log10(mean / std); inf for a noiseless area, nan for a black one."""
        if self.mean <= 0:
            return float("nan")
        if self.std <= 0:
            return float("inf")
        return 20.0 * math.log10(self.mean / self.std)


@dataclass(frozen=True)
class AreaStats:
    """Statistics of one area: `scale` is image pixels per capture pixel (1 = full resolution)."""

    channels: tuple[ChannelStats, ...]
    pixels: int
    scale: float = 1.0
    unit: str = ""


def map_rect(rect, frame_size, image_rect, image_size) -> tuple[int, int, int, int] | None:
    """A capture-pixel rectangle (x, y, w, h) in the pixel grid of an image.

    The image covers `image_rect` (x, y, w, h, capture pixels) with `image_size` (w, h) pixels.
    Returns (x0, y0, x1, y1) clipped to the image, or None when nothing of it is inside.
    """
    del frame_size  # the image's own footprint says everything
    ix, iy, iw, ih = image_rect
    sx = image_size[0] / iw
    sy = image_size[1] / ih
    x, y, w, h = rect
    x0 = int(math.floor((x - ix) * sx))
    y0 = int(math.floor((y - iy) * sy))
    x1 = int(math.ceil((x + w - ix) * sx))
    y1 = int(math.ceil((y + h - iy) * sy))
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, image_size[0]), min(y1, image_size[1])
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def roi_stats(image: np.ndarray, box: tuple[int, int, int, int], names=CHANNEL_NAMES,
              scale: float = 1.0, unit: str = "") -> AreaStats:
    """Mean, std and SNR per channel of image[y0:y1, x0:x1] (box = x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    area = np.asarray(image[y0:y1, x0:x1], dtype=np.float64)
    if area.ndim == 2:
        area = area[:, :, None]
    flat = area.reshape(-1, area.shape[2])
    means, stds = flat.mean(axis=0), flat.std(axis=0)
    channels = tuple(ChannelStats(n, float(m), float(s)) for n, m, s in zip(names, means, stds))
    return AreaStats(channels, int(flat.shape[0]), scale, unit)


def raw_roi_stats(capture: Capture, rect) -> AreaStats | None:
    """Per Bayer channel (R, Gr, Gb, B) of the mosaic in `rect` (capture pixels), in DN above black."""
    if not capture.is_mosaic:
        return None
    x, y, w, h = (int(round(v)) for v in rect)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, capture.width), min(y + h, capture.height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    from app.isp.prepare import bayer_channel_of_positions
    which = bayer_channel_of_positions(capture.cfa)
    stats: list[ChannelStats | None] = [None] * 4
    count = 0
    for p in range(4):
        dy, dx = p // 2, p % 2
        sub = capture.mosaic[y0 + ((dy - y0) % 2):y1:2, x0 + ((dx - x0) % 2):x1:2]
        values = sub.astype(np.float64) - float(capture.black_level[p])
        stats[which[p]] = ChannelStats(BAYER_NAMES[which[p]], float(values.mean()), float(values.std()))
        count += values.size
    return AreaStats(tuple(stats), count, 1.0, "DN")


def raw_sample(capture: Capture, x: int, y: int) -> tuple[str, float] | None:
    """(channel name, DN above black) of the sensor pixel at (x, y); None outside the frame."""
    if not (0 <= x < capture.width and 0 <= y < capture.height):
        return None
    p = (y % 2) * 2 + (x % 2)
    if not capture.is_mosaic:
        return "RGB", float(np.mean(capture.mosaic[y, x])) - float(capture.black_level[0])
    from app.isp.prepare import bayer_channel_of_positions
    name = BAYER_NAMES[bayer_channel_of_positions(capture.cfa)[p]]
    return name, float(capture.mosaic[y, x]) - float(capture.black_level[p])


def image_sample(image, image_rect, x: float, y: float) -> tuple[float, ...] | None:
    """The values of the image pixel showing capture position (x, y); None outside the image."""
    if image is None:
        return None
    if isinstance(image, tuple):  # Y'CbCr planes
        h, w = image[0].shape[:2]
    else:
        h, w = image.shape[:2]
    ix, iy, iw, ih = image_rect
    col = int(math.floor((x - ix) * w / iw))
    row = int(math.floor((y - iy) * h / ih))
    if not (0 <= col < w and 0 <= row < h):
        return None
    if isinstance(image, tuple):  # stored planes: decoded to Y', Cb, Cr values
        return tuple(float(decode(p[row:row + 1, col], chroma=i > 0)[0])
                     for i, p in enumerate(image))
    value = image[row, col]
    return tuple(float(v) for v in np.atleast_1d(value))


# ----- white balance from a neutral area ------------------------------------------------------
def wb_gains_for_patch(camera_rgb: np.ndarray, box, current_gains, limits=(None, None),
                       clip: float = 0.995) -> tuple[float, float, float]:
    """Gains (R, 1, B) that make the picked area neutral.

    `camera_rgb` is white-balanced camera RGB (the demosaic tap, normalised 0..1) rendered with
    `current_gains`; box = (x0, y0, x1, y1) in its pixels. Clipped samples are left out (their
    ratios are wrong); ValueError if the area is empty, clipped or black. `limits` (min, max)
    clamp the result to the stage's declared range.
    """
    x0, y0, x1, y1 = box
    area = np.asarray(camera_rgb[y0:y1, x0:x1], np.float64).reshape(-1, 3)
    if area.size == 0:
        raise ValueError("the picked area is empty")
    usable = area[(area.max(axis=1) < clip) & (area.min(axis=1) > 0)]
    if usable.shape[0] < max(1, area.shape[0] // 10):
        raise ValueError("the picked area is clipped or black; pick a mid-grey area")
    unbalanced = usable.mean(axis=0) / np.asarray(current_gains, np.float64)
    gains = unbalanced[1] / unbalanced
    lo, hi = limits
    gains = np.clip(gains, lo if lo is not None else -np.inf, hi if hi is not None else np.inf)
    return float(gains[0]), 1.0, float(gains[2])


# ----- capture facts for a browser --------------------------------------------------------------
def _exposure_text(seconds: float | None) -> str:
    if not seconds or seconds <= 0:
        return ""
    if seconds >= 0.5:
        return f"{seconds:g} s"
    return f"1/{round(1.0 / seconds):d} s"


def capture_summary(capture: Capture) -> dict:
    """Display strings: name, camera, iso, exposure, white point (CCT or as-shot gains), size."""
    from app import colorimetry
    name = Path(capture.source).name if capture.source else (capture.format or "capture")
    camera = " ".join(p for p in (capture.make, capture.model) if p) or capture.unique_camera_model
    wb = ""
    try:
        point = colorimetry.white_point(capture)
    except (ValueError, np.linalg.LinAlgError):
        point = None
    if point is not None:
        wb = f"{point[1]:.0f} K"
    else:
        gains = colorimetry.as_shot_gains(capture)
        if gains is not None:
            wb = f"WB {gains[0]:.2f}/{gains[2]:.2f}"
    return {
        "name": name,
        "camera": camera,
        "iso": f"ISO {capture.iso:g}" if capture.iso else "",
        "exposure": _exposure_text(capture.exposure_time),
        "wb": wb,
        "size": f"{capture.width}\u00d7{capture.height}",
        "sensor": f"{capture.cfa or 'RGB'} {capture.bits}-bit",
        "format": capture.format,
    }
