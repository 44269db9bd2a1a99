"""The explorer page (Panel and Bokeh): controls on the left, what they do on the right.

One `ExplorerApp` per browser tab. Its state is a `state.Settings`; every control
changes the settings through `state`'s functions, then `refresh()` runs the
settings' scenario in every future (`futures.picture`, one batch) and updates the
plots' data in place, so a change costs one batch run and a small data message.

Nothing a user does can stop the server: each callback runs inside `_guarded`, which
turns bad input (`InputError`) into a message in the page and any other error into
an "internal error" message (its traceback goes to the server's stderr).

Text that can hold what a user typed or named (a file name, a key of an uploaded
file, a region file's name) reaches the page only as text: escaped into an HTML
pane (`_text_html`), never through Markdown, whose links and images a browser
would follow. Markdown panes hold only the page's own words.
"""

from __future__ import annotations

import html
import io
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn
from bokeh.models import BoxAnnotation, ColumnDataSource, Legend, LegendItem
from bokeh.plotting import figure

from regionsoft_sd.common.errors import InputError
from regionsoft_sd.explore import futures as fut
from regionsoft_sd.explore import state
from regionsoft_sd.model.catalogue import catalogue
from regionsoft_sd.model.metrics import METRICS
from regionsoft_sd.model.style import (
    BASELINE,
    BASELINE_COLOUR,
    PALETTE,
    metric_readable_units,
    metric_title,
    scenario_colours,
    variable_units,
)
from regionsoft_sd.reports.report import format_value
from regionsoft_sd.simulate import RANK_BY, rank, rankable

TITLE = "regionsoft explore"
SIDEBAR_WIDTH = 380
MAX_UPLOAD = 1_000_000
"""Largest scenario file the page accepts (bytes); scenario files are a few kB."""


