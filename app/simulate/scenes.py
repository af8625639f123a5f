"""Test scenes built from spectral reflectances, with their exact geometry.

A `Scene` is a list of materials (name + spectral reflectance on `spectra.WAVELENGTHS`) and a
list of shapes painted in order onto the frame (see raster.py for the shape kinds). Coordinates
are scene pixels: the centre of pixel (row i, column j) is (x=j, y=i); without lens distortion
scene and image coordinates are the same. Every scene also returns `geometry`, a JSON-ready
record of where everything is (patch centres and rectangles, edge lines and their normals,
step reflectances, line-pair and sine frequencies) for the ground-truth sidecar.

Scenes (`SCENES`):

* ``colorchecker``: the 24-patch ColorChecker (N Ohta spectral data), 6 x 4 patches on a black
  frame, proportions of the chart model used by Raspberry Pi's tuning tool (patch 41, gap 6,
  border 8.5 x 13 units), about 60 % of the frame width, on a Munsell N7 booth wall.
* ``greysteps``: 20-step neutral wedge, densities 0.05 to 1.95 in 0.1 steps (2 rows of 10).
* ``edge``: 3 x 3 dark squares rotated 5 degrees on a light ground (contrast 4:1, as ISO 12233
  recommends for e-SFR): each gives two near-vertical and two near-horizontal slanted edges.
* ``flat``: a uniform perfect diffuser filling the frame (flat field).
* ``dark``: a capped lens: no light at all (dark frame).
* ``demo``: a test chart a tuner recognises: ColorChecker, a 12-step grey wedge, slanted-edge
  squares, a sinusoidal Siemens star, line-pair groups and sine patches of known frequency.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.simulate import spectra
from app.simulate.raster import DISC, FILL, RECT, SINE, STAR

SCENES = ("colorchecker", "flat", "dark", "edge", "greysteps", "demo")
MIN_SIZE = (64, 48)

# ColorChecker proportions (units) as modelled by rpi-ctt's chart locator.
CC_PATCH, CC_GAP, CC_BORDER_X, CC_BORDER_Y = 41.0, 6.0, 8.5, 13.0
CC_WIDTH = 6 * CC_PATCH + 5 * CC_GAP + 2 * CC_BORDER_X    # 293
CC_HEIGHT = 4 * CC_PATCH + 3 * CC_GAP + 2 * CC_BORDER_Y   # 208
CC_FRAME_REFLECTANCE = 0.045   # the chart's black frame: a little lighter than patch 24
WALL_REFLECTANCE = 0.43        # Munsell N7, the usual light-booth grey
EDGE_LIGHT, EDGE_DARK = 0.70, 0.175
EDGE_ANGLE_DEG = 5.0


@dataclass(frozen=True)
class Material:
    name: str
    reflectance: np.ndarray


@dataclass(frozen=True)
class Shape:
    """One painted shape; see raster.py for the meaning of each kind."""

    kind: int
    material: int
    cx: float = 0.0
    cy: float = 0.0
    a: float = 0.0           # RECT/SINE half-width, DISC/STAR radius
    b: float = 0.0           # RECT/SINE half-height
    angle_deg: float = 0.0   # RECT/SINE rotation (counter-clockwise in x-right, y-down terms)
    frequency: float = 0.0   # SINE cycles/pixel along the rect's u axis; STAR cycles per turn
    phase: float = 0.0       # SINE phase (radians)
    contrast: float = 1.0    # SINE/STAR modulation depth (0..1)

    def extent(self) -> tuple[float, float, float, float]:
        """Scene-space bounding box (x0, y0, x1, y1), before blur."""
        if self.kind in (DISC, STAR):
            return self.cx - self.a, self.cy - self.a, self.cx + self.a, self.cy + self.a
        t = math.radians(self.angle_deg)
        hx = abs(self.a * math.cos(t)) + abs(self.b * math.sin(t))
        hy = abs(self.a * math.sin(t)) + abs(self.b * math.cos(t))
        return self.cx - hx, self.cy - hy, self.cx + hx, self.cy + hy

    def outline(self, n: int = 32) -> np.ndarray:
        """(m, 2) points on the shape's boundary (for bounding boxes under distortion)."""
        if self.kind in (DISC, STAR):
            t = np.linspace(0, 2 * np.pi, 4 * n, endpoint=False)
            return np.stack([self.cx + self.a * np.cos(t), self.cy + self.a * np.sin(t)], axis=1)
        s = np.linspace(-1.0, 1.0, n)
        u = np.concatenate([s, np.ones(n), -s, -np.ones(n)]) * self.a
        v = np.concatenate([-np.ones(n), s, np.ones(n), -s]) * self.b
        t = math.radians(self.angle_deg)
        return np.stack([self.cx + u * math.cos(t) - v * math.sin(t),
                         self.cy + u * math.sin(t) + v * math.cos(t)], axis=1)


