"""What every part of the siting package shares: objectives, limits, errors, progress, CBC, JSON numbers."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pulp

from geo_core20.errors import SitingError

OBJECTIVES = ("mclp", "pmedian")
OBJECTIVE_LABEL = {"mclp": "Maximise population covered (MCLP)",
                   "pmedian": "Minimise population-weighted distance (p-median)"}
CANDIDATE_SOURCES = ("sites", "lsoa", "upload")
CANDIDATE_COLUMNS = ("candidate_id", "name", "easting", "northing", "lon", "lat")
MAX_CELLS = 4_000_000
"""Largest demand x candidate matrix accepted (32 MB of float64; the largest ICB is ~1.3 M)."""
DEFAULT_TIME_LIMIT = 60.0
MAX_K = 50

Progress = Callable[[float, str], None]
"""Progress callback: (fraction done 0..1, message)."""


def noop(fraction: float, message: str) -> None:
    """A progress callback that ignores progress."""
    return None


def check_objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        raise SitingError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    return objective


# --- solver helpers -------------------------------------------------------------------------------

def unique_columns(matrix: np.ndarray) -> np.ndarray:
    """Positions of the first of each set of identical columns, in order."""
    if matrix.shape[1] == 0:
        return np.zeros(0, dtype=np.int64)
    # boolean coverage columns compare as packed bits; costs compare exactly
    keys = np.packbits(matrix, axis=0).T if matrix.dtype == bool else np.ascontiguousarray(matrix.T)
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


def cbc(time_limit: float) -> pulp.LpSolver:
    """CBC as bundled with PuLP (PuLP 3.3 warns that 4.0 moves it to an extra; still the only CBC here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, float(time_limit)), gapRel=1e-9,
                                 warmStart=True)


def solved(problem: pulp.LpProblem) -> tuple[bool, bool]:
    """(has a solution, proven optimal)."""
    sol = problem.sol_status
    return sol in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible), sol == pulp.LpSolutionOptimal


# --- JSON ---------------------------------------------------------------------------------------------

def json_number(x: float | None) -> float | int | None:
    """JSON-friendly number: integers stay integers, infinities and NaN become None."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else round(x, 6)


def json_records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-safe records (numpy scalars to Python, NaN/inf to None)."""
    out = []
    for rec in frame.to_dict(orient="records"):
        clean = {}
        for key, value in rec.items():
            if isinstance(value, (np.bool_, bool)):
                clean[key] = bool(value)
            elif isinstance(value, (np.integer, int)):
                clean[key] = int(value)
            elif isinstance(value, (np.floating, float)):
                clean[key] = json_number(value)
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                clean[key] = None
            else:
                clean[key] = str(value)
        out.append(clean)
    return out


def number_or(value: object, default: float) -> float:
    """A stored number back as float; None (a JSON infinity or NaN) becomes ``default``."""
    return default if value is None else float(value)
