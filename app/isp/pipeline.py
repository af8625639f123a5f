"""The ISP pipeline: ordered nodes over the declared stages, with a per-node cache and taps.

A node runs one kernel (or a fused pair) for one or more consecutive stages:

    raw       black_level, dpc, lsc, wb   uint16 mosaic -> float32 mosaic (normalised, balanced)
    demosaic  demosaic                    -> float32 camera RGB (H, W, 3)
    encode    ccm, exposure               -> Y'CbCr planes of sqrt-encoded linear sRGB (uint16
                                             codes, kernels/planes.py)
    denoise   denoise                     -> Y'CbCr planes (same encoding and storage)
    final     tone, sharpen, colour       -> RGB uint8 / uint16

Noise reduction works before the tone curve, in a square-root encoding that evens out shot
noise (kernels/encode.py), so a tone, sharpening or colour edit re-runs one streaming kernel
(kernels/finish.py). Two taps are not on the render path and are computed when asked for:
"linear" (the matrix applied to the demosaic output) and "tone" (final with sharpening and
colour neutral, as float RGB).

On the preview path `raw` and `demosaic` are replaced by `bin`, which averages whole CFA tiles
straight into a fitted camera-RGB image; `bin_front` fuses it with encode. A full-frame render
fuses raw, demosaic and encode into `front` (streamed row by row, or in bands of rows for RCD),
so the full-frame float mosaic and camera RGB are never written to memory (regions and the
raw/demosaic taps keep the nodes apart). Each node's output is cached under a key made of the
capture, the geometry and the digests of every stage up to and including it, so a change to a
late stage re-runs only the nodes from there on (darktable's pixelpipe cache, one entry per node).

Sensor full scale is clipped after white balance (as LibRaw and fixed-point ISPs do), so
saturated highlights stay neutral; the exposure stage's clip switch governs only linear values.

Buffers are owned per node and reused from frame to frame; the final image alternates between
two buffers, so a returned image stays valid until the render after next. One Pipeline is used
by one thread at a time (the GUI keeps one render worker).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from app import colorimetry
from app.capture import Capture, cfa_channels
from app.isp import prepare
from app.isp.kernels import colour as colour_kernels
from app.isp.kernels import demosaic as demosaic_kernels
from app.isp.kernels import denoise_chroma, denoise_luma
from app.isp.kernels import encode as encode_kernels
from app.isp.kernels import finish as finish_kernels
from app.isp.kernels import front as front_kernels
from app.isp.kernels import mosaic as mosaic_kernels
from app.isp.kernels.planes import PLANE_DTYPE
from app.isp.stages import IspParams
from app.isp.tone import response
from app.isp.views import Geometry, View, resolve

# Full-frame RCD renders run raw -> demosaic -> encode in bands of this many rows (even, so
# every band keeps the CFA phase), overlapping by a margin that covers RCD's footprint (its
# tiles read 14 rows out); the 5x5 demosaics are streamed row by row instead.
BAND_ROWS = 256
BAND_MARGIN = 16

TAPS = ("mosaic", "raw", "demosaic", "linear", "denoise", "tone", "final")
OUTPUT_DTYPES = (np.uint8, np.uint16)


@dataclass(frozen=True)
class Node:
    name: str
    stages: tuple[str, ...]
    run: Callable  # (pipeline, geometry, input, params) -> output


class Pipeline:
    """Renders one capture with any IspParams, at full size, as a fitted preview or a region."""

    def __init__(self, capture: Capture):
        self.capture = capture
        self._cache: dict[str, tuple[tuple, object]] = {}
        self._buffers: dict[tuple, np.ndarray] = {}
        self._flip = 0
        self._out_dtype = np.dtype(np.uint8)
        self._camera_to_srgb = colorimetry.camera_to_srgb(capture)
        self.timings: dict[str, float] = {}  # ms per node run in the last render
        self.channels = cfa_channels(capture.cfa) if capture.is_mosaic else None

    # ----- public API -------------------------------------------------------------------
    def render(self, params: IspParams, view: View | None = None, *, tap: str = "final",
               out_dtype=np.uint8):
        """Render and return the output of `tap` (see TAPS).

        For "final" the result is an RGB image of `out_dtype`; other taps return the node's own
        data (float32 mosaic or RGB, or a (Y, Cb, Cr) tuple) for display via `taps.to_display`.
        Region views return only the requested region.
        """
        return self._render(params, view, tap, out_dtype, front_only=False)

    def render_front(self, params: IspParams, view: View | None = None) -> None:
        """Run (or find cached) the nodes up to the noise-reduction encoding, the costly front
        end, for a render of `view`: a worker can then see whether its job is still wanted
        before the later nodes, and a following render() of a later tap re-uses them."""
        self._render(params, view, "final", np.uint8, front_only=True)

    def _render(self, params: IspParams, view: View | None, tap: str, out_dtype, *,
                front_only: bool):
        if tap not in TAPS:
            raise ValueError(f"unknown tap {tap!r}; choose from {', '.join(TAPS)}")
        if out_dtype not in OUTPUT_DTYPES:
            raise ValueError(f"unsupported output type {out_dtype}")
        geometry = resolve(view or View.full(), self.capture.width, self.capture.height,
                           self.capture.is_mosaic)
        self.timings = {}
        self._out_dtype = np.dtype(out_dtype)  # read by the final node
        if tap == "mosaic":
            return self._mosaic_window(geometry)
        data = None
        key: tuple = (self.capture.token, geometry.key)
        for node in self._nodes(geometry, tap):
            key = key + tuple(getattr(params, s).digest() for s in node.stages)
            node_key = key + ((np.dtype(out_dtype).str,) if node.name == "final" else ())
            cached = self._cache.get(node.name)
            if cached is not None and cached[0] == node_key:
                data = cached[1]
            else:
                t0 = time.perf_counter()
                data = node.run(self, geometry, data, params)
                self.timings[node.name] = (time.perf_counter() - t0) * 1e3
                self._cache[node.name] = (node_key, data)
            if front_only and node.name in _ENCODING_NODES:
                return None
            if node.name == tap or (node.name == "bin" and tap in ("raw", "demosaic")):
                return _crop(data, geometry)
        return _crop(data, geometry)

    def clear_cache(self) -> None:
        self._cache.clear()

    # ----- node plumbing -----------------------------------------------------------------
    def _nodes(self, geometry: Geometry, tap: str) -> tuple[Node, ...]:
        front = (_BIN,) if geometry.kind == "preview" else (_RAW, _DEMOSAIC)
        if tap == "linear":
            return front + (_LINEAR,)
        late = (_DENOISE, _TONE if tap == "tone" else _FINAL)
        if tap in ("raw", "demosaic"):
            return front + (_ENCODE,) + late
        if geometry.kind == "full" and self.capture.is_mosaic:
            return (_FRONT,) + late
        if geometry.kind == "preview":
            return (_BIN_FRONT,) + late
        return front + (_ENCODE,) + late

    def _buffer(self, owner: str, shape: tuple, dtype=np.float32) -> np.ndarray:
        key = (owner, shape, np.dtype(dtype).str)
        buf = self._buffers.get(key)
        if buf is None:
            # Drop this owner's buffers of other shapes (a new view size) before allocating.
            for k in [k for k in self._buffers if k[0] == owner]:
                del self._buffers[k]
            buf = self._buffers[key] = np.empty(shape, dtype)
        return buf

    def _mosaic_window(self, geometry: Geometry) -> np.ndarray:
        m = self.capture.mosaic
        if geometry.kind == "preview":
            h, w = geometry.out_size
            sy = max(1, m.shape[0] // h)
            sx = max(1, m.shape[1] // w)
            return m[::sy, ::sx][:h, :w]
        y0, x0, h, w = geometry.window
        return _crop(m[y0:y0 + h, x0:x0 + w], geometry)


def _crop(data, geometry: Geometry):
    y, x, h, w = geometry.crop
    if isinstance(data, tuple):
        return tuple(_crop(d, geometry) for d in data)
    if data.shape[0] == h and data.shape[1] == w:
        return data
    return data[y:y + h, x:x + w]


# ----- node implementations ------------------------------------------------------------
def _run_raw(pipe: Pipeline, geometry: Geometry, _inp, params: IspParams):
    cap = pipe.capture
    y0, x0, h, w = geometry.window
    if not cap.is_mosaic:  # LinearRaw: already RGB; levels and white balance only
        black, white = prepare.levels(cap, params)
        gains = prepare.wb_gains(cap, params, black, white)
        rgb = cap.mosaic[y0:y0 + h, x0:x0 + w].astype(np.float32)
        out = (rgb - np.float32(black[0])) * (gains / max(white - black[0], 1.0)).astype(np.float32)
        return np.minimum(out, 1.0, out=out)
    black, scale, dpc_on, dpc_thr, dpc_strength, lsc, lsc_strength = prepare.mosaic_constants(cap, params)
    out = pipe._buffer("raw", (h, w))
    mosaic_kernels.correct_mosaic(cap.mosaic, y0, x0, out, black, scale, dpc_on, dpc_thr,
                                  dpc_strength, lsc, lsc_strength, True)
    return out


def _run_demosaic(pipe: Pipeline, geometry: Geometry, mosaic, params: IspParams):
    if mosaic.ndim == 3:  # already demosaiced capture
        return mosaic
    stage = params.demosaic
    method = stage.method if stage.enabled else "none"
    out = pipe._buffer("demosaic", mosaic.shape + (3,))
    return demosaic_kernels.demosaic(mosaic, pipe.channels, method, out)


def _run_bin(pipe: Pipeline, geometry: Geometry, _inp, params: IspParams):
    cap = pipe.capture
    black, scale, _dpc_on, _thr, _strength, lsc, lsc_strength = prepare.mosaic_constants(cap, params)
    out = pipe._buffer("bin", geometry.out_size + (3,))
    mosaic_kernels.bin_preview(cap.mosaic, out, black, scale,
                               pipe.channels.ravel(), lsc, lsc_strength, True)
    return out


def _run_bin_front(pipe: Pipeline, geometry: Geometry, _inp, params: IspParams):
    """bin -> encode in one pass (kernels/front.py): the preview's camera RGB is not written."""
    cap = pipe.capture
    black, scale, _dpc_on, _thr, _strength, lsc, lsc_strength = prepare.mosaic_constants(cap, params)
    matrix = prepare.colour_matrix(cap, params, pipe._camera_to_srgb)
    planes = _encoded_planes(pipe, geometry.out_size)
    front_kernels.bin_front(cap.mosaic, black, scale, pipe.channels.ravel(), lsc,
                            lsc_strength, matrix, *planes)
    return planes


