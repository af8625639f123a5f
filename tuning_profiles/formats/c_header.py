"""Embedded firmware: a C99 header holding the profile as documented structs with static initialisers.

`#include` it in one or more translation units; every object is `static const`, so including it
twice does not clash, and an unused profile costs nothing (`CTP_UNUSED` quiets the warning). The
struct types are shared by all generated headers (guarded by `CTP_TYPES_V1`), so two profiles can
be compiled into one firmware. Fixed-point formats are stated beside every field and in
`tuning_profiles.formats.embedded`; the same values, in the same formats, make up the binary blob
(`formats.blob`), so a firmware can take either.
"""
from __future__ import annotations

from app.isp.stages import IspParams
from tuning_profiles.formats import embedded
from tuning_profiles.formats.common import Exported
from tuning_profiles.model import Profile

NAME = "c-header"

_TYPES = """\
#ifndef CTP_TYPES_V1
#define CTP_TYPES_V1
/*
 * Fixed-point formats (value = integer / scale):
 *   kelvin   uint16  colour temperature in K
 *   16-bit   uint16  levels on a 16-bit scale: DN << (16 - bit_depth); tone points: 65535 = 1.0
 *   Q4.12    uint16  scale 4096 (0 .. 15.9998)
 *   Q4.11    int16   scale 2048 (-16 .. 15.9995)
 *   Q5.11    uint16  scale 2048 (0 .. 31.9995)
 *   Q8.8     uint16  scale 256  (0 .. 255.996)
 * Tables keyed by colour temperature or gain are sorted by their key; interpolate linearly
 * between neighbours and clamp at the ends.
 */
#if defined(__GNUC__)
#define CTP_UNUSED __attribute__((unused))
#else
#define CTP_UNUSED
#endif

#define CTP_FORMAT_VERSION 1u
/* cfa codes */
#define CTP_CFA_RGGB 0u
#define CTP_CFA_GRBG 1u
#define CTP_CFA_GBRG 2u
#define CTP_CFA_BGGR 3u
#define CTP_CFA_MONO 4u
/* stage_enable bits, in execution order */
{stage_bits}

typedef struct {{
    uint16_t ct;        /* kelvin */
    uint16_t r_over_g;  /* Q4.12: R/G of a neutral under this light (red WB gain = 1 / r_over_g) */
    uint16_t b_over_g;  /* Q4.12: B/G of a neutral under this light */
}} ctp_awb_point_t;

typedef struct {{
    uint16_t ct;        /* kelvin */
    int16_t m[9];       /* Q4.11, row-major: linear sRGB = m . white-balanced camera RGB */
}} ctp_ccm_t;

typedef struct {{
    uint16_t ct;              /* kelvin */
    const uint16_t *gains;    /* Q5.11 [4][lsc_rows][lsc_cols]: R, Gr, Gb, B at cell centres */
}} ctp_lsc_t;

typedef struct {{
    uint16_t in;        /* 16-bit linear input */
    uint16_t out;       /* 16-bit output; linear between points */
}} ctp_tone_point_t;

typedef struct {{
    uint16_t gain;      /* Q8.8 analogue gain (1.0 = base ISO) */
    uint16_t luma;      /* Q4.12 luma strength (0 .. 1) */
    uint16_t chroma;    /* Q4.12 chroma strength (0 .. 1) */
}} ctp_denoise_t;

typedef struct {{
    uint16_t gain;      /* Q8.8 analogue gain */
    uint16_t strength;  /* Q4.12 detail gain */
}} ctp_sharpen_t;

typedef struct {{
    uint16_t format_version;        /* CTP_FORMAT_VERSION */
    char name[32];                  /* sensor or module, NUL-terminated ASCII */
    char make[32];
    char model[32];
    uint8_t bit_depth;              /* sensor bits */
    uint8_t cfa;                    /* CTP_CFA_* */
    uint8_t levels_from_capture;    /* 1: black/white come from the sensor, not from below */
    uint32_t base_iso;              /* ISO at analogue gain 1 */
    uint32_t stage_enable;          /* CTP_STAGE_* bits */
    uint16_t black[4];              /* 16-bit: R, Gr, Gb, B */
    uint16_t white;                 /* 16-bit */
    uint16_t awb_count;
    const ctp_awb_point_t *awb;     /* AWB colour-temperature curve */
    uint16_t ccm_count;
    const ctp_ccm_t *ccm;
    uint16_t lsc_cols;
    uint16_t lsc_rows;
    uint16_t lsc_count;
    const ctp_lsc_t *lsc;
    uint16_t tone_count;
    const ctp_tone_point_t *tone;
    uint8_t luma_radius;            /* pixels */
    uint8_t chroma_radius;          /* pixels */
    uint16_t denoise_count;
    const ctp_denoise_t *denoise;   /* by analogue gain */
    uint16_t sharpen_sigma;         /* Q4.12 pixels */
    uint16_t sharpen_threshold;     /* Q4.12 fraction of full scale */
    uint16_t sharpen_limit;         /* Q4.12 fraction of full scale */
    uint16_t sharpen_count;
    const ctp_sharpen_t *sharpen;   /* by analogue gain */
    uint16_t saturation;            /* Q4.12 */
    int16_t hue;                    /* centidegrees */
}} ctp_profile_t;
#endif /* CTP_TYPES_V1 */
"""


