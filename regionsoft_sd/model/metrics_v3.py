"""Outcome metrics of the 31-province model (version 3), with one table that defines them.

A region's outcomes and the nation's, so that a positional gain (the region gains
what the others lose) shows up as a regional gain with about no national gain.
Welfare is household consumption per person, reported apart from government
consumption, as totals and per person, and as present values at 0, 1.5 and
3 %/yr to 2075 and to 2100: the conclusions in the docs say how far they survive
these choices.

`compute_v3_metrics(times, series, region)` takes each variable as an array (T,)
or (T, N) keyed by its element name (`GDP[sichuan]`, `National GDP`), as the
batch engine records them. Runs go to 2100 (the model's FINAL TIME is 2075 and
"2100 extends the projection"); values "in 2075" are read at 2075.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PROJECTION_START = 2024.0
"""First policy year (the budget split's earliest start): present values start here."""
END_YEAR = 2075.0
"""Year of the end-of-horizon values (the model's FINAL TIME)."""
HORIZONS = (2075.0, 2100.0)
"""Horizons of the present values; runs extend to the last."""
RATES = (0.0, 0.015, 0.03)
"""Real discount rates of the present values, per year (annual compounding)."""


@dataclass(frozen=True)
class V3Metric:
    """One metric: column name, meaning, direction, and the variable it reads.

    `variable` is a model name; `scope` "region" reads `variable[region]`,
    "nation" reads `variable` itself. `rate`/`horizon` mark a present value.
    """

    name: str
    description: str
    better: str | None
    variable: str
    scope: str
    units: str
    label: str
    rate: float | None = None
    horizon: float | None = None

    def element(self, region: str) -> str:
        """The recorded element this metric reads for `region`."""
        return f"{self.variable}[{region}]" if self.scope == "region" else self.variable


def _rate_tag(rate: float) -> str:
    return f"{rate * 100:g}".replace(".", "p")


def _pv_metrics() -> list[V3Metric]:
    out = []
    for scope, var, who in (
        ("region", "Household consumption per person", "the region's"),
        ("nation", "National household consumption per person", "the nation's"),
    ):
        for h in HORIZONS:
            for r in RATES:
                prefix = "pv_hh_pp" if scope == "region" else "national_pv_hh_pp"
                out.append(
                    V3Metric(
                        f"{prefix}_{_rate_tag(r)}_{h:.0f}",
                        f"Present value of {who} household consumption per person, "
                        f"{PROJECTION_START:.0f}-{h:.0f}: the sum over the years of "
                        f"c(t) / (1 + {r:g})^(t - {PROJECTION_START:.0f}) (at 0 %, the "
                        "plain sum).",
                        "higher",
                        var,
                        scope,
                        "thousand yuan of 2005 per person (summed over years)",
                        f"{'' if scope == 'region' else 'national '}PV c/person "
                        f"{r * 100:g}% {h:.0f}",
                        r,
                        h,
                    )
                )
    for h in HORIZONS:
        out.append(
            V3Metric(
                f"pv_hh_total_1p5_{h:.0f}",
                "Present value of the region's total household consumption, "
                f"{PROJECTION_START:.0f}-{h:.0f}, at 1.5 %/yr: welfare counting every "
                "resident, newcomers included (compare the per-person figure).",
                "higher",
                "Household consumption",
                "region",
                "billion yuan of 2005",
                f"PV total c 1.5% {h:.0f}",
                0.015,
                h,
            )
        )
    return out


V3_METRICS: tuple[V3Metric, ...] = (
    V3Metric(
        "relative_soft_power",
        "The region's dominant soft power relative to the population-weighted national "
        "mean, in 2075: its position among the provinces (1 = the mean).",
        "higher",
        "Relative soft power",
        "region",
        "Dmnl",
        "rel. soft power",
    ),
    V3Metric(
        "dominant_soft_power",
        "The region's dominant soft power in 2075 (potential x awareness x credibility): "
        "the absolute level, which rises when every province invests.",
        "higher",
        "Dominant Soft Power",
        "region",
        "Dmnl",
        "soft power",
    ),
    V3Metric("gdp", "The region's GDP in 2075.", "higher", "GDP", "region", "Byuan/Year", "GDP"),
    V3Metric(
        "hh_consumption_pp",
        "The region's household consumption per person in 2075 (government consumption "
        "is reported apart).",
        "higher",
        "Household consumption per person",
        "region",
        "thousand yuan of 2005 per person and year",
        "household c/person",
    ),
    V3Metric(
        "gov_consumption_pp",
        "The region's other government consumption per person in 2075 (administration, "
        "security, social protection): the budget the strategies take their money from.",
        "higher",
        "Government consumption per person",
        "region",
        "thousand yuan of 2005 per person and year",
        "gov c/person",
    ),
    V3Metric(
        "hh_consumption",
        "The region's total household consumption in 2075.",
        "higher",
        "Household consumption",
        "region",
        "Byuan/Year",
        "household c",
    ),
    V3Metric(
        "gov_consumption",
        "The region's total other government consumption in 2075.",
        "higher",
        "Government consumption",
        "region",
        "Byuan/Year",
        "gov c",
    ),
    V3Metric(
        "population",
        "The region's population in 2075 (people move towards consumption and soft power).",
        None,
        "Population",
        "region",
        "Mperson",
        "population",
    ),
    *_pv_metrics(),
    V3Metric(
        "national_gdp",
        "National GDP in 2075: a strategy that only moves activity between provinces "
        "leaves it about unchanged.",
        "higher",
        "National GDP",
        "nation",
        "Byuan/Year",
        "national GDP",
    ),
    V3Metric(
        "national_hh_consumption_pp",
        "National household consumption per person in 2075.",
        "higher",
        "National household consumption per person",
        "nation",
        "thousand yuan of 2005 per person and year",
        "national c/person",
    ),
    V3Metric(
        "national_hh_consumption",
        "National total household consumption in 2075.",
        "higher",
        "National household consumption",
        "nation",
        "Byuan/Year",
        "national c",
    ),
    V3Metric(
        "national_gov_consumption",
        "National total other government consumption in 2075.",
        "higher",
        "National government consumption",
        "nation",
        "Byuan/Year",
        "national gov c",
    ),
)
V3_METRIC_NAMES = tuple(m.name for m in V3_METRICS)
V3_BY_NAME = {m.name: m for m in V3_METRICS}
V3_RANK_BY = "relative_soft_power"
"""Default ranking criterion: the region's soft power relative to the national mean."""


def v3_variables(region: str) -> list[str]:
    """The recorded elements every metric together reads for `region`."""
    return list(dict.fromkeys(m.element(region) for m in V3_METRICS))


def present_value(
    times: np.ndarray, flow: np.ndarray, rate: float, start: float, stop: float
) -> np.ndarray:
    """Sum of flow(t) / (1 + rate)^(t - start) over the saved years start <= t <= stop.

    Annual saved points (SAVEPER = 1) make this the usual discounted sum; at rate 0
    it is the plain sum of the yearly values.
    """
    t = np.asarray(times, dtype=float)
    f = np.asarray(flow, dtype=float)
    keep = (t >= start - 1e-9) & (t <= stop + 1e-9)
    w = (1.0 + rate) ** -(t[keep] - start)
    return np.tensordot(w, f[keep], axes=(0, 0))


def compute_v3_metrics(
    times: np.ndarray, series: Mapping[str, np.ndarray], region: str
) -> dict[str, np.ndarray]:
    """Every metric of V3_METRICS for `region`, for one run (arrays (T,)) or N runs (T, N).

    End values are read at END_YEAR (KeyError-free: a run that stops earlier gives
    its last value); present values need the run to reach their horizon, else NaN.
    """
    t = np.asarray(times, dtype=float)
    i_end = int(np.argmin(np.abs(t - END_YEAR)))
    out = {}
    for m in V3_METRICS:
        x = np.asarray(series[m.element(region)], dtype=float)
        if m.rate is None:
            out[m.name] = x[i_end]
        elif m.horizon is not None and t[-1] + 1e-9 >= m.horizon:
            out[m.name] = present_value(t, x, m.rate, PROJECTION_START, m.horizon)
        else:
            out[m.name] = np.full(x.shape[1:], np.nan)
    return out
