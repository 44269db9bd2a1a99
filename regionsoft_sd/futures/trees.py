"""Which uncertain inputs decide a failure: extra-trees feature scores and a CART tree.

Both use scikit-learn on the same inputs as PRIM (`x`, one column per uncertain
parameter) and the same cases (`y`, True where the strategy fails):

- `feature_scores`: an extra-trees classifier's impurity-based importances,
  normalised to sum to 1 (the EMA Workbench's default feature scoring). A
  ranking of inputs, not a box.
- `cart`: a shallow decision tree. Each leaf is a box; `CartResult.leaves`
  gives its limits with the coverage and density PRIM reports, and `rules`
  the tree as indented text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionsoft_sd.common.fields import seed32

DEFAULT_TREES = 250
DEFAULT_DEPTH = 3


def feature_scores(x: pd.DataFrame, y: np.ndarray, *, seed: int = 0, trees: int = DEFAULT_TREES):
    """Importance of each input for telling failures from successes (sums to 1, descending)."""
    from regionsoft_sd.common.extras import require

    require("sklearn", "feature scoring")
    from sklearn.ensemble import ExtraTreesClassifier

    yy = np.asarray(y, dtype=bool).reshape(-1)
    if yy.all() or not yy.any():
        scores = np.zeros(x.shape[1])
    else:
        model = ExtraTreesClassifier(
            n_estimators=trees, max_features=0.6, random_state=seed32(seed), n_jobs=1
        )
        model.fit(x.to_numpy(dtype=float), yy)
        scores = model.feature_importances_
    s = pd.Series(scores, index=pd.Index([str(c) for c in x.columns], name="parameter"))
    return s.rename("score").sort_values(ascending=False, kind="stable")


@dataclass
class CartResult:
    """A fitted tree as text rules and as a table of leaf boxes."""

    rules: str
    leaves: pd.DataFrame


def cart(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    depth: int = DEFAULT_DEPTH,
    min_leaf: float = 0.05,
    seed: int = 0,
) -> CartResult:
    """A CART tree of at most `depth` levels, each leaf holding >= `min_leaf` of the cases."""
    from regionsoft_sd.common.extras import require

    require("sklearn", "a CART tree")
    from sklearn.tree import DecisionTreeClassifier, export_text

    yy = np.asarray(y, dtype=bool).reshape(-1)
    names = [str(c) for c in x.columns]
    X = x.to_numpy(dtype=float)
    tree = DecisionTreeClassifier(
        max_depth=depth, min_samples_leaf=max(1, int(min_leaf * len(yy))), random_state=seed32(seed)
    )
    tree.fit(X, yy)
    rules = export_text(tree, feature_names=names, decimals=4)
    t = tree.tree_
    leaf_of = tree.apply(X)
    total = max(int(yy.sum()), 1)
    rows = []

    def walk(node: int, limits: dict[str, tuple[float, float]]) -> None:
        if t.children_left[node] == -1:
            inside = leaf_of == node
            k = int(inside.sum())
            hits = int(yy[inside].sum())
            text = " and ".join(_limit_text(n, lo, hi) for n, (lo, hi) in limits.items())
            rows.append(
                {
                    "leaf": node,
                    "rule": text or "(all cases)",
                    "cases": k,
                    "coverage": hits / total,
                    "density": hits / k if k else 0.0,
                    "mass": k / len(yy),
                }
            )
            return
        name, cut = names[t.feature[node]], float(t.threshold[node])
        lo, hi = limits.get(name, (-np.inf, np.inf))
        walk(t.children_left[node], {**limits, name: (lo, min(hi, cut))})
        walk(t.children_right[node], {**limits, name: (max(lo, cut), hi)})

    walk(0, {})
    leaves = pd.DataFrame(rows).sort_values("density", ascending=False, kind="stable")
    return CartResult(rules, leaves.reset_index(drop=True))


def _limit_text(name: str, lo: float, hi: float) -> str:
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{lo:.4g} < {name} <= {hi:.4g}"
    if np.isfinite(hi):
        return f"{name} <= {hi:.4g}"
    return f"{name} > {lo:.4g}"
