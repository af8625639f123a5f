"""DNG/TIFF metadata read with tifffile: what LibRaw decodes but rawpy does not expose.

rawpy gives pixels, CFA, levels and white balance, but not ColorMatrix1/2 with their
illuminants, AsShotNeutral, the DNG black-level pattern (RATIONAL 0/256 on GoPro files),
ActiveArea/DefaultCrop, MaskedAreas, opcode lists, EXIF exposure/ISO or make/model. This module
reads those tags only (never image data, except `read_uncompressed_dng` for files LibRaw
refuses) and tells the loader where the raw image data lies, so truncation is caught before
decoding. Any parse failure of a non-TIFF or corrupt file yields None: the caller decides.
"""
from __future__ import annotations

import logging
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile

PHOTOMETRIC_CFA = 32803
PHOTOMETRIC_LINEAR_RAW = 34892
COMPRESSION_NAMES = {1: "uncompressed", 7: "lossless JPEG", 8: "deflate", 9: "GoPro VC-5",
                     34892: "lossy JPEG", 52546: "JPEG XL"}
OPCODE_NAMES = {1: "WarpRectilinear", 2: "WarpFisheye", 3: "FixVignetteRadial",
                4: "FixBadPixelsConstant", 5: "FixBadPixelsList", 6: "TrimBounds", 7: "MapTable",
                8: "MapPolynomial", 9: "GainMap", 10: "DeltaPerRow", 11: "DeltaPerColumn",
                12: "ScalePerRow", 13: "ScalePerColumn", 14: "WarpRectilinear2"}
_CFA_LETTERS = "RGBCMYW"  # DNG CFAPlaneColor codes 0..6

_quiet = threading.local()


class _QuietFilter(logging.Filter):
    """Silence tifffile's warnings while *we* probe a possibly corrupt file (this thread only)."""

    def filter(self, record):
        return not getattr(_quiet, "on", False)


logging.getLogger("tifffile").addFilter(_QuietFilter())


@dataclass(frozen=True, eq=False)
class DngTags:
    """Tags of the raw image IFD (DNG) plus IFD0/EXIF facts. Arrays are small (tags only)."""

    is_dng: bool
    dng_version: str = ""
    width: int = 0
    height: int = 0
    photometric: int | None = None
    compression: int | None = None
    bits_per_sample: int | None = None
    samples_per_pixel: int = 1
    cfa: str = ""                        # relative to the ActiveArea origin; "" if not 2x2 RGB
    black_level: np.ndarray | None = None       # (rows, cols, samples) repeat pattern
    black_delta_h: np.ndarray | None = None     # per column of the active area
    black_delta_v: np.ndarray | None = None     # per row
    white_level: tuple[float, ...] | None = None
    linearization_table: np.ndarray | None = None
    color_matrix1: np.ndarray | None = None
    color_matrix2: np.ndarray | None = None
    illuminant1: int | None = None
    illuminant2: int | None = None
    as_shot_neutral: tuple[float, float, float] | None = None
    active_area: tuple[int, int, int, int] | None = None   # top, left, bottom, right (raw coords)
    default_crop: tuple[float, float, float, float] | None = None  # x, y, w, h (active coords)
    masked_areas: tuple[tuple[int, int, int, int], ...] = ()       # raw coords
    exposure_time: float | None = None
    iso: float | None = None
    make: str = ""
    model: str = ""
    unique_camera_model: str = ""
    orientation: int | None = None
    opcodes: dict = field(default_factory=dict)   # list name -> opcode names
    data_end: int = 0                    # last byte of raw image data + 1 (truncation check)
    data_bytes: int = 0                  # sum of the raw image's strip/tile byte counts

    @property
    def compression_name(self) -> str:
        c = self.compression
        return COMPRESSION_NAMES.get(c, f"compression {c}") if c is not None else "unknown compression"

    @property
    def is_linear_raw(self) -> bool:
        return self.photometric == PHOTOMETRIC_LINEAR_RAW


