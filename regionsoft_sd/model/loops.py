"""The model's named feedback loops: read, checked with Simlin, drawn, and scored over time.

`models/loops.toml` (shipped beside the model) names the loops that the docs
discuss, each by the variables of one cycle, and says which of the model's loops
belong to it (the links its switch cuts). Simlin's loop analysis ("Loops That
Matter", Schoenberg, Davidsen and Eberlein 2020) is the independent judge:

- `loop_polarities()` pins each named loop in Simlin and returns the polarity
  Simlin finds over the base run, or None when the variables do not form a cycle;
- `loop_diagram()` renders the stock-and-flow diagram with Simlin and marks every
  named loop on it: a circled R or B where the loop's variables sit, and a key;
  `loop_panels()` draws the same one view per panel, two panels a row, readable
  at full size (docs/figures/loops.png, the explorer's diagram);
- `loop_dominance()` enumerates every loop of the model (about 13,000), sorts each
  into its named loop, and returns each named loop's share of the total absolute
  loop score per year, for the base run or a scenario.

Needs the `simlin` extra.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import tomllib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regionsoft_sd.common.errors import InputError, normalise
from regionsoft_sd.model.style import wrap
from regionsoft_sd.model.translate import MODEL_PATH

if TYPE_CHECKING:  # pragma: no cover
    from regionsoft_sd.scenarios.scenario import Scenario

POLARITY = {"reinforcing": "R", "balancing": "B"}
COLOURS = {"reinforcing": "#C0392B", "balancing": "#1F618D"}


@dataclass(frozen=True)
class NamedLoop:
    """One named loop: its id (R1), name, polarity, article section and its variables."""

    id: str
    name: str
    polarity: str  # "reinforcing" or "balancing"
    variables: tuple[str, ...]
    article: str = ""
    description: str = ""
    marks_all: tuple[str, ...] = ()
    marks_any: tuple[str, ...] = ()
    max_variables: int | None = None
    catch_all: bool = False

    @property
    def code(self) -> str:
        """`R` or `B`: Simlin's polarity letter."""
        return POLARITY[self.polarity]

    def owns(self, variables: frozenset[str], polarity: str) -> bool:
        """True if a loop with these Simlin variables and polarity letter belongs here."""
        if self.max_variables is not None and len(variables) > self.max_variables:
            return False
        if self.catch_all:
            return polarity == self.code
        every = {simlin_ident(v) for v in self.marks_all}
        some = {simlin_ident(v) for v in self.marks_any}
        if not every and not some:
            return False
        return every <= variables and (not some or bool(some & variables))

    @property
    def sign(self) -> str:
        """`+` for reinforcing, `-` for balancing (the usual loop polarity marks)."""
        return "+" if self.polarity == "reinforcing" else "\u2212"


def loops_path(mdl_path: str | Path = MODEL_PATH) -> Path:
    """The loop file that belongs to a model: `loops.toml` beside it."""
    return Path(mdl_path).with_name("loops.toml")


def named_loops(mdl_path: str | Path = MODEL_PATH) -> list[NamedLoop]:
    """The named loops of the model, in file order; [] if it has no loop file."""
    path = loops_path(mdl_path)
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    loops = []
    for i, item in enumerate(data.get("loop", [])):
        polarity = item.get("polarity")
        if polarity not in POLARITY:
            raise InputError(
                path, f"loop[{i}].polarity", f"{polarity!r}", "reinforcing or balancing"
            )
        loops.append(
            NamedLoop(
                id=item["id"],
                name=item["name"],
                polarity=polarity,
                variables=tuple(item["variables"]),
                article=item.get("article", ""),
                description=item.get("description", ""),
                marks_all=tuple(item.get("marks_all", ())),
                marks_any=tuple(item.get("marks_any", ())),
                max_variables=item.get("max_variables"),
                catch_all=bool(item.get("catch_all", False)),
            )
        )
    return loops


def simlin_ident(name: str) -> str:
    """Simlin's identifier of a model variable name."""
    return re.sub(r"\s+", "_", normalise(name))


