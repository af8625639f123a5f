"""Rockchip RkISP1 (libcamera `src/ipa/rkisp1/data/*.yaml`): YAML, `version: 1`, `algorithms:`.

Modelled blocks (everything else, e.g. Agc, Dpf, DefectPixelClusterCorrection,
GammaSensorLinearization, per-set `resolution`, CCM `offsets`, AWB `algorithm`, is carried):

| block                 | key(s)                                | profile                             |
|-----------------------|---------------------------------------|-------------------------------------|
| BlackLevelCorrection  | R, Gr, Gb, B (16-bit scale)           | stages.black_level (manual)         |
| LensShadingCorrection | x-size, y-size, sets[{ct, r, gr, gb, b}] | lsc (absolute gains, 17 x 17 nodes) |
| Awb                   | colourGains [{ct, gains: [r, b]}]     | wb.ct_curve (r/g = 1 / red gain)    |
| Ccm                   | ccms [{ct, ccm[9]}]                   | ccm.tables                          |
| GammaOutCorrection    | gamma                                 | stages.tone (transfer gamma)        |
| Filter                | (no parameters: enables the filter)   | written when sharpen or denoise is on |

Lens shading: 17 x 17 samples per channel at the corners of 16 x 16 sectors, Q10 integers
(1024 = gain 1.0, at most 4095). `x-size`/`y-size` give the widths of the 8 sectors of the left
(top) half as fractions of the frame (summing to 0.5); the hardware mirrors them for the right
(bottom) half, so node i of 17 sits at the running sum of sector widths. An imported table keeps
exactly these node positions (`lsc.grid.layout = "nodes"`), so the integers round-trip exactly. A
profile with cell-centred grids (e.g. from a Raspberry Pi file) is resampled onto 16 equal sectors'
nodes: bilinear between cell centres, edge values held beyond the outermost centres. RkISP1 applies
gains as written: "relative" profile tables are normalised per channel (minimum 1) and the
luminance table folded in before quantising.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np

from app.isp.stages import Tone
from tuning_profiles import interp
from tuning_profiles.formats.common import (
    MARK, Exported, Imported, ImportOptions, Notes, Reader, build_profile, drop_marks, profile_data, put,
    reciprocal)
from tuning_profiles.model import Profile
from tuning_profiles.resolve import CHANNELS, lsc_applied

NAME = "rkisp1"
SAMPLES = 17          # RKISP1_CIF_ISP_LSC_SAMPLES_MAX
SECTORS_HALF = 8      # RKISP1_CIF_ISP_LSC_SECTORS_TBL_SIZE
Q = 1024.0            # Q10
Q_MAX = 4095          # 12-bit table entries
DEFAULT_GAMMA = 2.2   # libcamera goc.cpp
BLC_KEYS = ("R", "Gr", "Gb", "B")


def detect(data: Any) -> bool:
    return isinstance(data, dict) and data.get("version") == 1 and isinstance(data.get("algorithms"), list) \
        and "target" not in data


def node_positions(sizes: list[float]) -> list[float]:
    """The 17 node positions (0..1) of 8 half-frame sector widths, mirrored as the hardware does.

    As libcamera does, the last sector of each half absorbs any rounding so the half ends at 0.5.
    """
    half = [0.0]
    for s in sizes[:-1]:
        half.append(round(half[-1] + s, 12))
    half.append(0.5)
    return half + [round(1.0 - p, 12) for p in reversed(half[:-1])]


def sector_sizes(nodes: tuple[float, ...] | None) -> list[float] | None:
    """The 8 half-frame sector widths of symmetric node positions, or None if not representable."""
    if nodes is None or len(nodes) != SAMPLES:
        return None
    half = nodes[:SECTORS_HALF + 1]
    if abs(half[-1] - 0.5) > 1e-9 or any(abs(nodes[SAMPLES - 1 - i] - (1.0 - half[i])) > 1e-9
                                          for i in range(SECTORS_HALF + 1)):
        return None
    return [round(b - a, 10) for a, b in zip(half, half[1:])]


# ----------------------------------------------------------------------------------- import

def _check(data: Any, read: Reader) -> list[tuple[str, Any]]:
    doc = read.obj(data, "")
    if doc.get("version") != 1:
        raise read.fail("version", f"expected 1, got {doc.get('version')!r}")
    blocks = []
    for i, item in enumerate(read.list(doc.get("algorithms"), "algorithms", max_len=256)):
        item = read.obj(item, f"algorithms[{i}]")
        if len(item) != 1:
            raise read.fail(f"algorithms[{i}]", f"expected one algorithm name, got {len(item)} keys")
        (name, block), = item.items()
        if block is not None:
            read.obj(block, f"algorithms[{i}].{name}")
        blocks.append((str(name), block))
    return blocks


def _imp_blc(block: dict, out: dict, path: str, read: Reader, data: dict, notes: Notes) -> None:
    present = [k for k in BLC_KEYS if k in block]
    if not present:
        return
    if len(present) != 4:
        notes.add(f"{path}: only {', '.join(present)} given; libcamera ignores partial levels, so does camtune")
        return
    scale = 2.0 ** (16 - data["identity"]["bit_depth"])
    levels = [read.num(block[k], f"{path}.{k}", 0, 65535) / scale for k in BLC_KEYS]
    data["stages"]["black_level"].update(source="manual", black=levels,
                                         white=float(2 ** data["identity"]["bit_depth"] - 1))
    for k in BLC_KEYS:
        out[k] = MARK


def _imp_lsc(block: dict, out: dict, path: str, read: Reader, data: dict, notes: Notes) -> None:
    sizes = {}
    for key in ("x-size", "y-size"):
        values = read.nums(block.get(key), f"{path}.{key}", count=SECTORS_HALF, lo=0.0, hi=0.5)
        if not 0.495 <= sum(values) <= 0.505:
            raise read.fail(f"{path}.{key}", f"the sector sizes must add up to 0.5, got {sum(values):g}")
        sizes[key] = values
        out[key] = MARK
    tables, carried = [], []
    for i, entry in enumerate(read.list(block.get("sets"), f"{path}.sets", max_len=64)):
        where = f"{path}.sets[{i}]"
        entry = read.obj(entry, where)
        if "ct" not in entry:
            raise read.fail(where, "missing 'ct'")
        table = {"ct": read.num(entry["ct"], f"{where}.ct", 0)}
        kept = dict(entry)
        for c in CHANNELS:
            values = read.nums(entry.get(c), f"{where}.{c}", count=SAMPLES * SAMPLES, lo=0, hi=Q_MAX)
            table[c] = (np.asarray(values) / Q).reshape(SAMPLES, SAMPLES).tolist()
            kept[c] = MARK
        tables.append(table)
        carried.append(kept)
    cts = [t["ct"] for t in tables]
    if len(set(cts)) != len(cts):
        raise read.fail(f"{path}.sets", "two sets for the same colour temperature")
    data["lsc"] = {"gains": "absolute",
                   "grid": {"layout": "nodes", "x": node_positions(sizes["x-size"]),
                            "y": node_positions(sizes["y-size"])},
                   "luminance": None, "luminance_strength": 1.0,
                   "tables": sorted(tables, key=lambda t: t["ct"])}
    out["sets"] = carried


def _imp_awb(block: dict, out: dict, path: str, read: Reader, data: dict, notes: Notes) -> None:
    if "colourGains" not in block:
        return
    points = []
    for i, entry in enumerate(read.list(block["colourGains"], f"{path}.colourGains", max_len=64)):
        where = f"{path}.colourGains[{i}]"
        entry = read.obj(entry, where)
        gains = read.nums(entry.get("gains"), f"{where}.gains", count=2, lo=1e-6)
        points.append({"ct": read.num(entry.get("ct"), f"{where}.ct"), "r": 1.0 / gains[0], "b": 1.0 / gains[1]})
    data["wb"]["ct_curve"] = sorted(points, key=lambda p: p["ct"])
    out["colourGains"] = MARK


def _imp_ccm(block: dict, out: dict, path: str, read: Reader, data: dict, notes: Notes) -> None:
    if "ccms" not in block:
        return
    tables, carried = [], []
    for i, entry in enumerate(read.list(block["ccms"], f"{path}.ccms", max_len=64)):
        where = f"{path}.ccms[{i}]"
        entry = read.obj(entry, where)
        tables.append({"ct": read.num(entry.get("ct"), f"{where}.ct"),
                       "matrix": read.nums(entry.get("ccm"), f"{where}.ccm", count=9)})
        carried.append({**entry, "ccm": MARK})
    data["ccm"]["tables"] = sorted(tables, key=lambda t: t["ct"])
    data["stages"]["ccm"]["source"] = "manual"
    out["ccms"] = carried


def _imp_goc(block: dict, out: dict, path: str, read: Reader, data: dict, notes: Notes) -> None:
    spec = Tone.spec("gamma")
    gamma = read.num(block.get("gamma", DEFAULT_GAMMA), f"{path}.gamma", spec.minimum, spec.maximum)
    data["stages"]["tone"].update(transfer="gamma", gamma=gamma, curve=[[0.0, 0.0], [1.0, 1.0]])
    if "gamma" in block:
        out["gamma"] = MARK


IMPORTERS = {"BlackLevelCorrection": _imp_blc, "LensShadingCorrection": _imp_lsc, "Awb": _imp_awb,
             "Ccm": _imp_ccm, "GammaOutCorrection": _imp_goc}


def import_data(data: Any, source: str | Path, opts: ImportOptions = ImportOptions()) -> Imported:
    read, notes = Reader(source), Notes()
    blocks = _check(data, read)
    profile = profile_data(source, opts, NAME, notes)
    carried = []
    for i, (name, block) in enumerate(blocks):
        out = copy.deepcopy(block)
        if name in IMPORTERS:
            out = {} if block is None else out
            IMPORTERS[name](block or {}, out, f"algorithms[{i}].{name}", read, profile, notes)
            out = out or None
        carried.append({name: out})
    profile["firmware"][NAME] = {**{k: v for k, v in data.items() if k != "algorithms"}, "algorithms": carried}
    return Imported(build_profile(profile, source), tuple(notes.items))


# ----------------------------------------------------------------------------------- export

def _exp_blc(block: dict, profile: Profile, notes: Notes) -> None:
    bl = profile.stages.black_level
    if bl.source != "manual":
        for k in BLC_KEYS:
            if block.get(k) == MARK:
                notes.add("BlackLevelCorrection: the profile takes black levels from each capture; "
                          "levels left to libcamera's sensor helper")
        return
    scale = 2 ** (16 - profile.identity.bit_depth)
    for k, v in zip(BLC_KEYS, bl.black):
        put(block, k, int(round(v * scale)))


def _exp_lsc(block: dict, profile: Profile, notes: Notes) -> None:
    sec = profile.lsc
    if not sec.tables:
        return
    sizes = sector_sizes(sec.grid.x) if sec.grid.layout == "nodes" else None
    ysizes = sector_sizes(sec.grid.y) if sec.grid.layout == "nodes" else None
    if sizes is None or ysizes is None:
        sizes = ysizes = [0.5 / SECTORS_HALF] * SECTORS_HALF
        rows, cols = sec.shape()
        notes.add(f"LensShadingCorrection: {cols} x {rows} grids resampled to {SAMPLES} x {SAMPLES} "
                  "nodes of 16 equal sectors (bilinear between the samples, edges held)")
    dst_x, dst_y = np.asarray(node_positions(sizes)), np.asarray(node_positions(ysizes))
    if sec.grid.layout == "nodes":
        src_x, src_y = np.asarray(sec.grid.x), np.asarray(sec.grid.y)
    else:
        rows, cols = sec.shape()
        src_x, src_y = interp.cell_centres(cols), interp.cell_centres(rows)
    if sec.luminance is not None or sec.gains == "relative":
        notes.add("LensShadingCorrection: RkISP1 applies gains as written: the luminance table is "
                  "folded in and each channel normalised to a minimum of 1")
    sets = []
    clipped = False
    for entry in sec.tables:
        applied = lsc_applied(sec.model_copy(update={"tables": (entry,)}), entry.ct, normalise=False)
        out = {"ct": int(round(entry.ct))}
        for c in CHANNELS:
            g = interp.resample(applied[c], src_x, src_y, dst_x, dst_y)
            if sec.gains == "relative":
                g = g / g.min()  # on the nodes the hardware interpolates between
            q = np.rint(g * Q)
            clipped |= bool(np.any((q < 0) | (q > Q_MAX)))
            out[c] = [int(v) for v in np.clip(q, 0, Q_MAX).ravel()]
        sets.append(out)
    if clipped:
        notes.add(f"LensShadingCorrection: gains above {Q_MAX / Q:.3f} clipped to the 12-bit table range")
    put(block, "x-size", sizes)
    put(block, "y-size", ysizes)
    by_ct = {s["ct"]: s for s in sets}
    merged = []
    for kept in block.get("sets", []) if isinstance(block.get("sets"), list) else []:
        ct = int(round(kept.get("ct", -1))) if isinstance(kept.get("ct"), (int, float)) else None
        if ct in by_ct:  # keep the file's order and per-set extras (e.g. resolution)
            new = by_ct.pop(ct)
            merged.append({k: (new[k] if k in new else v) for k, v in kept.items()} | new)
    merged += list(by_ct.values())
    block["sets"] = merged


def _exp_awb(block: dict, profile: Profile, notes: Notes) -> None:
    curve = profile.wb.ct_curve
    if curve:
        put(block, "colourGains", [{"ct": int(round(p.ct)), "gains": [reciprocal(p.r), reciprocal(p.b)]}
                                   for p in curve])


def _exp_ccm(block: dict, profile: Profile, notes: Notes) -> None:
    tables = profile.ccm.tables
    if not tables:
        return
    kept = {int(round(e["ct"])): e for e in block.get("ccms", []) if isinstance(e, dict)
            and isinstance(e.get("ct"), (int, float))} if isinstance(block.get("ccms"), list) else {}
    out = []
    for e in tables:
        ct = int(round(e.ct))
        entry = dict(kept.get(ct, {"ct": ct, "ccm": MARK}))
        entry["ct"] = ct
        entry["ccm"] = list(e.matrix)
        out.append(entry)
        if any(not -8.0 <= v < 7.9922 for v in e.matrix):
            notes.add("Ccm: coefficients outside the hardware's -8..+7.992 (Q4.7) range will be clipped")
    put(block, "ccms", out)


def fitted_gamma(tone: Tone) -> float:
    """The power law x^(1/gamma) closest (least squares in log-log) to the tone stage's response."""
    from tuning_profiles.formats.common import tone_response_16
    knots = list(range(655, 65536, 655))  # 1 % .. 100 %, away from the toe where logs explode
    ys = np.maximum(np.asarray(tone_response_16(tone.model_copy(update={"enabled": True}), knots)), 1) / 65535.0
    lx = np.log(np.asarray(knots) / 65535.0)
    inv = float(np.sum(lx * np.log(ys)) / np.sum(lx * lx))
    spec = Tone.spec("gamma")
    return round(float(np.clip(1.0 / max(inv, 1e-6), spec.minimum, spec.maximum)), 3)