def _c_string(text: bytes) -> str:
    return '"' + text.rstrip(b"\0").decode("ascii").replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rows(values, per_row: int, indent: str = "    ") -> str:
    items = [str(v) for v in values]
    return ",\n".join(indent + ", ".join(items[i:i + per_row]) for i in range(0, len(items), per_row))


def render(profile: Profile) -> str:
    t = embedded.tables(profile)
    ident = embedded.c_name(t.name)
    prefix = f"ctp_{ident}"
    guard = f"CAMTUNE_PROFILE_{ident.upper()}_H"
    bits = "\n".join(f"#define CTP_STAGE_{name.upper()} (1u << {i})"
                     for i, name in enumerate(IspParams.stage_names()))
    shown = embedded.ascii_field(t.name).rstrip(b"\0").decode().replace("*/", "*_/")
    out = [f"/*\n * camtune tuning profile \"{shown}\" "
           f"for embedded firmware: generated, do not edit.\n"
           " * Regenerate with: python main.py export PROFILE --format c-header -o FILE.h\n"
           " * Formats: see the comment on CTP_TYPES_V1 and tuning_profiles/formats/embedded.py.\n */",
           f"#ifndef {guard}", f"#define {guard}", "", "#include <stdint.h>", "",
           _TYPES.format(stage_bits=bits)]

    def array(ctype: str, name: str, rows: list[str]) -> str | None:
        if not rows:
            return None
        body = ",\n".join("    " + r for r in rows)
        out.append(f"static const {ctype} {name}[{len(rows)}] = {{\n{body}\n}};\n")
        return name

    awb = array("ctp_awb_point_t", f"{prefix}_awb", [f"{{ {ct}, {r}, {b} }}" for ct, r, b in t.awb])
    ccm = array("ctp_ccm_t", f"{prefix}_ccm",
                [f"{{ {ct}, {{ {', '.join(str(v) for v in m)} }} }}" for ct, m in t.ccm])
    lsc_rows = []
    for i, (ct, gains) in enumerate(t.lsc):
        grid = f"{prefix}_lsc_{i}"
        out.append(f"/* lens shading at {ct} K: Q5.11 [4][{t.lsc_rows}][{t.lsc_cols}] R, Gr, Gb, B */\n"
                   f"static const uint16_t {grid}[{len(gains)}] = {{\n{_rows(gains, t.lsc_cols)}\n}};\n")
        lsc_rows.append(f"{{ {ct}, {grid} }}")
    lsc = array("ctp_lsc_t", f"{prefix}_lsc", lsc_rows)
    tone = array("ctp_tone_point_t", f"{prefix}_tone", [f"{{ {x}, {y} }}" for x, y in t.tone])
    denoise = array("ctp_denoise_t", f"{prefix}_denoise", [f"{{ {g}, {lu}, {ch} }}" for g, lu, ch in t.denoise])
    sharpen = array("ctp_sharpen_t", f"{prefix}_sharpen", [f"{{ {g}, {v} }}" for g, v in t.sharpen])

    def ptr(name):
        return name if name else "0"

    fields = [
        ("format_version", str(embedded.FORMAT_VERSION)),
        ("name", _c_string(embedded.ascii_field(t.name))),
        ("make", _c_string(embedded.ascii_field(t.make))),
        ("model", _c_string(embedded.ascii_field(t.model))),
        ("bit_depth", str(t.bit_depth)), ("cfa", str(t.cfa)),
        ("levels_from_capture", str(int(t.levels_from_capture))),
        ("base_iso", f"{t.base_iso}u"), ("stage_enable", f"0x{t.stage_enable:x}u"),
        ("black", "{ " + ", ".join(str(v) for v in t.black) + " }"), ("white", str(t.white)),
        ("awb_count", str(len(t.awb))), ("awb", ptr(awb)),
        ("ccm_count", str(len(t.ccm))), ("ccm", ptr(ccm)),
        ("lsc_cols", str(t.lsc_cols)), ("lsc_rows", str(t.lsc_rows)),
        ("lsc_count", str(len(t.lsc))), ("lsc", ptr(lsc)),
        ("tone_count", str(len(t.tone))), ("tone", ptr(tone)),
        ("luma_radius", str(t.luma_radius)), ("chroma_radius", str(t.chroma_radius)),
        ("denoise_count", str(len(t.denoise))), ("denoise", ptr(denoise)),
        ("sharpen_sigma", str(t.sharpen_sigma)), ("sharpen_threshold", str(t.sharpen_threshold)),
        ("sharpen_limit", str(t.sharpen_limit)),
        ("sharpen_count", str(len(t.sharpen))), ("sharpen", ptr(sharpen)),
        ("saturation", str(t.saturation)), ("hue", str(t.hue)),
    ]
    body = ",\n".join(f"    .{k} = {v}" for k, v in fields)
    out.append(f"static const ctp_profile_t {prefix} CTP_UNUSED = {{\n{body}\n}};\n")
    out.append(f"#endif /* {guard} */")
    return "\n".join(out) + "\n"


def export(profile: Profile) -> Exported:
    return Exported(render(profile).encode("ascii"))
