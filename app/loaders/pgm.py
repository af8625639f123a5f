"""PGM (netpbm greyscale) files holding a Bayer mosaic: binary P5 (8/16-bit, 16-bit is
big-endian per the spec) and ASCII P2 (small test images only).

A PGM header gives width, height and maxval, never the CFA. So the CFA must come from the same
places as a headerless dump's geometry (`rawspec`): ``--raw-format`` with just the missing
fields (``GRBG`` or ``GRBG:10:black=25:white=1023``), a sidecar ``bayer.pgm.json``
(``{"cfa": "GRBG", "bits": 10, "black_level": 25, "white_level": 1023}``) or the file name
(``scene_GRBG.pgm``). Without a CFA the loader refuses rather than assume one: a wrong CFA
gives plausible-looking but wrong colours. Bits default to the bit length of maxval (65535 ->
16), white to maxval (or 2**bits-1 when bits are given), black to 0. Geometry from the hints
must agree with the header; byte-layout fields (packing, stride, offset) do not apply.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.capture import Capture
from app.errors import CaptureError
from app.loaders.headerless import range_note
from app.loaders.rawspec import SPEC_SYNTAX, RawHints, check_areas

MAGICS = (b"P5", b"P2")
_HEADER_MAX = 64 * 1024
_P2_MAX_BYTES = 64 << 20
_WS = b" \t\r\n\v\f"


def parse_header(head: bytes, path: Path) -> tuple[bytes, int, int, int, int]:
    """(magic, width, height, maxval, data offset) of a PGM header; CaptureError if malformed."""
    magic = head[:2]
    if magic not in MAGICS or len(head) < 3 or head[2:3] not in (b" ", b"\t", b"\r", b"\n", b"#"):
        raise CaptureError("not a PGM file (no P5/P2 magic)", path)
    pos, values = 2, []
    while len(values) < 3:
        while pos < len(head) and (head[pos:pos + 1] in _WS or head[pos:pos + 1] == b"#"):
            if head[pos:pos + 1] == b"#":
                nl = min((i for i in (head.find(b"\n", pos), head.find(b"\r", pos)) if i >= 0),
                         default=len(head))
                pos = nl
            pos += 1
        start = pos
        while pos < len(head) and head[pos:pos + 1].isdigit():
            pos += 1
        token = head[start:pos]
        if not token or len(token) > 9 or (pos < len(head) and head[pos:pos + 1] not in _WS + b"#"):
            raise CaptureError("malformed PGM header (expected width, height and maxval)", path)
        values.append(int(token))
    if pos >= len(head):
        raise CaptureError("PGM header is truncated (no pixel data)", path)
    width, height, maxval = values
    if width < 1 or height < 1:
        raise CaptureError(f"PGM header gives an empty image ({width}x{height})", path)
    if not 1 <= maxval <= 65535:
        raise CaptureError(f"PGM maxval {maxval} is outside 1..65535", path)
    return magic, width, height, maxval, pos + 1  # one whitespace byte ends the header


def _levels(hints: RawHints, maxval: int, path: Path) -> tuple[int, float, tuple]:
    for key in ("packing", "stride", "offset"):
        if getattr(hints, key) is not None:
            raise CaptureError(f"{key} does not apply to a PGM file (its header gives the layout)", path)
    container = 8 if maxval < 256 else 16
    if hints.bits is not None and not 1 <= hints.bits <= container:
        raise CaptureError(f"bits {hints.bits} do not fit this PGM's {container}-bit samples", path)
    bits = hints.bits or maxval.bit_length()
    white = hints.white_level if hints.white_level is not None else \
        float((1 << hints.bits) - 1 if hints.bits else maxval)
    black = hints.black_level if hints.black_level is not None else (0.0,) * 4
    return bits, white, black


def load_pgm(path: str | Path, hints: RawHints, sources: list[str] | None = None) -> Capture:
    """Load a PGM Bayer mosaic; `hints` (merged spec/sidecar/name) must supply at least the CFA."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(_HEADER_MAX)
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    magic, width, height, maxval, offset = parse_header(head, path)
    if hints.width not in (None, width) or hints.height not in (None, height):
        raise CaptureError(f"the spec says {hints.width or '?'}x{hints.height or '?'} but the PGM header "
                           f"says {width}x{height}", path)
    if hints.cfa is None:
        raise CaptureError(f"a PGM file carries no CFA: give it with --raw-format (e.g. --raw-format "
                           f"GRBG, or GRBG:10:black=25:white=1023; syntax {SPEC_SYNTAX}) or a sidecar "
                           f"{path.name}.json such as {{\"cfa\": \"GRBG\"}}", path)
    bits, white, black = _levels(hints, maxval, path)
    samples = width * height
    extra = {"pgm_maxval": maxval}
    if sources:
        extra["raw_spec_from"] = sources
    try:
        if magic == b"P5":
            mosaic = _read_p5(path, size, offset, width, height, maxval, extra)
        else:
            mosaic = _read_p2(path, size, offset, width, height, maxval)
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    except MemoryError:
        raise CaptureError(f"not enough memory for {width}x{height} pixels", path) from None
    extra.update(range_note(mosaic, bits))
    return Capture(mosaic=mosaic, cfa=hints.cfa, black_level=tuple(float(b) for b in black),
                   white_level=float(white), bits=bits, source=str(path),
                   format=f"PGM {magic.decode()}",
                   masked_areas=check_areas(hints.masked_areas, width, height, path), extra=extra)


