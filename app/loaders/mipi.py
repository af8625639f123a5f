"""MIPI CSI-2 packed RAW10/RAW12/RAW14: unpack to uint16 and pack back (tests, virtual camera).

Byte layouts (CSI-2 spec, same as V4L2 ``SRGGB10P``/``12P``/``14P``):

* RAW10: 4 pixels in 5 bytes: bytes 0-3 = bits 9..2 of pixels 0-3, byte 4 = the 2-bit LSBs,
  pixel 0 in bits 1..0, pixel 1 in bits 3..2, ...
* RAW12: 2 pixels in 3 bytes: bytes 0-1 = bits 11..4, byte 2 = pixel 0 LSBs in bits 3..0,
  pixel 1 in bits 7..4.
* RAW14: 4 pixels in 7 bytes: bytes 0-3 = bits 13..6, bytes 4-6 = a little-endian 24-bit word
  holding the 6-bit LSBs, pixel i in bits 6i..6i+5.

A line may be padded to a ``stride`` (bytes per line >= packed line bytes). The width must be a
whole number of pixel groups (multiple of 4 for RAW10/RAW14, of 2 for RAW12): real receivers pad
partial groups, but the padded width is then what the sensor delivers, so we require it rather
than guess which pixels are padding. Kernels are numba, parallel over rows; compile once with
`warm()` (cached on disk).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

GROUPS = {10: (4, 5), 12: (2, 3), 14: (4, 7)}  # bits -> (pixels, bytes) per group


def packed_line_bytes(width: int, bits: int) -> int:
    """Bytes of one unpadded packed line; ValueError if the width is not whole groups."""
    if bits not in GROUPS:
        raise ValueError(f"MIPI packing exists for 10, 12 and 14 bits, not {bits}")
    px, nbytes = GROUPS[bits]
    if width <= 0 or width % px:
        raise ValueError(f"MIPI RAW{bits} width must be a positive multiple of {px} pixels, got {width}")
    return width // px * nbytes


@njit(cache=True, nogil=True, parallel=True)
def _unpack10(buf, height, width, stride, out):
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 4):
            lsb = np.int64(buf[b + 4])
            out[y, x] = (np.int64(buf[b]) << 2) | (lsb & 3)
            out[y, x + 1] = (np.int64(buf[b + 1]) << 2) | ((lsb >> 2) & 3)
            out[y, x + 2] = (np.int64(buf[b + 2]) << 2) | ((lsb >> 4) & 3)
            out[y, x + 3] = (np.int64(buf[b + 3]) << 2) | ((lsb >> 6) & 3)
            b += 5


@njit(cache=True, nogil=True, parallel=True)
def _unpack12(buf, height, width, stride, out):
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 2):
            lsb = np.int64(buf[b + 2])
            out[y, x] = (np.int64(buf[b]) << 4) | (lsb & 15)
            out[y, x + 1] = (np.int64(buf[b + 1]) << 4) | (lsb >> 4)
            b += 3


@njit(cache=True, nogil=True, parallel=True)
def _unpack14(buf, height, width, stride, out):
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 4):
            lsb = np.int64(buf[b + 4]) | (np.int64(buf[b + 5]) << 8) | (np.int64(buf[b + 6]) << 16)
            for i in range(4):
                out[y, x + i] = (np.int64(buf[b + i]) << 6) | ((lsb >> (6 * i)) & 63)
            b += 7


@njit(cache=True, nogil=True, parallel=True)
def _pack10(img, stride, out):
    height, width = img.shape
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 4):
            lsb = np.int64(0)
            for i in range(4):
                v = np.int64(img[y, x + i])
                out[b + i] = np.uint8(v >> 2)
                lsb |= (v & 3) << (2 * i)
            out[b + 4] = np.uint8(lsb)
            b += 5


@njit(cache=True, nogil=True, parallel=True)
def _pack12(img, stride, out):
    height, width = img.shape
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 2):
            v0 = np.int64(img[y, x])
            v1 = np.int64(img[y, x + 1])
            out[b] = np.uint8(v0 >> 4)
            out[b + 1] = np.uint8(v1 >> 4)
            out[b + 2] = np.uint8((v0 & 15) | ((v1 & 15) << 4))
            b += 3


@njit(cache=True, nogil=True, parallel=True)
def _pack14(img, stride, out):
    height, width = img.shape
    for y in prange(height):
        b = y * stride
        for x in range(0, width, 4):
            lsb = np.int64(0)
            for i in range(4):
                v = np.int64(img[y, x + i])
                out[b + i] = np.uint8(v >> 6)
                lsb |= (v & 63) << (6 * i)
            out[b + 4] = np.uint8(lsb & 255)
            out[b + 5] = np.uint8((lsb >> 8) & 255)
            out[b + 6] = np.uint8((lsb >> 16) & 255)
            b += 7


_UNPACK = {10: _unpack10, 12: _unpack12, 14: _unpack14}
_PACK = {10: _pack10, 12: _pack12, 14: _pack14}


def _stride(width: int, bits: int, stride: int | None) -> tuple[int, int]:
    line = packed_line_bytes(width, bits)
    if stride is None:
        return line, line
    if int(stride) < line:
        raise ValueError(f"stride {stride} is smaller than a RAW{bits} line of {width} pixels ({line} bytes)")
    return line, int(stride)


def unpack_mipi(data, width: int, height: int, bits: int, stride: int | None = None) -> np.ndarray:
    """Unpack `height` lines of MIPI RAW`bits` from `data` (bytes-like or uint8 array) to uint16 HxW.

    `data` must hold at least ``stride*(height-1) + line bytes``; trailing bytes are ignored.
    """
    line, stride = _stride(width, bits, stride)
    if height <= 0:
        raise ValueError(f"height must be positive, got {height}")
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1)
    if buf.dtype != np.uint8:
        raise ValueError(f"packed data must be bytes or uint8, got {buf.dtype}")
    need = stride * (height - 1) + line
    if buf.size < need:
        raise ValueError(f"RAW{bits} {width}x{height} with stride {stride} needs {need} bytes, got {buf.size}")
    out = np.empty((height, width), dtype=np.uint16)
    _UNPACK[bits](np.ascontiguousarray(buf), height, width, stride, out)
    return out


def pack_mipi(image: np.ndarray, bits: int, stride: int | None = None) -> np.ndarray:
    """Pack a HxW integer image (values < 2**bits) to MIPI RAW`bits`: uint8 array (H, stride).

    Padding bytes are zero; ``.tobytes()`` gives the file/stream content.
    """
    img = np.asarray(image)
    if img.ndim != 2 or img.dtype.kind not in "ui":
        raise ValueError(f"expected a 2-D integer image, got {img.dtype} with shape {img.shape}")
    height, width = img.shape
    line, stride = _stride(width, bits, stride)
    if img.size and (int(img.min()) < 0 or int(img.max()) >= 1 << bits):
        raise ValueError(f"values must be in 0..{(1 << bits) - 1} for RAW{bits}")
    out = np.zeros(height * stride, dtype=np.uint8)
    if height:
        _PACK[bits](np.ascontiguousarray(img, dtype=np.uint16), stride, out)
    return out.reshape(height, stride)


def unpack_mipi10(data, width: int, height: int, stride: int | None = None) -> np.ndarray:
    return unpack_mipi(data, width, height, 10, stride)


def unpack_mipi12(data, width: int, height: int, stride: int | None = None) -> np.ndarray:
    return unpack_mipi(data, width, height, 12, stride)


def unpack_mipi14(data, width: int, height: int, stride: int | None = None) -> np.ndarray:
    return unpack_mipi(data, width, height, 14, stride)


def pack_mipi10(image: np.ndarray, stride: int | None = None) -> np.ndarray:
    return pack_mipi(image, 10, stride)


def pack_mipi12(image: np.ndarray, stride: int | None = None) -> np.ndarray:
    return pack_mipi(image, 12, stride)


def pack_mipi14(image: np.ndarray, stride: int | None = None) -> np.ndarray:
    return pack_mipi(image, 14, stride)


def warm() -> None:
    """Compile (or load from the on-disk cache) every kernel with the production types."""
    img = np.arange(8 * 4, dtype=np.uint16).reshape(4, 8)
    for bits in GROUPS:
        unpack_mipi(pack_mipi(img, bits), 8, 4, bits)
