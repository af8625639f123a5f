"""Embedded firmware: the C header and the binary blob, compiled and read back with the system C compiler."""
from __future__ import annotations

import shutil
import struct
import subprocess
import zlib

import pytest

from app.errors import CamtuneError
from tuning_profiles import DEMO_PROFILE, PACKAGE_DIR, Profile, default_profile, load_profile
from tuning_profiles.formats import blob, embedded, export_profile, import_file
from conftest import shared_file

READER = PACKAGE_DIR / "firmware_c"
CC = shutil.which("cc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc) on this machine")

MAIN_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include "profile.h"
#include "ctblob.h"

static void header(const ctp_profile_t *p)
{
    unsigned i, k;
    printf("id %s|%s|%s %u %u %u %lu 0x%lx\n", p->name, p->make, p->model, p->bit_depth, p->cfa,
           p->levels_from_capture, (unsigned long)p->base_iso, (unsigned long)p->stage_enable);
    printf("levels %u %u %u %u %u\n", p->black[0], p->black[1], p->black[2], p->black[3], p->white);
    for (i = 0; i < p->awb_count; i++)
        printf("awb %u %u %u\n", p->awb[i].ct, p->awb[i].r_over_g, p->awb[i].b_over_g);
    for (i = 0; i < p->ccm_count; i++) {
        printf("ccm %u", p->ccm[i].ct);
        for (k = 0; k < 9; k++) printf(" %d", p->ccm[i].m[k]);
        printf("\n");
    }
    printf("lsc %u %u %u\n", p->lsc_cols, p->lsc_rows, p->lsc_count);
    for (i = 0; i < p->lsc_count; i++) {
        printf("lsct %u", p->lsc[i].ct);
        for (k = 0; k < 4u * p->lsc_cols * p->lsc_rows; k++) printf(" %u", p->lsc[i].gains[k]);
        printf("\n");
    }
    for (i = 0; i < p->tone_count; i++) printf("tone %u %u\n", p->tone[i].in, p->tone[i].out);
    for (i = 0; i < p->denoise_count; i++)
        printf("denoise %u %u %u %u %u\n", p->luma_radius, p->chroma_radius, p->denoise[i].gain,
               p->denoise[i].luma, p->denoise[i].chroma);
    for (i = 0; i < p->sharpen_count; i++)
        printf("sharpen %u %u %u %u %u\n", p->sharpen_sigma, p->sharpen_threshold, p->sharpen_limit,
               p->sharpen[i].gain, p->sharpen[i].strength);
    printf("colour %u %d\n", p->saturation, p->hue);
}