def loop_polarities(
    loops: Sequence[NamedLoop] | None = None, mdl_path: str | Path = MODEL_PATH
) -> dict[str, str | None]:
    """Simlin's verdict on each named loop: "reinforcing", "balancing" or None (no such cycle).

    Each loop is pinned by name in a fresh Simlin model; Simlin recovers the cycle
    from the causal graph and scores it over the base run. A loop whose variables
    do not form a cycle is pinned but never scored: None.
    """
    import simlin

    loops = named_loops(mdl_path) if loops is None else list(loops)
    model = simlin.load(str(mdl_path))
    with model.edit() as (_, patch):
        for lp in loops:
            patch.set_loop_name(lp.id, [simlin_ident(v) for v in lp.variables], lp.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "too large for enumeration"
        found = {lp.name: lp for lp in model.run().loops}
    verdict = {"R": "reinforcing", "B": "balancing"}
    out: dict[str, str | None] = {}
    for lp in loops:
        hit = found.get(lp.id)
        out[lp.id] = verdict.get(str(hit.polarity)) if hit is not None else None
    return out


def _positions(xml: str) -> tuple[dict[str, list[tuple[float, float]]], list[tuple]]:
    """Diagram positions of every variable (including its aliases) and the group boxes."""
    places: dict[str, list[tuple[float, float]]] = {}
    view = xml[xml.find("<views>") :]
    for m in re.finditer(r'<(stock|flow|aux) name="([^"]+)" x="([-\d.]+)" y="([-\d.]+)"', view):
        places.setdefault(normalise(m[2]), []).append((float(m[3]), float(m[4])))
    for m in re.finditer(r'<alias x="([-\d.]+)" y="([-\d.]+)"[^>]*>\s*<of>([^<]+)</of>', view):
        places.setdefault(normalise(m[3]), []).append((float(m[1]), float(m[2])))
    groups = [
        (m[1], float(m[2]), float(m[3]), float(m[4]), float(m[5]))
        for m in re.finditer(
            r'<group name="([^"]+)" x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" '
            r'height="([-\d.]+)"',
            view,
        )
    ]
    return places, groups


def _marker_place(lp: NamedLoop, places, groups) -> tuple[float, float] | None:
    """Where to mark a loop: the middle of its variables in the view that shows most of them."""
    best: list[tuple[float, float]] = []
    for _, gx, gy, gw, gh in groups or [("", -1e9, -1e9, 2e9, 2e9)]:
        inside = [
            p
            for v in lp.variables
            for p in places.get(normalise(v), [])
            if gx <= p[0] <= gx + gw and gy <= p[1] <= gy + gh
        ]
        if len(inside) > len(best):
            best = inside
    if not best:
        return None
    return sum(p[0] for p in best) / len(best), sum(p[1] for p in best) / len(best)


MARK_GAP = 60.0
"""Least distance between two loop marks, in diagram units (a mark is about 45 wide)."""


def _spread(marks: dict[str, tuple[float, float] | None]) -> dict[str, tuple[float, float] | None]:
    """Lift each mark off the pipes and arrows it sits on, and move apart marks that collide.

    A mark goes a little above the middle of its loop (a two-variable loop's middle
    is the flow pipe itself); a mark closer than MARK_GAP to an earlier one moves
    right until it is clear.
    """
    out: dict[str, tuple[float, float] | None] = {}
    placed: list[tuple[float, float]] = []
    for key, at in marks.items():
        if at is None:
            out[key] = None
            continue
        x, y = at[0], at[1] - 32.0
        while any((x - px) ** 2 + (y - py) ** 2 < MARK_GAP**2 for px, py in placed):
            x += MARK_GAP
        placed.append((x, y))
        out[key] = (x, y)
    return out


def loop_diagram(
    mdl_path: str | Path = MODEL_PATH,
    *,
    width: int = 1860,
    loops: Sequence[NamedLoop] | None = None,
) -> Figure:
    """The stock-and-flow diagram (rendered by Simlin) with the named loops marked.

    Views that hold no loop (e.g. the policy levers) are cropped away. Each loop
    gets a circled mark, R1+ or B2-, in red (reinforcing) or blue (balancing),
    and a line in the key above the diagram.
    """
    import simlin
    from matplotlib.image import imread

    loops = named_loops(mdl_path) if loops is None else list(loops)
    project = simlin.load(str(mdl_path)).project
    png = imread(io.BytesIO(project.render_png("main", width=width)), format="png")
    xml = project.to_xmile().decode("utf-8")
    svg_head = project.render_svg_string()[:400]
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg_head)
    x0, y0, vw, _ = (float(v) for v in box.groups()) if box else (0.0, 0.0, float(width), 0.0)
    scale = png.shape[1] / vw
    places, groups = _positions(xml)
    marks = _spread({lp.id: _marker_place(lp, places, groups) for lp in loops})
    used = [
        g
        for g in groups
        if any(
            m is not None and g[1] <= m[0] <= g[1] + g[3] and g[2] <= m[1] <= g[2] + g[4]
            for m in marks.values()
        )
    ]
    top = min((g[2] for g in used), default=y0) - 12
    bottom = max((g[2] + g[4] for g in used), default=y0 + png.shape[0] / scale) + 12
    r0, r1 = max(0, int((top - y0) * scale)), min(png.shape[0], int((bottom - y0) * scale))
    crop = png[r0:r1]
    h_in, w_in = crop.shape[0] / 100, crop.shape[1] / 100
    chars = max(60, int((w_in - 1.0) / 0.09))  # characters a key line holds at 11 pt
    entries = [
        wrap(f"{lp.name} ({lp.polarity}; {lp.article}): {lp.description}", chars) for lp in loops
    ]
    note = (
        "Each mark sits where most of the loop's variables are drawn; grey names are shadows "
        "of variables drawn in another view. Red: reinforcing (+), blue: balancing (\u2212)."
    )
    lines = 2.6 + sum(e.count("\n") + 1.4 for e in entries) + 1.4
    key_in = 0.2 * lines
    fig = Figure(figsize=(w_in, h_in + key_in), dpi=100)
    ax = fig.add_axes((0, 0, 1, h_in / (h_in + key_in)))
    ax.imshow(crop, interpolation="lanczos")
    ax.set_axis_off()
    for lp in loops:
        at = marks[lp.id]
        if at is None:
            continue
        px, py = (at[0] - x0) * scale, (at[1] - y0) * scale - r0
        ax.annotate(
            f"{lp.id}{lp.sign}",
            (px, py),
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
            color="white",
            bbox={
                "boxstyle": "circle,pad=0.35",
                "fc": COLOURS[lp.polarity],
                "ec": "white",
                "alpha": 0.92,
            },
        )
    key = fig.add_axes((0.01, h_in / (h_in + key_in), 0.98, key_in / (h_in + key_in)))
    key.set_axis_off()
    key.set_ylim(lines, 0)  # y in text lines, from the top
    _draw_key(key, loops, entries, note, indent=0.045)
    return fig