def _floats(tag) -> list[float] | None:
    """Tag value as floats; RATIONAL/SRATIONAL pairs are divided (0/0 -> 0)."""
    if tag is None:
        return None
    v = tag.value
    if isinstance(v, (bytes, str, dict)):
        return None
    v = list(v) if isinstance(v, (tuple, list, np.ndarray)) else [v]
    if int(tag.dtype) in (5, 10):  # RATIONAL, SRATIONAL: flattened (num, den) pairs
        return [n / d if d else 0.0 for n, d in zip(v[0::2], v[1::2])]
    return [float(x) for x in v]


def _ints(tag) -> list[int] | None:
    f = _floats(tag)
    return None if f is None else [int(round(x)) for x in f]


def _first_int(tag) -> int | None:
    v = _ints(tag)
    return v[0] if v else None


def _text(tag) -> str:
    if tag is None:
        return ""
    v = tag.value
    if isinstance(v, bytes):
        v = v.split(b"\0", 1)[0].decode("latin-1")
    return str(v).strip("\0 ").strip() if isinstance(v, str) else ""


def _matrix(tag) -> np.ndarray | None:
    v = _floats(tag)
    if v is None or len(v) != 9 or not np.all(np.isfinite(v)) or not any(v):
        return None
    return np.array(v, dtype=np.float64).reshape(3, 3)


def _cfa(ifd) -> str:
    dim = _ints(ifd.tags.get(33421))
    pat = ifd.tags.get(33422)
    plane = ifd.tags.get(50710)
    if dim != [2, 2] or pat is None or not isinstance(pat.value, bytes) or len(pat.value) != 4:
        return ""
    colours = plane.value if plane is not None and isinstance(plane.value, bytes) else b"\x00\x01\x02"
    letters = []
    for idx in pat.value:
        code = colours[idx] if idx < len(colours) else 255
        letters.append(_CFA_LETTERS[code] if code < len(_CFA_LETTERS) else "?")
    return "".join(letters)


def parse_opcodes(blob: bytes, limit: int = 256) -> list[str]:
    """Names of the opcodes in a DNG OpcodeList (big-endian), bounded; [] if malformed."""
    try:
        (count,) = struct.unpack_from(">I", blob, 0)
        pos, names = 4, []
        for _ in range(min(count, limit)):
            op, _ver, _flags, size = struct.unpack_from(">IIII", blob, pos)
            names.append(OPCODE_NAMES.get(op, f"opcode {op}"))
            pos += 16 + size
            if pos > len(blob):
                break
        return names
    except struct.error:
        return []


def _raw_ifd(pages):
    """The main raw image IFD: NewSubfileType 0 with CFA or LinearRaw photometric, searching SubIFDs."""
    best = None
    for page in pages:
        for ifd in [page, *(getattr(page, "pages", None) or [])]:
            tags = ifd.tags
            sub = tags.get(254)
            main = sub is None or int(sub.value) == 0
            photo = tags.get(262)
            photo = int(photo.value) if photo is not None else None
            if main and photo in (PHOTOMETRIC_CFA, PHOTOMETRIC_LINEAR_RAW):
                return ifd
            if main and best is None:
                best = ifd
    return best


def read_tiff_tags(path: str | Path) -> DngTags | None:
    """Parse a TIFF-based file's tags; None if tifffile cannot (not TIFF, corrupt)."""
    _quiet.on = True
    try:
        with tifffile.TiffFile(str(path)) as tif:
            return _collect(tif)
    except Exception:  # noqa: BLE001 - any parse failure of a hostile file means "no tags"
        return None
    finally:
        _quiet.on = False


