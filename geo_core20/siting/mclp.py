"""The maximal covering location problem (MCLP): exact reductions, then an exact MIP.

Maximise the target population within the radius of an open site. The problem is first shrunk
by exact reductions (`reduce_cover`: the largest ICB, 667 Core20 LSOAs x 949 GP practices and
pharmacies, becomes 418 x 224), then solved by CBC through PuLP with the standard MCLP
formulation (Church & ReVelle 1974, as in PySAL spopt's ``MCLP``; the tests compare with spopt).
The model is written here rather than built by spopt because importing spopt takes about 10 s,
which every app start and command would pay for a model of a dozen lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp
from scipy import sparse

from geo_core20.siting.common import cbc, solved, unique_columns


@dataclass
class Cover:
    """MCLP reduced to rows (merged demand) and columns (undominated candidates)."""

    a: np.ndarray  # bool (rows, cols)
    w: np.ndarray  # weight per row
    cols: np.ndarray  # original candidate position per column
    base: float  # population already covered by fixed sites
    stats: dict


def reduce_cover(cover: np.ndarray, w: np.ndarray, fixed_cover: np.ndarray) -> Cover:
    """Exact MCLP reductions, in this order:

    1. demand already covered by a fixed site, with zero weight, or reachable by no candidate
       contributes a constant (or nothing): drop it;
    2. candidates that then cover nothing: drop;
    3. candidates covering exactly the same demand: keep the first;
    4. a candidate whose covered set is a strict subset of another's: drop (swapping it for the
       superset never lowers coverage, so an optimum without it exists);
    5. demand rows with the same covering candidates: merge, summing weights.
    """
    base = float(w[fixed_cover & (w > 0)].sum())
    rows = (w > 0) & ~fixed_cover & cover.any(axis=1)
    a = cover[rows]
    cols = np.flatnonzero(a.any(axis=0))
    a = a[:, cols]
    keep = unique_columns(a)
    cols, a = cols[keep], a[:, keep]
    if a.shape[1] > 1:
        sa = sparse.csc_matrix(a, dtype=np.int32)
        inter = (sa.T @ sa).tocoo()
        size = np.asarray(sa.sum(axis=0)).ravel()
        sub = (inter.data == size[inter.row]) & (inter.row != inter.col)
        dominated = np.unique(inter.row[sub])
        undominated = np.setdiff1d(np.arange(a.shape[1]), dominated)
        cols, a = cols[undominated], a[:, undominated]
    wr = w[rows]
    if a.shape[0]:
        keys = np.packbits(a, axis=1)
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        merged_w = np.bincount(inverse.ravel(), weights=wr, minlength=len(first))
        a = a[first]
        wr = merged_w
    stats = {"demand_rows": int(len(w)), "demand_rows_reduced": int(a.shape[0]),
             "candidates": int(cover.shape[1]), "candidates_reduced": int(a.shape[1])}
    return Cover(a, wr, cols, base, stats)


def greedy_cover(a: np.ndarray, w: np.ndarray, slots: int) -> list[int]:
    """Greedy MCLP: repeatedly open the column adding the most uncovered weight."""
    covered = np.zeros(a.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(min(slots, a.shape[1])):
        gain = (w * ~covered) @ a
        if chosen:
            gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        covered |= a[:, j]
    return chosen


def _covered(red: Cover, cols: list[int]) -> float:
    return float(red.w[red.a[:, cols].any(axis=1)].sum()) if cols else 0.0


def _mip(red: Cover, slots: int, start: list[int], time_limit: float) -> tuple[list[int], bool, bool]:
    """max sum w_i z_i  s.t.  z_i <= sum_{j covers i} y_j,  sum y_j = slots,  y binary, 0 <= z_i <= 1.

    z may stay continuous: with y integral, an optimum has z_i = min(1, sum y_j) in {0, 1}.
    Returns (columns, has a solution, proven optimal).
    """
    n, m = red.a.shape
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    y = [prob.add_variable(f"y{j}", cat=pulp.LpBinary) for j in range(m)]
    z = [prob.add_variable(f"z{i}", 0, 1) for i in range(n)]
    prob += pulp.LpAffineExpression([(z[i], float(red.w[i])) for i in range(n)])
    for i in range(n):
        prob += z[i] - pulp.lpSum(y[j] for j in np.flatnonzero(red.a[i])) <= 0
    prob += pulp.lpSum(y) == slots
    first = set(start)
    for j, v in enumerate(y):
        v.setInitialValue(1 if j in first else 0)
    prob.solve(cbc(time_limit))
    have, optimal = solved(prob)
    return [j for j in range(m) if (y[j].value() or 0) > 0.5], have, optimal


def solve_cover(red: Cover, slots: int, time_limit: float) -> tuple[list[int], str]:
    """Columns (positions in ``red``) of an optimal MCLP choice of ``slots`` sites, and the status."""
    m = red.a.shape[1]
    if slots <= 0 or m == 0:
        return [], "optimal"
    if m <= slots:
        return list(range(m)), "optimal"
    greedy = greedy_cover(red.a, red.w, slots)
    if red.a.shape[0] <= 1 or (red.w @ red.a.any(axis=1)) == _covered(red, greedy):
        return greedy, "optimal"  # greedy already covers everything coverable
    chosen, have, optimal = _mip(red, slots, greedy, time_limit)
    if not have or len(chosen) != slots or _covered(red, chosen) < _covered(red, greedy):
        return greedy, "feasible"  # no solution in time, or a time-limited one worse than greedy
    return chosen, "optimal" if optimal else "feasible"