def _run_linear(pipe: Pipeline, geometry: Geometry, rgb, params: IspParams):
    if not (params.ccm.enabled or params.exposure.enabled):
        return rgb
    matrix = prepare.colour_matrix(pipe.capture, params, pipe._camera_to_srgb)
    out = pipe._buffer("linear", rgb.shape)
    colour_kernels.apply_matrix(rgb, matrix, params.exposure.enabled and params.exposure.clip, out)
    return out


def _encoded_planes(pipe: Pipeline, shape: tuple) -> tuple:
    """The encode output buffers (Y', Cb, Cr), whichever node writes them."""
    return tuple(pipe._buffer(f"encode.{c}", shape, PLANE_DTYPE) for c in ("y", "cb", "cr"))


def _run_encode(pipe: Pipeline, geometry: Geometry, rgb, params: IspParams):
    planes = _encoded_planes(pipe, rgb.shape[:2])
    matrix = prepare.colour_matrix(pipe.capture, params, pipe._camera_to_srgb)
    encode_kernels.encode_for_nr(rgb, matrix, *planes)
    return planes


def _run_front(pipe: Pipeline, geometry: Geometry, _inp, params: IspParams):
    """raw -> demosaic -> encode without writing the full-frame float mosaic or camera RGB:
    streamed row by row in one kernel (kernels/front.py) for the 5x5 demosaics, in bands of
    rows for RCD's tiles. Either way the result is identical to the staged nodes'."""
    cap = pipe.capture
    y0, x0, h, w = geometry.window
    stage = params.demosaic
    method = stage.method if stage.enabled else "none"
    streamed = method in front_kernels.METHODS and min(h, w) >= 8
    if not streamed and h < 2 * BAND_ROWS:
        return _run_encode(pipe, geometry, _run_demosaic(pipe, geometry, _run_raw(
            pipe, geometry, None, params), params), params)
    black, scale, dpc_on, dpc_thr, dpc_strength, lsc, lsc_strength = prepare.mosaic_constants(cap, params)
    matrix = prepare.colour_matrix(cap, params, pipe._camera_to_srgb)
    planes = _encoded_planes(pipe, (h, w))
    if streamed:
        front_kernels.front(cap.mosaic, y0, x0, black, scale, dpc_on, dpc_thr, dpc_strength, lsc,
                            lsc_strength, pipe.channels,
                            front_kernels.METHODS.index(method), matrix, *planes)
        return planes
    # RCD: bands of rows whose intermediates stay in cache, overlapping by BAND_MARGIN rows
    # (more than RCD's tiles read).
    rows = BAND_ROWS + 2 * BAND_MARGIN
    mosaic = pipe._buffer("banded.raw", (rows, w))
    rgb = pipe._buffer("banded.rgb", (rows, w, 3))
    for b0 in range(0, h, BAND_ROWS):
        b1 = min(b0 + BAND_ROWS, h)
        m0, m1 = max(b0 - BAND_MARGIN, 0), min(b1 + BAND_MARGIN, h)
        band = mosaic[:m1 - m0]
        mosaic_kernels.correct_mosaic(cap.mosaic, y0 + m0, x0, band, black, scale, dpc_on,
                                      dpc_thr, dpc_strength, lsc, lsc_strength, True)
        band_rgb = demosaic_kernels.demosaic(band, pipe.channels, method, rgb[:m1 - m0])
        encode_kernels.encode_for_nr(band_rgb[b0 - m0:b1 - m0], matrix,
                                     *(p[b0:b1] for p in planes))
    return planes