def _draw_key(key, loops, entries: list[str], note: str, *, indent: float) -> None:
    """The loop key of both diagrams: a title, one coloured badge and text per loop, a note.

    `key` is an axes whose y runs in text lines from the top; `indent` is where the
    loops' texts start, in axes width."""
    key.text(0, 0.3, "Named feedback loops", fontsize=15, fontweight="bold", va="top")
    y = 2.2
    for lp, text in zip(loops, entries, strict=True):
        key.text(
            0,
            y,
            f" {lp.id}{lp.sign} ",
            fontsize=12,
            fontweight="bold",
            color="white",
            va="top",
            bbox={"boxstyle": "round,pad=0.2", "fc": COLOURS[lp.polarity], "ec": "none"},
        )
        key.text(indent, y, text, fontsize=11, va="top", linespacing=1.25)
        y += text.count("\n") + 1.4
    key.text(0, y + 0.2, note, fontsize=10, va="top", color="0.3")


def loop_panels(
    mdl_path: str | Path = MODEL_PATH,
    *,
    loops: Sequence[NamedLoop] | None = None,
    px_per_unit: float = 1.0,
    columns: int = 2,
) -> Figure:
    """The stock-and-flow diagram one view per panel, each view with the loops marked in it.

    The same marks as `loop_diagram`, but each view (group) of the sketch that
    holds a loop is its own panel, titled with the view's name and its loops, and
    the panels sit `columns` to a row (a view wider than a column spans the row).
    The diagram is rendered at `px_per_unit` pixels per sketch unit, so that at
    100 dpi its names are as large as Simlin draws them (about 12 px), where the
    one tall image of `loop_diagram` shrinks them to about 7.
    """
    import simlin
    from matplotlib.image import imread

    loops = named_loops(mdl_path) if loops is None else list(loops)
    project = simlin.load(str(mdl_path)).project
    xml = project.to_xmile().decode("utf-8")
    box = re.search(
        r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', project.render_svg_string()[:400]
    )
    x0, y0, vw, _ = (float(v) for v in box.groups()) if box else (0.0, 0.0, 3200.0, 0.0)
    png = imread(io.BytesIO(project.render_png("main", width=int(vw * px_per_unit))), format="png")
    scale = png.shape[1] / vw
    places, groups = _positions(xml)
    marks = _spread({lp.id: _marker_place(lp, places, groups) for lp in loops})

    def inside(g, at) -> bool:
        return at is not None and g[1] <= at[0] <= g[1] + g[3] and g[2] <= at[1] <= g[2] + g[4]

    used = [(g, [lp for lp in loops if inside(g, marks[lp.id])]) for g in groups]
    used = [(g, held) for g, held in used if held]
    col_w = max((g[3] for g, _ in used if g[3] <= 2000), default=1880.0) * scale / 100
    width = col_w * columns + 0.3 * (columns - 1)
    rows: list[list] = []
    for g, held in used:
        wide = g[3] * scale / 100 > col_w * 1.05
        if wide or not rows or len(rows[-1]) >= columns or rows[-1][0][2]:
            rows.append([])
        rows[-1].append((g, held, wide))
    chars = max(60, int((width - 1.0) / 0.09))
    entries = [
        wrap(f"{lp.name} ({lp.polarity}; {lp.article}): {lp.description}", chars) for lp in loops
    ]
    key_lines = 2.6 + sum(e.count("\n") + 1.4 for e in entries) + 1.4
    key_in = 0.2 * key_lines
    title_in = 0.45

    def panel_in(g) -> tuple[float, float]:
        return g[3] * scale / 100, g[4] * scale / 100

    row_h = [max(panel_in(g)[1] for g, _, _ in row) + title_in for row in rows]
    height = key_in + sum(row_h) + 0.2
    fig = Figure(figsize=(width, height), dpi=100)
    key = fig.add_axes((0.005, 1 - key_in / height, 0.99, key_in / height))
    key.set_axis_off()
    key.set_ylim(key_lines, 0)
    _draw_key(
        key,
        loops,
        entries,
        "One view of the diagram per panel. Red: reinforcing (+), blue: balancing (\u2212); "
        "grey names are shadows of variables drawn in another view.",
        indent=0.03,
    )
    top = height - key_in
    for row, h in zip(rows, row_h, strict=True):
        top -= h
        left = 0.0
        for g, held, _ in row:
            w_in, h_in = panel_in(g)
            c0, r0 = max(0, int((g[1] - x0) * scale)), max(0, int((g[2] - y0) * scale))
            crop = png[r0 : r0 + int(g[4] * scale), c0 : c0 + int(g[3] * scale)]
            bottom = top + h - title_in - h_in  # panels hang from their row's top
            ax = fig.add_axes((left / width, bottom / height, w_in / width, h_in / height))
            ax.imshow(crop, interpolation="lanczos")
            ax.set_axis_off()
            ids = ", ".join(f"{lp.id}{lp.sign}" for lp in held)
            ax.set_title(f"{g[0]}: {ids}", fontsize=13, loc="left", fontweight="bold")
            for lp in held:
                at = marks[lp.id]
                ax.annotate(
                    f"{lp.id}{lp.sign}",
                    ((at[0] - x0) * scale - c0, (at[1] - y0) * scale - r0),
                    ha="center",
                    va="center",
                    fontsize=13,
                    fontweight="bold",
                    color="white",
                    bbox={
                        "boxstyle": "circle,pad=0.35",
                        "fc": COLOURS[lp.polarity],
                        "ec": "white",
                        "alpha": 0.92,
                    },
                )
            left += w_in + 0.3
    return fig


