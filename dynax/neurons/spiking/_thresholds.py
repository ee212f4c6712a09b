"""Adaptive thresholds drawn at construction, shared by SLIF and WTAS: `thr + U(−jitter,
jitter)` per unit, with the reference's keys, and the floor of an adapted threshold."""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ..._validate import check_key

THRESHOLD_FLOOR = 0.025
"""The reference's lower bound of an adapted threshold."""


def jittered_thresholds(key, base, jitter, n_units: int) -> Array:
    """`base + U(−jitter, +jitter)`, one value per unit, drawn with `key` itself (no split);
    `base` alone (broadcast) when `key` is None (no jitter).

    With the subkey that ngclearn's SLIF/WTAS constructors draw with, this reproduces their
    `(1, n_units)` draw exactly (JAX's threefry bits depend only on the flattened index).
    """
    dtype = jnp.result_type(base, jitter, float)
    if key is None:
        return jnp.broadcast_to(base, (n_units,)).astype(dtype)
    noise = jax.random.uniform(key, (n_units,), dtype, minval=-jitter, maxval=jitter)
    return (base + noise).astype(dtype)


def needs_jitter(thr_jitter) -> bool:
    """Whether a jitter must be drawn: not when it is a known 0. (The raw argument: under a
    trace even a Python 0.0 becomes a tracer once converted.)"""
    if isinstance(thr_jitter, jax.core.Tracer):
        return True
    return bool((np.asarray(thr_jitter) != 0).any())


def require_construction_key(owner: str, key, needed_for: str):
    """Returns `key`, or raises a `ValueError` naming `key` and what the constructor draws."""
    if key is None:
        raise ValueError(
            f"{owner}: `key` is needed to draw {needed_for} at construction, got key=None. "
            "Pass e.g. key=jax.random.key(0) (or the explicit arrays)."
        )
    check_key(owner, "key", key)
    return key


def refractory_restart(rfr: Array, spikes: Array, dt) -> Array:
    """Time since the last spike, restarted at `dt` (not 0) at a spike, as SLIF and WTAS
    count it: `rfr⁺ = (rfr + dt)·(1 − s) + s·dt`."""
    return (rfr + dt) * (1.0 - spikes) + spikes * dt