def _read_p5(path: Path, size: int, offset: int, width: int, height: int, maxval: int,
             extra: dict) -> np.ndarray:
    bps = 1 if maxval < 256 else 2
    need = width * height * bps
    have = size - offset
    if have < need:
        raise CaptureError(f"file size {size} bytes is too small for a {width}x{height} PGM with maxval "
                           f"{maxval} (expected {offset + need} bytes: {offset} header + {need} pixel bytes)",
                           path)
    if have > need:
        extra["trailing_bytes"] = have - need
    dtype = np.uint8 if bps == 1 else np.dtype(">u2")
    with open(path, "rb") as f:
        f.seek(offset)
        data = np.fromfile(f, dtype=dtype, count=width * height)
    if data.size != width * height:
        raise CaptureError("file shrank while reading", path)
    if bps == 1:
        return data.astype(np.uint16).reshape(height, width)
    data.byteswap(inplace=True)  # big-endian bytes -> native order, without a second array
    return data.view(data.dtype.newbyteorder()).reshape(height, width)


def _read_p2(path: Path, size: int, offset: int, width: int, height: int, maxval: int) -> np.ndarray:
    count = width * height
    if size - offset < 2 * count - 1:  # every sample needs a digit and a separator
        raise CaptureError(f"file size {size} bytes is too small for a {width}x{height} ASCII PGM "
                           f"(at least {offset + 2 * count - 1} bytes)", path)
    if size > _P2_MAX_BYTES:
        raise CaptureError("ASCII (P2) PGM larger than 64 MB; convert it to binary P5", path)
    with open(path, "rb") as f:
        f.seek(offset)
        tokens = f.read().split()
    if len(tokens) < count:
        raise CaptureError(f"ASCII PGM has {len(tokens)} samples, the header says {width}x{height} = {count}",
                           path)
    if max(map(len, tokens[:count])) > 5:
        raise CaptureError(f"ASCII PGM holds a sample longer than 5 digits (maxval is {maxval})", path)
    try:
        values = np.array(tokens[:count]).astype(np.int64)
    except (ValueError, OverflowError):
        raise CaptureError("ASCII PGM holds a sample that is not a number", path) from None
    if values.min() < 0 or values.max() > maxval:
        raise CaptureError(f"ASCII PGM sample outside 0..{maxval}", path)
    return values.astype(np.uint16).reshape(height, width)
