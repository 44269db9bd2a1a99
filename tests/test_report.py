"""Text, Markdown and HTML renderings of a comparison, and the files `compare` leaves."""

from __future__ import annotations

import base64
import html
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionsoft_sd.model.metrics import METRIC_NAMES
from regionsoft_sd.reports.report import comparison_markdown, format_value, metrics_table
from regionsoft_sd.simulate import Comparison, rank


def fake() -> Comparison:
    metrics = pd.DataFrame(
        np.arange(2 * len(METRIC_NAMES), dtype=float).reshape(2, -1) + 1,
        index=pd.Index(["a", "b"], name="scenario"),
        columns=list(METRIC_NAMES),
    )
    metrics.loc["a", "threshold_year"] = math.nan
    return Comparison(metrics, rank(metrics), {}, {m: "U" for m in METRIC_NAMES})


def test_format_value():
    assert format_value("threshold_year", math.nan) == "never"
    assert format_value("threshold_year", 2064.37) == "2064.4"
    assert format_value("gdp_end", 16166.98) == "16,167"
    assert format_value("dominant_soft_power_end", 0.60902) == "0.609"


def test_markdown_table_is_well_formed_and_in_ranking_order():
    md = comparison_markdown(fake(), {"a": "first", "b": "second"})
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len({line.count("|") for line in table}) == 1  # every row has the same columns
    rows = [line for line in table if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert "b" in rows[0] and "never" in rows[1]  # b is better on dominant soft power
    assert "- **a**: first" in md


def test_terminal_table_has_units_row():
    lines = metrics_table(fake()).splitlines()
    assert "[U]" in lines[1] and set(lines[2]) <= {"-", " "}


def test_params_calibration_lists_only_constants():
    from regionsoft_sd.model.catalogue import catalogue
    from regionsoft_sd.reports.report import params_text

    cat = catalogue()
    computed = [e for e in cat if e.name.startswith("Initial ") and e.kind != "constant"]
    assert computed  # e.g. Initial productive capital, computed from other constants
    blocks = params_text(list(cat)).split("\n\n")
    calibration = next(b for b in blocks if b.startswith("Calibration"))
    listed = [ln.split("  ")[0] for ln in calibration.splitlines()[2:] if not ln.startswith(" ")]
    assert listed and all(cat[n].kind == "constant" for n in listed)
    assert not {e.name for e in computed} & set(listed)


def test_markdown_and_metrics_frame_state_the_rate_and_threshold_used():
    from regionsoft_sd.reports.report import metrics_frame

    c = fake()
    c.discount_rate, c.threshold = 0.05, 3.0
    md = comparison_markdown(c, {"a": "first", "b": "second"})
    assert "5 %/yr" in md and "3 %/yr" not in md
    assert "reaches 3 times the rest of China's" in md and "reaches par" not in md
    assert "year SP rel>=3" in metrics_table(c)
    frame = metrics_frame(
        dict.fromkeys(METRIC_NAMES, 1.0), c.units, discount_rate=0.035, threshold=1.5
    )
    assert "3.5 %/yr" in frame.at["npv_consumption", "description"]
    assert "1.5 times the rest of China's" in frame.at["threshold_year", "description"]


def test_default_markdown_states_the_defaults():
    md = comparison_markdown(fake(), {"a": "first", "b": "second"})
    assert "3 %/yr" in md and "reaches par with the rest of China" in md


# --- the HTML report --------------------------------------------------------


class _Page(HTMLParser):
    """Collects what a browser would fetch: image sources, links, scripts, style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.fetches: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.fetches.append(tag)
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith("data:"):
                self.fetches.append(a[key])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def html_out(tmp_path_factory):
    from regionsoft_sd import cli

    out = tmp_path_factory.mktemp("html") / "out"
    code = cli.main(["compare", "baseline", "balanced", "austerity", "--out", str(out), "--html"])
    assert code == 0
    return out


def test_html_report_is_one_self_contained_file_with_the_figures_embedded(html_out):
    page = _Page()
    page.feed((html_out / "report.html").read_text(encoding="utf-8"))
    assert page.fetches == []  # nothing to download: no scripts, style sheets or links
    assert len(page.images) == 2
    for img in page.images:
        head, _, data = img["src"].partition(",")
        assert head == "data:image/png;base64"
        png = base64.b64decode(data, validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        assert img["alt"]  # described for readers who cannot see it
    # the embedded figures are the ones written beside it
    sizes = sorted(len(base64.b64decode(i["src"].partition(",")[2])) for i in page.images)
    assert all(s > 0.5 * (html_out / "stocks.png").stat().st_size for s in sizes)


def test_html_report_has_the_tables_and_the_metric_definitions(html_out):
    from regionsoft_sd.model.metrics import METRICS, describe

    text = " ".join(html.unescape(" ".join(_collect(html_out).text)).split())
    for m in METRICS:
        assert " ".join(describe(m.name).split()) in text
    metrics = pd.read_csv(html_out / "metrics.csv", index_col=0)
    for scenario, row in metrics.iterrows():
        assert scenario in text
        for metric, value in row.items():
            assert format_value(metric, value) in text
    assert "billion yuan" in text and "Dmnl" not in text and "Regional soft power" in text
    # the difference from the baseline, computed here from metrics.csv
    d = (
        metrics.at["balanced", "dominant_soft_power_end"]
        / metrics.at["baseline", "dominant_soft_power_end"]
        - 1
    ) * 100
    assert f"{d:+.1f} %" in text


def _collect(out):
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    return page


def _painted(page: Path, shot: Path, colour: str) -> int:
    """Pixels of `colour` (within a small distance) in a headless Chromium screenshot."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,4200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    target = [round(255 * c) for c in to_rgb(colour)]
    img = Image.open(shot).convert("RGB")
    return sum(
        1 for p in img.getdata() if sum(abs(a - b) for a, b in zip(p, target, strict=True)) < 60
    )


@pytest.mark.slow  # a headless browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_html_report_renders_its_figures_in_a_headless_browser(html_out, tmp_path):
    """The page opens in Chromium and the figures paint: the lines of 'balanced' show.

    Without the figures, that colour appears only in two small swatches.
    """
    from regionsoft_sd.model.style import scenario_colours

    colour = scenario_colours(["balanced"])["balanced"]
    page = html_out / "report.html"
    with_figures = _painted(page, tmp_path / "a.png", colour)
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'src="data:[^"]*"', 'src=""', page.read_text(encoding="utf-8")))
    without = _painted(bare, tmp_path / "b.png", colour)
    assert without < 1000 < with_figures, (without, with_figures)


def test_reused_out_folder_loses_the_files_a_new_compare_does_not_write(
    tmp_path, capsys, monkeypatch
):
    from regionsoft_sd import cli

    out = tmp_path / "out"
    assert cli.main(["compare", "baseline", "balanced", "--out", str(out), "--html"]) == 0
    assert (out / "trajectories.csv").is_file() and (out / "report.html").is_file()
    mine = out / "notes.txt"
    mine.write_text("the user's own file")
    assert cli.main(["compare", "baseline", "--out", str(out), "--format", "parquet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "trajectories.parquet" in names and "notes.txt" in names
    assert "trajectories.csv" not in names and "report.html" not in names


def test_a_stale_file_someone_changed_is_kept(tmp_path, capsys, monkeypatch):
    from regionsoft_sd import cli

    out = tmp_path / "out"
    assert cli.main(["compare", "baseline", "--out", str(out), "--html"]) == 0
    (out / "report.html").write_text("edited by hand")
    assert cli.main(["compare", "baseline", "--out", str(out)]) == 0
    assert (out / "report.html").read_text() == "edited by hand"