static int blob(const char *path)
{
    static unsigned char buf[1 << 22];
    ctb_blob_t b;
    FILE *f = fopen(path, "rb");
    size_t n;
    unsigned i, k, count;
    int rc;
    uint8_t bits, cfa, lfc, lr, cr;
    uint32_t iso, mask;
    const char *name;
    uint16_t black[4], white, ct, r, bb, cols, rows, lcount, g, x, y, gain, luma, chroma, s, sig, thr, lim, sat;
    int16_t m[9], hue;
    if (!f) return 1;
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    rc = ctb_open(&b, buf, n);
    if (rc != CTB_OK) { printf("error %d %s\n", rc, ctb_error(rc)); return 0; }
    ctb_identity(&b, &bits, &cfa, &lfc, &iso, &mask, &name);
    printf("id %s %u %u %u %lu 0x%lx\n", name, bits, cfa, lfc, (unsigned long)iso, (unsigned long)mask);
    ctb_levels(&b, black, &white);
    printf("levels %u %u %u %u %u\n", black[0], black[1], black[2], black[3], white);
    count = 0;
    for (i = 0; ctb_awb(&b, i, &ct, &r, &bb, &count) == CTB_OK; i++) printf("awb %u %u %u\n", ct, r, bb);
    for (i = 0; ctb_ccm(&b, i, &ct, m, &count) == CTB_OK; i++) {
        printf("ccm %u", ct);
        for (k = 0; k < 9; k++) printf(" %d", m[k]);
        printf("\n");
    }
    ctb_lsc_layout(&b, &cols, &rows, &lcount);
    printf("lsc %u %u %u\n", cols, rows, lcount);
    for (i = 0; i < lcount; i++) {
        unsigned c, row, col;
        ctb_lsc_gain(&b, i, 0, 0, 0, &ct, &g);
        printf("lsct %u", ct);
        for (c = 0; c < 4; c++) for (row = 0; row < rows; row++) for (col = 0; col < cols; col++) {
            ctb_lsc_gain(&b, i, c, row, col, &ct, &g);
            printf(" %u", g);
        }
        printf("\n");
    }
    for (i = 0; ctb_tone(&b, i, &x, &y, &count) == CTB_OK; i++) printf("tone %u %u\n", x, y);
    for (i = 0; ctb_denoise(&b, i, &gain, &luma, &chroma, &lr, &cr, &count) == CTB_OK; i++)
        printf("denoise %u %u %u %u %u\n", lr, cr, gain, luma, chroma);
    for (i = 0; ctb_sharpen(&b, i, &gain, &s, &sig, &thr, &lim, &count) == CTB_OK; i++)
        printf("sharpen %u %u %u %u %u\n", sig, thr, lim, gain, s);
    ctb_colour(&b, &sat, &hue);
    printf("colour %u %d\n", sat, hue);
    printf("past-end %d\n", ctb_ccm(&b, count + 100, &ct, m, &count));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2) return blob(argv[2]);
    header(&PROFILE);
    return 0;
}
"""


def _profile() -> Profile:
    data = default_profile().model_dump(mode="json")
    data["identity"].update(name="test-sensor", make="Acme", model="M1", bit_depth=10, cfa="GRBG", base_iso=80)
    st = data["stages"]
    st["black_level"].update(source="manual", black=[64.0, 65.0, 63.5, 64.0], white=1023.0)
    st["tone"].update(transfer="linear", curve=[[0.0, 0.0], [0.25, 0.5], [1.0, 1.0]])
    st["colour"].update(saturation=1.2, hue=-15.5)
    st["demosaic"]["enabled"] = False
    data["ccm"]["tables"] = [{"ct": 2850, "matrix": [1.9, -0.7, -0.2, -0.4, 2.0, -0.6, -0.05, -0.85, 1.9]},
                             {"ct": 6500, "matrix": [2.2, -0.95, -0.25, -0.35, 2.0, -0.65, -0.15, -0.4, 1.55]}]
    data["wb"]["ct_curve"] = [{"ct": 2850, "r": 0.52, "b": 0.41}, {"ct": 6500, "r": 0.33, "b": 0.71}]
    data["lsc"] = {"gains": "absolute", "grid": {"layout": "cells", "x": None, "y": None}, "luminance": None,
                   "luminance_strength": 1.0,
                   "tables": [{"ct": 4000, "r": [[1.5, 1.2, 1.5], [1.25, 1.0, 1.25]], "gr": None, "gb": None,
                               "b": [[1.4, 1.1, 1.4], [1.2, 1.0, 1.2]]}]}
    data["denoise"]["by_gain"] = [{"gain": 1, "luma_strength": 0.1, "chroma_strength": 0.3},
                                  {"gain": 16, "luma_strength": 0.5, "chroma_strength": 0.8}]
    data["sharpen"]["by_gain"] = [{"gain": 1, "strength": 1.0}, {"gain": 8, "strength": 0.4}]
    return Profile.model_validate(data)


def _expected(p: Profile) -> list[str]:
    """What the reader must print, computed here from the profile (not from the exporter)."""
    q = lambda v, s: int(round(v * s))  # noqa: E731
    scale = 2 ** (16 - p.identity.bit_depth)
    s = p.stages
    lines = [f"levels {' '.join(str(q(v, scale)) for v in s.black_level.black)} {q(s.black_level.white, scale)}"]
    lines += [f"awb {q(c.ct, 1)} {q(c.r, 4096)} {q(c.b, 4096)}" for c in p.wb.ct_curve]
    lines += [f"ccm {q(e.ct, 1)} " + " ".join(str(q(v, 2048)) for v in e.matrix) for e in p.ccm.tables]
    rows, cols = p.lsc.shape()
    lines.append(f"lsc {cols} {rows} {len(p.lsc.tables)}")
    for e in p.lsc.tables:
        grids = [e.r, [[1.0] * cols] * rows, [[1.0] * cols] * rows, e.b]
        lines.append(f"lsct {q(e.ct, 1)} " + " ".join(str(q(v, 2048)) for g in grids for row in g for v in row))
    lines += [f"tone {q(x, 65535)} {q(y, 65535)}" for x, y in s.tone.curve]
    lines += [f"denoise {s.denoise.luma_radius} {s.denoise.chroma_radius} {q(e.gain, 256)} "
              f"{q(e.luma_strength, 4096)} {q(e.chroma_strength, 4096)}" for e in p.denoise.by_gain]
    lines += [f"sharpen {q(s.sharpen.sigma, 4096)} {q(s.sharpen.threshold, 4096)} {q(s.sharpen.limit, 4096)} "
              f"{q(e.gain, 256)} {q(e.strength, 4096)}" for e in p.sharpen.by_gain]
    lines.append(f"colour {q(s.colour.saturation, 4096)} {q(s.colour.hue, 100)}")
    return lines


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """(profile, run(args) -> stdout) with the header and the reader built by cc -std=c99 -Wall -Werror."""
    if CC is None:
        pytest.skip("no C compiler (cc) on this machine")
    d = tmp_path_factory.mktemp("c")
    p = _profile()
    (d / "profile.h").write_bytes(export_profile(p, "c-header").data)
    (d / "second.h").write_bytes(export_profile(load_profile(DEMO_PROFILE), "c-header").data)
    (d / "main.c").write_text(MAIN_C)
    (d / "other.c").write_text('#include "profile.h"\n#include "second.h"\n'
                               "const ctp_profile_t *second_unit(void) { return &ctp_virtual_nikon_d5100; }\n")
    (d / "test.bin").write_bytes(export_profile(p, "blob").data)
    cmd = [CC, "-std=c99", "-Wall", "-Werror", "-Wextra", "-pedantic", f"-I{READER}", f"-I{d}",
           "-DPROFILE=ctp_test_sensor", "-o", str(d / "reader"), str(d / "main.c"), str(d / "other.c"),
           str(READER / "ctblob.c")]
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr

    def run(*args):
        out = subprocess.run([str(d / "reader"), *map(str, args)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()
    return p, run, d


@needs_cc
def test_header_values_equal_the_profile(compiled):
    p, run, _ = compiled
    lines = run()
    assert lines[0] == f"id test-sensor|Acme|M1 10 1 0 80 0x{0x7ff & ~(1 << 4):x}"  # demosaic (bit 4) off
    assert lines[1:] == _expected(p)


@needs_cc
def test_blob_read_back_by_the_c_reader_equals_the_profile(compiled):
    p, run, d = compiled
    lines = run("blob", d / "test.bin")
    assert lines[0] == "id test-sensor 10 1 0 80 0x7ef"
    assert lines[1:-1] == _expected(p)
    assert lines[-1] == f"past-end {-1}"  # CTB_ERR_ARG


@needs_cc
@pytest.mark.parametrize("damage, code", [
    (lambda b: b[:40], "error -2"),                                       # truncated
    (lambda b: b"XXXX" + b[4:], "error -3"),                               # not a blob
    (lambda b: b[:4] + b"\x02\x00" + b[6:], "error -4"),                   # a newer version
    (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "error -5"),       # one flipped bit
])
def test_the_reader_refuses_damaged_blobs(compiled, damage, code):
    p, run, d = compiled
    bad = d / "bad.bin"
    bad.write_bytes(damage(export_profile(p, "blob").data))
    assert run("blob", bad)[0].startswith(code)


def test_blob_layout():
    data = export_profile(_profile(), "blob").data
    magic, version, header, count, flags, total = blob.HEADER.unpack_from(data)
    assert (magic, version, header, flags, total) == (b"CTPB", 1, 16, 0, len(data))
    assert struct.unpack_from("<I", data, len(data) - 4)[0] == zlib.crc32(data[:-4])
    tags = [blob.ENTRY.unpack_from(data, 16 + 12 * i) for i in range(count)]
    assert [t[0] for t in tags] == [b"IDNT", b"LEVL", b"AWBC", b"CCMT", b"LSCT", b"TONE", b"DNSE", b"SHRP", b"COLR"]
    assert all(offset % 4 == 0 and offset + size <= len(data) - 4 for _, offset, size in tags)
    offset = dict((t, o) for t, o, _ in tags)[b"CCMT"]
    assert struct.unpack_from("<HHH9h", data, offset)[:4] == (2, 0, 2850, round(1.9 * 2048))


def test_exports_are_deterministic_and_complete_for_real_profiles():
    profile = import_file(shared_file("tuning/libcamera/rpi-pisp/imx477.json"))[1].profile
    for fmt in ("c-header", "blob"):
        assert export_profile(profile, fmt).data == export_profile(profile, fmt).data
    t = embedded.tables(profile)
    assert (t.lsc_cols, t.lsc_rows, len(t.lsc)) == (32, 32, 2)
    assert min(min(g for g in gains[:1024]) for _, gains in t.lsc) == 2048  # relative: R normalised to 1.0


def test_values_that_do_not_fit_are_errors_naming_them():
    p = _profile().replace(sharpen={"by_gain": [{"gain": 300, "strength": 1.0}]})
    with pytest.raises(CamtuneError, match=r"sharpen.by_gain\[0\].gain: 300 does not fit the Q8.8 format"):
        export_profile(p, "blob")
    p = _profile()
    p = p.replace(stages=p.stages.with_stage("black_level", black=(5000.0, 64.0, 64.0, 64.0)))
    with pytest.raises(CamtuneError, match=r"stages.black_level.black\[0\]: 320000 does not fit the 16-bit"):
        export_profile(p, "c-header")


def test_c_names_and_strings_are_safe():
    assert embedded.c_name("IMX477 v2 (wide)") == "imx477_v2__wide"
    assert embedded.c_name("2nd") == "p_2nd"
    assert embedded.ascii_field("café */ \"x\"") == b"caf? */ \"x\"".ljust(32, b"\0")
    p = _profile().replace(identity={**_profile().identity.model_dump(), "name": 'a"b */ c'})
    text = export_profile(p, "c-header").data.decode()
    assert '.name = "a\\"b */ c"' in text and 'profile "a"b *_/ c"' in text