def _run_denoise(pipe: Pipeline, geometry: Geometry, ycc, params: IspParams):
    nr = params.denoise
    if not nr.enabled or (nr.luma_strength == 0 and nr.chroma_strength == 0):
        return ycc
    y, cb, cr = ycc
    if nr.luma_strength > 0:
        y_out = pipe._buffer("denoise.y", y.shape, PLANE_DTYPE)
        denoise_luma.denoise_luma(y, np.float32(nr.luma_strength), nr.luma_radius, y_out)
    else:
        y_out = y
    if nr.chroma_strength > 0:
        cb_out = pipe._buffer("denoise.cb", y.shape, PLANE_DTYPE)
        cr_out = pipe._buffer("denoise.cr", y.shape, PLANE_DTYPE)
        denoise_chroma.denoise_chroma(y, cb, cr, np.float32(nr.chroma_strength),
                                      nr.chroma_radius, cb_out, cr_out)
    else:
        cb_out, cr_out = cb, cr
    return y_out, cb_out, cr_out


def _tone_lut(params: IspParams) -> np.ndarray:
    # The LUT is indexed by encoded (square-root) values: a small table that stays in L1 and
    # is finest where display transfers bend.
    return response(params.tone, finish_kernels.tone_lut_inputs()).astype(np.float32)