@dataclass
class Scene:
    name: str
    width: int
    height: int
    description: str
    materials: list[Material] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    geometry: dict = field(default_factory=dict)
    lit: bool = True

    def material(self, name: str, reflectance) -> int:
        """Index of the material `name`, adding it on first use."""
        for i, m in enumerate(self.materials):
            if m.name == name:
                return i
        refl = np.asarray(reflectance, dtype=np.float64)
        if refl.shape != spectra.WAVELENGTHS.shape:
            raise ValueError(f"reflectance of {name!r} is not on the 380-780/5 nm grid")
        self.materials.append(Material(name, refl))
        return len(self.materials) - 1

    def grey(self, reflectance: float, name: str | None = None) -> int:
        return self.material(name or f"neutral {reflectance:.4f}", spectra.flat_reflectance(reflectance))

    def add(self, shape: Shape) -> Shape:
        self.shapes.append(shape)
        return shape

    def fill(self, material: int) -> None:
        self.add(Shape(FILL, material))

    def rect(self, material: int, x0: float, y0: float, x1: float, y1: float) -> Shape:
        """Axis-aligned rectangle with edges at x0, x1, y0, y1 (continuous pixel coordinates)."""
        return self.add(Shape(RECT, material, (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2))

    def reflectances(self) -> np.ndarray:
        return np.stack([m.reflectance for m in self.materials])


def _r(v: float) -> float:
    return round(float(v), 4)


# --- chart elements ------------------------------------------------------------------------

def add_colorchecker(scene: Scene, x0: float, y0: float, width: float) -> dict:
    """The 24-patch chart with its top-left corner at (x0, y0), `width` pixels wide."""
    u = width / CC_WIDTH
    height = CC_HEIGHT * u
    frame = scene.grey(CC_FRAME_REFLECTANCE, "ColorChecker frame (black)")
    scene.rect(frame, x0, y0, x0 + width, y0 + height)
    names, refl = spectra.colorchecker()
    patches = []
    side = CC_PATCH * u
    for idx, (name, r) in enumerate(zip(names, refl)):
        row, col = divmod(idx, 6)
        px = x0 + u * (CC_BORDER_X + col * (CC_PATCH + CC_GAP))
        py = y0 + u * (CC_BORDER_Y + row * (CC_PATCH + CC_GAP))
        scene.rect(scene.material(name, r), px, py, px + side, py + side)
        patches.append({"index": idx + 1, "name": name, "row": row, "column": col,
                        "centre": [_r(px + side / 2), _r(py + side / 2)],
                        "rect": [_r(px), _r(py), _r(px + side), _r(py + side)]})
    return {"corners": [[_r(x0), _r(y0)], [_r(x0 + width), _r(y0)], [_r(x0 + width), _r(y0 + height)],
                        [_r(x0), _r(y0 + height)]],
            "patch_size": _r(side), "layout": "6 columns x 4 rows, index row-major from the "
            "top-left (1 dark skin) to the bottom-right (24 black)", "patches": patches}


def add_grey_steps(scene: Scene, x0: float, y0: float, x1: float, y1: float,
                   densities, columns: int) -> dict:
    """Neutral steps of the given optical densities, row-major in `columns` columns."""
    n = len(densities)
    rows = math.ceil(n / columns)
    w = (x1 - x0) / columns
    h = (y1 - y0) / rows
    steps = []
    for i, dens in enumerate(densities):
        row, col = divmod(i, columns)
        refl = 10.0 ** (-dens)
        sx, sy = x0 + col * w, y0 + row * h
        scene.rect(scene.grey(refl, f"grey step D={dens:.2f}"), sx, sy, sx + w, sy + h)
        steps.append({"index": i + 1, "density": _r(dens), "reflectance": round(refl, 6),
                      "centre": [_r(sx + w / 2), _r(sy + h / 2)],
                      "rect": [_r(sx), _r(sy), _r(sx + w), _r(sy + h)]})
    return {"steps": steps}


def add_slanted_square(scene: Scene, dark: int, cx: float, cy: float, side: float,
                       angle_deg: float, first_id: int, dark_refl: float, light_refl: float) -> list:
    """A dark square rotated by `angle_deg`; returns the records of its four slanted edges."""
    scene.add(Shape(RECT, dark, cx, cy, side / 2, side / 2, angle_deg))
    t = math.radians(angle_deg)
    ex = np.array([math.cos(t), math.sin(t)])      # the square's own u axis
    ey = np.array([-math.sin(t), math.cos(t)])     # its v axis
    edges = []
    # (outward normal, direction along the edge, orientation)
    for k, (normal, along, orient) in enumerate(((ex, ey, "vertical"), (-ex, ey, "vertical"),
                                                 (ey, ex, "horizontal"), (-ey, ex, "horizontal"))):
        mid = np.array([cx, cy]) + normal * side / 2
        half = side / 2
        p0, p1 = mid - along * half, mid + along * half
        # ROI: the middle 60 % of the edge, +-12 px across it (axis-aligned box).
        q0, q1 = mid - along * 0.3 * side, mid + along * 0.3 * side
        pad = 12.0
        roi = [min(q0[0], q1[0]) - (pad if orient == "vertical" else 0),
               min(q0[1], q1[1]) - (pad if orient == "horizontal" else 0),
               max(q0[0], q1[0]) + (pad if orient == "vertical" else 0),
               max(q0[1], q1[1]) + (pad if orient == "horizontal" else 0)]
        off = math.degrees(math.atan2(along[0], along[1])) if orient == "vertical" else \
            math.degrees(math.atan2(-along[1], along[0]))
        edges.append({"id": first_id + k, "orientation": orient,
                      "angle_from_axis_deg": _r(off),
                      "point": [_r(mid[0]), _r(mid[1])], "start": [_r(p0[0]), _r(p0[1])],
                      "end": [_r(p1[0]), _r(p1[1])],
                      "normal_dark_to_light": [round(float(normal[0]), 6), round(float(normal[1]), 6)],
                      "dark_reflectance": dark_refl, "light_reflectance": light_refl,
                      "roi": [int(math.floor(v)) for v in roi[:2]] + [int(math.ceil(v)) for v in roi[2:]]})
    return edges


def add_star(scene: Scene, light: int, dark: int, cx: float, cy: float, radius: float,
             cycles: int, contrast: float = 1.0) -> dict:
    """Sinusoidal Siemens star (ISO 12233 s-SFR style): `cycles` periods per turn."""
    scene.add(Shape(DISC, dark, cx, cy, radius))
    scene.add(Shape(STAR, light, cx, cy, radius, frequency=float(cycles), contrast=contrast))
    return {"centre": [_r(cx), _r(cy)], "radius": _r(radius), "cycles": cycles,
            "contrast": contrast, "frequency_at_radius": "cycles / (2 pi r) cycles/pixel",
            "reflectance_range": [scene.materials[dark].reflectance[0], scene.materials[light].reflectance[0]]}


def add_bars(scene: Scene, light: int, dark: int, x0: float, y0: float, freq: float,
             n_bars: int, length: float, vertical: bool) -> dict:
    """`n_bars` dark bars of frequency `freq` cycles/pixel on a light ground, from (x0, y0)."""
    period = 1.0 / freq
    span = n_bars * period
    if vertical:
        scene.rect(light, x0, y0, x0 + span, y0 + length)
        for i in range(n_bars):
            scene.rect(dark, x0 + i * period + period / 2, y0, x0 + (i + 1) * period, y0 + length)
        rect = [x0, y0, x0 + span, y0 + length]
    else:
        scene.rect(light, x0, y0, x0 + length, y0 + span)
        for i in range(n_bars):
            scene.rect(dark, x0, y0 + i * period + period / 2, x0 + length, y0 + (i + 1) * period)
        rect = [x0, y0, x0 + length, y0 + span]
    return {"frequency_cy_px": freq, "bars": n_bars, "bars_run": "vertical" if vertical else "horizontal",
            "rect": [_r(v) for v in rect]}


def add_sine(scene: Scene, light: int, dark: int, x0: float, y0: float, size: float,
             freq: float, angle_deg: float, contrast: float = 1.0) -> dict:
    """Square sine patch: reflectance dark + (light - dark)(0.5 + 0.5 contrast cos(2 pi f u))."""
    cx, cy = x0 + size / 2, y0 + size / 2
    scene.rect(dark, x0, y0, x0 + size, y0 + size)
    scene.add(Shape(SINE, light, cx, cy, size / 2, size / 2, angle_deg, freq, 0.0, contrast))
    return {"frequency_cy_px": freq, "orientation_deg": angle_deg, "contrast": contrast,
            "centre": [_r(cx), _r(cy)], "rect": [_r(x0), _r(y0), _r(x0 + size), _r(y0 + size)]}


# --- scenes --------------------------------------------------------------------------------

def build_scene(name: str, width: int, height: int) -> Scene:
    """The scene `name` (one of SCENES) laid out for a width x height frame."""
    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}; expected one of {', '.join(SCENES)}")
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise ValueError(f"frame {width}x{height} is too small; at least {MIN_SIZE[0]}x{MIN_SIZE[1]}")
    return _BUILDERS[name](width, height)


