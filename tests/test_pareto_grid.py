"""The shipped frontier spec's Pareto front against a brute-force grid of the same decisions.

The grid (shares in steps of 0.05 on the simplex, 1,771 splits, times 25 programme
sizes from 0 to 120: 44,275 candidates) is run on the batch engine through the same
`Problem` the search uses; its non-dominated set is the reference front. The search's
front must reach 97 % of the grid front's hypervolume (pymoo's HV indicator, objectives
rescaled by the grid's ideal and worst points, reference point (1, 1, 1)) and find each
objective's best value to within the decision tie tolerance. About 15 s.
"""

from itertools import product
from pathlib import Path

import numpy as np
import pytest

from regionsoft_sd.futures.evaluate import Evaluator
from regionsoft_sd.futures.ties import decision_tolerance
from regionsoft_sd.model.metrics import METRIC_NAMES
from regionsoft_sd.optimise.pipeline import optimise
from regionsoft_sd.optimise.problem import Problem
from regionsoft_sd.optimise.spec import load_spec

pytest.importorskip("pymoo")
ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "scenarios" / "optimise" / "frontier.toml"
STEPS, SIZES = 20, 25


def grid(high: float) -> np.ndarray:
    """Every split in steps of 1/STEPS times SIZES budgets in [0, high] (natural form)."""
    splits = [(a, b, c, STEPS - a - b - c) for a, b, c in product(range(STEPS + 1), repeat=3)]
    shares = np.array([s for s in splits if s[3] >= 0], dtype=float) / STEPS
    budgets = np.linspace(0.0, high, SIZES)
    return np.hstack([np.repeat(shares, SIZES, axis=0), np.tile(budgets, len(shares))[:, None]])


@pytest.fixture(scope="module")
def fronts(tmp_path_factory):
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    spec = load_spec(SPEC)
    low, high = spec.space.natural_bounds()
    assert list(low) == [0] * 5 and list(high[:4]) == [1] * 4  # the grid below assumes it
    X = grid(float(high[4]))
    assert len(X) == 44_275
    metrics = list(METRIC_NAMES)
    with Evaluator(metrics, spec.base, None, (), decided=spec.space.columns) as ev:
        problem = Problem(spec.space, spec.objectives, spec.constraints, metrics, ev.candidates)
        F_grid, _ = problem.natural(X)  # minimised: every objective is negated
    F_grid = F_grid[NonDominatedSorting().do(F_grid, only_non_dominated_front=True)]
    res = optimise(spec, tmp_path_factory.mktemp("front"), progress=False)
    F_found = -res.found.scores[[o.label for o in spec.objectives]].to_numpy(dtype=float)
    return F_grid, F_found, len(res.found.levers), spec.search.population


def test_front_reaches_97_percent_of_the_grid_hypervolume(fronts):
    from pymoo.indicators.hv import HV

    F_grid, F_found, _, _ = fronts
    ideal, worst = F_grid.min(axis=0), F_grid.max(axis=0)
    hv = HV(ref_point=np.ones(3))
    ratio = hv((F_found - ideal) / (worst - ideal)) / hv((F_grid - ideal) / (worst - ideal))
    assert ratio >= 0.97, f"{ratio:.3f} of the grid front's hypervolume"


def test_front_finds_each_objectives_extreme(fronts):
    F_grid, F_found, _, _ = fronts
    best_grid, best_found = F_grid.min(axis=0), F_found.min(axis=0)
    gap = best_found - best_grid  # > 0: the search missed the grid's best
    assert np.all(gap <= decision_tolerance(best_found, best_grid)), gap


def test_front_is_at_most_a_population_and_has_no_ties(fronts):
    _, F_found, n, population = fronts
    assert 10 <= n <= population
    for i in range(n):
        others = np.delete(F_found, i, axis=0)
        tied = np.all(np.abs(others - F_found[i]) <= decision_tolerance(others, F_found[i]), axis=1)
        assert not tied.any(), f"point {i} ties another on every objective"
