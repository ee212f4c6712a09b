"""The statistics of a spike raster that a user checks a network against: firing rates, the
coefficient of variation of the inter-spike intervals, the Fano factor of spike counts and
the synchrony of the population (Golomb's χ).

Every function takes a raster `spikes` of shape `(T, n)` (0/1, one row per step of `dt`,
as `simulate` records `state.cell.s`) and returns NumPy values; they run on the host, after
a simulation.
"""

import numpy as np
from jaxtyping import ArrayLike


def firing_rates(spikes: ArrayLike, dt: float) -> np.ndarray:
    """Each unit's rate, spikes per unit of `1/dt`'s time (Hz for `dt` in seconds; pass
    `dt/1000` for milliseconds)."""
    raster = _raster(spikes)
    return raster.sum(axis=0) / (raster.shape[0] * dt)


def isi_cv(spikes: ArrayLike, min_spikes: int = 3) -> np.ndarray:
    """The coefficient of variation std/mean of each unit's inter-spike intervals (1 for a
    Poisson process, 0 for a regular one), for the units with at least `min_spikes` (and
    3) spikes; others are left out."""
    raster = _raster(spikes)
    cvs = []
    for unit in raster.T:
        times = np.flatnonzero(unit)
        if times.size >= max(min_spikes, 3):
            intervals = np.diff(times).astype(np.float64)
            cvs.append(intervals.std() / intervals.mean())
    return np.asarray(cvs)


def fano_factor(spikes: ArrayLike, window: int) -> np.ndarray:
    """Each unit's variance/mean of its spike counts in consecutive windows of `window`
    steps (1 for a Poisson process; NaN for a silent unit)."""
    raster = _raster(spikes)
    n_windows = raster.shape[0] // window
    if n_windows < 2:
        raise ValueError(f"fano_factor: `window` must leave at least 2 windows, got {window}.")
    counts = raster[: n_windows * window].reshape(n_windows, window, -1).sum(axis=1)
    mean = counts.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts.var(axis=0) / mean


def synchrony(spikes: ArrayLike, window: int = 1) -> float:
    """Golomb's χ ∈ [0, 1] (Golomb & Rinzel 1993): the standard deviation of the population
    activity over the mean of the units' own, for counts in windows of `window` steps. Near
    0 for independent units (about 1/√n), 1 for identical ones."""
    raster = _raster(spikes)
    n_windows = raster.shape[0] // window
    counts = raster[: n_windows * window].reshape(n_windows, window, -1).sum(axis=1)
    own = counts.var(axis=0)
    if not np.any(own > 0):
        return 0.0
    population = counts.mean(axis=1).var()
    return float(np.sqrt(population / own.mean()))


def _raster(spikes: ArrayLike) -> np.ndarray:
    raster = np.asarray(spikes, dtype=np.float64)
    if raster.ndim != 2:
        raise ValueError(f"`spikes` must be a raster of shape (T, n), got shape {raster.shape}.")
    return raster