OTHER = "other"


def classify(
    variables: frozenset[str], polarity: str, loops: Sequence[NamedLoop] | None = None
) -> str:
    """The id of the first named loop (file order) that owns a loop, else 'other'.

    `variables` are Simlin identifiers, `polarity` Simlin's letter (R or B).
    """
    for lp in named_loops() if loops is None else loops:
        if lp.owns(variables, polarity):
            return lp.id
    return OTHER


def with_constants(text: str, constants: dict[str, float]) -> str:
    """The `.mdl` text with each named constant's equation replaced by its new value."""
    out = text
    for name, value in constants.items():
        pattern = re.compile(
            r"(^|\n)(" + re.escape(name) + r")\s*=\s*\n?\s*[-+0-9.eE]+\s*\n", re.IGNORECASE
        )
        out, n = pattern.subn(lambda m, v=value: f"{m.group(1)}{m.group(2)}=\n\t{v!r}\n", out, 1)
        if n != 1:
            raise InputError(None, name, "not a constant of the model", "set only constants")
    return out


def scenario_model(scenario: Scenario | None, mdl_path: str | Path = MODEL_PATH) -> Path:
    """A temporary copy of the `.mdl` (and its loop file) holding the scenario's constants.

    Simlin's loop analysis runs a model's base configuration, so a scenario is
    written into the model; time-series levers cannot be and are refused. The copy
    sits alone in a new temporary folder, which the caller removes when done
    (`loop_dominance` does).
    """
    source = Path(mdl_path)
    text = source.read_text(encoding="utf-8")
    if scenario is not None:
        if scenario.series:
            raise InputError(
                scenario.source,
                ", ".join(scenario.series),
                "loop analysis cannot take time-series levers",
                "give those levers as values with start and ramp",
            )
        text = with_constants(text, scenario.constants)
    folder = Path(tempfile.mkdtemp(prefix="regionsoft-loops-"))
    tmp = folder / source.name
    tmp.write_text(text, encoding="utf-8")
    if loops_path(source).is_file():
        loops_path(tmp).write_text(loops_path(source).read_text(encoding="utf-8"))
    return tmp


