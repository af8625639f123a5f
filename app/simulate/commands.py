"""`python main.py simulate`: render virtual-camera captures (or a calibration set) to disk.

    python main.py simulate --scene colorchecker --illuminant TL84 --size 2028x1520 -o chart
    python main.py simulate --scene edge --format mipi10 -o /tmp/edge
    python main.py simulate --calibration-set calib/ [--illuminants A,TL84,D50,D65]

Each capture is written with its ground truth beside it (``<file>.truth.json``).
"""
from __future__ import annotations

import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from app.capture import CFA_PATTERNS
from app.errors import CamtuneError

SCENE_CHOICES = ("colorchecker", "flat", "dark", "edge", "greysteps", "demo")
FORMAT_CHOICES = ("dng", "raw16", "raw8", "mipi10", "mipi12")
DEFAULT_SIZE = "4000x3000"
MAX_PIXELS = 64_000_000  # the render holds ~40 bytes per pixel at its peak
_SIZE = re.compile(r"^\s*(\d{2,5})\s*[xX]\s*(\d{2,5})\s*$")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate", help="render a virtual-camera capture (or a calibration set) with its ground truth",
        description="Render a capture of a spectral test scene through a simulated lens and sensor "
                    "and write it with a ground-truth sidecar (<file>.truth.json).")
    p.add_argument("--scene", choices=SCENE_CHOICES, default="colorchecker", help="what to shoot")
    light = p.add_mutually_exclusive_group()
    light.add_argument("--illuminant", metavar="NAME",
                       help="A, D50, D65, F2 (CWF), F11 (TL84), D<cct>, Planck<cct> (default D65)")
    light.add_argument("--cct", type=float, metavar="K",
                       help="light at this colour temperature: Planckian below 4000 K, daylight above")
    p.add_argument("--lux", type=float, default=1000.0, help="illuminance on the scene (default 1000)")
    p.add_argument("--iso", type=float, default=100.0, help="ISO; analogue gain = ISO/100 (default 100)")
    p.add_argument("--exposure", type=float, metavar="S", help="exposure time in seconds (default: automatic)")
    p.add_argument("--size", metavar="WxH", help=f"frame size (default {DEFAULT_SIZE}; calibration sets 1352x1014)")
    p.add_argument("--pattern", choices=CFA_PATTERNS, default="RGGB", help="CFA pattern (default RGGB)")
    p.add_argument("--bits", type=int, choices=(8, 10, 12, 14, 16),
                   help="sensor bit depth (default 12; raw8/mipi10/mipi12 imply 8/10/12)")
    p.add_argument("--format", choices=FORMAT_CHOICES, default="dng", help="file format (default dng)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--psf", choices=("gaussian", "diffraction"), default="gaussian", help="lens blur model")
    p.add_argument("--blur", type=float, metavar="SIGMA", help="Gaussian PSF sigma in pixels (default 0.6)")
    p.add_argument("--f-number", type=float, help="aperture for the diffraction PSF (default 2.8)")
    p.add_argument("--vignetting", type=float, metavar="FALLOFF",
                   help="relative illumination at the frame corner, 0.05..1 (default 0.45; 1 = none)")
    p.add_argument("--distortion", type=float, metavar="K1", help="barrel distortion k1 (default 0)")
    p.add_argument("--noise-free", action="store_true",
                   help="no shot/read noise, no PRNU/DSNU, no defective pixels")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (DNG) or NAME (headerless: NAME_WxH_Nbit_PATTERN.raw)")
    p.add_argument("--calibration-set", metavar="DIR",
                   help="write a complete calibration set (ColorChecker, flat fields, dark frames) "
                        "for Raspberry Pi's tuning tool into DIR")
    p.add_argument("--illuminants", default="A,TL84,D50,D65",
                   help="calibration-set illuminants, comma-separated names or kelvin (default A,TL84,D50,D65)")
    p.set_defaults(handler=run_simulate)


