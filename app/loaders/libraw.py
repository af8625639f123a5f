"""Every container RAW LibRaw decodes (DNG, NEF, CR2, ARW, ORF, RW2, PEF, RAF...), via rawpy.

LibRaw supplies the pixels (decompressed, LinearizationTable applied, cropped to the visible
area), the CFA and per-channel levels; DNG colour metadata comes from `dng_tags` and overrides
LibRaw's where present. Only 2x2 RGB Bayer mosaics and LinearRaw DNGs are accepted: X-Trans,
Foveon, monochrome and 4-colour (CMYG, RGBE) sensors need pipelines camtune does not have, so
they are refused with one clear reason instead of being forced into a wrong RGGB.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rawpy

from app.capture import CFA_PATTERNS, Capture
from app.errors import CaptureError
from app.loaders import dng_tags
from app.loaders.dng_tags import DngTags

D65 = 21
GPR_REASON = ("GoPro VC-5 (GPR) compression is not supported; convert it to DNG with "
              "gpr_tools (gpr_tools -i FILE.GPR -o FILE.DNG)")

_LIBRAW_REASONS = (
    (rawpy.LibRawFileUnsupportedError, "not a RAW format LibRaw can decode"),
    (rawpy.LibRawIOError, "file is truncated or unreadable (I/O error while decoding)"),
    (rawpy.LibRawDataError, "the raw data is corrupt"),
    (rawpy.LibRawUnsufficientMemoryError, "the image is too large to decode in memory"),
    (rawpy.LibRawTooBigError, "the image is too large to decode in memory"),
    (rawpy.LibRawMemPoolOverflowError, "the image is too large to decode in memory"),
    (rawpy.LibRawRequestForNonexistentImageError, "the file holds no raw image"),
    (rawpy.LibRawNotImplementedError, "this variant of the format is not supported by LibRaw"),
)


class Unsupported(Exception):
    """The file decodes, but its sensor layout is not a 2x2 RGB Bayer mosaic or LinearRaw."""


@dataclass
class _Decoded:
    mosaic: np.ndarray
    cfa: str
    colours: tuple[int, int, int, int]   # LibRaw colour index per 2x2 position (Bayer only)
    black: tuple[float, float, float, float]
    white: float
    top: int
    left: int
    flip: int
    neutral: tuple[float, float, float] | None
    xyz: np.ndarray | None
    iso: float | None
    exposure: float | None


def _libraw_reason(e: Exception) -> str:
    for cls, reason in _LIBRAW_REASONS:
        if isinstance(e, cls):
            return reason
    msg = e.args[0] if e.args else ""
    msg = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"LibRaw could not decode it ({msg or type(e).__name__})"


def _open(path: Path):
    try:
        return rawpy.imread(str(path))
    except UnicodeEncodeError:  # a path LibRaw cannot take as UTF-8: hand it the bytes
        with open(path, "rb") as f:
            return rawpy.imread(f)


def bayer_cfa(pattern: np.ndarray | None, desc: str, top: int, left: int) -> tuple[str, tuple[int, ...]]:
    """CFA string of the visible mosaic's pixel (0,0), from LibRaw's raw pattern (full-raw coords)."""
    if pattern is None:
        raise Unsupported("multi-channel raw data (not a Bayer mosaic)")
    n = pattern.shape[0]
    if n == 6:
        raise Unsupported("Fujifilm X-Trans 6x6 colour filter")
    if n == 1:
        raise Unsupported("monochrome sensor (no colour filter)")
    vis = np.roll(pattern, (-(top % n), -(left % n)), axis=(0, 1))
    if n != 2 and not (np.array_equal(vis, np.tile(vis[:2, :2], (n // 2, n // 2)))):
        raise Unsupported(f"{n}x{n} colour filter that is not a 2x2 Bayer pattern")
    colours = tuple(int(c) for c in vis[:2, :2].ravel())
    cfa = "".join(desc[c] if c < len(desc) else "?" for c in colours)
    if cfa not in CFA_PATTERNS:
        kind = "4-colour CMYG" if set(desc) & set("CMY") else f"{desc} ({cfa})"
        raise Unsupported(f"{kind} colour filter, not RGB Bayer")
    return cfa, colours


def _decode(path: Path, dng: DngTags | None) -> _Decoded:
    with _open(path) as raw:
        sizes = raw.sizes
        desc = raw.color_desc.decode("ascii", "replace")
        if raw.raw_type == rawpy.RawType.Stack:
            if dng is None or not dng.is_linear_raw:
                raise Unsupported("multi-channel raw data (not a Bayer mosaic; only DNG LinearRaw is "
                                  "accepted already demosaiced)")
            img = raw.raw_image_visible
            if img.ndim != 3 or img.shape[2] < 3 or desc[:3] != "RGB":
                raise Unsupported(f"LinearRaw with {desc!r} channels, not RGB")
            mosaic = np.ascontiguousarray(img[..., :3], dtype=np.uint16)  # owned copy
            cfa, colours = "", (0, 1, 1, 2)
        else:
            try:
                pattern = raw.raw_pattern
            except NotImplementedError as e:  # rawpy: a LibRaw `filters` code it has no pattern for
                raise Unsupported(f"unusual colour filter ({e})") from None
            cfa, colours = bayer_cfa(pattern, desc, sizes.top_margin, sizes.left_margin)
            mosaic = np.array(raw.raw_image_visible, dtype=np.uint16, order="C", copy=True)
        per_channel = raw.black_level_per_channel
        wb = raw.camera_whitebalance
        xyz = np.array(raw.rgb_xyz_matrix, dtype=np.float64)[:3]
        other = raw.other
        return _Decoded(
            mosaic=mosaic, cfa=cfa, colours=colours,
            black=tuple(float(per_channel[c]) for c in colours), white=float(raw.white_level),
            top=sizes.top_margin, left=sizes.left_margin, flip=sizes.flip,
            neutral=(wb[1] / wb[0], 1.0, wb[1] / wb[2]) if min(wb[:3]) > 0 else None,
            xyz=xyz if np.any(xyz) and np.all(np.isfinite(xyz)) else None,
            iso=float(other.iso_speed) if other.iso_speed > 0 else None,
            exposure=float(other.shutter_speed) if other.shutter_speed > 0 else None,
        )


def _check_dng(dng: DngTags, path: Path, size: int) -> None:
    """Refuse what LibRaw would mis-decode or report obscurely, before decoding."""
    if dng.compression == 9:
        raise CaptureError(GPR_REASON, path)
    if dng.data_end > size:
        raise CaptureError(f"file is truncated: its raw image data ends at byte {dng.data_end} "
                           f"but the file has {size} bytes", path)
    if dng.photometric == dng_tags.PHOTOMETRIC_CFA and dng.cfa and dng.cfa not in CFA_PATTERNS:
        raise CaptureError(f"unsupported sensor layout: {dng.cfa} colour filter, not RGB Bayer", path)


def _fallback(path: Path, dng: DngTags) -> _Decoded | None:
    """Uncompressed DNG that LibRaw refuses (e.g. smaller than LibRaw's 22-pixel minimum)."""
    if dng.compression != 1 or not (dng.cfa in CFA_PATTERNS or
                                    (dng.is_linear_raw and dng.samples_per_pixel >= 3)):
        return None
    try:
        mosaic = dng_tags.read_uncompressed_dng(path, dng)
    except (ValueError, MemoryError):
        return None
    if dng.is_linear_raw:
        mosaic = np.ascontiguousarray(mosaic[..., :3])
    elif mosaic.ndim != 2:
        return None
    white = float(dng.white_level[0]) if dng.white_level else float((1 << dng.bits_per_sample) - 1)
    top, left = dng.active_area[:2] if dng.active_area else (0, 0)
    return _Decoded(mosaic=mosaic, cfa="" if dng.is_linear_raw else dng.cfa, colours=(0, 1, 1, 2),
                    black=(0.0,) * 4, white=white, top=top, left=left, flip=0, neutral=None,
                    xyz=None, iso=None, exposure=None)


def load_libraw(path: str | Path) -> Capture:
    """Load a container RAW. CaptureError for anything unreadable, corrupt or unsupported."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            tiff = f.read(4) in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    tags = dng_tags.read_tiff_tags(path) if tiff else None
    dng = tags if tags is not None and tags.is_dng else None
    if dng is not None:
        _check_dng(dng, path, size)
    elif path.suffix.lower() == ".gpr":
        raise CaptureError(GPR_REASON, path)
    how = "LibRaw"
    try:
        dec = _decode(path, dng)
    except Unsupported as e:
        raise CaptureError(f"unsupported sensor layout: {e}", path) from None
    except (rawpy.LibRawError, NotImplementedError, RuntimeError) as e:
        dec = _fallback(path, dng) if dng is not None else None
        if dec is None:
            what = f" ({dng.compression_name} DNG)" if dng is not None else ""
            raise CaptureError(_libraw_reason(e) + what, path) from None
        how = "tifffile (LibRaw refused it)"
    except MemoryError:
        raise CaptureError("not enough memory to decode the image", path) from None
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    return _capture(path, dec, tags, how)


def _capture(path: Path, dec: _Decoded, tags: DngTags | None, how: str) -> Capture:
    dng = tags if tags is not None and tags.is_dng else None
    black, white = dec.black, dec.white
    extra: dict = {"decoder": how}
    neutral, cm1, cm2, ill1, ill2 = dec.neutral, None, None, None, None
    if dec.xyz is not None:
        cm1, ill1 = dec.xyz, D65
        extra["color_matrix1_source"] = "LibRaw built-in table (Adobe, D65)"
    masked: tuple = ()
    if dng is not None:
        aa_top, aa_left = dng.active_area[:2] if dng.active_area else (0, 0)
        dy, dx = dec.top - aa_top, dec.left - aa_left
        lossy = dng.compression == 34892
        if lossy:  # LibRaw mapped 8-bit samples to 16-bit linear; DNG levels are in the 8-bit domain
            extra["levels_note"] = ("lossy JPEG DNG: LibRaw maps the 8-bit samples to 16-bit linear "
                                    "values, so levels are LibRaw's (DNG BlackLevel/WhiteLevel refer "
                                    "to the encoded 8-bit values)")
            black = (0.0,) * 4
        elif dng.is_linear_raw:
            per_sample = dng_tags.black_per_sample(dng)
            if per_sample is not None and len(per_sample) >= 3:
                black = (per_sample[0], per_sample[1], per_sample[1], per_sample[2])
            if dng.white_level:
                white = float(min(dng.white_level[:3]))
        else:
            black = dng_tags.black_per_position(dng, dy, dx) or black
            if dng.white_level:
                white = float(dng.white_level[0])
        neutral = dng.as_shot_neutral or neutral
        if dng.color_matrix1 is not None or dng.color_matrix2 is not None:
            cm1, cm2, ill1, ill2 = dng.color_matrix1, dng.color_matrix2, dng.illuminant1, dng.illuminant2
            extra.pop("color_matrix1_source", None)
        extra["compression"] = dng.compression_name
        extra["dng_version"] = dng.dng_version
        if dng.linearization_table is not None:
            extra["linearization_table"] = f"{len(dng.linearization_table)} entries, applied"
        if dng.black_delta_h is not None or dng.black_delta_v is not None:
            extra["black_level_delta"] = "BlackLevelDeltaH/V present: their mean per CFA position is included"
        if dng.opcodes:
            extra["dng_opcodes_not_applied"] = {k: v for k, v in dng.opcodes.items() if v}
        if dng.active_area and dng.active_area != (0, 0, dng.height, dng.width):
            extra["active_area"] = list(dng.active_area)
        if dy or dx:
            extra["visible_origin_in_active_area"] = [dy, dx]
        if dng.default_crop is not None:
            x, y, w, h = dng.default_crop
            crop = [round(x - dx, 3), round(y - dy, 3), round(w, 3), round(h, 3)]
            if crop != [0, 0, dec.mosaic.shape[1], dec.mosaic.shape[0]]:
                extra["default_crop_xywh"] = crop
        masked = _mosaic_areas(dng.masked_areas, dec.top, dec.left, dec.mosaic.shape[:2])
        if dng.masked_areas:
            extra["masked_areas_raw"] = [list(a) for a in dng.masked_areas]
    if tags is not None and tags.orientation not in (None, 1):
        extra["orientation"] = tags.orientation
    elif dng is None and dec.flip:
        extra["libraw_flip"] = dec.flip
    black, white = _sane_levels(black, white, dec, extra, path)
    bits = min(16, max(1, int(round(white)).bit_length()))
    fmt = ("DNG LinearRaw" if dng.is_linear_raw else "DNG") if dng is not None else \
        (path.suffix.lstrip(".").upper() or "LibRaw")
    return Capture(
        mosaic=dec.mosaic, cfa=dec.cfa, black_level=tuple(float(b) for b in black),
        white_level=float(white), bits=bits, source=str(path), format=fmt,
        as_shot_neutral=None if neutral is None else tuple(float(v) for v in neutral),
        color_matrix1=cm1, color_matrix2=cm2, illuminant1=ill1, illuminant2=ill2,
        exposure_time=(tags.exposure_time if tags else None) or dec.exposure,
        iso=(tags.iso if tags else None) or dec.iso,
        make=tags.make if tags else "", model=tags.model if tags else "",
        unique_camera_model=dng.unique_camera_model if dng else "",
        masked_areas=masked, extra=extra,
    )


def _sane_levels(black, white, dec: _Decoded, extra: dict, path: Path):
    """Levels a pipeline can divide by: 0 <= black < white <= 65535. A corrupt DNG tag falls back
    to LibRaw's levels; if those are unusable too, the file is refused."""
    def ok(b, w):
        return bool(np.all(np.isfinite(b)) and min(b) >= 0 and np.isfinite(w) and max(b) < w <= 65535)

    if ok(black, white):
        return black, white
    if ok(dec.black, dec.white):
        extra["levels_note"] = f"invalid DNG levels (black {list(black)}, white {white}); LibRaw's used"
        return dec.black, dec.white
    raise CaptureError(f"invalid levels: black {list(black)}, white {white}", path)


def _mosaic_areas(areas, top: int, left: int, shape) -> tuple[tuple[int, int, int, int], ...]:
    """Raw-coordinate rectangles translated to the mosaic and clipped; empty ones dropped."""
    h, w = shape
    out = []
    for t, l, b, r in areas:
        t, b = max(0, t - top), min(h, b - top)
        l, r = max(0, l - left), min(w, r - left)
        if t < b and l < r:
            out.append((t, l, b, r))
    return tuple(out)