def _exp_goc(block: dict, profile: Profile, notes: Notes) -> None:
    tone = profile.stages.tone
    identity_curve = [list(p) for p in tone.curve] == [[0.0, 0.0], [1.0, 1.0]]
    if tone.transfer == "gamma" and identity_curve:
        gamma = tone.gamma
    elif tone.transfer == "srgb" and identity_curve:
        gamma = DEFAULT_GAMMA
        notes.add("GammaOutCorrection: RkISP1 has a power law only; the sRGB transfer written as gamma 2.2 "
                  "(libcamera's own approximation)")
    else:
        gamma = fitted_gamma(tone)
        notes.add(f"GammaOutCorrection: RkISP1 has a power law only; the profile's tone (transfer and "
                  f"curve) approximated by the closest one, gamma {gamma:g}")
    put(block, "gamma", gamma, default=DEFAULT_GAMMA)


EXPORTERS = {"BlackLevelCorrection": _exp_blc, "LensShadingCorrection": _exp_lsc, "Awb": _exp_awb,
             "Ccm": _exp_ccm, "GammaOutCorrection": _exp_goc}


def _default_blocks(profile: Profile) -> list[tuple[str, Any]]:
    s = profile.stages
    names = ["Agc", "Awb", "BlackLevelCorrection"]
    names += ["LensShadingCorrection"] if profile.lsc.tables else []
    names += ["Ccm"] if profile.ccm.tables else []
    names += ["GammaOutCorrection"] if s.tone.enabled else []
    names += ["Filter"] if s.sharpen.enabled or s.denoise.enabled else []
    return [(n, None) for n in names]