def _colorchecker_scene(w: int, h: int) -> Scene:
    s = Scene("colorchecker", w, h, "ColorChecker (N Ohta) on a Munsell N7 wall")
    s.fill(s.grey(WALL_REFLECTANCE, "booth wall (Munsell N7)"))
    cw = min(0.6 * w, 0.7 * h * CC_WIDTH / CC_HEIGHT)
    s.geometry["colorchecker"] = add_colorchecker(s, (w - cw) / 2, (h - cw * CC_HEIGHT / CC_WIDTH) / 2, cw)
    return s


def _greysteps_scene(w: int, h: int) -> Scene:
    s = Scene("greysteps", w, h, "20-step neutral wedge, D = 0.05 .. 1.95")
    s.fill(s.grey(WALL_REFLECTANCE, "booth wall (Munsell N7)"))
    dens = [0.05 + 0.1 * i for i in range(20)]
    s.geometry["grey_steps"] = add_grey_steps(s, 0.08 * w, 0.25 * h, 0.92 * w, 0.75 * h, dens, 10)
    return s


def _edge_scene(w: int, h: int) -> Scene:
    s = Scene("edge", w, h, f"3x3 dark squares rotated {EDGE_ANGLE_DEG} deg, contrast 4:1")
    s.fill(s.grey(EDGE_LIGHT, "edge target light"))
    dark = s.grey(EDGE_DARK, "edge target dark")
    side = 0.16 * min(w, h)
    edges = []
    for j, fy in enumerate((0.2, 0.5, 0.8)):
        for i, fx in enumerate((0.2, 0.5, 0.8)):
            edges += add_slanted_square(s, dark, fx * w, fy * h, side, EDGE_ANGLE_DEG,
                                        len(edges) + 1, EDGE_DARK, EDGE_LIGHT)
    s.geometry["slanted_edges"] = edges
    return s


