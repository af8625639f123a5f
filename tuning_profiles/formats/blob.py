"""Embedded firmware: the profile as one binary blob, read by the reference reader in C.

Layout (all integers little-endian; the values and fixed-point formats are those of
`formats.embedded`, the same as the C header's):

    offset 0   header, 16 bytes
               char[4] magic "CTPB" | u16 format version (1) | u16 header size (16)
               u16 section count    | u16 flags (0)          | u32 total size in bytes
    offset 16  section table, 12 bytes per section
               char[4] tag | u32 offset from the start of the blob | u32 size in bytes
    ...        sections, each starting on a 4-byte boundary, zero padded
    end - 4    u32 CRC-32 (IEEE 802.3, as zlib.crc32) of every byte before it

Sections, in this order (a reader looks them up by tag and must ignore tags it does not know):

    IDNT  u8 bit_depth, u8 cfa (0 RGGB 1 GRBG 2 GBRG 3 BGGR 4 mono), u8 levels_from_capture, u8 0,
          u32 base_iso, u32 stage_enable, char name[32], char make[32], char model[32]   (108 bytes)
    LEVL  u16 black[4] (R, Gr, Gb, B; 16-bit scale), u16 white, u16 0                     (12 bytes)
    AWBC  u16 count, u16 0, count x {u16 ct, u16 r_over_g Q4.12, u16 b_over_g Q4.12}
    CCMT  u16 count, u16 0, count x {u16 ct, i16 m[9] Q4.11}
    LSCT  u16 cols, u16 rows, u16 count, u16 0,
          count x {u16 ct, u16 0, u16 gains[4][rows][cols] Q5.11 (R, Gr, Gb, B)}
    TONE  u16 count, u16 0, count x {u16 in, u16 out}                   (16-bit, piecewise linear)
    DNSE  u16 count, u8 luma_radius, u8 chroma_radius, count x {u16 gain Q8.8, u16 luma Q4.12,
          u16 chroma Q4.12}
    SHRP  u16 count, u16 sigma Q4.12, u16 threshold Q4.12, u16 limit Q4.12,
          count x {u16 gain Q8.8, u16 strength Q4.12}
    COLR  u16 saturation Q4.12, i16 hue (centidegrees)

The reference reader is `tuning_profiles/firmware_c/ctblob.h` and `ctblob.c` (C99, no
allocation): it checks the magic, version, sizes, bounds and CRC before giving out any value.
"""
from __future__ import annotations

import struct
import zlib

from tuning_profiles.formats import embedded
from tuning_profiles.formats.common import BLOB_MAGIC, Exported
from tuning_profiles.model import Profile

NAME = "blob"
MAGIC = BLOB_MAGIC
HEADER = struct.Struct("<4sHHHHI")
ENTRY = struct.Struct("<4sII")


def _sections(t: embedded.Tables) -> list[tuple[bytes, bytes]]:
    ident = struct.pack("<BBBBII", t.bit_depth, t.cfa, int(t.levels_from_capture), 0, t.base_iso,
                        t.stage_enable) + b"".join(embedded.ascii_field(s) for s in (t.name, t.make, t.model))
    levels = struct.pack("<4HHH", *t.black, t.white, 0)
    awb = struct.pack("<HH", len(t.awb), 0) + b"".join(struct.pack("<3H", *p) for p in t.awb)
    ccm = struct.pack("<HH", len(t.ccm), 0) + b"".join(struct.pack("<H9h", ct, *m) for ct, m in t.ccm)
    lsc = struct.pack("<4H", t.lsc_cols, t.lsc_rows, len(t.lsc), 0) + b"".join(
        struct.pack(f"<HH{len(g)}H", ct, 0, *g) for ct, g in t.lsc)
    tone = struct.pack("<HH", len(t.tone), 0) + b"".join(struct.pack("<2H", *p) for p in t.tone)
    dnse = struct.pack("<HBB", len(t.denoise), t.luma_radius, t.chroma_radius) + b"".join(
        struct.pack("<3H", *e) for e in t.denoise)
    shrp = struct.pack("<4H", len(t.sharpen), t.sharpen_sigma, t.sharpen_threshold, t.sharpen_limit) + \
        b"".join(struct.pack("<2H", *e) for e in t.sharpen)
    colr = struct.pack("<Hh", t.saturation, t.hue)
    return [(b"IDNT", ident), (b"LEVL", levels), (b"AWBC", awb), (b"CCMT", ccm), (b"LSCT", lsc),
            (b"TONE", tone), (b"DNSE", dnse), (b"SHRP", shrp), (b"COLR", colr)]


def _pad4(n: int) -> int:
    return (n + 3) & ~3


def pack(t: embedded.Tables) -> bytes:
    sections = _sections(t)
    offset = HEADER.size + ENTRY.size * len(sections)
    table, body = [], b""
    for tag, data in sections:
        table.append(ENTRY.pack(tag, offset + len(body), len(data)))
        body += data + b"\0" * (_pad4(len(data)) - len(data))
    total = offset + len(body) + 4
    head = HEADER.pack(MAGIC, embedded.FORMAT_VERSION, HEADER.size, len(sections), 0, total)
    blob = head + b"".join(table) + body
    return blob + struct.pack("<I", zlib.crc32(blob) & 0xFFFFFFFF)


def export(profile: Profile) -> Exported:
    return Exported(pack(embedded.tables(profile)))
