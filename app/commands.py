"""The engine's sub-commands: info, render, bench, warmup; and opening files with no command."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

from app.errors import CamtuneError
from app.isp.stages import IspParams
from app.isp.views import View

DEMOSAIC_CHOICES = ("bilinear", "mhc", "rcd")


def register(sub) -> None:
    p = sub.add_parser("info", help="show a capture's facts (format, geometry, CFA, levels, colour)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _raw_format_option(p)
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("render", help="render a capture to PNG, JPEG or 16-bit TIFF")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="OUT.png, OUT.jpg or OUT.tif")
    p.add_argument("--profile", help="tuning profile to render with (default: neutral)")
    p.add_argument("--demosaic", choices=DEMOSAIC_CHOICES, help="demosaic method")
    p.add_argument("--preview", metavar="WxH", help="render a fitted preview of at most WxH")
    p.add_argument("--linear", action="store_true",
                   help="16-bit linear sRGB (bilinear unless --demosaic, camera white balance, "
                        "the capture's colour matrix; no tone, noise reduction or sharpening)")
    p.add_argument("--tap", choices=("raw", "demosaic", "linear", "tone", "denoise"),
                   help="write this intermediate stage instead of the final image")
    _raw_format_option(p)
    p.set_defaults(handler=cmd_render)

    p = sub.add_parser("bench", help="time the pipeline against rawpy/LibRaw on a 12 MP capture")
    p.add_argument("file", nargs="?", help="capture (default: the GoPro HERO6 DNG in ../shared)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--runs", type=int, help="timed runs per figure (default 7; with --ui, changes "
                                             "per group, default 200)")
    p.add_argument("--ui", action="store_true",
                   help="live-preview latency in the window (offscreen): parameter changes to frames on screen")
    p.set_defaults(handler=cmd_bench)

    p = sub.add_parser("warmup", help="compile every numba kernel into the on-disk cache")
    p.set_defaults(handler=cmd_warmup)


def _raw_format_option(parser) -> None:
    parser.add_argument("--raw-format", metavar="SPEC",
                        help="geometry of a headerless dump: WIDTHxHEIGHT:BITS:CFA[:PACKING]"
                             "[:stride=N][:offset=N], packing u8|u16le|u16be|mipi10|mipi12|mipi14")


def _load(path: str, raw_format: str | None):
    from app.loaders import load_capture
    return load_capture(path, raw_format=raw_format)


def cmd_info(args) -> int:
    capture = _load(args.file, args.raw_format)
    facts = capture.facts()
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            value = "; ".join(" ".join(f"{v:.4f}" for v in row) for row in value)
        print(f"{key.replace('_', ' '):<{width}}  {value if value not in (None, '') else '-'}")
    return 0


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)[xX](\d+)", text or "")
    if not match:
        raise CamtuneError(f"size {text!r} is not WIDTHxHEIGHT (e.g. 1440x1080)")
    return int(match[1]), int(match[2])


def params_for(capture, profile_path: str | None) -> IspParams:
    """The parameters a capture renders with: the profile resolved for it, or the defaults."""
    if profile_path is None:
        return IspParams()
    from tuning_profiles import load_profile, resolve_for_capture
    return resolve_for_capture(load_profile(profile_path), capture)


def linear_params(params: IspParams, demosaic: str | None) -> IspParams:
    """The settings of `render --linear`: comparable with LibRaw's linear sRGB output."""
    return IspParams(
        black_level=params.black_level,
        dpc=params.dpc.model_copy(update={"enabled": False}),
        lsc=params.lsc.model_copy(update={"enabled": False}),
        wb=params.wb.model_copy(update={"enabled": True, "source": "as_shot"}),
        demosaic=params.demosaic.model_copy(update={"enabled": True, "method": demosaic or "bilinear"}),
        ccm=params.ccm.model_copy(update={"enabled": True, "source": "capture"}),
        exposure=params.exposure.model_copy(update={"enabled": True, "ev": 0.0, "clip": True}),
    )


def render_capture(capture, params: IspParams, *, view: View | None = None, linear: bool = False,
                   tap: str | None = None, sixteen_bit: bool = False) -> np.ndarray:
    """The image `render` writes: uint8 or uint16 RGB."""
    from app.isp.pipeline import Pipeline
    from app.isp.taps import to_display
    pipe = Pipeline(capture)
    if linear:
        data = pipe.render(params, view, tap="linear")
        return np.rint(np.clip(data, 0.0, 1.0) * 65535.0).astype(np.uint16)
    if tap:
        return to_display(tap, pipe.render(params, view, tap=tap), capture.white_level)
    return pipe.render(params, view, out_dtype=np.uint16 if sixteen_bit else np.uint8).copy()


def cmd_render(args) -> int:
    from app.output import write_image
    capture = _load(args.file, args.raw_format)
    params = params_for(capture, args.profile)
    if args.linear:
        params = linear_params(params, args.demosaic)
    elif args.demosaic:
        params = params.with_stage("demosaic", method=args.demosaic)
    view = View.preview(*parse_size(args.preview)) if args.preview else None
    sixteen = Path(args.output).suffix.lower() in (".tif", ".tiff")
    image = render_capture(capture, params, view=view, linear=args.linear, tap=args.tap,
                           sixteen_bit=sixteen)
    write_image(args.output, image)
    print(f"wrote {args.output} ({image.shape[1]}x{image.shape[0]}, {image.dtype.itemsize * 8}-bit)")
    return 0


def cmd_bench(args) -> int:
    if args.runs is not None and args.runs < 1:
        raise CamtuneError("--runs must be at least 1")
    if args.ui:
        from app.bench_ui import run_ui_bench
        run_ui_bench(args.file, runs=args.runs or 200, json=args.json)  # prints its own report
        return 0
    from app.bench import run_bench
    result = run_bench(args.file, runs=args.runs or 7, log=None if args.json else print)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


def cmd_warmup(args) -> int:
    from app.warmup import warm_kernels
    seconds = warm_kernels(log=print)
    print(f"numba kernels ready ({seconds:.1f} s)")
    return 0


def open_files(argv: list[str]) -> int:
    """Qt-free fallback of `app.cli.run` with no command: render each file (or the demo
    capture) to a PNG in `out/`. `main.py` passes the workbench launcher instead."""
    from app.output import write_image
    out_dir = Path(__file__).resolve().parents[1] / "out"
    out_dir.mkdir(exist_ok=True)
    if not argv:
        from app.simulate import demo_capture
        captures = [("demo", demo_capture())]
    else:
        captures = [(Path(a).stem, _load(a, None)) for a in argv]
    for name, capture in captures:
        image = render_capture(capture, params_for(capture, None), view=View.preview(1920, 1440))
        target = out_dir / f"{name}.png"
        write_image(target, image)
        print(f"rendered {capture.source or name} -> {target}")
    sys.stdout.flush()
    return 0
