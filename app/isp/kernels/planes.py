"""How the Y'CbCr planes between encode, noise reduction and finish are stored: 16-bit codes.

The render path writes and reads three full-frame planes twice (encode -> denoise -> finish);
at 12 MP that memory traffic, not arithmetic, was a quarter of a full render. Stored as
uint16 the planes take half the bytes, and the precision is still far finer than any sensor
noise: Y' (0..1) in steps of 1/65535, Cb and Cr (-1/2..1/2) in steps of 1/65534 with 0 exact
(code 32767), i.e. about 16 bits in a square-root encoding.

Every plane kernel accepts float32 planes too (tests and references use them): the decoding
and encoding below are resolved per array type when numba compiles, and cost nothing for
float32. Decoding is affine, code * scale + offset, so kernels fold it into their own sums.
"""
from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

PLANE_DTYPE = np.uint16

_F = np.float32
Y_CODES = 65535.0  # Y' = code / Y_CODES
C_CODES = 65534.0  # Cb, Cr = (code - C_ZERO) / C_CODES: 0 is exact, +-1/2 the ends
C_ZERO = 32767.0
_Y_SCALE = _F(1.0 / Y_CODES)
_C_SCALE = _F(1.0 / C_CODES)
_C_OFFSET = _F(-C_ZERO / C_CODES)
_ZERO = _F(0.0)
_ONE = _F(1.0)
_HALF = _F(0.5)
_YC = _F(Y_CODES)
_CC = _F(C_CODES)
_CZ = _F(C_ZERO + 0.5)  # code zero plus the rounding half


# ----- numpy side: for buffers, taps and readouts ---------------------------------------
def empty_planes(shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.empty(shape, PLANE_DTYPE) for _ in range(3))


def decode(plane: np.ndarray, chroma: bool) -> np.ndarray:
    """float32 values of a stored plane (a float32 plane is returned as it is)."""
    if plane.dtype == np.float32:
        return plane
    if plane.dtype != PLANE_DTYPE:
        raise TypeError(f"Y'CbCr planes are float32 or {np.dtype(PLANE_DTYPE)}, not {plane.dtype}")
    if chroma:
        return (plane.astype(np.float32) - _F(C_ZERO)) * _C_SCALE
    return plane.astype(np.float32) * _Y_SCALE


def decode_planes(planes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, cb, cr = planes
    return decode(y, False), decode(cb, True), decode(cr, True)


def encode(values: np.ndarray, chroma: bool) -> np.ndarray:
    """uint16 codes of float values (clamped to the plane's range, rounded to nearest)."""
    v = np.nan_to_num(np.asarray(values, np.float64), nan=0.0)
    if chroma:
        return (np.clip(v, -0.5, 0.5) * C_CODES + C_ZERO + 0.5).astype(PLANE_DTYPE)
    return (np.clip(v, 0.0, 1.0) * Y_CODES + 0.5).astype(PLANE_DTYPE)


# ----- numba side: resolved at compile time per array type ----------------------------------
def luma_decoding(plane):  # pragma: no cover - typing stub, implemented by the overload below
    """(scale, offset): Y' = plane[i] * scale + offset."""
    raise NotImplementedError


def chroma_decoding(plane):  # pragma: no cover - typing stub
    """(scale, offset): Cb or Cr = plane[i] * scale + offset."""
    raise NotImplementedError


def luma_code(plane, value):  # pragma: no cover - typing stub
    """What to store in `plane` for the Y' `value`."""
    raise NotImplementedError


def chroma_code(plane, value):  # pragma: no cover - typing stub
    """What to store in `plane` for the Cb or Cr `value`."""
    raise NotImplementedError


def _plane_kind(plane, name):
    dt = getattr(plane, "dtype", None)
    if dt == types.float32:
        return "float"
    if dt == types.uint16:
        return "code"
    raise TypingError(f"{name}: Y'CbCr planes must be float32 or uint16 arrays, got {plane}")


@overload(luma_decoding, inline="always")
def _luma_decoding(plane):
    if _plane_kind(plane, "luma_decoding") == "float":
        return lambda plane: (_ONE, _ZERO)
    return lambda plane: (_Y_SCALE, _ZERO)


@overload(chroma_decoding, inline="always")
def _chroma_decoding(plane):
    if _plane_kind(plane, "chroma_decoding") == "float":
        return lambda plane: (_ONE, _ZERO)
    return lambda plane: (_C_SCALE, _C_OFFSET)


@overload(luma_code, inline="always")
def _luma_code(plane, value):
    if _plane_kind(plane, "luma_code") == "float":
        return lambda plane, value: _F(value)
    return lambda plane, value: np.uint16(min(max(value, _ZERO), _ONE) * _YC + _HALF)


@overload(chroma_code, inline="always")
def _chroma_code(plane, value):
    if _plane_kind(plane, "chroma_code") == "float":
        return lambda plane, value: _F(value)
    return lambda plane, value: np.uint16(min(max(value, -_HALF), _HALF) * _CC + _CZ)