def export(profile: Profile) -> Exported:
    notes = Notes()
    carried = profile.firmware.get(NAME)
    if carried is not None:
        doc = copy.deepcopy(carried)
        blocks = [next(iter(item.items())) for item in doc.pop("algorithms")]
    else:
        doc, blocks = {"version": 1}, _default_blocks(profile)
        if profile.stages.denoise.enabled:
            notes.add("Dpf: not written (its noise-level function and kernels are not in the profile); "
                      "the Filter block gives RkISP1's built-in denoise and sharpening")
    names = [n for n, _ in blocks]
    for name, wanted in (("LensShadingCorrection", bool(profile.lsc.tables)), ("Ccm", bool(profile.ccm.tables)),
                         ("Awb", bool(profile.wb.ct_curve))):
        if wanted and name not in names:
            blocks.append((name, None))
            names.append(name)
    out = []
    for name, block in blocks:
        if name in EXPORTERS:
            block = dict(block or {})
            EXPORTERS[name](block, profile, notes)
            block = drop_marks(block) or None
        out.append({name: block})
    doc["algorithms"] = out
    return Exported(dumps(doc, profile).encode("utf-8"), tuple(notes.items))


# ----------------------------------------------------------------------------------- YAML

def _scalar(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} cannot be written to a tuning file")
        text = repr(v)
        if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 floats need a dot
            mantissa, exp = text.split("e")
            text = f"{mantissa}.0e{exp}"
        return text
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(values: list, indent: int, per_row: int | None = None) -> list[str]:
    """A flow sequence: one line if short, else rows (of `per_row`, or wrapped at 80 columns)."""
    items = [_flow(v, 0)[0] if isinstance(v, list) else _scalar(v) for v in values]
    one = "[ " + ", ".join(items) + " ]"
    if per_row is None and len(one) + indent <= 80:
        return [one]
    pad = " " * (indent + 2)
    if per_row is None:
        rows, line = [], []
        for item in items:
            if line and indent + 2 + len(", ".join(line + [item])) > 80:
                rows.append(line)
                line = []
            line.append(item)
        rows.append(line)
    else:
        rows = [items[i:i + per_row] for i in range(0, len(items), per_row)]
    return ["["] + [pad + ", ".join(r) + "," for r in rows] + [" " * indent + "]"]


