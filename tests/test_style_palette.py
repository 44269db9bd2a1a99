"""The shipped scenarios' colours stay apart in greyscale, for deuteranopes and for everyone.

The colour science is written out here, independently of the package:

- sRGB to linear RGB and to CIE XYZ (D65) with the IEC 61966-2-1 sRGB formulas;
- greyscale as CIE L* of the relative luminance Y (Y = 0.2126 R + 0.7152 G + 0.0722 B,
  ITU-R BT.709), which is what a greyscale printer or a desaturated screen keeps;
- deuteranopia simulated with the severity-1.0 matrix of Machado, Oliveira and
  Fernandes (2009), "A physiologically-based model for simulation of color vision
  deficiency", IEEE TVCG 15(6), 1291-1298, applied to linear RGB;
- distances as CIE76 Delta E in CIE Lab.

Thresholds: L* at least 8 apart (about the step between neighbouring grey patches
that people name apart at a glance), Delta E at least 19 after the deuteranopia
simulation, and at least 35 for normal vision (Delta E of 10 is already "clearly
different" side by side; thin lines need more).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from regionsoft_sd.model.style import (
    BASELINE,
    BASELINE_COLOUR,
    SCENARIO_STYLES,
    line_style,
    scenario_colours,
)

MACHADO_DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> np.ndarray:
    t = SRGB_TO_XYZ @ np.clip(linear, 0, 1) / WHITE_D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


SHIPPED = [BASELINE, *SCENARIO_STYLES]
COLOURS = scenario_colours(SHIPPED)
PAIRS = list(itertools.combinations(SHIPPED, 2))


def test_the_helpers_agree_with_known_values():
    assert lab(linear_rgb("#FFFFFF")) == pytest.approx([100, 0, 0], abs=0.05)
    assert lab(linear_rgb("#808080"))[0] == pytest.approx(53.6, abs=0.1)  # mid grey
    # a deuteranope sees pure red and pure green alike far more than a trichromat does
    red, green = linear_rgb("#FF0000"), linear_rgb("#00FF00")
    normal = np.linalg.norm(lab(red) - lab(green))
    seen = np.linalg.norm(lab(MACHADO_DEUTERANOPIA @ red) - lab(MACHADO_DEUTERANOPIA @ green))
    assert seen < 0.5 * normal


def test_every_shipped_scenario_has_its_fixed_colour_and_the_baseline_is_black():
    assert COLOURS[BASELINE] == BASELINE_COLOUR == "#000000"
    for name, (colour, _, _) in SCENARIO_STYLES.items():
        assert COLOURS[name] == colour
        # the same colour whatever else is drawn beside it
        assert scenario_colours(["mine", name, "other"])[name] == colour
    assert len(set(COLOURS.values())) == len(SHIPPED)


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_greyscale_lightness_differs(a, b):
    la, lb = (lab(linear_rgb(COLOURS[n]))[0] for n in (a, b))
    assert abs(la - lb) >= 8, f"{a} and {b} are L* {la:.1f} and {lb:.1f} in greyscale"


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_deuteranopes_and_everyone_tell_the_colours_apart(a, b):
    ca, cb = (linear_rgb(COLOURS[n]) for n in (a, b))
    deut = np.linalg.norm(lab(MACHADO_DEUTERANOPIA @ ca) - lab(MACHADO_DEUTERANOPIA @ cb))
    normal = np.linalg.norm(lab(ca) - lab(cb))
    assert deut >= 19, f"{a} and {b}: Delta E {deut:.1f} for a deuteranope"
    assert normal >= 35, f"{a} and {b}: Delta E {normal:.1f}"


def test_lines_differ_by_dash_and_marker_too_and_the_baseline_stands_out():
    styles = {n: line_style(n, COLOURS) for n in SHIPPED}
    shapes = [(repr(s.get("linestyle", "-")), s.get("marker")) for s in styles.values()]
    assert len(set(shapes)) == len(shapes)
    assert len({s["marker"] for n, s in styles.items() if n != BASELINE}) == len(SCENARIO_STYLES)
    base = styles[BASELINE]
    assert base["color"] == "#000000" and "marker" not in base
    assert all(
        base["linewidth"] > s["linewidth"] and base["zorder"] > s["zorder"]
        for n, s in styles.items()
        if n != BASELINE
    )
