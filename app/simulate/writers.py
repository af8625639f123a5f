"""Write a capture the way real cameras do: DNG, headerless 16/8-bit dumps, MIPI CSI-2 RAW10/12.

Every file is written to a temporary sibling and renamed into place (app.atomic), so a crash
never leaves half a file under the real name.

DNG (tifffile, no other dependency), laid out like a Raspberry Pi / phone DNG: IFD0 is a small
8-bit RGB preview (NewSubFileType 1) carrying the camera-wide tags (DNGVersion 1.4,
UniqueCameraModel, Make, Model, ColorMatrix1/2 with CalibrationIlluminant1/2, AsShotNeutral,
ExposureTime, ISOSpeedRatings, Orientation); SubIFD0 is the uncompressed 16-bit CFA image
(NewSubFileType 0, PhotometricInterpretation CFA, CFARepeatPatternDim 2x2, CFAPattern,
CFAPlaneColor, CFALayout, BlackLevelRepeatDim 2x2 with four BlackLevel values, WhiteLevel).
rawpy/LibRaw and Raspberry Pi's tuning tool (which reads WhiteLevel and the CFA tags from
'EXIF SubIFD0', ExposureTime/ISO from IFD0) both read it; pixel values are stored unscaled.

Headerless (`raw16`, `raw8`, `mipi10`, `mipi12`): named ``NAME_WxH_Nbit_PATTERN.raw`` (MIPI adds
``_mipi10``/``_mipi12``), little-endian uint16 container for raw16 (N = the sensor's bit depth),
one byte per pixel for raw8, CSI-2 packing for MIPI (app.loaders.mipi). Beside each goes the
loader's geometry sidecar ``<file>.json`` (see app/loaders/rawspec.py) with the levels, which
the name cannot carry.
"""
from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.atomic import atomic_open, atomic_write_bytes, atomic_write_text
from app.capture import Capture, cfa_channels

FORMATS = ("dng", "raw16", "raw8", "mipi10", "mipi12")
FORMAT_BITS = {"raw8": 8, "mipi10": 10, "mipi12": 12}  # formats that fix the bit depth
_PACKING = {"raw16": "u16le", "raw8": "u8", "mipi10": "mipi10", "mipi12": "mipi12"}
_CFA_CODE = {"R": 0, "G": 1, "B": 2}
PREVIEW_WIDTH = 256


def output_path(out: str | Path, fmt: str, capture: Capture) -> Path:
    """The file to write for `-o OUT`.

    DNG: OUT with a .dng suffix. Headerless: OUT is the NAME; the geometry is appended as the
    naming convention requires (``NAME_WxH_Nbit_PATTERN[_mipiNN].raw``). A given name that
    already states the geometry is kept; one that contradicts the capture is a ValueError.
    """
    out = Path(out)
    if fmt == "dng":
        return out if out.suffix.lower() == ".dng" else out.with_name(out.name + ".dng")
    tail = f"{capture.width}x{capture.height}_{capture.bits}bit_{capture.cfa}"
    if fmt.startswith("mipi"):
        tail += f"_{fmt}"
    from app.loaders.rawspec import hints_from_name
    hints = hints_from_name(out)
    if hints.width is not None or hints.bits is not None or hints.cfa is not None:
        said = (hints.width, hints.height, hints.bits, hints.cfa)
        have = (capture.width, capture.height, capture.bits, capture.cfa)
        if any(s is not None and s != h for s, h in zip(said, have)):
            raise ValueError(f"the name {out.name!r} says {said}, the capture is {have} "
                             f"(width, height, bits, CFA); name it NAME_{tail}.raw or give just NAME")
        if fmt.startswith("mipi") and hints.packing != fmt:
            raise ValueError(f"a MIPI file name must carry its packing: NAME_{tail}.raw")
        return out if out.suffix else out.with_name(out.name + ".raw")
    stem = re.sub(r"\.raw$", "", out.name, flags=re.I)
    return out.with_name(f"{stem}_{tail}.raw")


def write_capture(capture: Capture, out: str | Path, fmt: str) -> list[Path]:
    """Write `capture` as `fmt` (one of FORMATS) for `-o out`; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    need = FORMAT_BITS.get(fmt)
    if need is not None and capture.bits != need:
        raise ValueError(f"{fmt} holds {need}-bit data; the capture is {capture.bits}-bit")
    if fmt == "raw16" and capture.bits > 16:
        raise ValueError("raw16 holds at most 16 bits")
    path = output_path(out, fmt, capture)
    if fmt == "dng":
        write_dng(capture, path)
        return [path]
    return write_headerless(capture, path, fmt)


# --- headerless ----------------------------------------------------------------------------

def write_headerless(capture: Capture, path: Path, fmt: str) -> list[Path]:
    """Bare pixels plus the loader's geometry sidecar (`<file>.json`)."""
    mosaic = np.ascontiguousarray(capture.mosaic)
    if fmt == "raw16":
        data = mosaic.astype("<u2").tobytes()
    elif fmt == "raw8":
        data = mosaic.astype(np.uint8).tobytes()
    else:
        from app.loaders.mipi import pack_mipi10, pack_mipi12
        pack = pack_mipi10 if fmt == "mipi10" else pack_mipi12
        data = pack(mosaic).tobytes()
    with atomic_open(path, "wb") as f:
        f.write(data)
    side = path.with_name(path.name + ".json")
    sidecar = {"width": capture.width, "height": capture.height, "bits": capture.bits,
               "cfa": capture.cfa, "packing": _PACKING[fmt],
               "black_level": [_num(b) for b in capture.black_level],
               "white_level": _num(capture.white_level),
               "comment": f"camtune virtual camera, {capture.make} {capture.model}; "
                          f"ground truth in {path.name}.truth.json"}
    atomic_write_text(side, json.dumps(sidecar, indent=1) + "\n")
    return [path, side]


