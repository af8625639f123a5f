"""The profile as integer tables for embedded firmware: shared by the C header and the binary blob.

Everything is resolved to what an ISP applies (lens-shading luminance folded in and "relative"
tables normalised, grids on cell centres, the tone as a 16-bit piecewise-linear curve) and
quantised to fixed point. Formats (value = integer / scale):

| field                                   | C type   | format  | scale  | range              |
|-----------------------------------------|----------|---------|--------|--------------------|
| colour temperatures                     | uint16   | kelvin  | 1      | 0 .. 65535         |
| black and white levels                  | uint16   | 16-bit  | 2^(16 - bit_depth) per DN | 0 .. 65535 |
| AWB neutral R/G, B/G                    | uint16   | Q4.12   | 4096   | 0 .. 15.9998       |
| colour-matrix coefficients (row-major)  | int16    | Q4.11   | 2048   | -16 .. 15.9995     |
| lens-shading gains                      | uint16   | Q5.11   | 2048   | 0 .. 31.9995       |
| tone curve points (in, out)             | uint16   | 16-bit  | 65535  | 0 .. 1             |
| analogue gains                          | uint16   | Q8.8    | 256    | 0 .. 255.996       |
| strengths, sigma, threshold, limit, saturation | uint16 | Q4.12 | 4096 | 0 .. 15.9998     |
| hue                                     | int16    | centidegrees | 100 | -180 .. 180       |

A value that does not fit its format is a CamtuneError naming it (never a silent wrap).
Per-gain tables: without entries, one entry at gain 1 holds the stage's own value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import CamtuneError
from app.isp.stages import IspParams
from tuning_profiles.formats import rpi_vc4
from tuning_profiles.formats.common import tone_response_16
from tuning_profiles.model import Profile
from tuning_profiles.resolve import CHANNELS, lsc_applied, to_cells

FORMAT_VERSION = 1
CFA_CODES = {"RGGB": 0, "GRBG": 1, "GBRG": 2, "BGGR": 3, "mono": 4}
# 16-bit inputs a sampled tone curve is written at: libcamera vc4's 33 knots (dense in the shadows).
TONE_KNOTS = rpi_vc4.KNOTS
FORMATS = {  # name: (scale, lowest integer, highest integer)
    "Q4.12": (4096.0, 0, 65535), "Q4.11": (2048.0, -32768, 32767), "Q5.11": (2048.0, 0, 65535),
    "Q8.8": (256.0, 0, 65535), "16-bit": (1.0, 0, 65535), "kelvin": (1.0, 0, 65535),
    "centidegrees": (100.0, -32768, 32767)}


def fixed(value: float, fmt: str, what: str) -> int:
    scale, lo, hi = FORMATS[fmt]
    q = int(round(float(value) * scale))
    if not lo <= q <= hi:
        raise CamtuneError(f"{what}: {value:g} does not fit the {fmt} format of the embedded "
                           f"tables ({lo / scale:g} .. {hi / scale:g})")
    return q


def c_name(name: str) -> str:
    """A C identifier from a profile name (lower case, [a-z0-9_])."""
    ident = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "profile"
    return ident if not ident[0].isdigit() else "p_" + ident


def ascii_field(text: str, size: int = 32) -> bytes:
    """`text` as printable ASCII, NUL-padded to `size` bytes (at most size - 1 characters)."""
    clean = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return clean.encode("ascii")[:size - 1].ljust(size, b"\0")


@dataclass(frozen=True)
class Tables:
    name: str
    make: str
    model: str
    bit_depth: int
    cfa: int
    base_iso: int
    stage_enable: int                # bit i = IspParams.stage_names()[i] enabled
    levels_from_capture: bool
    black: tuple[int, ...]           # R, Gr, Gb, B, 16-bit scale
    white: int
    awb: tuple[tuple[int, int, int], ...]             # (ct, r/g, b/g)
    ccm: tuple[tuple[int, tuple[int, ...]], ...]      # (ct, 9 coefficients)
    lsc_cols: int
    lsc_rows: int
    lsc: tuple[tuple[int, tuple[int, ...]], ...]      # (ct, [4][rows][cols] gains)
    tone: tuple[tuple[int, int], ...]                 # (in, out)
    luma_radius: int
    chroma_radius: int
    denoise: tuple[tuple[int, int, int], ...]         # (gain, luma, chroma)
    sharpen_sigma: int
    sharpen_threshold: int
    sharpen_limit: int
    sharpen: tuple[tuple[int, int], ...]              # (gain, strength)
    saturation: int
    hue: int


def tables(profile: Profile) -> Tables:
    """The profile's embedded tables (deterministic)."""
    s: IspParams = profile.stages
    ident = profile.identity
    scale = 2 ** (16 - ident.bit_depth)
    mask = sum(1 << i for i, name in enumerate(IspParams.stage_names()) if getattr(s, name).enabled)
    black = tuple(fixed(v * scale, "16-bit", f"stages.black_level.black[{i}]") for i, v in enumerate(s.black_level.black))
    white = fixed(s.black_level.white * scale, "16-bit", "stages.black_level.white")

    awb = tuple((fixed(p.ct, "kelvin", f"wb.ct_curve[{i}].ct"), fixed(p.r, "Q4.12", f"wb.ct_curve[{i}].r"),
                 fixed(p.b, "Q4.12", f"wb.ct_curve[{i}].b")) for i, p in enumerate(profile.wb.ct_curve))
    ccm = tuple((fixed(e.ct, "kelvin", f"ccm.tables[{i}].ct"),
                 tuple(fixed(v, "Q4.11", f"ccm.tables[{i}].matrix[{k}]") for k, v in enumerate(e.matrix)))
                for i, e in enumerate(profile.ccm.tables))

    sec = profile.lsc
    shape = sec.shape() if sec.tables else None
    rows, cols = shape if shape else (0, 0)
    lsc = []
    for i, entry in enumerate(sec.tables):
        applied = lsc_applied(sec.model_copy(update={"tables": (entry,)}), entry.ct)
        values = []
        for c in CHANNELS:
            grid = to_cells(sec, applied[c])
            values += [fixed(v, "Q5.11", f"lsc.tables[{i}].{c}") for v in grid.ravel()]
        lsc.append((fixed(entry.ct, "kelvin", f"lsc.tables[{i}].ct"), tuple(values)))

    tone = s.tone
    if tone.transfer == "linear":
        points = [(int(round(x * 65535)), int(round(y * 65535))) for x, y in tone.curve]
    else:
        ys = tone_response_16(tone.model_copy(update={"enabled": True}), list(TONE_KNOTS))
        points = list(zip(TONE_KNOTS, ys))

    dn = profile.denoise.by_gain
    denoise_rows = [(e.gain, e.luma_strength, e.chroma_strength) for e in dn] or \
        [(1.0, s.denoise.luma_strength, s.denoise.chroma_strength)]
    denoise = tuple((fixed(g, "Q8.8", f"denoise.by_gain[{i}].gain"), fixed(lu, "Q4.12", "denoise luma strength"),
                     fixed(ch, "Q4.12", "denoise chroma strength")) for i, (g, lu, ch) in enumerate(denoise_rows))
    sh = profile.sharpen.by_gain
    sharpen_rows = [(e.gain, e.strength) for e in sh] or [(1.0, s.sharpen.strength)]
    sharpen = tuple((fixed(g, "Q8.8", f"sharpen.by_gain[{i}].gain"), fixed(v, "Q4.12", "sharpen strength"))
                    for i, (g, v) in enumerate(sharpen_rows))
    return Tables(
        name=ident.name, make=ident.make, model=ident.model, bit_depth=ident.bit_depth,
        cfa=CFA_CODES[ident.cfa], base_iso=int(round(ident.base_iso)), stage_enable=mask,
        levels_from_capture=s.black_level.source != "manual", black=black, white=white,
        awb=awb, ccm=ccm, lsc_cols=cols, lsc_rows=rows, lsc=tuple(lsc), tone=tuple(points),
        luma_radius=s.denoise.luma_radius, chroma_radius=s.denoise.chroma_radius, denoise=denoise,
        sharpen_sigma=fixed(s.sharpen.sigma, "Q4.12", "stages.sharpen.sigma"),
        sharpen_threshold=fixed(s.sharpen.threshold, "Q4.12", "stages.sharpen.threshold"),
        sharpen_limit=fixed(s.sharpen.limit, "Q4.12", "stages.sharpen.limit"), sharpen=sharpen,
        saturation=fixed(s.colour.saturation, "Q4.12", "stages.colour.saturation"),
        hue=fixed(s.colour.hue, "centidegrees", "stages.colour.hue"))