def _mapping(block: dict, indent: int) -> list[str]:
    lines = []
    pad = " " * indent
    for key, value in block.items():
        head = f"{pad}{key}:"
        if isinstance(value, dict):
            lines.append(head)
            lines += _mapping(value, indent + 2)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(head)
            for item in value:
                sub = _mapping(item, indent + 4)
                lines.append(f"{pad}  - " + sub[0].lstrip())
                lines += sub[1:]
        elif isinstance(value, list):
            per_row = SAMPLES if key in CHANNELS and len(value) == SAMPLES * SAMPLES else None
            flow = _flow(value, indent + len(key) + 2, per_row)
            lines.append(f"{head} {flow[0]}")
            lines += flow[1:]
        else:
            lines.append(f"{head} {_scalar(value)}".rstrip())
    return lines


def dumps(doc: dict, profile: Profile | None = None) -> str:
    """An RkISP1 tuning file laid out like libcamera's (17 x 17 tables one row per line)."""
    lines = []
    if profile is not None:
        lines.append(f"# RkISP1 tuning for {profile.identity.name}, generated by camtune")
    lines += ["%YAML 1.1", "---"]
    rest = {k: v for k, v in doc.items() if k != "algorithms"}
    lines += _mapping(rest, 0)
    lines.append("algorithms:")
    for item in doc["algorithms"]:
        (name, block), = item.items()
        lines.append(f"  - {name}:")
        if block:
            lines += _mapping(block, 6)
    lines.append("...")
    return "\n".join(lines) + "\n"