def parse_size(text: str) -> tuple[int, int]:
    m = _SIZE.match(text or "")
    if not m:
        raise CamtuneError(f"--size must be WIDTHxHEIGHT, e.g. 1920x1080; got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (64 <= w <= 16384 and 48 <= h <= 16384) or w * h > MAX_PIXELS:
        raise CamtuneError(f"--size {w}x{h} is out of range (64x48 .. 16384x16384, at most "
                           f"{MAX_PIXELS // 1_000_000} megapixels)")
    if w % 2 or h % 2:
        raise CamtuneError(f"--size {w}x{h}: width and height must be even (whole 2x2 CFA tiles)")
    return w, h


def _camera(args, bits: int):
    from app.simulate.camera import CameraModel
    from app.simulate.optics import OpticsParams
    from app.simulate.sensor import SensorParams
    optics = {"psf": args.psf}
    if args.blur is not None:
        optics["sigma_px"] = args.blur
    elif args.psf == "diffraction":
        optics["sigma_px"] = 0.0
    if args.f_number is not None:
        optics["f_number"] = args.f_number
    if args.vignetting is not None:
        optics["shading_falloff"] = args.vignetting
    if args.distortion is not None:
        optics["distortion_k1"] = args.distortion
    try:
        camera = CameraModel(optics=OpticsParams(**optics), sensor=SensorParams(bits=bits, cfa=args.pattern))
    except ValueError as e:
        raise CamtuneError(str(e)) from None
    if args.noise_free:
        camera = replace(camera, sensor=camera.sensor.noise_free())
    return camera


def _bits(args) -> int:
    from app.simulate.writers import FORMAT_BITS
    need = FORMAT_BITS.get(args.format)
    if need is not None and args.bits is not None and args.bits != need:
        raise CamtuneError(f"--format {args.format} holds {need}-bit data; drop --bits {args.bits} "
                           f"or use --bits {need}")
    return need or args.bits or 12


def run_simulate(args) -> int:
    if args.calibration_set:
        return _run_set(args)
    if not args.output:
        raise CamtuneError("simulate needs -o OUT (or --calibration-set DIR)")
    from app.simulate import truth, writers
    from app.simulate.camera import Shot, simulate
    width, height = parse_size(args.size or DEFAULT_SIZE)
    bits = _bits(args)
    if args.format.startswith("mipi"):
        group = 4 if args.format == "mipi10" else 2
        if width % group:
            raise CamtuneError(f"--format {args.format} needs a width that is a multiple of {group}")
    camera = _camera(args, bits)
    shot = Shot(scene=args.scene, width=width, height=height, illuminant=args.illuminant,
                cct=args.cct, lux=args.lux, exposure_time=args.exposure, iso=args.iso, seed=args.seed)
    t0 = time.perf_counter()
    try:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        result = simulate(shot, camera)
        files = writers.write_capture(result.capture, args.output, args.format)
    except ValueError as e:
        raise CamtuneError(str(e)) from None
    except OSError as e:
        raise CamtuneError(f"cannot write: {e.strerror or e}", args.output) from None
    files.append(truth.write_truth(truth.with_file(result.truth, files[0], args.format), files[0]))
    c = result.capture
    light = "dark frame" if args.scene == "dark" else f"{args.scene} under {result.truth['illuminant']['name']}"
    print(f"{light}: {c.width}x{c.height} {c.cfa} "
          f"{c.bits}-bit, {c.exposure_time:g} s, ISO {c.iso:g} ({time.perf_counter() - t0:.2f} s)")
    for f in files:
        print(f"  wrote {f}")
    sys.stdout.flush()
    return 0


def _run_set(args) -> int:
    from app.simulate.calibration_set import DEFAULT_SIZE as SET_SIZE
    from app.simulate.calibration_set import write_calibration_set
    if args.output:
        raise CamtuneError("give either -o or --calibration-set, not both")
    if args.format != "dng":
        raise CamtuneError("calibration sets are DNG (the tuning tool reads only DNG)")
    size = parse_size(args.size) if args.size else SET_SIZE
    lights = [s.strip() for s in args.illuminants.split(",") if s.strip()]
    if len(lights) < 1:
        raise CamtuneError("--illuminants lists no illuminant")
    camera = _camera(args, _bits(args))
    t0 = time.perf_counter()
    print(f"calibration set {size[0]}x{size[1]} into {args.calibration_set}:")
    try:
        manifest = write_calibration_set(args.calibration_set, size=size, illuminants=lights,
                                         camera=camera, lux=args.lux, seed=args.seed, log=print)
    except ValueError as e:
        raise CamtuneError(str(e)) from None
    except OSError as e:
        raise CamtuneError(f"cannot write: {e.strerror or e}", args.calibration_set) from None
    print(f"{len(manifest['files'])} captures in {time.perf_counter() - t0:.1f} s; "
          f"summary in calibration_set.json; tune with: python -m ctt -i {args.calibration_set} -t vc4")
    sys.stdout.flush()
    return 0
