"""Posterior sampling with emcee (optional extra `mcmc`): the walkers run as batches.

The likelihood is the fit's: Gaussian residuals with the spec's error scales
rescaled by the fit's s² (so the posterior agrees with the Jacobian covariance
where the quadratic approximation holds), and a uniform prior over the bounds.
emcee's stretch move updates the ensemble in two halves (each half moves against
the other, which keeps the chain's balance), so each step is two batches of
walkers / 2 runs through the shared runner (`vectorize=True`).

The walkers start in a small ball around the estimate (a tenth of the Jacobian
standard errors); `burn` steps are dropped.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import numpy as np

from regionsoft_sd.calibrate.fit import Fit
from regionsoft_sd.calibrate.spec import Mcmc
from regionsoft_sd.calibrate.uncertainty import Uncertainty

LONG_ENOUGH = 50
"""emcee's rule of thumb: keep at least this many autocorrelation times."""
BALL = 0.1
"""The walkers start within this many Jacobian standard errors of the estimate ..."""
MIN_SPREAD, MAX_SPREAD = 1e-4, 0.05
"""... but at least and at most this far in unit coordinates."""


@dataclass
class Posterior:
    """The kept samples (model units), the acceptance fraction and the autocorrelation times."""

    samples: np.ndarray
    acceptance: float
    tau: np.ndarray
    steps: int
    burn: int
    walkers: int

    def quantiles(self, qs: tuple[float, ...]) -> np.ndarray:
        return np.quantile(self.samples, qs, axis=0)

    def notes(self) -> list[str]:
        """Warnings about the chain: too short for its autocorrelation, or walkers stuck."""
        kept = self.steps - self.burn
        out = []
        if not np.isfinite(self.tau).all():
            out.append(
                "posterior: some walkers never moved in some parameters (no autocorrelation "
                "time): run more steps"
            )
        elif kept < LONG_ENOUGH * float(np.max(self.tau)):
            out.append(
                f"posterior: {kept} kept steps are fewer than {LONG_ENOUGH} autocorrelation "
                f"times ({float(np.max(self.tau)):.0f} steps): run a longer chain"
            )
        return out


def sample_posterior(
    fit: Fit, unc: Uncertainty, settings: Mcmc, *, progress: bool = True
) -> Posterior:
    """Run emcee's ensemble sampler from the estimate; all walkers of a half-step in one batch."""
    import emcee

    prob = fit.problem
    p = prob.n_params
    s2 = unc.s2

    def log_prob(U: np.ndarray) -> np.ndarray:
        U = np.atleast_2d(U)
        out = np.full(len(U), -np.inf)
        inside = ((U >= 0) & (U <= 1)).all(axis=1)
        if inside.any():
            r = prob.residuals_u(U[inside])
            lp = -0.5 * np.sum(r * r, axis=1) / s2
            out[inside] = np.where(np.isfinite(lp), lp, -np.inf)
        return out

    rng = np.random.default_rng(settings.seed)
    spread = np.clip(BALL * unc.se / (prob.high - prob.low), MIN_SPREAD, MAX_SPREAD)
    start = np.clip(fit.u + spread * rng.standard_normal((settings.walkers, p)), 0.0, 1.0)
    sampler = emcee.EnsembleSampler(settings.walkers, p, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()  # reproducible moves
    sampler.run_mcmc(start, settings.steps, progress=progress and sys.stderr.isatty())
    chain = sampler.get_chain(discard=settings.burn, flat=True)
    quiet = logging.getLogger("emcee")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # a short chain is reported in the notes, not logged
    try:
        with np.errstate(all="ignore"):
            tau = sampler.get_autocorr_time(discard=settings.burn, quiet=True)
    finally:
        quiet.setLevel(level)
    return Posterior(
        prob.to_x(chain),
        float(np.mean(sampler.acceptance_fraction)),
        np.asarray(tau, dtype=float) * np.ones(p),
        settings.steps,
        settings.burn,
        settings.walkers,
    )