def _collect(tif) -> DngTags:
    ifd0 = tif.pages[0]
    t0 = ifd0.tags
    version = t0.get(50706)
    is_dng = version is not None
    exif = t0.get(34665)
    exif = exif.value if exif is not None and isinstance(exif.value, dict) else {}
    common = dict(
        make=_text(t0.get(271)), model=_text(t0.get(272)),
        unique_camera_model=_text(t0.get(50708)),
        orientation=_first_int(t0.get(274)),
        exposure_time=_exif_float(exif.get("ExposureTime"), t0.get(33434), rational=True),
        iso=_exif_float(exif.get("ISOSpeedRatings", exif.get("PhotographicSensitivity")), t0.get(34855)),
    )
    if not is_dng:
        return DngTags(is_dng=False, **common)
    raw = _raw_ifd(tif.pages) or ifd0
    rt = raw.tags
    spp = int(rt[277].value) if 277 in rt else 1
    bps = _ints(rt.get(258))
    # Black-level pattern: BlackLevelRepeatDim (rows, cols) x samples, values may be RATIONAL.
    black = None
    bl = _floats(rt.get(50714))
    if bl:
        dim = _ints(rt.get(50713)) or [1, 1]
        rows, cols = (dim + [1, 1])[:2]
        if rows >= 1 and cols >= 1 and len(bl) == rows * cols * spp:
            black = np.array(bl, dtype=np.float64).reshape(rows, cols, spp)
        elif len(bl) == spp or len(bl) == 1:
            black = np.array(bl * (spp if len(bl) == 1 else 1), dtype=np.float64).reshape(1, 1, spp)
    aa = _ints(rt.get(50829))
    origin, size = _floats(rt.get(50719)), _floats(rt.get(50720))
    masked = _ints(rt.get(50830)) or []
    lin = rt.get(50712)
    return DngTags(
        is_dng=True, dng_version=".".join(str(b) for b in version.value) if isinstance(version.value, bytes) else "",
        width=int(raw.imagewidth), height=int(raw.imagelength),
        photometric=int(rt[262].value) if 262 in rt else None,
        compression=int(rt[259].value) if 259 in rt else None,
        bits_per_sample=bps[0] if bps else None, samples_per_pixel=spp,
        cfa=_cfa(raw) if spp == 1 else "",
        black_level=black,
        black_delta_h=_small_array(rt.get(50715)), black_delta_v=_small_array(rt.get(50716)),
        white_level=tuple(_floats(rt.get(50717)) or ()) or None,
        linearization_table=np.array(lin.value, dtype=np.uint16) if lin is not None and
        not isinstance(lin.value, (bytes, str)) and len(lin.value) >= 2 else None,
        color_matrix1=_matrix(t0.get(50721)), color_matrix2=_matrix(t0.get(50722)),
        illuminant1=_first_int(t0.get(50778)),
        illuminant2=_first_int(t0.get(50779)),
        as_shot_neutral=_neutral(t0.get(50728)),
        active_area=tuple(aa) if aa and len(aa) == 4 and aa[0] < aa[2] and aa[1] < aa[3] else None,
        default_crop=tuple(origin + size) if origin and size and len(origin) == 2 and len(size) == 2 else None,
        masked_areas=tuple(tuple(masked[i:i + 4]) for i in range(0, len(masked) - 3, 4)),
        opcodes={name: parse_opcodes(bytes(rt[code].value)) for code, name in
                 ((51008, "OpcodeList1"), (51009, "OpcodeList2"), (51022, "OpcodeList3"))
                 if code in rt and isinstance(rt[code].value, bytes)},
        data_end=max((o + n for o, n in zip(raw.dataoffsets, raw.databytecounts)), default=0),
        data_bytes=sum(raw.databytecounts),
        **common,
    )


def _small_array(tag) -> np.ndarray | None:
    v = _floats(tag)
    return None if not v else np.array(v, dtype=np.float64)


def _neutral(tag) -> tuple[float, float, float] | None:
    v = _floats(tag)
    if v is None or len(v) != 3 or not all(np.isfinite(x) and x > 0 for x in v):
        return None
    return (float(v[0]), float(v[1]), float(v[2]))


