"""The HTML report from its Jinja2 template: user overrides, autoescape, the summary.

The comparison here is made by hand, so every number the summary should state is
known without running the model: alpha ends 0.100 above the baseline's 0.500
(+20.0 %), spends 500 billion yuan more, and gives up 2.0 % of GDP.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.errors import InputError
from regionsoft_sd.model.metrics import METRIC_NAMES
from regionsoft_sd.reports.html_report import RIVALS, html_report, summary_sentences
from regionsoft_sd.simulate import Comparison, rank


def hand_made(description: str = "a plan") -> tuple[Comparison, dict[str, str]]:
    rows = {name: dict.fromkeys(METRIC_NAMES, 10.0) for name in ("baseline", "alpha", "beta")}
    rows["baseline"].update(
        dominant_soft_power_end=0.5, gdp_end=10_000.0, cumulative_spending=1_000.0
    )
    rows["alpha"].update(dominant_soft_power_end=0.6, gdp_end=9_800.0, cumulative_spending=1_500.0)
    rows["beta"].update(dominant_soft_power_end=0.55, gdp_end=10_300.0, cumulative_spending=1_200.0)
    for r in rows.values():
        r["threshold_year"] = math.nan
    metrics = pd.DataFrame.from_dict(rows, orient="index").rename_axis("scenario")
    units = {m: "Index" if m == "dominant_soft_power_end" else "Byuan" for m in METRIC_NAMES}
    comparison = Comparison(metrics, rank(metrics), {}, units)
    return comparison, {"baseline": "status quo", "alpha": description, "beta": "growth"}


def test_summary_names_the_best_strategy_its_gain_cost_and_trade_off():
    comparison, _ = hand_made()
    first, second, third = summary_sentences(comparison)
    assert "alpha does best on dominant soft power" in first
    assert "0.600" in first and "+0.100 (+20.0 %)" in first and "0.500 for the baseline" in first
    assert "1,500" in second and "500 more than the baseline" in second
    # GDP 9,800 against 10,000 is the only ranked metric alpha loses: 2.0 % worse, beta leads
    assert "GDP" in third and "9,800 against 10,000" in third and "2.0 % worse" in third
    assert "beta does best there" in third


def test_report_names_region_and_rivals_and_opens_with_the_summary():
    comparison, descriptions = hand_made()
    page = html_report(comparison, descriptions, figures={})
    assert "Sichuan" in page and RIVALS in page
    summary = page.index('class="summary"')
    assert summary < page.index("<h2>Outcomes</h2>")
    assert "alpha does best" in page[summary : page.index("<h2>Outcomes</h2>")]
    other = html_report(comparison, descriptions, figures={}, region="Henan", rivals="X & Y")
    assert "Henan" in other and "X &amp; Y" in other and "Sichuan" not in other


def test_short_headers_over_a_units_row():
    comparison, descriptions = hand_made()
    page = html_report(comparison, descriptions, figures={})
    header = page[page.index("<tr><th>rank</th>") : page.index('<tr class="units">')]
    assert ">soft power</th>" in header and ">GDP</th>" in header
    assert "billion yuan" not in header  # units live in their own row
    assert max(len(t) for t in header.split("</th>")[:-1] if ">" in t) < 120


def test_values_are_escaped():
    comparison, descriptions = hand_made('<script>alert("x")</script>')
    page = html_report(comparison, descriptions, figures={})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_user_template_replaces_the_shipped_one(tmp_path):
    comparison, descriptions = hand_made("<b>bold</b>")
    own = tmp_path / "mine.html.j2"
    own.write_text(
        "<h1>{{ region }}</h1><p>{{ rivals }}</p>{% for s in scenarios %}"
        "<i>{{ s.name }}: {{ s.description }}</i>{% endfor %}{{ summary[0] }}",
        encoding="utf-8",
    )
    page = html_report(comparison, descriptions, figures={}, template=own)
    assert page.startswith("<h1>Sichuan</h1>") and "Outcomes" not in page
    assert "<i>alpha: &lt;b&gt;bold&lt;/b&gt;</i>" in page  # autoescape in a user file too
    assert "alpha does best" in page


def test_a_user_template_may_extend_the_shipped_one(tmp_path):
    comparison, descriptions = hand_made()
    own = tmp_path / "restyled.j2"
    own.write_text(
        '{% extends "report.html.j2" %}{% block style %}body{color:navy}{% endblock %}',
        encoding="utf-8",
    )
    page = html_report(comparison, descriptions, figures={}, template=own)
    assert "body{color:navy}" in page and "max-width:1180px" not in page
    assert "<h2>Outcomes</h2>" in page
    # a copy named like the shipped file extends the shipped one by its prefixed name
    same = tmp_path / "report.html.j2"
    same.write_text(
        '{% extends "regionsoft/report.html.j2" %}{% block summary %}short{% endblock %}',
        encoding="utf-8",
    )
    page = html_report(comparison, descriptions, figures={}, template=same)
    assert "short" in page and "alpha does best" not in page and "<h2>Outcomes</h2>" in page
    # extending itself is an input error, not a crash
    same.write_text('{% extends "report.html.j2" %}', encoding="utf-8")
    with pytest.raises(InputError, match="itself"):
        html_report(comparison, descriptions, figures={}, template=same)


def test_a_broken_template_is_an_input_error_naming_file_and_line(tmp_path):
    comparison, descriptions = hand_made()
    own = tmp_path / "broken.j2"
    own.write_text("line one\n{% for s in scenarios %}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.j2.*line"):
        html_report(comparison, descriptions, figures={}, template=own)
    with pytest.raises(InputError, match="no such file"):
        html_report(comparison, descriptions, figures={}, template=tmp_path / "absent.j2")


def test_compare_html_template_on_the_command_line(tmp_path, capsys):
    own = tmp_path / "short.j2"
    own.write_text("<p>{{ region }}: {{ podium|join(', ') }}</p>", encoding="utf-8")
    out = tmp_path / "out"
    args = ["compare", "baseline", "--out", str(out), "--html", "--template", str(own)]
    assert cli.main(args) == 0
    assert (out / "report.html").read_text(encoding="utf-8") == "<p>Sichuan: baseline</p>"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--template", "mine.j2"], "add --html"),
        (["--html", "--template", "absent.j2"], "no such file"),
    ],
)
def test_template_mistakes_exit_2_with_one_line(tmp_path, capsys, monkeypatch, extra, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.j2").write_text("x", encoding="utf-8")
    assert cli.main(["compare", "baseline", "--out", "out", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert "--template" in err and words in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_small_ratios_keep_three_significant_digits():
    from regionsoft_sd.model.style import format_number, format_value

    # soft power gained per trillion yuan: 0.00314 and 0.00353 both read 0.003 at 3 decimals
    assert format_value("soft_power_per_money", 0.003136) == "0.00314"
    assert format_value("soft_power_per_money", 0.003526) == "0.00353"
    assert format_value("gdp_end", 16166.98) == "16,167"
    assert format_number(1250.5) == "1,250.5" and format_number(0.08) == "0.08"


def test_write_comparison_passes_region_and_rivals_to_the_page(tmp_path, monkeypatch):
    from regionsoft_sd.reports import report

    comparison, descriptions = hand_made()
    comparison.trajectories.update({n: pd.DataFrame() for n in comparison.metrics.index})
    monkeypatch.setattr(Comparison, "long_trajectories", lambda self: pd.DataFrame())
    seen = {}

    def fake_page(*args, **kwargs):
        seen.update(kwargs)
        return "page"

    monkeypatch.setattr("regionsoft_sd.reports.html_report.html_report", fake_page)
    monkeypatch.setattr(report, "write_table", lambda *a, **k: tmp_path / "t")
    monkeypatch.setattr(report, "save_figure", lambda fig, path: path)
    monkeypatch.setattr("regionsoft_sd.reports.plots.plot_outcomes", lambda *a, **k: None)
    monkeypatch.setattr("regionsoft_sd.reports.plots.plot_stocks", lambda *a, **k: None)
    report.write_comparison(
        comparison, tmp_path, descriptions, html=True, region="Henan", rivals="all copy"
    )
    assert seen["region"] == "Henan" and seen["rivals"] == "all copy"
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "page"