def _flat_scene(w: int, h: int) -> Scene:
    s = Scene("flat", w, h, "uniform perfect diffuser (flat field)")
    s.fill(s.grey(1.0, "diffuser (perfect white)"))
    s.geometry["flat"] = {"reflectance": 1.0}
    return s


def _dark_scene(w: int, h: int) -> Scene:
    s = Scene("dark", w, h, "lens capped: no light (dark frame)", lit=False)
    s.fill(s.grey(0.0, "lens cap"))
    s.geometry["dark"] = {"light": 0.0}
    return s


def _demo_scene(w: int, h: int) -> Scene:
    """A 16:9 test chart laid out in a 1600 x 900 design space, scaled to fit the frame."""
    s = Scene("demo", w, h, "test chart: ColorChecker, grey wedge, slanted edges, "
              "sinusoidal star, line pairs, sine patches")
    k = min(w / 1600.0, h / 900.0)
    ox, oy = (w - 1600.0 * k) / 2, (h - 900.0 * k) / 2

    def X(v):
        return ox + v * k

    def Y(v):
        return oy + v * k

    s.fill(s.grey(WALL_REFLECTANCE, "booth wall (Munsell N7)"))
    board = s.grey(0.80, "chart board (white)")
    s.rect(board, X(20), Y(20), X(1580), Y(880))
    geo = s.geometry
    geo["colorchecker"] = add_colorchecker(s, X(50), Y(50), 720 * k)
    dens = [0.05 + 0.15 * i for i in range(12)]
    geo["grey_steps"] = add_grey_steps(s, X(50), Y(640), X(1010), Y(740), dens, 12)
    light = s.grey(EDGE_LIGHT, "edge target light")
    dark = s.grey(EDGE_DARK, "edge target dark")
    s.rect(light, X(820), Y(50), X(1010), Y(590))
    edges = add_slanted_square(s, dark, X(915), Y(170), 110 * k, EDGE_ANGLE_DEG, 1, EDGE_DARK, EDGE_LIGHT)
    edges += add_slanted_square(s, dark, X(915), Y(440), 110 * k, EDGE_ANGLE_DEG, 5, EDGE_DARK, EDGE_LIGHT)
    geo["slanted_edges"] = edges
    black = s.grey(0.03, "print black")
    white = s.grey(0.85, "print white")
    geo["siemens_star"] = add_star(s, white, black, X(1300), Y(260), 210 * k, 72)
    # Fine detail at fixed frequencies in image pixels (independent of the frame size): square
    # blocks of 4 bar periods, vertical bars on the first row, horizontal below.
    bars, sines = [], []
    gap = max(3.0, 8 * k)
    # The lowest frequencies are dropped on small frames, where their blocks would not fit.
    freqs = [f for f in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45) if 2 * 4 / f + gap <= (630 - 495) * k]
    row_h = 4 / freqs[0] if freqs else 0.0
    x = X(1040)
    for f in freqs:
        span = 4 / f
        if x + span > X(1570):
            break
        bars.append(add_bars(s, white, black, x, Y(495), f, 4, span, True))
        bars.append(add_bars(s, white, black, x, Y(495) + row_h + gap, f, 4, span, False))
        x += span + gap
    x = X(1040)
    size = 60 * k
    for f in (0.05, 0.1, 0.2, 0.3, 0.4):
        if x + size > X(1570):
            break
        sines.append(add_sine(s, white, black, x, Y(640), size, f, 0.0))
        sines.append(add_sine(s, white, black, x, Y(640) + size + 10 * k, size, f, 90.0))
        x += size + 12 * k
    geo["line_pairs"] = bars
    geo["sine_patches"] = sines
    # Registration dots in the board corners.
    for cx, cy in ((40, 40), (1560, 40), (40, 860), (1560, 860)):
        s.add(Shape(DISC, black, X(cx), Y(cy), 8 * k))
    return s


_BUILDERS = {"colorchecker": _colorchecker_scene, "greysteps": _greysteps_scene, "edge": _edge_scene,
             "flat": _flat_scene, "dark": _dark_scene, "demo": _demo_scene}