@dataclass
class Config:
    """What every page of one server shares: regions, strategies, futures and caches."""

    regions: dict[str, state.Region]
    strategies: dict[str, state.StrategyFile]
    futures: fut.Futures
    region: str = state.DEFAULT_REGION
    notes: list[str] = field(default_factory=list)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """`make()` once per key for the whole server (pictures of strategies, the diagram)."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            return self._cache.setdefault(key, value)


def load_config(
    region: str | None = None,
    strategies: list[str | Path] | tuple = (),
    n_futures: int = fut.DEFAULT_FUTURES,
    spec: str | Path = fut.DEFAULT_SPEC,
) -> Config:
    """Read regions, strategies and futures once; InputError names what is wrong."""
    regions, notes = state.find_regions()
    name = region or state.DEFAULT_REGION
    if name not in regions:
        path = Path(name)
        if path.suffix == ".toml" and path.is_file():
            r = state.region_file(path)
            regions[r.name] = r
            name = r.name
        else:
            from regionsoft_sd.common.errors import unknown_name

            raise unknown_name(
                None,
                "--region",
                name,
                list(regions),
                "region",
                "give one of " + ", ".join(regions) + ", or a region scenario file (.toml)",
            )
    found = state.shipped_strategies()
    optimised, more = state.strategy_files(strategies)
    for key, sf in optimised.items():
        found[key if key not in found else f"{key} (optimised)"] = sf
    return Config(regions, found, fut.load_futures(spec, n_futures), name, [*notes, *more])


class ExplorerApp:
    """One page: the settings, the controls that change them and the views that show them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.cat = catalogue()
        self.region = config.regions[config.region]
        self.settings = state.default_settings(self.region)
        self.loaded: dict[str, state.StrategyFile] = {}
        self.picture: fut.Picture | None = None
        self._syncing = False
        self.last_error = ""
        self._build_controls()
        self._build_views()
        self._guarded(self.refresh)()

    # -- controls --------------------------------------------------------

    def _build_controls(self) -> None:
        regions = {r.label: r.name for r in self.config.regions.values()}
        self.region_select = pn.widgets.Select(
            label="Region", options=regions, value=self.region.name, width=SIDEBAR_WIDTH - 30
        )
        self.region_select.param.watch(self._guarded(self._on_region), "value")
        self.strategy_select = pn.widgets.Select(
            label="Strategy (applies its policy to the region)",
            options=self._strategy_options(),
            value="",
            width=SIDEBAR_WIDTH - 30,
        )
        self.strategy_select.param.watch(self._guarded(self._on_strategy), "value")
        self.name_input = pn.widgets.TextInput(
            label="Name of these settings", value=self.settings.name, width=SIDEBAR_WIDTH - 30
        )
        self.name_input.param.watch(self._guarded(self._on_name), "value")
        self.sliders: dict[str, pn.widgets.FloatSlider] = {}
        self.timing_sliders: dict[str, tuple[pn.widgets.FloatSlider, pn.widgets.FloatSlider]] = {}
        cards = []
        for group, levers in state.lever_groups(self.cat).items():
            rows: list[Any] = []
            if group in state.SPLIT_GROUPS:
                rows.append(
                    pn.pane.Markdown(
                        "Shares of one amount: moving one moves the others in proportion "
                        "(they always sum to 1).",
                        styles={"font-size": "0.85em", "color": "#555"},
                        margin=(0, 10),
                    )
                )
            for e in levers:
                rows.append(self._lever_slider(e))
            start_p, ramp_p = state.timing_params(self.cat)[group]
            start = self._slider(self.cat[start_p], "start year", 1.0, "0")
            ramp = self._slider(self.cat[ramp_p], "ramp time (years)", 0.5, "0.0")
            start.param.watch(
                self._guarded(lambda ev, g=group: self._on_timing(g, ev, 0)), "value_throttled"
            )
            ramp.param.watch(
                self._guarded(lambda ev, g=group: self._on_timing(g, ev, 1)), "value_throttled"
            )
            self.timing_sliders[group] = (start, ramp)
            rows += [start, ramp]
            cards.append(
                pn.Card(
                    *rows,
                    title=group,
                    collapsed=group not in ("Programme", "Programme split"),
                    width=SIDEBAR_WIDTH - 20,
                )
            )
        self.cards = cards
        self.reset_button = pn.widgets.Button(
            label="Back to the region's status quo", color="default", width=SIDEBAR_WIDTH - 30
        )
        self.reset_button.on_click(self._guarded(self._on_reset))
        self.download = pn.widgets.FileDownload(
            callback=self._guarded(self._download, fallback=io.BytesIO(b"")),
            filename=f"{self.settings.name}.toml",
            label="Save these settings as a scenario file (TOML)",
            color="primary",
            embed=False,
            width=SIDEBAR_WIDTH - 30,
        )
        self.upload = pn.widgets.FileInput(accept=".toml", multiple=True, width=SIDEBAR_WIDTH - 30)
        self.upload.param.watch(self._guarded(self._on_upload), "value")
        self._sync_widgets()

    def _lever_slider(self, e) -> pn.widgets.FloatSlider:
        units = variable_units(e.name)
        label = (e.lever or e.name).capitalize() + (f" ({units})" if units else "")
        lo, hi = e.low, e.high
        if lo is None or hi is None:
            d = e.default or 1.0
            lo, hi = (
                (0.0, 2 * abs(d)) if lo is None and hi is None else (lo or 0.0, hi or 2 * abs(d))
            )
        step = _step(hi - lo)
        w = pn.widgets.FloatSlider(
            label=label,
            start=float(lo),
            end=float(hi),
            step=step,
            value=float(self.settings.levers[e.name]),
            format=_format(step),
            width=SIDEBAR_WIDTH - 40,
            css_classes=["lever"],
            tags=[e.name],
        )
        w.param.watch(self._guarded(lambda ev, n=e.name: self._on_lever(n, ev)), "value_throttled")
        self.sliders[e.name] = w
        return w

    def _slider(self, entry, label: str, step: float, fmt: str) -> pn.widgets.FloatSlider:
        return pn.widgets.FloatSlider(
            label=label.capitalize(),
            start=float(entry.low),
            end=float(entry.high),
            step=step,
            value=float(entry.default),
            format=fmt,
            width=SIDEBAR_WIDTH - 40,
            tags=[entry.name],
        )

    def _strategy_options(self) -> dict[str, str]:
        out = {"(pick a strategy to apply)": ""}
        for key, sf in {**self.config.strategies, **self.loaded}.items():
            out[f"{key} ({sf.origin})"] = key
        return out

    # -- views -----------------------------------------------------------

    def _build_views(self) -> None:
        self.alert = _text_alert("danger")
        self.notes = _text_alert("info")
        self.status = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["status"])
        self.legend = pn.pane.HTML("", sizing_mode="stretch_width")
        self.figures, self.sources = self._fan_figures()
        self.rank_select = pn.widgets.Select(
            label="Rank strategies by",
            options={metric_title(m): m for m in rankable()},
            value=RANK_BY,
            width=360,
        )
        self.rank_select.param.watch(self._guarded(lambda ev: self._update_table()), "value")
        self.table = pn.pane.HTML("", sizing_mode="stretch_width")
        self.loop_button = pn.widgets.Button(
            label="Analyse the feedback loops for these settings (about 1 s)", color="primary"
        )
        self.loop_button.on_click(self._guarded(self._on_loops))
        self.loop_note = pn.pane.HTML("", sizing_mode="stretch_width")
        self.loop_fig, self.loop_source = self._loop_figure()
        self.diagram = pn.pane.PNG(None, sizing_mode="scale_width")
        self.diagram_note = pn.pane.HTML(
            "The diagram is drawn when this tab is first opened (a few seconds)."
        )
        self.tabs = pn.Tabs(
            (
                "Futures",
                pn.Column(
                    self.status,
                    self.legend,
                    pn.GridBox(
                        *[pn.pane.Bokeh(f, sizing_mode="stretch_width") for f in self.figures],
                        ncols=2,
                        sizing_mode="stretch_width",
                    ),
                    sizing_mode="stretch_width",
                ),
            ),
            (
                "Strategies ranked",
                pn.Column(self.rank_select, self.table, sizing_mode="stretch_width"),
            ),
            (
                "Feedback loops",
                pn.Column(
                    self.loop_button,
                    self.loop_note,
                    pn.pane.Bokeh(self.loop_fig, sizing_mode="stretch_width"),
                    sizing_mode="stretch_width",
                ),
            ),
            (
                "Stock-and-flow diagram",
                pn.Column(self.diagram_note, self.diagram, sizing_mode="stretch_width"),
            ),
            sizing_mode="stretch_width",
        )
        self.tabs.param.watch(self._guarded(self._on_tab), "active")
        if self.config.notes:
            self._note("\n".join(f"- {n}" for n in self.config.notes))

    def _fan_figures(self) -> tuple[list, dict[str, dict[str, ColumnDataSource]]]:
        futures = self.config.futures
        t0, t1 = self.cat.horizon
        start = self.cat.policy_start
        figs, sources = [], {}
        colour = self._colour()
        for var in futures.variables:
            units = variable_units(var)
            p = figure(
                title=var,
                height=290,
                sizing_mode="stretch_width",
                x_range=(t0, t1),
                tools="pan,wheel_zoom,box_zoom,reset,save",
                toolbar_location="right",
                name=f"figure:{var}",
            )
            p.yaxis.axis_label = units or ""
            p.xaxis.axis_label = "year"
            p.add_layout(
                BoxAnnotation(
                    left=t0, right=start, fill_color="#888888", fill_alpha=0.10, level="underlay"
                )
            )
            empty = {"x": [], **{f"q{q}": [] for q in fut.QUANTILES}}
            fan_src = ColumnDataSource(empty, name=f"fan:{var}")
            mid_src = ColumnDataSource({"x": [], "y": []}, name=f"central:{var}")
            base_src = ColumnDataSource({"x": [], "y": []}, name=f"baseline:{var}")
            outer = p.varea("x", "q5", "q95", source=fan_src, fill_color=colour, fill_alpha=0.18)
            inner = p.varea("x", "q25", "q75", source=fan_src, fill_color=colour, fill_alpha=0.38)
            mid = p.line("x", "y", source=mid_src, line_color=colour, line_width=2.2)
            p.line("x", "y", source=base_src, line_color=BASELINE_COLOUR, line_width=2.8)
            p.toolbar.logo = None
            p.title.text_font_size = "12pt"
            figs.append(p)
            sources[var] = {
                "fan": fan_src,
                "central": mid_src,
                "baseline": base_src,
                "glyphs": [outer, inner, mid],
            }
        return figs, sources

    def _loop_figure(self):
        from regionsoft_sd.model.loops import named_loops

        try:
            loops = named_loops()
        except Exception:  # noqa: BLE001 - no loop file: the tab says so when used
            loops = []
        ids = [lp.id for lp in loops] + ["other"]
        p = figure(
            title="Share of the total loop score held by each named loop",
            height=300,
            sizing_mode="stretch_width",
            x_range=self.cat.horizon,
            y_range=(0, 1),
            tools="save",
            name="figure:loops",
        )
        p.yaxis.axis_label = "share of loop score"
        p.xaxis.axis_label = "year"
        src = ColumnDataSource({"x": [], **{i: [] for i in ids}}, name="loops")
        more = ("#F0E442", "#555555", "#999933", "#882255", "#44AA99")  # after the palette
        colours = [*PALETTE, *more][: len(ids) - 1] + ["#DDDDDD"]  # 'other' light grey
        renderers = p.varea_stack(ids, x="x", source=src, color=colours)
        names = {lp.id: f"{lp.id} {lp.name}" for lp in loops} | {"other": "other loops"}
        legend = Legend(
            items=[
                LegendItem(label=names[i], renderers=[r])
                for i, r in zip(ids, renderers, strict=True)
            ],
            label_text_font_size="9pt",
        )
        p.add_layout(legend, "right")
        return p, src

    def view(self) -> pn.viewable.Viewable:
        """The whole page."""
        sidebar = pn.Column(
            pn.pane.Markdown(f"## {TITLE}\nMove a lever: every future reruns."),
            self.region_select,
            self.strategy_select,
            self.name_input,
            pn.pane.Markdown("### Policy levers (from the first projection year)"),
            *self.cards,
            self.reset_button,
            pn.pane.Markdown("### Save and load"),
            self.download,
            pn.pane.Markdown("Load scenario files (your own, or those an optimise run wrote):"),
            self.upload,
            width=SIDEBAR_WIDTH,
            scroll=True,
            height=None,
        )
        main = pn.Column(self.alert, self.notes, self.tabs, sizing_mode="stretch_width")
        return pn.Row(sidebar, main, sizing_mode="stretch_width")

    # -- the one path from settings to picture ---------------------------

    def refresh(self) -> None:
        """Run the settings in every future and redraw (on every change)."""
        s = state.scenario(self.settings, self.region)
        pic = fut.picture(s, self.config.futures, decided=list(self.settings.levers))
        base = self._baseline()
        self.picture = pic
        colour = self._colour()
        x = pic.times
        for var, src in self.sources.items():
            b = pic.bands[var]
            src["fan"].data = {"x": x, **{f"q{q}": b[i] for i, q in enumerate(fut.QUANTILES)}}
            src["central"].data = {"x": x, "y": pic.central[var]}
            src["baseline"].data = {"x": x, "y": base.central[var]}
            for g in src["glyphs"]:
                if hasattr(g.glyph, "fill_color"):
                    g.glyph.fill_color = colour
                else:
                    g.glyph.line_color = colour
        self._update_status(pic, base)
        self.legend.object = _legend_html(
            colour, self.config.futures.n, self.cat.policy_start, self.config.futures.source
        )
        self._update_table()
        self.loop_note.object = (
            "The strip shows the settings as they were when it was analysed; press the button "
            "again after a change."
            if len(self.loop_source.data["x"])
            else ""
        )
        self._clear_error()

    def _baseline(self) -> fut.Picture:
        region = self.region

        def make() -> fut.Picture:
            s = state.scenario(state.default_settings(region, BASELINE), region)
            return fut.picture(s, self.config.futures, decided=[e.name for e in self.cat.levers()])

        return self.config.cached(("baseline", region.name), make)

    def _strategy_metrics(self, key: str, sf: state.StrategyFile) -> dict[str, float] | None:
        region = self.region

        def make() -> dict[str, float] | None:
            try:
                settings, _ = state.apply_strategy(sf.scenario, region, key)
                return fut.picture(state.scenario(settings, region), None).metrics
            except InputError:
                return None  # a strategy that does not fit the region is left out of the table

        if sf.origin == "loaded":
            return make()
        return self.config.cached(("metrics", region.name, key), make)

    def _update_status(self, pic: fut.Picture, base: fut.Picture) -> None:
        by = self.rank_select.value
        better = next(m.better for m in METRICS if m.name == by)
        a, b = pic.fan_metrics[by], base.fan_metrics[by]
        wins = (a > b) if better == "higher" else (a < b)
        ties = np.isclose(a, b, rtol=1e-12, atol=0)
        n = self.config.futures.n
        f = self.config.futures
        text = (
            f"<b>{html.escape(self.settings.name)}</b> in {html.escape(self.region.label)}: "
            f"{n:,} futures of {len(f.parameters)} uncertain parameters "
            f"({html.escape(f.spec_name)}, seed {f.seed}) and the central run, computed in "
            f"<b>{pic.seconds * 1e3:,.0f} ms</b>."
        )
        if ties.all():
            text += f" Same {metric_title(by).lower()} as the baseline in every future."
        else:
            text += (
                f" Beats the baseline on {metric_title(by).lower()} in "
                f"<b>{wins.mean():.0%}</b> of the futures."
            )
        if pic.failed:
            text += f" {pic.failed} future(s) gave non-finite values and are left out of the bands."
        self.status.object = text

    def _update_table(self) -> None:
        import pandas as pd

        if self.picture is None:
            return
        rows: dict[str, dict[str, float]] = {}
        for key, sf in {**self.config.strategies, **self.loaded}.items():
            m = self._strategy_metrics(key, sf)
            if m is not None:
                rows[key] = m
        current = f"{self.settings.name} (these settings)"
        rows[current] = self.picture.metrics
        metrics = pd.DataFrame.from_dict(rows, orient="index")
        by = self.rank_select.value
        ranking = rank(metrics, by)
        colours = scenario_colours([*ranking.index], baseline=BASELINE)
        units = self._metric_units()
        shown = [m.name for m in METRICS]
        head = "".join(
            f"<th>{html.escape(metric_title(m))}<br><small>{html.escape(units[m])}</small></th>"
            for m in shown
        )
        body = []
        for name, row in ranking.iterrows():
            style = ' style="font-weight:bold;background:#fff6d6"' if name == current else ""
            swatch = (
                f'<span style="display:inline-block;width:12px;height:12px;'
                f'background:{colours[name]};margin-right:6px"></span>'
            )
            cells = "".join(
                f"<td style='text-align:right'>{format_value(m, metrics.at[name, m])}</td>"
                for m in shown
            )
            body.append(
                f"<tr{style}><td>{int(row['position'])}</td><td>{swatch}{html.escape(name)}</td>{cells}</tr>"
            )
        self.table.object = (
            "<p>Every strategy's policy applied to the region, central run (the model's own "
            f"parameter values), ranked by <b>{html.escape(metric_title(by))}</b>; ties "
            "broken by the mean rank over all ranked metrics.</p>"
            '<table class="metrics" style="border-collapse:collapse;font-size:0.9em">'
            f"<thead><tr><th>rank</th><th>strategy</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def _metric_units(self) -> dict[str, str]:
        from regionsoft_sd.model.metrics import metric_units

        raw = metric_units(self.cat.units())
        return {m.name: metric_readable_units(m.name, raw) for m in METRICS}

    def _colour(self) -> str:
        name = self.settings.name
        return scenario_colours([BASELINE, name], baseline=BASELINE)[name]

    # -- callbacks -------------------------------------------------------

    def _guarded(self, fn: Callable, fallback: Any = None) -> Callable:
        """`fn`, with bad input shown in the page and no error reaching the server."""

        def run(*args, **kwargs):
            if self._syncing:
                return fallback
            try:
                return fn(*args, **kwargs)
            except InputError as exc:
                self._error(str(exc))
            except Exception as exc:  # noqa: BLE001 - the page must survive anything
                traceback.print_exc(file=sys.stderr)
                self._error(
                    f"internal error: {type(exc).__name__}: {exc}. The page still works; "
                    "the server's terminal shows the details."
                )
            return fallback

        return run

    def _error(self, text: str) -> None:
        self.last_error = text
        self.alert.object = _text_html(text)
        self.alert.visible = True

    def _clear_error(self) -> None:
        self.last_error = ""
        self.alert.object = ""
        self.alert.visible = False

    def _note(self, text: str) -> None:
        self.notes.object = _text_html(text)
        self.notes.visible = bool(text)

    def _set(self, settings: state.Settings, *, rename: bool = False) -> None:
        """Take new settings: sync the widgets, redraw. On bad input keep the old ones."""
        old = self.settings
        if rename and settings.name in {**self.config.strategies, **self.loaded}:
            settings = replace(settings, name=f"{settings.name}_edited"[:100])
        self.settings = settings
        try:
            self.refresh()
        except Exception:
            self.settings = old
            self._sync_widgets()
            raise
        self._sync_widgets()

    def _sync_widgets(self) -> None:
        self._syncing = True
        try:
            for name, w in self.sliders.items():
                _show(w, self.settings.levers[name])
            for group, (start, ramp) in self.timing_sliders.items():
                s, r = self.settings.timing[group]
                _show(start, s)
                _show(ramp, r)
            self.name_input.value = self.settings.name
            self.region_select.value = self.settings.region
            self.download.filename = f"{self.settings.name}.toml"
        finally:
            self._syncing = False

    def _on_lever(self, lever: str, event) -> None:
        if event.new is None:
            return
        value = _number(event.new, lever)
        self._set(self.settings.with_lever(lever, value), rename=True)

    def _on_timing(self, group: str, event, which: int) -> None:
        if event.new is None:
            return
        value = _number(event.new, group)
        s = self.settings
        new = s.with_timing(group, start=value) if which == 0 else s.with_timing(group, ramp=value)
        self._set(new, rename=True)

    def _on_name(self, event) -> None:
        self._set(replace(self.settings, name=str(event.new).strip()))

    def _on_region(self, event) -> None:
        region = self.config.regions.get(event.new)
        if region is None:  # only a client other than the page sends that
            self._sync_widgets()  # the picker shows the region in use again
            raise _not_offered("region", event.new)
        old = self.region
        self.region = region
        try:
            self._set(replace(state.default_settings(region, self.settings.name)))
        except Exception:
            self.region = old
            raise
        self._note(f"Region: {region.label}. Levers are back at its status quo.")

    def _on_strategy(self, event) -> None:
        key = event.new
        if not key:
            return
        sf = {**self.config.strategies, **self.loaded}.get(key)
        if sf is None:
            raise _not_offered("strategy", key)
        settings, notes = state.apply_strategy(sf.scenario, self.region, key)
        self._set(settings)
        self._note("\n".join(notes))

    def _on_reset(self, _event=None) -> None:
        self._set(state.default_settings(self.region, self.settings.name))
        self._note("")

    def _download(self) -> io.BytesIO:
        text = state.settings_text(self.settings, self.region)
        self._clear_error()
        return io.BytesIO(text.encode("utf-8"))

    def _on_upload(self, event) -> None:
        values, names = self.upload.value, self.upload.filename
        if values is None:
            return
        if not isinstance(values, list):
            values, names = [values], [names]
        if not isinstance(names, list) or len(names) != len(values):
            raise InputError(
                None, "upload", "the file names do not match the files", "load the files again"
            )
        self._on_upload_files(list(zip(names, values, strict=True)))

    def _on_upload_files(self, files: list[tuple[str, bytes]]) -> None:
        """Check each uploaded file; offer the good ones as strategies, apply the last one."""
        errors, notes, last = [], [], None
        for filename, data in files:
            try:
                sf = self._read_upload(filename or "uploaded.toml", data)
            except InputError as exc:
                errors.append(str(exc))
                continue
            self.loaded[sf.name] = sf
            last = sf
        self._syncing = True
        try:
            self.strategy_select.options = self._strategy_options()
        finally:
            self._syncing = False
        if last is not None:
            settings, notes = state.from_scenario(last.scenario, self.config.regions)
            old = self.region
            self.region = self.config.regions[settings.region]
            try:
                self._set(settings)
            except Exception:
                self.region = old
                raise
            notes = [f"Loaded {last.name}.", *notes]
        self._note("\n".join(notes))
        if errors:
            self._error(" | ".join(errors))

    def _read_upload(self, filename: str, data: bytes) -> state.StrategyFile:
        """Check an uploaded file as a scenario (the messages name the file, not a temp path).

        The browser's file name is only a label: it is checked (`upload_name`) and
        never used as a path; the bytes are read from a fixed name in a private
        temporary folder.
        """
        name = upload_name(filename)
        if not isinstance(data, bytes | bytearray):
            raise InputError(name, None, "no file content arrived", "load the file again")
        if len(data) > MAX_UPLOAD:
            raise InputError(
                name,
                None,
                f"{len(data):,} bytes is too large for a scenario file",
                "check the file",
            )
        with tempfile.TemporaryDirectory(prefix="regionsoft-explore-") as tmp:
            path = Path(tmp) / "uploaded.toml"
            path.write_bytes(data)
            try:
                s = state.Scenario.from_file(path)
                state.from_scenario(s, self.config.regions)  # refuses series levers
            except InputError as exc:
                problem = exc.problem.replace(str(path), name).replace(f"{tmp}/", "")
                raise InputError(name, exc.key, problem, exc.fix) from None
        s = replace(s, source=None)
        return state.StrategyFile(s.name, s, "loaded")

    def _on_loops(self, _event=None) -> None:
        from regionsoft_sd.model.loops import loop_dominance

        if not _simlin_installed():
            self.loop_note.object = SIMLIN_MISSING.format(what="The loop analysis")
            return
        s = state.scenario(self.settings, self.region)
        self.loop_note.object = "Analysing the loops..."
        shares = loop_dominance(s)
        data = {"x": shares.index.to_numpy(float)}
        for c in self.loop_source.data:
            if c != "x":
                data[c] = shares[c].to_numpy(float) if c in shares else np.zeros(len(shares))
        self.loop_source.data = data
        complete = shares.attrs.get("enumeration_complete", True)
        self.loop_note.object = (
            "Loop dominance (Loops That Matter, computed by Simlin) for "
            f"<b>{html.escape(self.settings.name)}</b>, central run: "
            "each named loop's share of the total absolute loop score per year."
            + ("" if complete else " The loop enumeration was cut short: shares are approximate.")
        )

    def _on_tab(self, event) -> None:
        if event.new != 3 or self.diagram.object is not None:
            return
        if not _simlin_installed():
            self.diagram_note.object = SIMLIN_MISSING.format(what="The diagram")
            return
        self.diagram.object = self.config.cached("diagram", _diagram_png)
        self.diagram_note.object = (
            "The model's stock-and-flow diagram (drawn by Simlin from the Vensim file) with its "
            "named feedback loops: R reinforcing, B balancing."
        )


SIMLIN_MISSING = (
    "{what} needs Simlin, which is not installed here: "
    "<code>pip install 'regionsoft-sd[explore]'</code>, then restart "
    "<code>regionsoft explore</code>."
)


def _text_alert(kind: str) -> pn.pane.HTML:
    """A message box (Panel's alert style) that shows its text as text (`_text_html`)."""
    return pn.pane.HTML(
        "",
        css_classes=["alert", f"alert-{kind}"],
        stylesheets=list(pn.pane.Alert._stylesheets),
        visible=False,
        sizing_mode="stretch_width",
    )


def _text_html(text: str) -> str:
    """`text` as HTML that shows exactly that text: escaped, one line per line."""
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def _number(value: object, what: str) -> float:
    """A slider's value as a finite float (another client may send anything)."""
    import math

    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        shown = repr(str(value)[:40])
        raise InputError(None, what, f"{shown} is not a number", "move the slider")
    return number


def _not_offered(what: str, value: object) -> InputError:
    """The error for a picker value that is not one of its choices."""
    from regionsoft_sd.common.errors import printable, shorten

    shown = repr(shorten(printable(str(value)), 60))
    return InputError(None, what, f"{shown} is not one of the choices", "pick one from the list")


MAX_NAME_BYTES = 255
"""Longest file name most file systems allow (bytes of UTF-8)."""


def upload_name(filename: object) -> str:
    """The name of an uploaded file, as the page shows it; InputError if it cannot be one.

    A browser sends only the file's own name. A name that is empty, `.` or `..`, holds
    a path separator, a NUL or another control character, or is longer than
    MAX_NAME_BYTES bytes did not come from a file picker: it is refused with a
    message that shows it escaped and cut short.
    """
    from regionsoft_sd.common.errors import printable, shorten

    text = "" if filename is None else str(filename)
    if text == "":
        return "uploaded.toml"
    shown = repr(shorten(printable(text), 60))
    problem = None
    if text in (".", ".."):
        problem = "is not a file name"
    elif any(c in text for c in "/\\"):
        problem = "holds a path separator; a file name cannot"
    elif any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        problem = "holds a control character; a file name cannot"
    elif any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        problem = "is not valid text"
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        problem = f"is longer than {MAX_NAME_BYTES} bytes, too long for a file name"
    if problem is not None:
        raise InputError(None, "upload", f"{shown} {problem}", "rename the file and load it again")
    return text


def _simlin_installed() -> bool:
    """Whether pysimlin (the diagram and the loop analysis) can be imported."""
    import importlib.util

    return importlib.util.find_spec("simlin") is not None


def _show(widget: pn.widgets.FloatSlider, value: float) -> None:
    """Put a value on a slider, the throttled value too: otherwise, after a refused change,
    moving the slider back to the refused value would not count as a change."""
    import param

    value = float(value)
    if widget.value != value or widget.value_throttled != value:
        with param.edit_constant(widget):
            widget.param.update(value=value, value_throttled=value)


def _legend_html(colour: str, n: int, start: float, source: str = "declared") -> str:
    """The key of the fan charts (one for all four, above them).

    What it says of history is what the futures are: no setting changes history
    (policies start in the projection), but the futures differ there too: with
    `source` "history" they agree with the observed 2005-2022 series, and what
    has no observed series (soft power) still varies; with "declared" they are
    not fitted to the data at all.
    """
    if source == "history":
        past = (
            f"history (to {start - 1:g}): no setting changes it; the futures follow "
            "Sichuan's 2005-2022 data (GDP, capital, people, schooling, budget), "
            "while soft power, which has no data, still varies"
        )
    else:
        past = (
            f"history (to {start - 1:g}): no setting changes it; the futures span the "
            "declared ranges and are not fitted to the data, so they differ there too"
        )

    def box(fill: str, alpha: float) -> str:
        return (
            f'<span style="display:inline-block;width:22px;height:12px;background:{fill};'
            f'opacity:{alpha};margin:0 5px 0 14px;vertical-align:middle"></span>'
        )

    def line(stroke: str, width: int) -> str:
        return (
            f'<span style="display:inline-block;width:24px;height:{width}px;background:{stroke};'
            'margin:0 5px 0 14px;vertical-align:middle"></span>'
        )

    return (
        '<div style="font-size:0.9em">'
        f"{line(BASELINE_COLOUR, 4)}baseline (reference, central run)"
        f"{line(colour, 3)}these settings (central run)"
        f"{box(colour, 0.6)}25-75 % of the {n:,} futures"
        f"{box(colour, 0.25)}5-95 %"
        f"{box('#888888', 0.25)}{past}"
        "</div>"
    )


def _diagram_png() -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from regionsoft_sd.model.loops import loop_panels

    fig = loop_panels()  # one view per panel: names readable at full size
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def _step(width: float) -> float:
    """A round slider step: about a thousandth of the range (1, 2 or 5 times a power of 10)."""
    raw = width / 1000.0
    power = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)  # pragma: no cover


def _format(step: float) -> str:
    decimals = max(0, int(-np.floor(np.log10(step))))
    return "0." + "0" * decimals if decimals else "0"


def make_page(config: Config) -> pn.viewable.Viewable:
    """A fresh page (one per browser tab)."""
    return ExplorerApp(config).view()