def _finish(pipe: Pipeline, ycc, params: IspParams, out, *, neutral: bool):
    y, cb, cr = ycc
    sh, col = params.sharpen, params.colour
    sharpen = not neutral and bool(sh.enabled and sh.strength > 0)
    colour = not neutral and col.enabled
    finish_kernels.finish(
        y, cb, cr, _tone_lut(params), sharpen, np.float32(sh.sigma), np.float32(sh.strength),
        np.float32(sh.threshold), np.float32(sh.limit),
        np.float32(col.saturation if colour else 1.0), np.float32(col.hue if colour else 0.0), out)
    return out


def _run_final(pipe: Pipeline, geometry: Geometry, ycc, params: IspParams):
    pipe._flip ^= 1
    out = pipe._buffer(f"final{pipe._flip}", ycc[0].shape + (3,), pipe._out_dtype)
    return _finish(pipe, ycc, params, out, neutral=False)


def _run_tone(pipe: Pipeline, geometry: Geometry, ycc, params: IspParams):
    out = pipe._buffer("tone", ycc[0].shape + (3,), np.float32)
    return _finish(pipe, ycc, params, out, neutral=True)


_RAW = Node("raw", ("black_level", "dpc", "lsc", "wb"), _run_raw)
_DEMOSAIC = Node("demosaic", ("demosaic",), _run_demosaic)
_BIN = Node("bin", ("black_level", "dpc", "lsc", "wb", "demosaic"), _run_bin)
_LINEAR = Node("linear", ("ccm", "exposure"), _run_linear)  # the "linear" tap only
_ENCODE = Node("encode", ("ccm", "exposure"), _run_encode)
_FRONT = Node("front", _RAW.stages + _DEMOSAIC.stages + _ENCODE.stages, _run_front)
_BIN_FRONT = Node("bin_front", _BIN.stages + _ENCODE.stages, _run_bin_front)
_ENCODING_NODES = ("front", "bin_front", "encode")  # where render_front stops
_DENOISE = Node("denoise", ("denoise",), _run_denoise)
_TONE = Node("tone", ("tone",), _run_tone)  # the "tone" tap only
_FINAL = Node("final", ("tone", "sharpen", "colour"), _run_final)
