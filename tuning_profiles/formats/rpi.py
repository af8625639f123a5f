"""Raspberry Pi libcamera tuning files (JSON version 2.0): what the vc4 and pisp targets share.

`{"version": 2.0, "target": "bcm2835" | "pisp", "algorithms": [{"rpi.NAME": {...}}, ...]}`, list
order = execution order. The target modules (`rpi_vc4`, `rpi_pisp`) give the grid size, the
denoise block, the tone-curve knots and the minimal default blocks; this module maps the profile.

Modelled blocks and keys (everything else is carried from an imported file, or taken from the
target's minimal defaults, which mirror the camera tuning tool's templates):

| block            | key(s)                               | profile                                  |
|------------------|--------------------------------------|------------------------------------------|
| rpi.black_level  | black_level (16-bit scale)           | stages.black_level (manual; DN << (16 - bit_depth)) |
| rpi.dpc          | strength 0 = off                     | stages.dpc.enabled                       |
| rpi.sdn (vc4)    | strength                             | stages.denoise.luma_strength at gain 1   |
| rpi.denoise (pisp) | normal.sdn.strength, normal.cdn.strength | luma / chroma strength at gain 1     |
| rpi.awb          | ct_curve [ct, r/g, b/g, ...]         | wb.ct_curve                              |
| rpi.alsc         | calibrations_Cr/Cb, luminance_lut, luminance_strength | lsc (see below)         |
| rpi.contrast     | gamma_curve (16-bit in and out)      | stages.tone                              |
| rpi.ccm          | ccms [{ct, ccm[9]}]                  | ccm.tables                               |
| rpi.sharpen      | strength                             | stages.sharpen.strength at gain 1        |
| (most blocks)    | enabled                              | the stage's enabled                      |

ALSC: libcamera applies, per cell, R gain = Cr(T) * L', G = L', B = Cb(T) * L' with
L' = 1 + (luminance_lut - 1) * luminance_strength, each channel normalised to a minimum of 1; Cr
and Cb are interpolated linearly in CT and clamped. An imported file becomes a "relative" profile
section with r = Cr, b = Cb (no green grids), `luminance` = the LUT, so the numbers round-trip
exactly. A profile with green grids (from RkISP1) exports Cr = r/g, Cb = b/g and one luminance
table, the green grids averaged over temperatures (noted: RPi has a single luminance table).
Grids of another size or layout are resampled bilinearly over cell centres (`interp`).

Numbers are written the way the shipped files write them: CCM coefficients to 5 decimals, ALSC
tables to 3, CTs of tables as integers, the AWB curve's CTs as decimals; files are laid out like
the shipped ones (number tables in rows), so a diff against them is readable.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np

from app.isp.stages import Sharpen
from tuning_profiles import interp
from tuning_profiles.formats.common import (
    MARK, Exported, Imported, ImportOptions, Notes, Reader, build_profile, drop_marks, profile_data, put,
    tone_response_16)
from tuning_profiles.model import Profile
from tuning_profiles.resolve import DEFAULT_CT, CaptureFacts, resolve, to_cells

# Number lists written in rows of this many (the others inline), as in the shipped files.
ROW_WIDTH = {"ct_curve": 3, "ccm": 3, "prior": 2, "y_target": 2, "gamma_curve": 2, "tonemap": 2,
             "weights": 15, "lut_rx": 9, "lut_ry": 9, "lut_bx": 9, "lut_by": 9}
GRID_KEYS = ("table", "luminance_lut")
# Blocks that mean the same on both targets (a vc4 import can seed a pisp export, and back).
PORTABLE = frozenset({"rpi.black_level", "rpi.dpc", "rpi.lux", "rpi.noise", "rpi.geq", "rpi.awb",
                      "rpi.nn.awb", "rpi.alsc", "rpi.contrast", "rpi.ccm", "rpi.sharpen", "rpi.af",
                      "rpi.sync"})
SDN_STRENGTH = 0.75      # libcamera vc4 sdn.cpp default
SHARPEN_STRENGTH = 1.0   # libcamera sharpen.cpp default
ALSC_LUMINANCE_STRENGTH = 1.0  # libcamera alsc.cpp default
TEMPLATE_BLACK_LEVEL = 4096    # the tuning tool's template value (256 DN at 12 bits)


@dataclass(frozen=True)
class Target:
    name: str                      # camtune's format name, e.g. "rpi-vc4"
    target: str                    # the file's "target"
    cols: int                      # ALSC grid
    rows: int
    gamma_knots: tuple[int, ...]   # 16-bit inputs a sampled tone curve is written at
    defaults: Callable[[], dict[str, dict]]  # minimal default blocks in execution order (MARK: from the profile)

    @property
    def order(self) -> tuple[str, ...]:
        """The blocks of a file built from defaults, in execution order."""
        return tuple(self.defaults())

    def detect(self, data: Any) -> bool:
        return isinstance(data, dict) and data.get("target") == self.target and "algorithms" in data

    def import_data(self, data: Any, source: str | Path, opts: ImportOptions = ImportOptions()) -> Imported:
        return import_document(data, source, self, opts)


# ----------------------------------------------------------------------------------- layout

def _scalar(v: Any) -> str:
    return json.dumps(v, allow_nan=False)


def _entry(key: str, value: Any, level: int, cols: int) -> str:
    pad = "    " * level
    head = pad + json.dumps(key) + ":"
    if isinstance(value, dict):
        return head + " { }" if not value else head + "\n" + pad + _object(value, level, cols)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            inner = "    " * (level + 1)
            return head + " [\n" + ",\n".join(inner + _object(v, level + 1, cols) for v in value) \
                + "\n" + pad + "]"
        width = cols if key in GRID_KEYS else ROW_WIDTH.get(key)
        numbers = all(isinstance(v, Number) and not isinstance(v, bool) for v in value)
        if width and value and numbers:
            inner = "    " * (level + 1)
            rows = [", ".join(_scalar(v) for v in value[i:i + width]) for i in range(0, len(value), width)]
            return head + "\n" + pad + "[\n" + ",\n".join(inner + r for r in rows) + "\n" + pad + "]"
        if not value:
            return head + " [  ]"
        return head + " [ " + ", ".join(_scalar(v) for v in value) + " ]"
    return head + " " + _scalar(value)


def _object(value: dict, level: int, cols: int) -> str:
    if not value:
        return "{ }"
    pad = "    " * level
    return "{\n" + ",\n".join(_entry(k, v, level + 1, cols) for k, v in value.items()) + "\n" + pad + "}"


def dumps(doc: dict, cols: int) -> str:
    """A tuning file laid out like the shipped ones (4-space indent, number tables in rows)."""
    return _object(doc, 0, cols) + "\n"


# ----------------------------------------------------------------------------------- import

@dataclass
class _In:
    read: Reader
    notes: Notes
    data: dict          # the profile being built (plain data)
    target: Target
    scale: float        # 16-bit scale / sensor DN

    @property
    def stages(self) -> dict:
        return self.data["stages"]


def _enabled(block: dict, out: dict, stage: dict, path: str, ctx: _In) -> None:
    if "enabled" in block:
        value = block["enabled"]
        if not isinstance(value, bool) and value not in (0, 1):
            raise ctx.read.fail(f"{path}.enabled", f"expected true or false, got {value!r}")
        stage["enabled"] = bool(value)
        out["enabled"] = MARK


def _imp_black_level(block, out, path, ctx: _In):
    st = ctx.stages["black_level"]
    if "black_level" in block:
        v = ctx.read.num(block["black_level"], f"{path}.black_level", 0, 65535)
        bits = ctx.data["identity"]["bit_depth"]
        st.update(source="manual", black=[v / ctx.scale] * 4, white=float(2 ** bits - 1))
        out["black_level"] = MARK
    _enabled(block, out, st, path, ctx)


def _imp_dpc(block, out, path, ctx: _In):
    strength = ctx.read.num(block.get("strength", 1), f"{path}.strength", 0, 2)
    st = ctx.stages["dpc"]
    _enabled(block, out, st, path, ctx)
    st["enabled"] = bool(st["enabled"]) and strength > 0  # the strength itself stays carried


def _imp_sdn(block, out, path, ctx: _In):
    st = ctx.stages["denoise"]
    st["luma_strength"] = ctx.read.num(block.get("strength", SDN_STRENGTH), f"{path}.strength")
    if "strength" in block:
        out["strength"] = MARK
    _enabled(block, out, st, path, ctx)


def _imp_denoise(block, out, path, ctx: _In):
    st = ctx.stages["denoise"]
    normal = block.get("normal")
    if isinstance(normal, dict):
        out["normal"] = copy.deepcopy(normal)
        for part, key in (("sdn", "luma_strength"), ("cdn", "chroma_strength")):
            sub = normal.get(part)
            if isinstance(sub, dict) and "strength" in sub:
                st[key] = ctx.read.num(sub["strength"], f"{path}.normal.{part}.strength")
                out["normal"][part]["strength"] = MARK
    _enabled(block, out, st, path, ctx)


def _imp_awb(block, out, path, ctx: _In):
    if "ct_curve" not in block:
        return
    flat = ctx.read.nums(block["ct_curve"], f"{path}.ct_curve", multiple=3)
    cts = flat[0::3]
    ctx.read.increasing(cts, f"{path}.ct_curve", "colour temperatures")
    ctx.data["wb"]["ct_curve"] = [{"ct": c, "r": r, "b": b}
                                  for c, r, b in zip(flat[0::3], flat[1::3], flat[2::3])]
    out["ct_curve"] = MARK


def _calibrations(block, key: str, path: str, ctx: _In) -> list[tuple[float, np.ndarray]]:
    t = ctx.target
    out = []
    for i, cal in enumerate(ctx.read.list(block.get(key, []), f"{path}.{key}", max_len=64)):
        where = f"{path}.{key}[{i}]"
        cal = ctx.read.obj(cal, where)
        if "ct" not in cal or "table" not in cal:
            raise ctx.read.fail(where, "expected 'ct' and 'table'")
        ct = ctx.read.num(cal["ct"], f"{where}.ct")
        table = ctx.read.nums(cal["table"], f"{where}.table", count=t.cols * t.rows)
        out.append((ct, np.asarray(table).reshape(t.rows, t.cols)))
    ctx.read.increasing([c for c, _ in out], f"{path}.{key}", "colour temperatures")
    return out


def _imp_alsc(block, out, path, ctx: _In):
    t = ctx.target
    lsc = ctx.data["lsc"]
    lsc.update(gains="relative", grid={"layout": "cells", "x": None, "y": None})
    if "luminance_lut" in block:
        lut = ctx.read.nums(block["luminance_lut"], f"{path}.luminance_lut", count=t.cols * t.rows)
        lsc["luminance"] = np.asarray(lut).reshape(t.rows, t.cols).tolist()
        out["luminance_lut"] = MARK
    elif "corner_strength" in block:
        ctx.notes.add(f"{path}: the luminance table is generated by libcamera from corner_strength; "
                      "carried, but not shown in camtune's render")
    lsc["luminance_strength"] = ctx.read.num(block.get("luminance_strength", ALSC_LUMINANCE_STRENGTH),
                                             f"{path}.luminance_strength", 0, 1)
    if "luminance_strength" in block:
        out["luminance_strength"] = MARK
    cr = _calibrations(block, "calibrations_Cr", path, ctx)
    cb = _calibrations(block, "calibrations_Cb", path, ctx)
    tables = []
    for ct in sorted({c for c, _ in cr} | {c for c, _ in cb}):
        pair = []
        for name, cals in (("Cr", cr), ("Cb", cb)):
            if not cals:
                pair.append(np.ones((t.rows, t.cols)))
                continue
            if ct not in [c for c, _ in cals]:
                ctx.notes.add(f"{path}: calibrations_{name} has no table at {ct:g} K; interpolated one")
            pair.append(interp.by_key([c for c, _ in cals], np.stack([g for _, g in cals]), ct))
        tables.append({"ct": ct, "r": pair[0].tolist(), "gr": None, "gb": None, "b": pair[1].tolist()})
    lsc["tables"] = tables
    for key in ("calibrations_Cr", "calibrations_Cb"):
        if key in block:
            out[key] = MARK
    _enabled(block, out, ctx.stages["lsc"], path, ctx)


def _imp_contrast(block, out, path, ctx: _In):
    st = ctx.stages["tone"]
    if "gamma_curve" in block:
        flat = ctx.read.nums(block["gamma_curve"], f"{path}.gamma_curve", multiple=2, lo=0, hi=65535)
        xs = flat[0::2]
        ctx.read.increasing(xs, f"{path}.gamma_curve", "inputs")
        if len(xs) < 2:
            raise ctx.read.fail(f"{path}.gamma_curve", "expected at least 2 points")
        st.update(transfer="linear",  # 7 decimals: exact back to 16 bits, and readable
                  curve=[[round(x / 65535.0, 7), round(y / 65535.0, 7)] for x, y in zip(xs, flat[1::2])])
        out["gamma_curve"] = MARK
    _enabled(block, out, st, path, ctx)


def _imp_ccm(block, out, path, ctx: _In):
    st = ctx.stages["ccm"]
    if "ccms" in block:
        tables = []
        for i, entry in enumerate(ctx.read.list(block["ccms"], f"{path}.ccms", max_len=64)):
            where = f"{path}.ccms[{i}]"
            entry = ctx.read.obj(entry, where)
            if "ct" not in entry or "ccm" not in entry:
                raise ctx.read.fail(where, "expected 'ct' and 'ccm'")
            tables.append({"ct": ctx.read.num(entry["ct"], f"{where}.ct"),
                           "matrix": ctx.read.nums(entry["ccm"], f"{where}.ccm", count=9)})
        ctx.read.increasing([e["ct"] for e in tables], f"{path}.ccms", "colour temperatures")
        ctx.data["ccm"]["tables"] = tables
        st["source"] = "manual"
        out["ccms"] = MARK
    _enabled(block, out, st, path, ctx)


def _imp_sharpen(block, out, path, ctx: _In):
    st = ctx.stages["sharpen"]
    spec = Sharpen.spec("strength")
    st["strength"] = ctx.read.num(block.get("strength", SHARPEN_STRENGTH), f"{path}.strength",
                                  spec.minimum, spec.maximum)
    if "strength" in block:
        out["strength"] = MARK
    _enabled(block, out, st, path, ctx)


IMPORTERS = {"rpi.black_level": _imp_black_level, "rpi.dpc": _imp_dpc, "rpi.sdn": _imp_sdn,
             "rpi.denoise": _imp_denoise, "rpi.awb": _imp_awb, "rpi.alsc": _imp_alsc,
             "rpi.contrast": _imp_contrast, "rpi.ccm": _imp_ccm, "rpi.sharpen": _imp_sharpen}


def check_document(data: Any, read: Reader) -> list[tuple[str, dict]]:
    """The (name, block) pairs of a version-2.0 Raspberry Pi tuning file, or a clear error."""
    doc = read.obj(data, "")
    if "algorithms" not in doc:
        raise read.fail("algorithms", "missing: not a Raspberry Pi tuning file")
    version = read.num(doc.get("version"), "version")
    if version != 2.0:
        raise read.fail("version", f"{version:g} is not a supported version (2.0)")
    blocks = []
    for i, item in enumerate(read.list(doc["algorithms"], "algorithms", max_len=256)):
        item = read.obj(item, f"algorithms[{i}]")
        if len(item) != 1:
            raise read.fail(f"algorithms[{i}]", f"expected one 'rpi.NAME' key, got {len(item)} keys")
        (name, block), = item.items()
        blocks.append((name, read.obj(block, f"algorithms[{i}].{name}", allow_none=True)))
    return blocks


def import_document(data: Any, source: str | Path, target: Target, opts: ImportOptions) -> Imported:
    read, notes = Reader(source), Notes()
    blocks = check_document(data, read)
    if data.get("target") != target.target:
        raise read.fail("target", f"expected {target.target!r}, got {data.get('target')!r}")
    profile = profile_data(source, opts, target.name, notes)
    bits = profile["identity"]["bit_depth"]
    ctx = _In(read, notes, profile, target, float(2 ** (16 - bits)))
    carried = []
    for i, (name, block) in enumerate(blocks):
        out = copy.deepcopy(block)
        if name in IMPORTERS:
            IMPORTERS[name](block, out, f"algorithms[{i}].{name}", ctx)
        carried.append({name: out})
    profile["firmware"][target.name] = {**{k: v for k, v in data.items() if k != "algorithms"},
                                        "algorithms": carried}
    return Imported(build_profile(profile, source), tuple(notes.items))


# ----------------------------------------------------------------------------------- export

@dataclass
class _Out:
    profile: Profile
    base: Any          # the profile resolved at gain 1 (per-gain tables have no RPi key)
    target: Target
    notes: Notes
    from_defaults: set[str]


def _ct_int(ct: float):
    return int(round(ct)) if abs(ct - round(ct)) < 1e-9 else ct


def _exp_enabled(block: dict, enabled: bool) -> None:
    put(block, "enabled", enabled, default=True)


def _exp_black_level(block, ctx: _Out):
    bl = ctx.profile.stages.black_level
    scale = 2 ** (16 - ctx.profile.identity.bit_depth)
    if bl.source == "manual":
        if len(set(bl.black)) > 1:
            ctx.notes.add("rpi.black_level: one level for all channels; wrote the mean of R, Gr, Gb, B")
        put(block, "black_level", int(round(float(np.mean(bl.black)) * scale)))
    elif block.get("black_level") == MARK or "black_level" not in block:
        ctx.notes.add("rpi.black_level: the profile takes black levels from each capture; wrote the "
                      f"tuning tool's template value {TEMPLATE_BLACK_LEVEL} (16-bit scale)")
        put(block, "black_level", TEMPLATE_BLACK_LEVEL)
    _exp_enabled(block, bl.enabled)


def _exp_dpc(block, ctx: _Out):
    on = ctx.profile.stages.dpc.enabled
    if "enabled" in block:
        block["enabled"] = on
        if on and block.get("strength", 1) == 0:
            block["strength"] = 1
    elif on != (block.get("strength", 1) > 0):
        block["strength"] = 1 if on else 0


def _denoise_note(ctx: _Out):
    if len(ctx.profile.denoise.by_gain) > 1:
        ctx.notes.add("noise reduction per analogue gain: Raspberry Pi has no gain key; wrote the "
                      "strengths at gain 1")


def _exp_sdn(block, ctx: _Out):
    _denoise_note(ctx)
    put(block, "strength", round(ctx.base.denoise.luma_strength, 6), default=SDN_STRENGTH)
    _exp_enabled(block, ctx.profile.stages.denoise.enabled)


def _exp_denoise(block, ctx: _Out):
    _denoise_note(ctx)
    normal = block.get("normal")
    for part, value in (("sdn", ctx.base.denoise.luma_strength), ("cdn", ctx.base.denoise.chroma_strength)):
        if isinstance(normal, dict) and isinstance(normal.get(part), dict) and "strength" in normal[part]:
            normal[part]["strength"] = round(value, 6)
        else:
            ctx.notes.add(f"rpi.denoise: the file has no normal.{part}.strength to write the profile's into")
    _exp_enabled(block, ctx.profile.stages.denoise.enabled)


def _exp_awb(block, ctx: _Out):
    curve = ctx.profile.wb.ct_curve
    if curve:
        put(block, "ct_curve", [v for p in curve for v in (float(p.ct), p.r, p.b)])
    elif "rpi.awb" in ctx.from_defaults:
        block["bayes"] = 0
        ctx.notes.add("rpi.awb: the profile has no AWB curve: wrote grey-world AWB (bayes 0)")


def _round_grid(grid: np.ndarray, digits: int) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(grid).ravel()]


def _exp_alsc(block, ctx: _Out):
    sec, t = ctx.profile.lsc, ctx.target
    if not sec.tables and sec.luminance is None:
        return

    def cells(grid) -> np.ndarray:
        return to_cells(sec, grid, t.cols, t.rows)

    if (sec.grid.layout, sec.shape()) != ("cells", (t.rows, t.cols)):
        ctx.notes.add(f"rpi.alsc: {sec.shape()[1]} x {sec.shape()[0]} lens-shading grids resampled "
                      f"to {t.cols} x {t.rows} (bilinear over cell centres)")
    greens = any(e.gr is not None or e.gb is not None for e in sec.tables)
    lum = None if sec.luminance is None else cells(sec.luminance)
    strength = sec.luminance_strength
    cr, cb = [], []
    if greens:
        g = [cells((e.channels()["gr"] + e.channels()["gb"]) / 2.0) for e in sec.tables]
        lum = (1.0 if lum is None else 1.0 + (lum - 1.0) * strength) * np.mean(g, axis=0)
        strength = 1.0
        ctx.notes.add("rpi.alsc: one luminance table for all temperatures; the profile's green "
                      "grids were averaged into it (luminance_strength 1)")
        for e, gg in zip(sec.tables, g):
            cr.append(cells(e.channels()["r"]) / gg)
            cb.append(cells(e.channels()["b"]) / gg)
    else:
        cr = [cells(e.r) for e in sec.tables]
        cb = [cells(e.b) for e in sec.tables]
    if sec.tables:
        put(block, "calibrations_Cr", [{"ct": _ct_int(e.ct), "table": _round_grid(g, 3)}
                                       for e, g in zip(sec.tables, cr)])
        put(block, "calibrations_Cb", [{"ct": _ct_int(e.ct), "table": _round_grid(g, 3)}
                                       for e, g in zip(sec.tables, cb)])
    if lum is not None:
        put(block, "luminance_strength", strength, default=ALSC_LUMINANCE_STRENGTH)
        put(block, "luminance_lut", _round_grid(lum, 3))
    _exp_enabled(block, ctx.profile.stages.lsc.enabled)


def _exp_contrast(block, ctx: _Out):
    tone = ctx.profile.stages.tone
    if tone.transfer == "linear":
        curve = [v for x, y in tone.curve for v in (int(round(x * 65535)), int(round(y * 65535)))]
    else:
        knots = list(ctx.target.gamma_knots)
        ys = tone_response_16(tone.model_copy(update={"enabled": True}), knots)
        curve = [v for pair in zip(knots, ys) for v in pair]
    put(block, "gamma_curve", curve)
    _exp_enabled(block, tone.enabled)


def _exp_ccm(block, ctx: _Out):
    tables = ctx.profile.ccm.tables
    stage = ctx.profile.stages.ccm
    if tables:
        entries = [(e.ct, e.matrix) for e in tables]
    elif stage.source == "manual":
        entries = [(DEFAULT_CT, stage.matrix)]
        ctx.notes.add(f"rpi.ccm: the profile has one manual matrix; written for {DEFAULT_CT:g} K")
    else:
        entries = []
        ctx.notes.add("rpi.ccm: the profile takes colour matrices from each capture; no CCMs "
                      "written (calibrate them before using this file)")
    if entries:
        put(block, "ccms", [{"ct": _ct_int(ct), "ccm": [round(float(v), 5) for v in m]} for ct, m in entries])
    _exp_enabled(block, stage.enabled)


def _exp_sharpen(block, ctx: _Out):
    if len(ctx.profile.sharpen.by_gain) > 1:
        ctx.notes.add("sharpening per analogue gain: Raspberry Pi has no gain key; wrote the strength at gain 1")
    put(block, "strength", round(ctx.base.sharpen.strength, 6), default=SHARPEN_STRENGTH)
    _exp_enabled(block, ctx.profile.stages.sharpen.enabled)


EXPORTERS = {"rpi.black_level": _exp_black_level, "rpi.dpc": _exp_dpc, "rpi.sdn": _exp_sdn,
             "rpi.denoise": _exp_denoise, "rpi.awb": _exp_awb, "rpi.alsc": _exp_alsc,
             "rpi.contrast": _exp_contrast, "rpi.ccm": _exp_ccm, "rpi.sharpen": _exp_sharpen}


def _has_data(name: str, profile: Profile) -> bool:
    return {"rpi.awb": bool(profile.wb.ct_curve), "rpi.ccm": bool(profile.ccm.tables),
            "rpi.alsc": bool(profile.lsc.tables)}.get(name, False)


def _blocks(profile: Profile, target: Target, others: tuple[Target, ...], notes: Notes):
    """The file's blocks before the profile is written in: carried, or seeded + defaults."""
    carried = profile.firmware.get(target.name)
    if carried is not None:
        doc = copy.deepcopy(carried)
        return doc, [next(iter(item.items())) for item in doc.pop("algorithms")], set()
    seed: dict[str, dict] = {}
    for other in others:
        other_doc = profile.firmware.get(other.name)
        if other_doc is not None:
            for item in other_doc["algorithms"]:
                (name, block), = item.items()
                if name in PORTABLE:
                    seed[name] = copy.deepcopy(block)
            notes.add(f"blocks other than the ISP-specific ones (denoise, AGC, HDR) taken from the "
                      f"profile's {other.name} import")
            break
    defaults = target.defaults()
    from_defaults = {name for name in target.order if name not in seed}
    order = list(target.order)
    seeded = list(seed)
    for i, name in enumerate(seeded):  # extra portable blocks keep their place after a neighbour
        if name not in order:
            before = [n for n in seeded[:i] if n in order]
            order.insert(order.index(before[-1]) + 1 if before else 0, name)
    return {"version": 2.0, "target": target.target}, \
        [(n, seed[n] if n in seed else defaults[n]) for n in order if n in seed or n in defaults], from_defaults


def export_document(profile: Profile, target: Target, others: tuple[Target, ...]) -> Exported:
    notes = Notes()
    doc, blocks, from_defaults = _blocks(profile, target, others, notes)
    names = [n for n, _ in blocks]
    for name in target.order:  # a modelled block the file lacked but the profile now has data for
        if name not in names and _has_data(name, profile):
            before = [n for n in target.order[:target.order.index(name)] if n in names]
            at = names.index(before[-1]) + 1 if before else 0
            blocks.insert(at, (name, copy.deepcopy(target.defaults().get(name, {}))))
            names.insert(at, name)
            from_defaults.add(name)
    ctx = _Out(profile, resolve(profile, CaptureFacts(gain=1.0)), target, notes, from_defaults)
    out = []
    for name, block in blocks:
        block = dict(block or {})
        if name in EXPORTERS:
            EXPORTERS[name](block, ctx)
        out.append({name: drop_marks(block)})
    doc["algorithms"] = out
    return Exported(dumps(doc, target.cols).encode("utf-8"), tuple(notes.items))