def loop_dominance(
    scenario: Scenario | None = None,
    *,
    mdl_path: str | Path = MODEL_PATH,
    timeout: float = 120.0,
) -> pd.DataFrame:
    """Share of the total absolute loop score held by each named loop, per saved year.

    Rows: saved times; columns: the named loops' ids in file order, then 'other';
    rows sum to 1 where any loop is active. `attrs` holds the analysis's
    completeness (`enumeration_complete`, `universe_loops`, `retained_loops`) and
    each id's name.
    """
    import simlin

    loops = named_loops(mdl_path)
    path = scenario_model(scenario, mdl_path)
    try:
        model = simlin.load(str(path))
        analysis = model.analyze(timeout=timeout)
    finally:
        # the folder was made by scenario_model and holds only its copies
        shutil.rmtree(path.parent, ignore_errors=True)
    if analysis.analysis_error:
        raise RuntimeError(f"loop analysis failed: {analysis.analysis_error}")
    times = model.run(analyze_loops=False).results.index.to_numpy(dtype=float)
    ids = [lp.id for lp in loops] + [OTHER]
    scores = pd.DataFrame(0.0, index=pd.Index(times, name="time"), columns=ids)
    for loop in analysis.loops:
        series = np.abs(np.nan_to_num(np.asarray(loop.behavior_time_series, dtype=float)))
        key = classify(frozenset(loop.variables), str(loop.polarity), loops)
        scores[key] += series[: len(times)]
    total = scores.sum(axis=1).replace(0.0, np.nan)
    shares = scores.div(total, axis=0).fillna(0.0)
    shares.attrs.update(
        enumeration_complete=bool(analysis.enumeration_complete),
        universe_loops=analysis.universe_loops,
        retained_loops=analysis.retained_loops,
        names={lp.id: lp.name for lp in loops} | {OTHER: "other loops"},
    )
    return shares