def _exif_float(value, fallback_tag, rational: bool = False) -> float | None:
    """A positive EXIF number; `rational` values come as (num, den), others as int or tuple of ints."""
    if value is None and fallback_tag is not None:
        v = _floats(fallback_tag)
        value = v[0] if v else None
    elif isinstance(value, (tuple, list)):
        if rational and len(value) == 2 and not isinstance(value[0], (tuple, list)):
            value = value[0] / value[1] if value[1] else None
        else:
            value = value[0] if value else None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) and v > 0 else None


# --- using the tags ------------------------------------------------------------------------

def black_per_position(tags: DngTags, dy: int = 0, dx: int = 0) -> tuple[float, float, float, float] | None:
    """BlackLevel (+ mean BlackLevelDelta) for the 2x2 positions of a mosaic whose pixel (0,0)
    is active-area pixel (dy, dx). Patterns larger than 2x2 are averaged per position.
    """
    if tags.black_level is None:
        return None
    pat = tags.black_level[..., 0]
    rows, cols = pat.shape
    out = []
    for i in range(2):
        for j in range(2):
            r = np.arange(i + dy, i + dy + 2 * rows, 2) % rows
            c = np.arange(j + dx, j + dx + 2 * cols, 2) % cols
            v = float(pat[np.ix_(r, c)].mean())
            v += _parity_mean(tags.black_delta_v, i + dy) + _parity_mean(tags.black_delta_h, j + dx)
            out.append(v)
    return tuple(out)


def _parity_mean(delta: np.ndarray | None, start: int) -> float:
    """Mean of a BlackLevelDelta over the rows (or columns) of one CFA parity."""
    if delta is None or delta[start % 2::2].size == 0:
        return 0.0
    return float(delta[start % 2::2].mean())


def black_per_sample(tags: DngTags) -> tuple[float, ...] | None:
    """Per-sample black of a LinearRaw image (pattern averaged)."""
    if tags.black_level is None:
        return None
    return tuple(float(v) for v in tags.black_level.mean(axis=(0, 1)))


def apply_linearization(mosaic: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Map stored values through a DNG LinearizationTable (values past the end take the last entry)."""
    idx = np.minimum(mosaic, len(table) - 1)
    return table[idx]


def read_uncompressed_dng(path: str | Path, tags: DngTags) -> np.ndarray:
    """Raw image of an uncompressed DNG via tifffile (for files LibRaw refuses), cropped to the
    ActiveArea and linearized. ValueError with a reason when it cannot be read this way.
    """

    if tags.compression != 1 or tags.bits_per_sample not in (8, 16):
        raise ValueError(f"{tags.compression_name} {tags.bits_per_sample}-bit data needs LibRaw")
    spp = tags.samples_per_pixel
    shape = (tags.height, tags.width) if spp == 1 else (tags.height, tags.width, spp)
    if tags.data_bytes < int(np.prod(shape)) * tags.bits_per_sample // 8:
        raise ValueError("the image data is shorter than its dimensions")
    _quiet.on = True
    try:
        with tifffile.TiffFile(str(path)) as tif:
            data = _raw_ifd(tif.pages).asarray()
    except Exception as e:  # noqa: BLE001 - corrupt file: report, do not crash
        raise ValueError(f"cannot read the raw image data ({e})") from None
    finally:
        _quiet.on = False
    if data.shape != shape:
        raise ValueError(f"raw image decodes as {data.shape}, expected {shape}")
    if tags.active_area:
        t, l, b, r = tags.active_area
        if b > tags.height or r > tags.width:
            raise ValueError("ActiveArea lies outside the image")
        data = data[t:b, l:r]
    data = np.ascontiguousarray(data, dtype=np.uint16)
    if tags.linearization_table is not None:
        data = apply_linearization(data, tags.linearization_table)
    return data
