"""Headerless sensor dumps: bare pixels whose layout is given by a `RawSpec`.

The file size must match the geometry exactly (offset + height lines of `stride` bytes; the
last line may lack its padding) and is checked before anything is allocated, so a wrong spec
is a one-line error stating expected vs actual bytes, never a garbage image or a huge array.
Values above 2**bits-1 in a 16-bit container are kept (hot pixels, a wrong bit depth): they
are counted in `extra` so the user can see the spec may be off.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.capture import Capture
from app.errors import CaptureError, GeometryError
from app.loaders.mipi import unpack_mipi
from app.loaders.rawspec import PACKINGS, RawSpec, check_areas, packed_line_bytes, packing_bits


def _size_hint(spec: RawSpec, actual: int) -> str:
    """Which other packings this file size would fit (helps when the bit depth is wrong)."""
    fits = []
    for packing in PACKINGS:
        try:
            if spec.offset + spec.height * packed_line_bytes(spec.width, packing) == actual:
                fits.append(packing)
        except ValueError:
            continue
    return f"; the size fits {spec.width}x{spec.height} as {' or '.join(fits)}" if fits else ""


def check_size(spec: RawSpec, actual: int, path: str | Path) -> None:
    """CaptureError unless `actual` bytes are exactly what `spec` describes."""
    line, stride = spec.line_bytes, spec.line_stride
    full = spec.expected_bytes()
    short_last = full - (stride - line)
    if actual in (full, short_last):
        return
    layout = f"{spec.height} lines x {stride} bytes" + (f" + {spec.offset} header bytes" if spec.offset else "")
    raise GeometryError(f"file size {actual} bytes does not match {spec} (expected {full} bytes = "
                       f"{layout}){_size_hint(spec, actual)}", path)


def read_pixels(path: Path, spec: RawSpec, actual: int) -> np.ndarray:
    """Read and unpack the pixels to a native uint16 HxW array (one read, at most one copy)."""
    stride, line = spec.line_stride, spec.line_bytes
    buf = np.empty(spec.height * stride, dtype=np.uint8)
    want = actual - spec.offset
    buf[want:] = 0  # the last line's padding, when the file omits it
    with open(path, "rb") as f:
        f.seek(spec.offset)
        got = f.readinto(memoryview(buf)[:want])
    if got != want:
        raise CaptureError(f"file shrank while reading ({got} of {want} bytes)", path)
    h, w = spec.height, spec.width
    if spec.packing.startswith("mipi"):
        return unpack_mipi(buf, w, h, packing_bits(spec.packing), stride)
    rows = buf.reshape(h, stride)
    if spec.packing == "u8":
        return rows[:, :w].astype(np.uint16)
    order = "<" if spec.packing == "u16le" else ">"
    if stride == line:
        data = buf.view(order + "u2").reshape(h, w)
    else:
        data = rows[:, :line].view(order + "u2")
    if data.dtype.isnative:
        return data if stride == line else np.ascontiguousarray(data)
    return data.astype(np.uint16)  # byte swap into native order


def load_headerless(path: str | Path, spec: RawSpec, *, extra: dict | None = None,
                    masked_areas: tuple = ()) -> Capture:
    """Load a headerless dump described by `spec`; CaptureError on any mismatch."""
    path = Path(path)
    try:
        actual = path.stat().st_size
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    check_size(spec, actual, path)
    masked_areas = check_areas(masked_areas, spec.width, spec.height, path)
    try:
        mosaic = read_pixels(path, spec, actual)
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    except MemoryError:
        raise CaptureError(f"not enough memory for {spec.width}x{spec.height} pixels", path) from None
    info = {"raw_spec": str(spec), **(extra or {})}
    info.update(range_note(mosaic, spec.bits))
    black = spec.black_level if spec.black_level is not None else (0.0,) * 4
    white = spec.white_level if spec.white_level is not None else float((1 << spec.bits) - 1)
    return Capture(mosaic=mosaic, cfa=spec.cfa, black_level=tuple(float(b) for b in black),
                   white_level=float(white), bits=spec.bits, source=str(path),
                   format=f"headerless {spec.packing}", masked_areas=masked_areas, extra=info)


def range_note(mosaic: np.ndarray, bits: int) -> dict:
    """`extra` entries: the data maximum, and how many values exceed 2**bits-1 (if any)."""
    if mosaic.size == 0:
        return {}
    peak = int(mosaic.max())
    limit = (1 << bits) - 1
    out: dict = {"max_value": peak}
    if peak > limit:
        out["values_above_bits"] = {"count": int(np.count_nonzero(mosaic > limit)),
                                    "limit": limit, "note": f"values exceed {bits}-bit range; "
                                    "hot pixels, or the bit depth in the spec is too small"}
    return out