def _num(v: float):
    return int(v) if float(v).is_integer() else float(v)


# --- DNG -----------------------------------------------------------------------------------

def _rationals(values, denominator: int = 10000, signed: bool = False) -> list[int]:
    out = []
    for v in values:
        f = Fraction(float(v)).limit_denominator(denominator)
        if not signed and f < 0:
            raise ValueError(f"negative value {v} in an unsigned RATIONAL tag")
        out += [f.numerator, f.denominator]
    return out


def _exposure_rational(t: float) -> list[int]:
    us = int(round(t * 1e6))
    f = Fraction(us, 1_000_000)
    if f.numerator == 1 or f.denominator == 1:
        return [f.numerator, f.denominator]
    return [us, 1_000_000]


def preview(capture: Capture, width: int = PREVIEW_WIDTH) -> np.ndarray:
    """Small 8-bit RGB preview: 2x2 binned, white-balanced, gamma 2.2 (not colour-managed)."""
    m = capture.mosaic.astype(np.float32)
    h2, w2 = capture.height // 2, capture.width // 2
    chans = cfa_channels(capture.cfa)
    black = np.asarray(capture.black_level, dtype=np.float32).reshape(2, 2)
    rgb = np.zeros((h2, w2, 3), dtype=np.float32)
    count = np.zeros(3, dtype=np.float32)
    for i in range(2):
        for j in range(2):
            rgb[..., chans[i, j]] += m[i:2 * h2:2, j:2 * w2:2] - black[i, j]
            count[chans[i, j]] += 1
    rgb /= count * max(1.0, capture.white_level - float(black.max()))
    if capture.as_shot_neutral is not None:
        rgb /= np.asarray(capture.as_shot_neutral, dtype=np.float32)
    step = max(1, w2 // width)
    small = rgb[::step, ::step]
    small = np.clip(small / max(1e-6, float(np.percentile(small, 99))), 0, 1) ** (1 / 2.2)
    return np.ascontiguousarray((small * 255 + 0.5).astype(np.uint8))


def dng_tags(capture: Capture) -> tuple[list, list]:
    """(IFD0 extratags, raw SubIFD extratags) as tifffile tuples (code, dtype, count, value, once)."""
    if capture.cfa == "" or capture.mosaic.ndim != 2:
        raise ValueError("only CFA mosaics can be written as DNG here")
    ifd0 = [
        (50706, "B", 4, (1, 4, 0, 0), True),                       # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),                       # DNGBackwardVersion
        (271, "s", 0, capture.make or "camtune", True),            # Make
        (272, "s", 0, capture.model or "Virtual Camera", True),    # Model
        (50708, "s", 0, capture.unique_camera_model or f"{capture.make} {capture.model}", True),
        (274, "H", 1, 1, True),                                    # Orientation
    ]
    if capture.color_matrix1 is not None:
        ifd0 += [(50721, "2i", 9, _rationals(np.ravel(capture.color_matrix1), signed=True), True),
                 (50778, "H", 1, int(capture.illuminant1 or 0), True)]
    if capture.color_matrix2 is not None:
        ifd0 += [(50722, "2i", 9, _rationals(np.ravel(capture.color_matrix2), signed=True), True),
                 (50779, "H", 1, int(capture.illuminant2 or 0), True)]
    if capture.as_shot_neutral is not None:
        ifd0.append((50728, "2I", 3, _rationals(capture.as_shot_neutral, 1_000_000), True))
    if capture.exposure_time is not None:
        ifd0.append((33434, "2I", 1, _exposure_rational(capture.exposure_time), True))
    if capture.iso is not None:
        ifd0.append((34855, "H", 1, int(round(capture.iso)), True))
    black = capture.black_level
    integral = all(float(b).is_integer() for b in black)
    raw = [
        (33421, "H", 2, (2, 2), True),                                         # CFARepeatPatternDim
        (33422, "B", 4, tuple(_CFA_CODE[c] for c in capture.cfa), True),       # CFAPattern
        (50710, "B", 3, (0, 1, 2), True),                                      # CFAPlaneColor
        (50711, "H", 1, 1, True),                                              # CFALayout
        (50713, "H", 2, (2, 2), True),                                         # BlackLevelRepeatDim
        (50714, "I", 4, tuple(int(b) for b in black), True) if integral else
        (50714, "2I", 4, _rationals(black, 256), True),                        # BlackLevel
        (50717, "I", 1, int(capture.white_level), True),                       # WhiteLevel
    ]
    return ifd0, raw


def write_dng(capture: Capture, path: str | Path) -> Path:
    """Write `capture` as an uncompressed DNG (see the module docstring for the layout)."""
    import tifffile
    ifd0, raw = dng_tags(capture)
    path = Path(path)
    buf = io.BytesIO()
    with tifffile.TiffWriter(buf, bigtiff=False, byteorder="<") as tif:
        tif.write(preview(capture), photometric="rgb", subfiletype=1, subifds=1,
                  software="camtune virtual camera", extratags=ifd0, metadata=None)
        tif.write(np.ascontiguousarray(capture.mosaic, dtype=np.uint16), photometric=32803,
                  compression=None, subfiletype=0, bitspersample=16, extratags=raw,
                  metadata=None, rowsperstrip=capture.height, software="camtune virtual camera")
    atomic_write_bytes(path, buf.getbuffer())
    return path
